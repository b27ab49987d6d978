// Backward kernels of gelu, softmax, log-softmax and softmax cross-entropy, on f32 and f64.
#include "ds/Runtime/Kernels/CPU/Gradients.h"

#include "Common.h"
#include "GradientCommon.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace ds::rt::cpu {

namespace {

//===----------------------------------------------------------------------===//
// gelu
//===----------------------------------------------------------------------===//

// d/dx x*Phi(x) = Phi(x) + x*phi(x).
template <typename T> T geluGradExact(T x) {
  const T cdf = T(0.5) * (T(1) + std::erf(x * T(0.70710678118654752440)));
  const T pdf = T(0.39894228040143267794) * std::exp(T(-0.5) * x * x);
  return cdf + x * pdf;
}

// gelu = 0.5 x (1 + tanh(u)), u = k (x + c x^3); the derivative by the product and chain rules.
template <typename T> T geluGradTanh(T x) {
  const T k = T(0.79788456080286535588), c = T(0.044715);
  const T t = std::tanh(k * (x + c * x * x * x));
  return T(0.5) * (T(1) + t) + T(0.5) * x * (T(1) - t * t) * k * (T(1) + T(3) * c * x * x);
}

template <typename T>
void geluGradImpl(const T *x, const T *dy, T *dx, int64_t n, bool tanhApprox) {
  if (tanhApprox) {
#pragma omp parallel for simd schedule(static) if (n > detail::kParallelGrain)
    for (int64_t i = 0; i < n; ++i)
      dx[i] = dy[i] * geluGradTanh(x[i]);
  } else {
#pragma omp parallel for simd schedule(static) if (n > detail::kParallelGrain)
    for (int64_t i = 0; i < n; ++i)
      dx[i] = dy[i] * geluGradExact(x[i]);
  }
}

//===----------------------------------------------------------------------===//
// softmax and log-softmax
//===----------------------------------------------------------------------===//

// The reduced axis of x viewed as [outer, len, inner].
struct AxisLayout {
  int64_t outer = 1, len = 1, inner = 1;
};

StatusOr<AxisLayout> axisLayout(const Shape &shape, int64_t axis, const char *kernel) {
  StatusOr<int64_t> ax = normalizeAxis(axis, static_cast<int64_t>(shape.size()), "axis");
  if (!ax)
    return ax.status().withContext(kernel);
  AxisLayout l;
  for (int64_t i = 0; i < *ax; ++i)
    l.outer *= shape[i];
  l.len = shape[*ax];
  for (size_t i = *ax + 1; i < shape.size(); ++i)
    l.inner *= shape[i];
  return l;
}

// Both gradients reduce dy (times y for softmax) along the axis, then combine per element. The
// tasks are (outer index, block of inner lanes): all lanes of a block advance together along the
// axis, so every pass reads contiguous memory, and a large inner extent still spreads over
// threads when outer is 1.
template <typename T>
void softmaxGradImpl(const T *y, const T *dy, T *dx, const AxisLayout &l, bool log) {
  constexpr int64_t kLanes = 256;
  const int64_t blocks = (l.inner + kLanes - 1) / kLanes;
  const int64_t tasks = l.outer * blocks;
#pragma omp parallel if (l.outer * l.len * l.inner > detail::kParallelGrain)
  {
    std::vector<double> sum(std::min(kLanes, l.inner));
#pragma omp for schedule(static)
    for (int64_t t = 0; t < tasks; ++t) {
      const int64_t o = t / blocks, i0 = (t % blocks) * kLanes;
      const int64_t lanes = std::min(kLanes, l.inner - i0);
      const int64_t base = o * l.len * l.inner + i0;
      std::fill(sum.begin(), sum.begin() + lanes, 0.0);
      for (int64_t a = 0; a < l.len; ++a) {
        const int64_t row = base + a * l.inner;
        for (int64_t i = 0; i < lanes; ++i)
          sum[i] += log ? static_cast<double>(dy[row + i])
                        : static_cast<double>(dy[row + i]) * y[row + i];
      }
      for (int64_t a = 0; a < l.len; ++a) {
        const int64_t row = base + a * l.inner;
        for (int64_t i = 0; i < lanes; ++i) {
          const T s = static_cast<T>(sum[i]);
          dx[row + i] = log ? dy[row + i] - std::exp(y[row + i]) * s
                            : y[row + i] * (dy[row + i] - s);
        }
      }
    }
  }
}

Status softmaxGradCommon(const TensorView &y, const TensorView &dy, int64_t axis,
                         const MutableTensorView &dx, bool log, const char *kernel) {
  return detail::dispatchFloat(y.dtype, kernel, [&](auto zero) -> Status {
    using T = decltype(zero);
    DS_RETURN_IF_ERROR(
        detail::checkFloatOperands(y.dtype, kernel, {{y, "output"}, {dy, "grad"}}));
    if (dy.shape != y.shape)
      return Status::error(std::string(kernel) + ": grad shape " + shapeToString(dy.shape) +
                           " differs from the output's " + shapeToString(y.shape));
    DS_RETURN_IF_ERROR(checkOutput(dx, y.dtype, y.shape, kernel));
    StatusOr<AxisLayout> layout = axisLayout(y.shape, axis, kernel);
    if (!layout)
      return layout.status();
    if (y.numel() > 0)
      softmaxGradImpl(y.as<T>(), dy.as<T>(), dx.as<T>(), *layout, log);
    return Status::ok();
  });
}

//===----------------------------------------------------------------------===//
// cross-entropy
//===----------------------------------------------------------------------===//

template <typename T, typename Index>
Status crossEntropyGradImpl(const T *logits, const Index *targets, const T *dloss, int64_t rows,
                            int64_t classes, int64_t ignoreIndex, LossReduction reduction,
                            T *out) {
  int64_t counted = 0;
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t t = targets[r];
    if (t == ignoreIndex)
      continue;
    if (t < 0 || t >= classes)
      return Status::error("cross_entropy_grad: target " + std::to_string(t) + " at position " +
                           std::to_string(r) + " is outside [0, " + std::to_string(classes) +
                           ") and is not the ignore index " + std::to_string(ignoreIndex));
    ++counted;
  }
  // The factor every row's gradient is scaled by, for the reductions to a scalar. A mean over no
  // targets has a NaN loss (0/0); its gradient is 0 rather than NaN so that one batch of padding
  // cannot poison the weights.
  double scale = 0.0;
  if (reduction == LossReduction::Sum)
    scale = dloss[0];
  else if (reduction == LossReduction::Mean && counted > 0)
    scale = static_cast<double>(dloss[0]) / static_cast<double>(counted);
#pragma omp parallel for schedule(static) if (rows * classes > detail::kParallelGrain)
  for (int64_t r = 0; r < rows; ++r) {
    const T *row = logits + r * classes;
    T *o = out + r * classes;
    const int64_t t = targets[r];
    if (t == ignoreIndex) {
      std::fill(o, o + classes, T(0));
      continue;
    }
    const double g = reduction == LossReduction::None ? static_cast<double>(dloss[r]) : scale;
    T mx = -std::numeric_limits<T>::infinity();
    for (int64_t c = 0; c < classes; ++c)
      mx = std::max(mx, row[c]);
    double sum = 0.0;
    for (int64_t c = 0; c < classes; ++c)
      sum += std::exp(static_cast<double>(row[c]) - mx);
    const double factor = g / sum;
    for (int64_t c = 0; c < classes; ++c)
      o[c] = static_cast<T>(std::exp(static_cast<double>(row[c]) - mx) * factor);
    o[t] = static_cast<T>(static_cast<double>(o[t]) - g);
  }
  return Status::ok();
}

} // namespace

Status geluGrad(const TensorView &x, const TensorView &dy, bool tanhApprox,
                const MutableTensorView &dx) {
  const char *kernel = "gelu_grad";
  return detail::dispatchFloat(x.dtype, kernel, [&](auto zero) -> Status {
    using T = decltype(zero);
    DS_RETURN_IF_ERROR(
        detail::checkFloatOperands(x.dtype, kernel, {{x, "input"}, {dy, "grad"}}));
    if (dy.shape != x.shape)
      return Status::error(std::string(kernel) + ": grad shape " + shapeToString(dy.shape) +
                           " differs from the input's " + shapeToString(x.shape));
    DS_RETURN_IF_ERROR(checkOutput(dx, x.dtype, x.shape, kernel));
    geluGradImpl(x.as<T>(), dy.as<T>(), dx.as<T>(), x.numel(), tanhApprox);
    return Status::ok();
  });
}

Status softmaxGrad(const TensorView &y, const TensorView &dy, int64_t axis,
                   const MutableTensorView &dx) {
  return softmaxGradCommon(y, dy, axis, dx, /*log=*/false, "softmax_grad");
}

Status logSoftmaxGrad(const TensorView &y, const TensorView &dy, int64_t axis,
                      const MutableTensorView &dx) {
  return softmaxGradCommon(y, dy, axis, dx, /*log=*/true, "log_softmax_grad");
}

Status crossEntropyGrad(const TensorView &logits, const TensorView &targets,
                        const TensorView &dloss, int64_t ignoreIndex, LossReduction reduction,
                        const MutableTensorView &dlogits) {
  const char *kernel = "cross_entropy_grad";
  return detail::dispatchFloat(logits.dtype, kernel, [&](auto zero) -> Status {
    using T = decltype(zero);
    DS_RETURN_IF_ERROR(
        detail::checkFloatOperands(logits.dtype, kernel, {{logits, "logits"}, {dloss, "grad"}}));
    DS_RETURN_IF_ERROR(detail::checkIndexTensor(targets, kernel, "targets"));
    if (logits.rank() < 1)
      return Status::error("cross_entropy_grad: logits need a class dim, got a scalar");
    Shape rowShape(logits.shape.begin(), logits.shape.end() - 1);
    if (targets.shape != rowShape)
      return Status::error("cross_entropy_grad: targets shape " + shapeToString(targets.shape) +
                           " must be the logits shape " + shapeToString(logits.shape) +
                           " without its class dim");
    const Shape gradShape = reduction == LossReduction::None ? rowShape : Shape{};
    if (dloss.shape != gradShape)
      return Status::error("cross_entropy_grad: grad shape " + shapeToString(dloss.shape) +
                           " should be " + shapeToString(gradShape) + " for this reduction");
    DS_RETURN_IF_ERROR(checkOutput(dlogits, logits.dtype, logits.shape, kernel));
    const int64_t classes = logits.shape.back();
    if (classes == 0)
      return Status::error("cross_entropy_grad: logits have no classes");
    return detail::dispatchIndex(targets.dtype, [&](auto index) -> Status {
      using Index = decltype(index);
      return crossEntropyGradImpl(logits.as<T>(), targets.as<Index>(), dloss.as<T>(),
                                  targets.numel(), classes, ignoreIndex, reduction,
                                  dlogits.as<T>());
    });
  });
}

} // namespace ds::rt::cpu
