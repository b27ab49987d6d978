// Layer normalization over the last axis of a [rows, cols] tensor, forward and backward; RMS
// normalization over the trailing dims of device views, forward and backward.
#ifndef DS_RUNTIME_KERNELS_CUDA_NORM_H
#define DS_RUNTIME_KERNELS_CUDA_NORM_H

#include "ds/Runtime/DType.h"
#include "ds/Runtime/Status.h"
#include "ds/Runtime/Tensor.h"

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


// The twins of cpu::rmsNorm, cpu::rmsNormGrad and cpu::rmsNormParamGrad on device views of f32 or
// bf16 (x, dy, weight, out, dx and dweight of one dtype; f64 is an error), normalizing over
// x.shape[axis:], one block per row with f32 sums. eps is rounded to f32, as the CPU kernels do
// for f32.
// out = x * rsqrt(mean(x^2) + eps) * weight; weight (optional) has shape x.shape[axis:]; rstd
// (optional, shape x.shape[:axis], x's dtype or f32) receives the reciprocal RMS. out may alias x.
Status rmsNorm(const TensorView &x, int64_t axis, const TensorView *weight, double eps,
               const MutableTensorView &out, const MutableTensorView *rstd, void *stream);
// dx = rstd * (g - xhat * mean(g * xhat)) with g = dy * weight and xhat = x * rstd, recomputing
// rstd from x; weight is optional. dx may alias x or dy.
Status rmsNormGrad(const TensorView &x, const TensorView &dy, const TensorView *weight,
                   int64_t axis, double eps, const MutableTensorView &dx, void *stream);
// Bytes of device workspace rmsNormParamGrad needs for x split into `rows` rows (one f32 each).
int64_t rmsNormParamGradWorkspaceBytes(int64_t rows);
// dweight = sum over the leading dims of dy * x * rsqrt(mean(x^2) + eps), shape x.shape[axis:].
// Deterministic: each column is summed in a fixed order (no atomics). Unlike the CPU kernel it
// takes a caller-owned workspace of rmsNormParamGradWorkspaceBytes(rows) bytes for the row
// statistics (this library never allocates).
Status rmsNormParamGrad(const TensorView &x, const TensorView &dy, int64_t axis, double eps,
                        const MutableTensorView &dweight, void *workspace, void *stream);

} // namespace ds::rt::cuda

#endif // DS_RUNTIME_KERNELS_CUDA_NORM_H
