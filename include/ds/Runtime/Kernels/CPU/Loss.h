// Softmax cross-entropy of logits against integer class targets.
#ifndef DS_RUNTIME_KERNELS_CPU_LOSS_H
#define DS_RUNTIME_KERNELS_CPU_LOSS_H

#include "ds/Runtime/Tensor.h"

namespace ds::rt::cpu {

enum class LossReduction { None, Mean, Sum };

// As torch.nn.functional.cross_entropy with the class dim last: logits [..., V] f32 or f64 (out
// has their dtype), targets [...] i64 or i32. Targets equal to ignoreIndex contribute 0 and are
// left out of the mean's count (a mean over no targets is NaN, as torch gives). Any other target
// outside [0, V) is an error. out is targets' shape for None and a scalar (rank 0) for Mean and
// Sum.
Status crossEntropy(const TensorView &logits, const TensorView &targets, int64_t ignoreIndex,
                    LossReduction reduction, const MutableTensorView &out);

} // namespace ds::rt::cpu

#endif // DS_RUNTIME_KERNELS_CPU_LOSS_H
