// Layer norm and RMS norm: statistics per row of the trailing dims, accumulated in double, on f32
// and f64 tensors.
#include "ds/Runtime/Kernels/CPU/Norm.h"

#include "Common.h"

#include <cmath>
#include <type_traits>

namespace ds::rt::cpu {

namespace {

// Splits x at `axis` into rows x cols and checks the optional per-column and per-row operands.
struct NormLayout {
  int64_t rows = 1, cols = 1;
  Shape rowShape, colShape;
  DType type = DType::F32;
};

StatusOr<NormLayout> normLayout(const TensorView &x, int64_t axis, const MutableTensorView &out,
                                const char *kernel) {
  NormLayout l;
  l.type = x.dtype == DType::F64 ? DType::F64 : DType::F32;
  DS_RETURN_IF_ERROR(checkTensor(x, l.type, kernel, "input"));
  DS_RETURN_IF_ERROR(checkOutput(out, l.type, x.shape, kernel));
  StatusOr<int64_t> ax = normalizeAxis(axis, x.rank(), "axis");
  if (!ax)
    return ax.status().withContext(kernel);
  l.rowShape.assign(x.shape.begin(), x.shape.begin() + *ax);
  l.colShape.assign(x.shape.begin() + *ax, x.shape.end());
  l.rows = numElements(l.rowShape);
  l.cols = numElements(l.colShape);
  return l;
}

Status checkParam(const TensorView *p, const NormLayout &l, const char *kernel,
                  const char *operand) {
  if (!p)
    return Status::ok();
  DS_RETURN_IF_ERROR(checkTensor(*p, l.type, kernel, operand));
  if (p->shape != l.colShape)
    return Status::error(std::string(kernel) + ": " + operand + " shape " +
                         shapeToString(p->shape) + " must equal the normalized shape " +
                         shapeToString(l.colShape));
  return Status::ok();
}

Status checkStat(const MutableTensorView *s, const NormLayout &l, const char *kernel,
                 const char *operand) {
  return s ? checkOutput(*s, l.type, l.rowShape, kernel, operand) : Status::ok();
}

template <typename T> const T *dataOr(const TensorView *t) { return t ? t->as<T>() : nullptr; }
template <typename T> T *dataOr(const MutableTensorView *t) { return t ? t->as<T>() : nullptr; }

// f32 keeps the epsilon it always had, rounded to f32; f64 uses it as given.
template <typename T> double epsilonFor(double eps) {
  return std::is_same_v<T, float> ? static_cast<double>(static_cast<float>(eps)) : eps;
}

template <typename T>
void layerNormTyped(const NormLayout &l, const T *in, const T *w, const T *b, double eps, T *o,
                    T *meanOut, T *rstdOut) {
  const int64_t cols = l.cols;
#pragma omp parallel for schedule(static) if (l.rows * cols > detail::kParallelGrain)
  for (int64_t r = 0; r < l.rows; ++r) {
    const T *xr = in + r * cols;
    T *yr = o + r * cols;
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
    const T m = static_cast<T>(mu);
    const T rs = static_cast<T>(1.0 / std::sqrt(sq / static_cast<double>(cols) + eps));
    if (meanOut)
      meanOut[r] = m;
    if (rstdOut)
      rstdOut[r] = rs;
#pragma omp simd
    for (int64_t c = 0; c < cols; ++c) {
      T v = (xr[c] - m) * rs;
      if (w)
        v *= w[c];
      if (b)
        v += b[c];
      yr[c] = v;
    }
  }
}

template <typename T>
void rmsNormTyped(const NormLayout &l, const T *in, const T *w, double eps, T *o, T *rstdOut) {
  const int64_t cols = l.cols;
#pragma omp parallel for schedule(static) if (l.rows * cols > detail::kParallelGrain)
  for (int64_t r = 0; r < l.rows; ++r) {
    const T *xr = in + r * cols;
    T *yr = o + r * cols;
    double sq = 0.0;
    for (int64_t c = 0; c < cols; ++c)
      sq += static_cast<double>(xr[c]) * xr[c];
    const T rs = static_cast<T>(1.0 / std::sqrt(sq / static_cast<double>(cols) + eps));
    if (rstdOut)
      rstdOut[r] = rs;
#pragma omp simd
    for (int64_t c = 0; c < cols; ++c)
      yr[c] = w ? xr[c] * rs * w[c] : xr[c] * rs;
  }
}

} // namespace

Status layerNorm(const TensorView &x, int64_t axis, const TensorView *weight,
                 const TensorView *bias, double eps, const MutableTensorView &out,
                 const MutableTensorView *mean, const MutableTensorView *rstd) {
  const char *kernel = "layer_norm";
  StatusOr<NormLayout> layout = normLayout(x, axis, out, kernel);
  if (!layout)
    return layout.status();
  const NormLayout &l = *layout;
  DS_RETURN_IF_ERROR(checkParam(weight, l, kernel, "weight"));
  DS_RETURN_IF_ERROR(checkParam(bias, l, kernel, "bias"));
  DS_RETURN_IF_ERROR(checkStat(mean, l, kernel, "mean"));
  DS_RETURN_IF_ERROR(checkStat(rstd, l, kernel, "rstd"));
  auto run = [&](auto zero) {
    using T = decltype(zero);
    layerNormTyped<T>(l, x.as<T>(), dataOr<T>(weight), dataOr<T>(bias), epsilonFor<T>(eps),
                      out.as<T>(), dataOr<T>(mean), dataOr<T>(rstd));
  };
  if (l.type == DType::F64)
    run(double{});
  else
    run(float{});
  return Status::ok();
}

Status rmsNorm(const TensorView &x, int64_t axis, const TensorView *weight, double eps,
               const MutableTensorView &out, const MutableTensorView *rstd) {
  const char *kernel = "rms_norm";
  StatusOr<NormLayout> layout = normLayout(x, axis, out, kernel);
  if (!layout)
    return layout.status();
  const NormLayout &l = *layout;
  DS_RETURN_IF_ERROR(checkParam(weight, l, kernel, "weight"));
  DS_RETURN_IF_ERROR(checkStat(rstd, l, kernel, "rstd"));
  auto run = [&](auto zero) {
    using T = decltype(zero);
    rmsNormTyped<T>(l, x.as<T>(), dataOr<T>(weight), epsilonFor<T>(eps), out.as<T>(),
                    dataOr<T>(rstd));
  };
  if (l.type == DType::F64)
    run(double{});
  else
    run(float{});
  return Status::ok();
}

} // namespace ds::rt::cpu
