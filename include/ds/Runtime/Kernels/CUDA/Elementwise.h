// GELU (exact erf form and tanh form) with its gradient, and casts between f32 and bf16/f16.
#ifndef DS_RUNTIME_KERNELS_CUDA_ELEMENTWISE_H
#define DS_RUNTIME_KERNELS_CUDA_ELEMENTWISE_H

#include "ds/Runtime/DType.h"
#include "ds/Runtime/Status.h"

#include <cstdint>

namespace ds::rt::cuda {

// y = gelu(x) over n elements of `dtype` (f32 or bf16): x * Phi(x) (torch approximate='none') or,
// with tanhApprox, 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), as cpu::unary's Gelu/GeluTanh.
// y may alias x.
Status gelu(DType dtype, const void *x, void *y, int64_t n, bool tanhApprox, void *stream);

// dx = dy * gelu'(x), as cpu::geluGrad; all three of `dtype`. dx may alias x or dy.
Status geluGrad(DType dtype, const void *x, const void *dy, void *dx, int64_t n, bool tanhApprox,
                void *stream);

// y = x converted from `from` to `to`: f32 -> bf16/f16 rounds to nearest even (bit for bit as
// ds::rt::toBFloat16/toHalf, NaN and overflow included), bf16/f16 -> f32 is exact, and equal types
// copy. Other pairs are an error.
Status cast(DType from, const void *x, DType to, void *y, int64_t n, void *stream);

} // namespace ds::rt::cuda

#endif // DS_RUNTIME_KERNELS_CUDA_ELEMENTWISE_H
