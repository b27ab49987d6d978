// Softmax, log-softmax and the causal (lower-triangular) mask of attention scores, on f32 or f64
// (out has x's dtype).
// Outputs may alias the input.
#ifndef DS_RUNTIME_KERNELS_CPU_SOFTMAX_H
#define DS_RUNTIME_KERNELS_CPU_SOFTMAX_H

#include "ds/Runtime/Tensor.h"

namespace ds::rt::cpu {

// Softmax of x over `axis` (negative counts from the back); out has x's shape.
Status softmax(const TensorView &x, int64_t axis, const MutableTensorView &out);
Status logSoftmax(const TensorView &x, int64_t axis, const MutableTensorView &out);

// Softmax over the last axis of x [..., T, T] where entries j > i are masked out first, as
// torch's masked_fill(triu(ones, 1), -inf).softmax(-1): masked entries come out exactly 0.
Status causalSoftmax(const TensorView &x, const MutableTensorView &out);

// out = x with `fill` written where j > i in the last two dims (any [..., Tq, Tk]).
Status causalMask(const TensorView &x, double fill, const MutableTensorView &out);

} // namespace ds::rt::cpu

#endif // DS_RUNTIME_KERNELS_CPU_SOFTMAX_H
