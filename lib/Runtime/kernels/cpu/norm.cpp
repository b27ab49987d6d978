// Layer norm and RMS norm: statistics per row of the trailing dims, accumulated in double.
#include "ds/Runtime/Kernels/CPU/Norm.h"

#include "Common.h"

#include <cmath>

namespace ds::rt::cpu {

namespace {

// Splits x at `axis` into rows x cols and checks the optional per-column and per-row operands.
struct NormLayout {
  int64_t rows = 1, cols = 1;
  Shape rowShape, colShape;
};

StatusOr<NormLayout> normLayout(const TensorView &x, int64_t axis, const MutableTensorView &out,
                                const char *kernel) {
  DS_RETURN_IF_ERROR(checkTensor(x, DType::F32, kernel, "input"));
  DS_RETURN_IF_ERROR(checkOutput(out, DType::F32, x.shape, kernel));
  StatusOr<int64_t> ax = normalizeAxis(axis, x.rank(), "axis");
  if (!ax)
    return ax.status().withContext(kernel);
  NormLayout l;
  l.rowShape.assign(x.shape.begin(), x.shape.begin() + *ax);
  l.colShape.assign(x.shape.begin() + *ax, x.shape.end());
  l.rows = numElements(l.rowShape);
  l.cols = numElements(l.colShape);
  return l;
}

Status checkParam(const TensorView *p, const Shape &shape, const char *kernel,
                  const char *operand) {
  if (!p)
    return Status::ok();
  DS_RETURN_IF_ERROR(checkTensor(*p, DType::F32, kernel, operand));
  if (p->shape != shape)
    return Status::error(std::string(kernel) + ": " + operand + " shape " +
                         shapeToString(p->shape) + " must equal the normalized shape " +
                         shapeToString(shape));
  return Status::ok();
}

Status checkStat(const MutableTensorView *s, const Shape &shape, const char *kernel,
                 const char *operand) {
  return s ? checkOutput(*s, DType::F32, shape, kernel, operand) : Status::ok();
}

} // namespace

Status layerNorm(const TensorView &x, int64_t axis, const TensorView *weight,
                 const TensorView *bias, float eps, const MutableTensorView &out,
                 const MutableTensorView *mean, const MutableTensorView *rstd) {
  const char *kernel = "layer_norm";
  StatusOr<NormLayout> layout = normLayout(x, axis, out, kernel);
  if (!layout)
    return layout.status();
  const NormLayout &l = *layout;
  DS_RETURN_IF_ERROR(checkParam(weight, l.colShape, kernel, "weight"));
  DS_RETURN_IF_ERROR(checkParam(bias, l.colShape, kernel, "bias"));
  DS_RETURN_IF_ERROR(checkStat(mean, l.rowShape, kernel, "mean"));
  DS_RETURN_IF_ERROR(checkStat(rstd, l.rowShape, kernel, "rstd"));

  const float *in = x.as<float>();
  const float *w = weight ? weight->as<float>() : nullptr;
  const float *b = bias ? bias->as<float>() : nullptr;
  float *o = out.as<float>();
  float *meanOut = mean ? mean->as<float>() : nullptr;
  float *rstdOut = rstd ? rstd->as<float>() : nullptr;
  const int64_t cols = l.cols;
#pragma omp parallel for schedule(static) if (l.rows * cols > detail::kParallelGrain)
  for (int64_t r = 0; r < l.rows; ++r) {
    const float *xr = in + r * cols;
    float *yr = o + r * cols;
    // Two passes (mean, then squared deviations) stay accurate when |mean| >> stddev.
    double sum = 0.0;
    for (int64_t c = 0; c < cols; ++c)
      sum += xr[c];
    const double mu = sum / static_cast<double>(cols);
    double sq = 0.0;
    for (int64_t c = 0; c < cols; ++c) {
      double d = xr[c] - mu;
      sq += d * d;
    }
    const float m = static_cast<float>(mu);
    const float rs = static_cast<float>(1.0 / std::sqrt(sq / static_cast<double>(cols) + eps));
    if (meanOut)
      meanOut[r] = m;
    if (rstdOut)
      rstdOut[r] = rs;
#pragma omp simd
    for (int64_t c = 0; c < cols; ++c) {
      float v = (xr[c] - m) * rs;
      if (w)
        v *= w[c];
      if (b)
        v += b[c];
      yr[c] = v;
    }
  }
  return Status::ok();
}

Status rmsNorm(const TensorView &x, int64_t axis, const TensorView *weight, float eps,
               const MutableTensorView &out, const MutableTensorView *rstd) {
  const char *kernel = "rms_norm";
  StatusOr<NormLayout> layout = normLayout(x, axis, out, kernel);
  if (!layout)
    return layout.status();
  const NormLayout &l = *layout;
  DS_RETURN_IF_ERROR(checkParam(weight, l.colShape, kernel, "weight"));
  DS_RETURN_IF_ERROR(checkStat(rstd, l.rowShape, kernel, "rstd"));

  const float *in = x.as<float>();
  const float *w = weight ? weight->as<float>() : nullptr;
  float *o = out.as<float>();
  float *rstdOut = rstd ? rstd->as<float>() : nullptr;
  const int64_t cols = l.cols;
#pragma omp parallel for schedule(static) if (l.rows * cols > detail::kParallelGrain)
  for (int64_t r = 0; r < l.rows; ++r) {
    const float *xr = in + r * cols;
    float *yr = o + r * cols;
    double sq = 0.0;
    for (int64_t c = 0; c < cols; ++c)
      sq += static_cast<double>(xr[c]) * xr[c];
    const float rs = static_cast<float>(1.0 / std::sqrt(sq / static_cast<double>(cols) + eps));
    if (rstdOut)
      rstdOut[r] = rs;
#pragma omp simd
    for (int64_t c = 0; c < cols; ++c)
      yr[c] = w ? xr[c] * rs * w[c] : xr[c] * rs;
  }
  return Status::ok();
}

} // namespace ds::rt::cpu
