// Softmax over the last axis, with the optional causal mask of attention, and its gradient.
#ifndef DS_RUNTIME_KERNELS_CUDA_SOFTMAX_H
#define DS_RUNTIME_KERNELS_CUDA_SOFTMAX_H

#include "ds/Runtime/DType.h"
#include "ds/Runtime/Status.h"

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

} // namespace ds::rt::cuda

#endif // DS_RUNTIME_KERNELS_CUDA_SOFTMAX_H
