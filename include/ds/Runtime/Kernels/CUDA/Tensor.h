// Elementwise math, comparisons, select, reductions and fill on device tensors: the CUDA twins of
// the cpu:: kernels of Elementwise.h and Reduce.h, with the same operands, shapes, broadcasting
// and checks. Views' data are device pointers; every function enqueues on `stream` (a
// cudaStream_t, nullptr for the legacy default stream). Float tensors are f32 or bf16 (bf16
// computes in f32); f64 and other unsupported dtypes give an error naming the kernel and the
// dtype, so a caller can fall back to the CPU kernel. Numpy broadcasting handles up to 8 dims
// after size-1 dims are dropped and contiguous neighbours merged.
#ifndef DS_RUNTIME_KERNELS_CUDA_TENSOR_H
#define DS_RUNTIME_KERNELS_CUDA_TENSOR_H

#include "ds/Runtime/Kernels/CPU/Elementwise.h"
#include "ds/Runtime/Kernels/CPU/Reduce.h"
#include "ds/Runtime/Tensor.h"

#include <cstdint>
#include <vector>

namespace ds::rt::cuda {

// out = op(x), as cpu::unary; x and out are f32 or bf16 of one shape. out may alias x.
Status unary(cpu::UnaryOp op, const TensorView &x, const MutableTensorView &out, void *stream);

// out = op(a, b) with broadcasting, as cpu::binary; a, b and out share one dtype: f32, bf16, i64
// or i32. Integer division by zero gives 0. Integer pow is exact (by squaring): it equals the
// CPU's pow through double wherever that is exact, and wraps where the CPU's conversion would
// overflow.
// Max and Min propagate NaN. out may alias an input of its shape.
Status binary(cpu::BinaryOp op, const TensorView &a, const TensorView &b,
              const MutableTensorView &out, void *stream);

// out (u8, 0 or 1) = a op b with broadcasting, as cpu::compare; a and b are f32, bf16, i64 or i32.
Status compare(cpu::CompareOp op, const TensorView &a, const TensorView &b,
               const MutableTensorView &out, void *stream);

// out = cond ? a : b with broadcasting of all three, as cpu::select; cond is u8, a and b any one
// dtype.
Status select(const TensorView &cond, const TensorView &a, const TensorView &b,
              const MutableTensorView &out, void *stream);

// Sum, mean or max over `axes` (negative allowed, empty means all), as cpu::reduce; x and out are
// f32 or bf16 of one dtype, and sums accumulate in f32 (the CPU uses double) in a fixed order, so
// results do not vary between runs. The sum of nothing is 0, its mean NaN, its max an error; max
// propagates NaN.
Status reduce(cpu::ReduceKind kind, const TensorView &x, const std::vector<int64_t> &axes,
              bool keepDim, const MutableTensorView &out, void *stream);

// Writes the `elementBytes`-byte pattern at host address `element` to the n elements at device
// address `out` (a splat constant of any dtype). elementBytes is 1, 2, 4 or 8.
Status fill(void *out, const void *element, int64_t elementBytes, int64_t n, void *stream);

} // namespace ds::rt::cuda

#endif // DS_RUNTIME_KERNELS_CUDA_TENSOR_H
