// Softmax and log-softmax over any axis, the causal softmax of attention and the causal mask, on
// f32 and f64 (computed in the tensor's own type).
#include "ds/Runtime/Kernels/CPU/Softmax.h"

#include "Common.h"

#include <cmath>
#include <limits>
#include <vector>

namespace ds::rt::cpu {

namespace {

// Softmax (or log-softmax) of one contiguous row of n elements; in and out may be the same.
template <typename T> void softmaxRow(const T *in, T *out, int64_t n, bool log) {
  T mx = -std::numeric_limits<T>::infinity();
  for (int64_t j = 0; j < n; ++j)
    mx = std::max(mx, in[j]);
  T sum = 0;
  if (log) {
    for (int64_t j = 0; j < n; ++j)
      sum += std::exp(in[j] - mx);
    // (x - max) - log(sum), never x - (max + log(sum)): for large x the sum max + log(sum)
    // rounds to the ulp of max and the result loses its low digits.
    const T logSum = std::log(sum);
#pragma omp simd
    for (int64_t j = 0; j < n; ++j)
      out[j] = (in[j] - mx) - logSum;
    return;
  }
  for (int64_t j = 0; j < n; ++j) {
    out[j] = std::exp(in[j] - mx);
    sum += out[j];
  }
  const T inv = T(1) / sum;
#pragma omp simd
  for (int64_t j = 0; j < n; ++j)
    out[j] *= inv;
}

// Softmax over the middle dim of [outer, len, inner] with inner > 1: all inner lanes advance
// together so every pass reads contiguous memory.
template <typename T>
void softmaxStrided(const T *in, T *out, int64_t outer, int64_t len, int64_t inner, bool log) {
#pragma omp parallel if (outer * len * inner > detail::kParallelGrain)
  {
    std::vector<T> mx(inner), sum(inner);
#pragma omp for schedule(static)
    for (int64_t o = 0; o < outer; ++o) {
      const T *x = in + o * len * inner;
      T *y = out + o * len * inner;
      std::fill(mx.begin(), mx.end(), -std::numeric_limits<T>::infinity());
      std::fill(sum.begin(), sum.end(), T(0));
      for (int64_t a = 0; a < len; ++a)
        for (int64_t i = 0; i < inner; ++i)
          mx[i] = std::max(mx[i], x[a * inner + i]);
      for (int64_t a = 0; a < len; ++a)
        for (int64_t i = 0; i < inner; ++i) {
          T e = std::exp(x[a * inner + i] - mx[i]);
          sum[i] += e;
          if (!log)
            y[a * inner + i] = e;
        }
      if (log) {
        for (int64_t i = 0; i < inner; ++i)
          sum[i] = std::log(sum[i]); // as softmaxRow: subtract the max first
        for (int64_t a = 0; a < len; ++a)
          for (int64_t i = 0; i < inner; ++i)
            y[a * inner + i] = (x[a * inner + i] - mx[i]) - sum[i];
      } else {
        for (int64_t i = 0; i < inner; ++i)
          sum[i] = T(1) / sum[i];
        for (int64_t a = 0; a < len; ++a)
          for (int64_t i = 0; i < inner; ++i)
            y[a * inner + i] *= sum[i];
      }
    }
  }
}

// The element type of a softmax-family kernel: f64 when x is f64, else f32 (so the error names
// what was expected).
DType softmaxType(const TensorView &x) { return x.dtype == DType::F64 ? DType::F64 : DType::F32; }

template <typename T>
void softmaxTyped(const T *in, T *o, int64_t outer, int64_t len, int64_t inner, bool log) {
  if (inner == 1) {
#pragma omp parallel for schedule(static) if (outer * len > detail::kParallelGrain)
    for (int64_t r = 0; r < outer; ++r)
      softmaxRow(in + r * len, o + r * len, len, log);
  } else {
    softmaxStrided(in, o, outer, len, inner, log);
  }
}

Status softmaxImpl(const TensorView &x, int64_t axis, const MutableTensorView &out, bool log,
                   const char *kernel) {
  const DType type = softmaxType(x);
  DS_RETURN_IF_ERROR(checkTensor(x, type, kernel, "input"));
  DS_RETURN_IF_ERROR(checkOutput(out, type, x.shape, kernel));
  StatusOr<int64_t> ax = normalizeAxis(axis, x.rank(), "axis");
  if (!ax)
    return ax.status().withContext(kernel);
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < *ax; ++i)
    outer *= x.shape[i];
  for (int64_t i = *ax + 1; i < x.rank(); ++i)
    inner *= x.shape[i];
  const int64_t len = x.shape[*ax];
  if (len == 0 || x.numel() == 0)
    return Status::ok();
  if (type == DType::F64)
    softmaxTyped(x.as<double>(), out.as<double>(), outer, len, inner, log);
  else
    softmaxTyped(x.as<float>(), out.as<float>(), outer, len, inner, log);
  return Status::ok();
}

// Checks x [..., Tq, Tk] (square when `square`) and returns the number of matrices.
Status checkLastTwo(const TensorView &x, const MutableTensorView &out, bool square,
                    const char *kernel) {
  DS_RETURN_IF_ERROR(checkTensor(x, softmaxType(x), kernel, "input"));
  DS_RETURN_IF_ERROR(checkOutput(out, softmaxType(x), x.shape, kernel));
  if (x.rank() < 2)
    return Status::error(std::string(kernel) + ": input needs rank >= 2, got " +
                         shapeToString(x.shape));
  if (square && x.shape[x.rank() - 1] != x.shape[x.rank() - 2])
    return Status::error(std::string(kernel) + ": the last two dims must be equal (T x T), got " +
                         shapeToString(x.shape));
  return Status::ok();
}

template <typename T> void causalSoftmaxTyped(const T *in, T *o, int64_t rows, int64_t t) {
#pragma omp parallel for schedule(static) if (rows * t > detail::kParallelGrain)
  for (int64_t r = 0; r < rows; ++r) {
    // Row i of its matrix sees columns 0..i; the masked rest is exactly 0 after softmax.
    const int64_t i = r % t;
    softmaxRow(in + r * t, o + r * t, i + 1, /*log=*/false);
    for (int64_t j = i + 1; j < t; ++j)
      o[r * t + j] = T(0);
  }
}

template <typename T>
void causalMaskTyped(const T *in, T fill, T *o, int64_t rows, int64_t tq, int64_t tk) {
#pragma omp parallel for schedule(static) if (rows * tk > detail::kParallelGrain)
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t i = r % tq;
    const int64_t keep = std::min(i + 1, tk);
    for (int64_t j = 0; j < keep; ++j)
      o[r * tk + j] = in[r * tk + j];
    for (int64_t j = keep; j < tk; ++j)
      o[r * tk + j] = fill;
  }
}

} // namespace

Status softmax(const TensorView &x, int64_t axis, const MutableTensorView &out) {
  return softmaxImpl(x, axis, out, /*log=*/false, "softmax");
}

Status logSoftmax(const TensorView &x, int64_t axis, const MutableTensorView &out) {
  return softmaxImpl(x, axis, out, /*log=*/true, "log_softmax");
}

Status causalSoftmax(const TensorView &x, const MutableTensorView &out) {
  DS_RETURN_IF_ERROR(checkLastTwo(x, out, /*square=*/true, "causal_softmax"));
  const int64_t t = x.shape.back();
  const int64_t rows = x.numel() / std::max<int64_t>(t, 1);
  if (x.dtype == DType::F64)
    causalSoftmaxTyped(x.as<double>(), out.as<double>(), rows, t);
  else
    causalSoftmaxTyped(x.as<float>(), out.as<float>(), rows, t);
  return Status::ok();
}

Status causalMask(const TensorView &x, double fill, const MutableTensorView &out) {
  DS_RETURN_IF_ERROR(checkLastTwo(x, out, /*square=*/false, "causal_mask"));
  const int64_t tk = x.shape[x.rank() - 1], tq = x.shape[x.rank() - 2];
  const int64_t rows = tk == 0 ? 0 : x.numel() / tk;
  if (x.dtype == DType::F64)
    causalMaskTyped(x.as<double>(), fill, out.as<double>(), rows, tq, tk);
  else
    causalMaskTyped(x.as<float>(), static_cast<float>(fill), out.as<float>(), rows, tq, tk);
  return Status::ok();
}

} // namespace ds::rt::cpu
