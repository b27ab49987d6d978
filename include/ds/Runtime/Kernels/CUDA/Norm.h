// Layer normalization over the last axis of a [rows, cols] tensor, forward and backward.
#ifndef DS_RUNTIME_KERNELS_CUDA_NORM_H
#define DS_RUNTIME_KERNELS_CUDA_NORM_H

#include "ds/Runtime/DType.h"
#include "ds/Runtime/Status.h"

#include <cstdint>

namespace ds::rt::cuda {

// out = (x - mean) / sqrt(var + eps) * weight + bias per row, biased variance, as cpu::layerNorm
// with axis = rank - 1: x, weight, bias and out are of `dtype` (f32 or bf16); weight and bias
// [cols] may each be nullptr. eps is rounded to f32 first, as the CPU kernel does for f32. mean
// and rstd (f32 [rows], optional) receive the row statistics. out may alias x.
Status layerNorm(DType dtype, const void *x, const void *weight, const void *bias, int64_t rows,
                 int64_t cols, double eps, void *out, float *mean, float *rstd, void *stream);

// dx of layerNorm, recomputing the row statistics from x (as cpu::layerNormGrad):
// dx = rstd * (g - mean(g) - xhat * mean(g * xhat)) with g = dy * weight. weight may be nullptr.
Status layerNormGrad(DType dtype, const void *x, const void *dy, const void *weight, int64_t rows,
                     int64_t cols, double eps, void *dx, void *stream);

// Bytes of device workspace layerNormParamGrad needs.
int64_t layerNormParamGradWorkspaceBytes(int64_t rows, int64_t cols);

// dweight = sum over rows of dy * xhat, dbias = sum of dy ([cols], of `dtype`), as
// cpu::layerNormParamGrad. The sums are deterministic: fixed row chunks reduced in a fixed order
// (no atomics). workspace holds layerNormParamGradWorkspaceBytes(rows, cols) bytes.
Status layerNormParamGrad(DType dtype, const void *x, const void *dy, int64_t rows, int64_t cols,
                          double eps, void *dweight, void *dbias, void *workspace, void *stream);

} // namespace ds::rt::cuda

#endif // DS_RUNTIME_KERNELS_CUDA_NORM_H
