// Fused Adam/AdamW update over flat f32 buffers, and the SGD update on device views.
#ifndef DS_RUNTIME_KERNELS_CUDA_OPTIMIZER_H
#define DS_RUNTIME_KERNELS_CUDA_OPTIMIZER_H

#include "ds/Runtime/Kernels/OptimizerConfig.h"
#include "ds/Runtime/Status.h"
#include "ds/Runtime/Tensor.h"

#include <cstdint>

namespace ds::rt::cuda {

using ds::rt::AdamConfig;

// One Adam/AdamW step in place on n elements, the arithmetic of cpu::adamUpdate (torch 1.13's
// single-tensor Adam): g = grad * gradScale, m = beta1 m + (1 - beta1) g,
// v = beta2 v + (1 - beta2) g^2, p -= lr / (1 - beta1^step) * m / (sqrt(v) / sqrt(1 - beta2^step)
// + eps). lr, step (>= 1, this step included) and gradScale are host values, as the CPU kernel
// takes them; the scalars are formed in double on the host and rounded to f32 once.
Status adamUpdate(float *param, const float *grad, float *expAvg, float *expAvgSq, int64_t n,
                  float lr, int64_t step, float gradScale, const AdamConfig &config,
                  void *stream);


using ds::rt::SGDConfig;
// One SGD step with momentum, dampening, weight decay and Nesterov, as cpu::sgdUpdate on device
// views of f32 of one shape, bit for bit: the f32 products and the double fused multiply-adds of
// the CPU kernel. Without momentum the buffer is copied through unchanged. Outputs may alias the
// matching inputs.
Status sgdUpdate(const TensorView &param, const TensorView &grad, const TensorView &momentumBuffer,
                 float lr, int64_t step, float gradScale, const SGDConfig &config,
                 const MutableTensorView &newParam, const MutableTensorView &newMomentumBuffer,
                 void *stream);

} // namespace ds::rt::cuda

#endif // DS_RUNTIME_KERNELS_CUDA_OPTIMIZER_H
