// Softmax cross-entropy with the class dim last, computed as logsumexp(row) - row[target], on f32
// or f64 logits (the loss has the logits' dtype).
#include "ds/Runtime/Kernels/CPU/Loss.h"

#include "Common.h"

#include <cmath>
#include <limits>
#include <vector>

namespace ds::rt::cpu {

namespace {

template <typename T, typename Index>
Status crossEntropyImpl(const T *logits, const Index *targets, int64_t rows, int64_t classes,
                        int64_t ignoreIndex, LossReduction reduction, T *out) {
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t t = targets[r];
    if (t != ignoreIndex && (t < 0 || t >= classes))
      return Status::error("cross_entropy: target " + std::to_string(t) + " at position " +
                           std::to_string(r) + " is outside [0, " + std::to_string(classes) +
                           ") and is not the ignore index " + std::to_string(ignoreIndex));
  }
  std::vector<double> losses(rows);
#pragma omp parallel for schedule(static) if (rows * classes > detail::kParallelGrain)
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t t = targets[r];
    if (t == ignoreIndex) {
      losses[r] = 0.0;
      continue;
    }
    const T *row = logits + r * classes;
    T mx = -std::numeric_limits<T>::infinity();
    for (int64_t c = 0; c < classes; ++c)
      mx = std::max(mx, row[c]);
    double sum = 0.0;
    for (int64_t c = 0; c < classes; ++c)
      sum += std::exp(static_cast<double>(row[c] - mx));
    losses[r] = static_cast<double>(mx) + std::log(sum) - row[t];
  }
  if (reduction == LossReduction::None) {
    for (int64_t r = 0; r < rows; ++r)
      out[r] = static_cast<T>(losses[r]);
    return Status::ok();
  }
  double total = 0.0;
  int64_t counted = 0;
  for (int64_t r = 0; r < rows; ++r) {
    total += losses[r];
    counted += targets[r] != ignoreIndex;
  }
  if (reduction == LossReduction::Mean)
    total = counted ? total / static_cast<double>(counted)
                    : std::numeric_limits<double>::quiet_NaN();
  out[0] = static_cast<T>(total);
  return Status::ok();
}

} // namespace

Status crossEntropy(const TensorView &logits, const TensorView &targets, int64_t ignoreIndex,
                    LossReduction reduction, const MutableTensorView &out) {
  const char *kernel = "cross_entropy";
  const DType type = logits.dtype == DType::F64 ? DType::F64 : DType::F32;
  DS_RETURN_IF_ERROR(checkTensor(logits, type, kernel, "logits"));
  if (targets.dtype != DType::I64 && targets.dtype != DType::I32)
    return Status::error(std::string("cross_entropy: targets must be i64 or i32, got ") +
                         dtypeName(targets.dtype));
  DS_RETURN_IF_ERROR(checkTensor(targets, targets.dtype, kernel, "targets"));
  if (logits.rank() < 1)
    return Status::error("cross_entropy: logits need a class dim, got a scalar");
  Shape rowShape(logits.shape.begin(), logits.shape.end() - 1);
  if (targets.shape != rowShape)
    return Status::error("cross_entropy: targets shape " + shapeToString(targets.shape) +
                         " must be the logits shape " + shapeToString(logits.shape) +
                         " without its class dim");
  const int64_t classes = logits.shape.back();
  if (classes == 0)
    return Status::error("cross_entropy: logits have no classes");
  Shape outShape = reduction == LossReduction::None ? rowShape : Shape{};
  DS_RETURN_IF_ERROR(checkOutput(out, type, outShape, kernel));
  const int64_t rows = targets.numel();
  auto run = [&](auto zero) {
    using T = decltype(zero);
    if (targets.dtype == DType::I64)
      return crossEntropyImpl(logits.as<T>(), targets.as<int64_t>(), rows, classes, ignoreIndex,
                              reduction, out.as<T>());
    return crossEntropyImpl(logits.as<T>(), targets.as<int32_t>(), rows, classes, ignoreIndex,
                            reduction, out.as<T>());
  };
  return type == DType::F64 ? run(double{}) : run(float{});
}

} // namespace ds::rt::cpu
