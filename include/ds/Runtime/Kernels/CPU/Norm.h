// Layer normalization and RMS normalization over the trailing dims of f32 or f64 tensors (every
// operand of one call has x's dtype). Outputs may alias x.
#ifndef DS_RUNTIME_KERNELS_CPU_NORM_H
#define DS_RUNTIME_KERNELS_CPU_NORM_H

#include "ds/Runtime/Tensor.h"

namespace ds::rt::cpu {

// As torch.nn.functional.layer_norm with normalized_shape = x.shape[axis:]: biased variance,
// out = (x - mean) / sqrt(var + eps) * weight + bias. weight and bias are optional (nullptr) and
// have shape x.shape[axis:]. When given, mean and rstd (shape x.shape[:axis]) receive the
// statistics the backward pass needs. f32 rounds eps to f32 first.
Status layerNorm(const TensorView &x, int64_t axis, const TensorView *weight,
                 const TensorView *bias, double eps, const MutableTensorView &out,
                 const MutableTensorView *mean = nullptr, const MutableTensorView *rstd = nullptr);

// out = x * rsqrt(mean(x^2 over x.shape[axis:]) + eps) * weight; weight (optional) has shape
// x.shape[axis:]; rstd (optional, shape x.shape[:axis]) receives the reciprocal RMS.
Status rmsNorm(const TensorView &x, int64_t axis, const TensorView *weight, double eps,
               const MutableTensorView &out, const MutableTensorView *rstd = nullptr);

} // namespace ds::rt::cpu

#endif // DS_RUNTIME_KERNELS_CPU_NORM_H
