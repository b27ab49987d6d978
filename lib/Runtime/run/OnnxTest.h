// `ds-run --onnx-test DIR`: one ONNX backend test case (model.onnx + test_data_set_*/) compiled by
// the ds-opt installed beside ds-run, run forward on one CPU rank, and compared with every
// expected output. The runtime reads ONNX tensors only through their protobuf; it links no MLIR.
#ifndef DS_LIB_RUNTIME_RUN_ONNXTEST_H
#define DS_LIB_RUNTIME_RUN_ONNXTEST_H

#include <string>

namespace ds::rt {

struct OnnxTestTolerance {
  double rtol = 1e-4;
  double atol = 1e-5;
};

// Prints PASS or FAIL with the worst error; returns the exit code (0 pass, 1 fail).
int runOnnxTest(const std::string &dir, OnnxTestTolerance tolerance);

} // namespace ds::rt

#endif // DS_LIB_RUNTIME_RUN_ONNXTEST_H
