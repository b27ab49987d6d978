// Softmax cross-entropy of logits [rows, classes] against i64 targets, forward and backward.
#ifndef DS_RUNTIME_KERNELS_CUDA_LOSS_H
#define DS_RUNTIME_KERNELS_CUDA_LOSS_H

#include "ds/Runtime/DType.h"
#include "ds/Runtime/Status.h"

#include <cstdint>

namespace ds::rt::cuda {

enum class LossReduction { None, Mean, Sum };

// Bytes of device workspace crossEntropy and crossEntropyGrad need for `rows` rows.
int64_t crossEntropyWorkspaceBytes(int64_t rows);

// As cpu::crossEntropy with the class dim last: logits of `dtype` (f32 or bf16), targets i64
// [rows]. Targets equal to ignoreIndex contribute 0 and leave the mean's count (a mean over no
// targets is NaN). out is f32: [rows] for None, one scalar for Mean and Sum; the reduction runs in
// one block in a fixed order, so it is deterministic. A target outside [0, classes) that is not
// ignoreIndex gives that row a NaN loss (the CPU kernel reports an error; a kernel cannot without
// synchronizing).
Status crossEntropy(DType dtype, const void *logits, const int64_t *targets, int64_t rows,
                    int64_t classes, int64_t ignoreIndex, LossReduction reduction, float *out,
                    void *workspace, void *stream);

// dlogits (of `dtype`) = (softmax(row) - onehot(target)) * g, as cpu::crossEntropyGrad: g is
// dloss[r] for None and the scalar dloss for Sum, divided by the count of targets that are not
// ignoreIndex for Mean (none: g = 0). dloss is f32 on the device. Ignored rows and rows with an
// out-of-range target are zero.
Status crossEntropyGrad(DType dtype, const void *logits, const int64_t *targets,
                        const float *dloss, int64_t rows, int64_t classes, int64_t ignoreIndex,
                        LossReduction reduction, void *dlogits, void *workspace, void *stream);

} // namespace ds::rt::cuda

#endif // DS_RUNTIME_KERNELS_CUDA_LOSS_H
