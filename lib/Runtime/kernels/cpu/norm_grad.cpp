// Backward kernels of layer norm and RMS norm, on f32 and f64. The row statistics are recomputed
// from x (in double, two passes as the forward kernels do) instead of being saved by the forward.
#include "ds/Runtime/Kernels/CPU/Gradients.h"

#include "Common.h"
#include "GradientCommon.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace ds::rt::cpu {

namespace {

// x as rows x cols, split at `axis`; colShape is the normalized shape.
struct RowLayout {
  int64_t rows = 1, cols = 1;
  Shape colShape;
};

// Checks x, dy (x's shape) and the optional weight, all of x's float dtype.
StatusOr<RowLayout> normGradLayout(const TensorView &x, const TensorView &dy,
                                   const TensorView *weight, int64_t axis, double eps,
                                   const char *kernel) {
  DS_RETURN_IF_ERROR(detail::checkFloatOperands(x.dtype, kernel, {{x, "input"}, {dy, "grad"}}));
  if (dy.shape != x.shape)
    return Status::error(std::string(kernel) + ": grad shape " + shapeToString(dy.shape) +
                         " differs from the input's " + shapeToString(x.shape));
  StatusOr<int64_t> ax = normalizeAxis(axis, x.rank(), "axis");
  if (!ax)
    return ax.status().withContext(kernel);
  if (!(eps >= 0))
    return Status::error(std::string(kernel) + ": epsilon must be >= 0");
  RowLayout l;
  l.colShape.assign(x.shape.begin() + *ax, x.shape.end());
  l.cols = numElements(l.colShape);
  l.rows = l.cols == 0 ? numElements(Shape(x.shape.begin(), x.shape.begin() + *ax))
                       : x.numel() / l.cols;
  if (weight) {
    DS_RETURN_IF_ERROR(checkTensor(*weight, x.dtype, kernel, "weight"));
    if (weight->shape != l.colShape)
      return Status::error(std::string(kernel) + ": weight shape " +
                           shapeToString(weight->shape) + " must equal the normalized shape " +
                           shapeToString(l.colShape));
  }
  return l;
}

// Mean and 1/sqrt(var + eps) of one row; rms gives mean 0 and 1/sqrt(mean(x^2) + eps).
template <typename T> void rowStats(const T *x, int64_t n, double eps, bool rms, double &mu,
                                    double &rstd) {
  mu = 0.0;
  if (!rms) {
    for (int64_t c = 0; c < n; ++c)
      mu += x[c];
    mu /= static_cast<double>(n);
  }
  double sq = 0.0;
  for (int64_t c = 0; c < n; ++c) {
    const double d = x[c] - mu;
    sq += d * d;
  }
  rstd = 1.0 / std::sqrt(sq / static_cast<double>(n) + eps);
}

// With g = dy * w and xhat = (x - mu) * rstd, per row:
//   layer norm: dx = rstd * (g - mean(g) - xhat * mean(g * xhat))
//   rms norm:   dx = rstd * (g - xhat * mean(g * xhat))        (mu = 0, so xhat = x * rstd)
// The rms form is rstd*g - x*rstd^3*mean(g*x), written through xhat to share the loop.
template <typename T>
void normGradImpl(const T *x, const T *dy, const T *w, T *dx, const RowLayout &l, double eps,
                  bool rms) {
  const int64_t cols = l.cols;
#pragma omp parallel for schedule(static) if (l.rows * cols > detail::kParallelGrain)
  for (int64_t r = 0; r < l.rows; ++r) {
    const T *xr = x + r * cols, *gr = dy + r * cols;
    T *o = dx + r * cols;
    double mu, rstd;
    rowStats(xr, cols, eps, rms, mu, rstd);
    double sumG = 0.0, sumGX = 0.0;
    for (int64_t c = 0; c < cols; ++c) {
      const double g = w ? static_cast<double>(gr[c]) * w[c] : static_cast<double>(gr[c]);
      sumG += g;
      sumGX += g * (xr[c] - mu) * rstd;
    }
    const double meanG = rms ? 0.0 : sumG / static_cast<double>(cols);
    const double meanGX = sumGX / static_cast<double>(cols);
    for (int64_t c = 0; c < cols; ++c) {
      const double g = w ? static_cast<double>(gr[c]) * w[c] : static_cast<double>(gr[c]);
      const double xhat = (xr[c] - mu) * rstd;
      o[c] = static_cast<T>(rstd * (g - meanG - xhat * meanGX));
    }
  }
}

// dweight[c] = sum_r dy[r,c] * xhat[r,c] and (layer norm) dbias[c] = sum_r dy[r,c]. The rows'
// statistics come first; then each task owns a block of columns and walks every row, so no two
// threads add into one column and the sums do not depend on the thread count.
template <typename T>
void normParamGradImpl(const T *x, const T *dy, T *dweight, T *dbias, const RowLayout &l,
                       double eps, bool rms) {
  const int64_t rows = l.rows, cols = l.cols;
  std::vector<double> mu(rows), rstd(rows);
#pragma omp parallel for schedule(static) if (rows * cols > detail::kParallelGrain)
  for (int64_t r = 0; r < rows; ++r)
    rowStats(x + r * cols, cols, eps, rms, mu[r], rstd[r]);

  constexpr int64_t kBlock = 64;
  const int64_t blocks = (cols + kBlock - 1) / kBlock;
#pragma omp parallel for schedule(static) if (rows * cols > detail::kParallelGrain)
  for (int64_t b = 0; b < blocks; ++b) {
    const int64_t c0 = b * kBlock, n = std::min(kBlock, cols - c0);
    double sumW[kBlock] = {}, sumB[kBlock] = {};
    for (int64_t r = 0; r < rows; ++r) {
      const T *xr = x + r * cols + c0, *gr = dy + r * cols + c0;
      for (int64_t c = 0; c < n; ++c) {
        sumW[c] += static_cast<double>(gr[c]) * ((xr[c] - mu[r]) * rstd[r]);
        sumB[c] += gr[c];
      }
    }
    for (int64_t c = 0; c < n; ++c) {
      dweight[c0 + c] = static_cast<T>(sumW[c]);
      if (dbias)
        dbias[c0 + c] = static_cast<T>(sumB[c]);
    }
  }
}

Status normGrad(const TensorView &x, const TensorView &dy, const TensorView *weight,
                int64_t axis, double eps, const MutableTensorView &dx, bool rms,
                const char *kernel) {
  return detail::dispatchFloat(x.dtype, kernel, [&](auto zero) -> Status {
    using T = decltype(zero);
    StatusOr<RowLayout> layout = normGradLayout(x, dy, weight, axis, eps, kernel);
    if (!layout)
      return layout.status();
    DS_RETURN_IF_ERROR(checkOutput(dx, x.dtype, x.shape, kernel));
    if (layout->cols > 0)
      normGradImpl(x.as<T>(), dy.as<T>(), weight ? weight->as<T>() : nullptr, dx.as<T>(),
                   *layout, eps, rms);
    return Status::ok();
  });
}

Status normParamGrad(const TensorView &x, const TensorView &dy, int64_t axis, double eps,
                     const MutableTensorView &dweight, const MutableTensorView *dbias, bool rms,
                     const char *kernel) {
  return detail::dispatchFloat(x.dtype, kernel, [&](auto zero) -> Status {
    using T = decltype(zero);
    StatusOr<RowLayout> layout = normGradLayout(x, dy, nullptr, axis, eps, kernel);
    if (!layout)
      return layout.status();
    DS_RETURN_IF_ERROR(checkOutput(dweight, x.dtype, layout->colShape, kernel, "weight grad"));
    if (dbias)
      DS_RETURN_IF_ERROR(checkOutput(*dbias, x.dtype, layout->colShape, kernel, "bias grad"));
    normParamGradImpl(x.as<T>(), dy.as<T>(), dweight.as<T>(), dbias ? dbias->as<T>() : nullptr,
                      *layout, eps, rms);
    return Status::ok();
  });
}

} // namespace

Status layerNormGrad(const TensorView &x, const TensorView &dy, const TensorView *weight,
                     int64_t axis, double eps, const MutableTensorView &dx) {
  return normGrad(x, dy, weight, axis, eps, dx, /*rms=*/false, "layer_norm_grad");
}

Status layerNormParamGrad(const TensorView &x, const TensorView &dy, int64_t axis, double eps,
                          const MutableTensorView &dweight, const MutableTensorView &dbias) {
  return normParamGrad(x, dy, axis, eps, dweight, &dbias, /*rms=*/false,
                       "layer_norm_param_grad");
}

Status rmsNormGrad(const TensorView &x, const TensorView &dy, const TensorView *weight,
                   int64_t axis, double eps, const MutableTensorView &dx) {
  return normGrad(x, dy, weight, axis, eps, dx, /*rms=*/true, "rms_norm_grad");
}

Status rmsNormParamGrad(const TensorView &x, const TensorView &dy, int64_t axis, double eps,
                        const MutableTensorView &dweight) {
  return normParamGrad(x, dy, axis, eps, dweight, nullptr, /*rms=*/true, "rms_norm_param_grad");
}

} // namespace ds::rt::cpu
