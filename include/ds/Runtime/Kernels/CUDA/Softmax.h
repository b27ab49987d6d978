// Softmax over the last axis, with the optional causal mask of attention, and its gradient; and
// the view-based twins of cpu::softmax / logSoftmax (any axis), their gradients and causalMask.
#ifndef DS_RUNTIME_KERNELS_CUDA_SOFTMAX_H
#define DS_RUNTIME_KERNELS_CUDA_SOFTMAX_H

#include "ds/Runtime/DType.h"
#include "ds/Runtime/Status.h"
#include "ds/Runtime/Tensor.h"

#include <cstdint>

namespace ds::rt::cuda {

// y = softmax of each of `rows` rows of `cols` elements (f32 or bf16), as cpu::softmax over the
// last axis. With `causal` the rows are those of [..., T, T] matrices (cols = T) and row i of each
// matrix sees columns 0..i only; the masked entries come out exactly 0, as cpu::causalSoftmax.
// y may alias x.
Status softmax(DType dtype, const void *x, void *y, int64_t rows, int64_t cols, bool causal,
               void *stream);

// dx = y * (dy - sum(dy * y)) per row, from the softmax output y, as cpu::softmaxGrad; it serves
// the causal softmax too (y is 0 where masked).
Status softmaxGrad(DType dtype, const void *y, const void *dy, void *dx, int64_t rows,
                   int64_t cols, void *stream);


// The twins of the cpu:: kernels of the same names (Softmax.h, Gradients.h), over any axis of
// device tensors of f32 or bf16 (one dtype for every operand; f64 is an error). A last axis runs
// one block per row; another runs one thread per column of the [outer, len, inner] layout.
// Outputs may alias the input of their shape.
Status softmax(const TensorView &x, int64_t axis, const MutableTensorView &out, void *stream);
Status logSoftmax(const TensorView &x, int64_t axis, const MutableTensorView &out, void *stream);
// dx = y * (dy - sum(dy * y, axis)) from the softmax output y.
Status softmaxGrad(const TensorView &y, const TensorView &dy, int64_t axis,
                   const MutableTensorView &dx, void *stream);
// dx = dy - exp(y) * sum(dy, axis) from the log_softmax output y.
Status logSoftmaxGrad(const TensorView &y, const TensorView &dy, int64_t axis,
                      const MutableTensorView &dx, void *stream);
// out = x with `fill` written where j > i in the last two dims (any [..., Tq, Tk]).
Status causalMask(const TensorView &x, double fill, const MutableTensorView &out, void *stream);

} // namespace ds::rt::cuda

#endif // DS_RUNTIME_KERNELS_CUDA_SOFTMAX_H
