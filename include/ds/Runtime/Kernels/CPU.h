// Every CPU kernel of the runtime: free functions in ds::rt::cpu, grouped by concept.
#ifndef DS_RUNTIME_KERNELS_CPU_H
#define DS_RUNTIME_KERNELS_CPU_H

#include "ds/Runtime/Kernels/CPU/Cast.h"
#include "ds/Runtime/Kernels/CPU/Elementwise.h"
#include "ds/Runtime/Kernels/CPU/Gradients.h"
#include "ds/Runtime/Kernels/CPU/Loss.h"
#include "ds/Runtime/Kernels/CPU/Matmul.h"
#include "ds/Runtime/Kernels/CPU/Norm.h"
#include "ds/Runtime/Kernels/CPU/Optimizer.h"
#include "ds/Runtime/Kernels/CPU/Random.h"
#include "ds/Runtime/Kernels/CPU/Reduce.h"
#include "ds/Runtime/Kernels/CPU/ShapeOps.h"
#include "ds/Runtime/Kernels/CPU/Softmax.h"

#endif // DS_RUNTIME_KERNELS_CPU_H
