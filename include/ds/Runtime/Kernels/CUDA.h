// The CUDA kernel library: fused kernels for the ops the CPU backend runs, callable from plain C++.
// Callers never include cuda_runtime.h: every function takes device pointers, sizes and a `void
// *stream` (a cudaStream_t; nullptr is the legacy default stream), enqueues its work on that stream
// and returns a Status carrying the CUDA error string when a launch fails. Nothing here allocates:
// kernels that need scratch take a caller-owned device workspace and say how many bytes it needs.
//
// Element types: float tensors are f32 or bf16 (DType::F32 / DType::BF16); bf16 is a storage type
// and all arithmetic runs in f32, as on the CPU backend. A kernel cannot report bad data (an index
// out of range) without synchronizing, so such data gives NaN or is skipped, as each kernel says.
//
// Beside the pointer-based fused kernels, every compute kernel of the CPU backend has a twin here
// that takes the cpu:: kernel's views (with device data) and enums plus a trailing `void *stream`
// (Tensor.h, ShapeOps.h, Random.h and the view overloads in Norm.h, Softmax.h, Optimizer.h): same
// shapes, checks and semantics, and an error naming the kernel and dtype where the CUDA kernel
// leaves a dtype (f64 above all) to the CPU.
#ifndef DS_RUNTIME_KERNELS_CUDA_H
#define DS_RUNTIME_KERNELS_CUDA_H

#include "ds/Runtime/Kernels/CUDA/Device.h"
#include "ds/Runtime/Kernels/CUDA/Elementwise.h"
#include "ds/Runtime/Kernels/CUDA/Embedding.h"
#include "ds/Runtime/Kernels/CUDA/Loss.h"
#include "ds/Runtime/Kernels/CUDA/Matmul.h"
#include "ds/Runtime/Kernels/CUDA/Norm.h"
#include "ds/Runtime/Kernels/CUDA/Optimizer.h"
#include "ds/Runtime/Kernels/CUDA/Quantize.h"
#include "ds/Runtime/Kernels/CUDA/Random.h"
#include "ds/Runtime/Kernels/CUDA/ShapeOps.h"
#include "ds/Runtime/Kernels/CUDA/Softmax.h"
#include "ds/Runtime/Kernels/CUDA/Tensor.h"

#endif // DS_RUNTIME_KERNELS_CUDA_H
