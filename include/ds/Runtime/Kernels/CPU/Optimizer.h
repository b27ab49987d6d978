// Fused optimizer updates: one pass over a parameter's flat f32 buffers per step, with PyTorch's
// single-tensor arithmetic (torch.optim.Adam, AdamW and SGD of torch 1.13).
#ifndef DS_RUNTIME_KERNELS_CPU_OPTIMIZER_H
#define DS_RUNTIME_KERNELS_CPU_OPTIMIZER_H

#include "ds/Runtime/Kernels/OptimizerConfig.h"
#include "ds/Runtime/Tensor.h"

namespace ds::rt::cpu {

using ds::rt::AdamConfig;

// One Adam/AdamW step (amsgrad and maximize off) on f32 tensors of one shape, with
// g = grad * gradScale: m = beta1 m + (1 - beta1) g, v = beta2 v + (1 - beta2) g^2,
// p -= lr / (1 - beta1^step) * m / (sqrt(v) / sqrt(1 - beta2^step) + epsilon). step >= 1 counts
// optimizer steps, this one included. Outputs may alias the matching inputs.
Status adamUpdate(const TensorView &param, const TensorView &grad, const TensorView &expAvg,
                  const TensorView &expAvgSq, float lr, int64_t step, float gradScale,
                  const AdamConfig &config, const MutableTensorView &newParam,
                  const MutableTensorView &newExpAvg, const MutableTensorView &newExpAvgSq);

using ds::rt::SGDConfig;

// One SGD step: d = grad * gradScale + weightDecay * p; with momentum, buf = d on step 1 and
// momentum buf + (1 - dampening) d after, and d = nesterov ? d + momentum buf : buf; p -= lr d.
// Without momentum the buffer is copied through unchanged. Outputs may alias the matching inputs.
Status sgdUpdate(const TensorView &param, const TensorView &grad, const TensorView &momentumBuffer,
                 float lr, int64_t step, float gradScale, const SGDConfig &config,
                 const MutableTensorView &newParam, const MutableTensorView &newMomentumBuffer);

} // namespace ds::rt::cpu

#endif // DS_RUNTIME_KERNELS_CPU_OPTIMIZER_H
