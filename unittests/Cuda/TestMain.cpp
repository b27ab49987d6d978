// The stand-in harness's main, for the kernels-only build without GoogleTest (TestHarness.h).
#define DS_CUDA_TEST_HARNESS_MAIN 1
#include "TestHarness.h"
