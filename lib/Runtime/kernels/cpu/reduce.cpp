// Sum, mean and max over a set of axes, on f32 and f64. The input's dims are coalesced into
// alternating kept and reduced runs, so every inner loop reads contiguous memory whichever axes are
// reduced.
#include "ds/Runtime/Kernels/CPU/Reduce.h"

#include "Common.h"

#include <cmath>
#include <limits>

namespace ds::rt::cpu {

const char *reduceKindName(ReduceKind kind) {
  switch (kind) {
  case ReduceKind::Sum:
    return "reduce_sum";
  case ReduceKind::Mean:
    return "reduce_mean";
  case ReduceKind::Max:
    return "reduce_max";
  }
  return "?";
}

namespace {

StatusOr<std::vector<bool>> reducedAxes(const Shape &in, const std::vector<int64_t> &axes) {
  const int64_t rank = static_cast<int64_t>(in.size());
  std::vector<bool> reduced(rank, axes.empty());
  for (int64_t a : axes) {
    StatusOr<int64_t> ax = normalizeAxis(a, rank, "axis");
    if (!ax)
      return ax.status();
    if (reduced[*ax])
      return Status::error("axis " + std::to_string(a) + " is listed twice");
    reduced[*ax] = true;
  }
  return reduced;
}

// Dims with their input strides; `offsetOf` maps a linear index over them to an element offset.
struct DimList {
  std::vector<int64_t> dims, strides;
  int64_t count() const {
    int64_t n = 1;
    for (int64_t d : dims)
      n *= d;
    return n;
  }
  int64_t offsetOf(int64_t index) const {
    int64_t off = 0;
    for (size_t i = dims.size(); i-- > 0;) {
      off += (index % dims[i]) * strides[i];
      index /= dims[i];
    }
    return off;
  }
};

// Accumulators over elements of type E.
template <typename E> struct SumAcc {
  using T = double;
  static T init() { return 0.0; }
  static T step(T acc, E v) { return acc + v; }
};
template <typename E> struct MaxAcc {
  using T = E;
  static T init() { return -std::numeric_limits<E>::infinity(); }
  // Once NaN, stays NaN: neither comparison below picks a number over it.
  static T step(T acc, E v) { return (v > acc || v != v) ? v : acc; }
};

// Last run reduced: each output element folds `reducedOuter` blocks of `len` contiguous elements.
template <typename Acc, typename E>
void reduceInner(const E *in, E *out, const DimList &kept, const DimList &reducedOuter,
                 int64_t len, double scale) {
  const int64_t outCount = kept.count(), blocks = reducedOuter.count();
#pragma omp parallel for schedule(static) if (outCount * blocks * len > detail::kParallelGrain)
  for (int64_t o = 0; o < outCount; ++o) {
    const int64_t base = kept.offsetOf(o);
    typename Acc::T acc = Acc::init();
    for (int64_t r = 0; r < blocks; ++r) {
      const E *p = in + base + reducedOuter.offsetOf(r);
      for (int64_t j = 0; j < len; ++j)
        acc = Acc::step(acc, p[j]);
    }
    out[o] = static_cast<E>(acc * scale);
  }
}

// Last run kept: each output row of `len` accumulates vectors of `len` contiguous elements.
template <typename Acc, typename E>
void reduceOuter(const E *in, E *out, const DimList &keptOuter, const DimList &reduced,
                 int64_t len, double scale) {
  constexpr int64_t kChunk = 1024;
  const int64_t rows = keptOuter.count(), count = reduced.count();
  const int64_t chunks = (len + kChunk - 1) / kChunk;
#pragma omp parallel for schedule(static) if (rows * count * len > detail::kParallelGrain)
  for (int64_t t = 0; t < rows * chunks; ++t) {
    const int64_t row = t / chunks, j0 = (t % chunks) * kChunk;
    const int64_t n = std::min(kChunk, len - j0);
    typename Acc::T acc[kChunk];
    for (int64_t j = 0; j < n; ++j)
      acc[j] = Acc::init();
    const int64_t base = keptOuter.offsetOf(row) + j0;
    for (int64_t r = 0; r < count; ++r) {
      const E *p = in + base + reduced.offsetOf(r);
#pragma omp simd
      for (int64_t j = 0; j < n; ++j)
        acc[j] = Acc::step(acc[j], p[j]);
    }
    for (int64_t j = 0; j < n; ++j)
      out[row * len + j0 + j] = static_cast<E>(acc[j] * scale);
  }
}

} // namespace

StatusOr<Shape> reduceShape(const Shape &in, const std::vector<int64_t> &axes, bool keepDim) {
  StatusOr<std::vector<bool>> reduced = reducedAxes(in, axes);
  if (!reduced)
    return reduced.status();
  Shape out;
  for (size_t i = 0; i < in.size(); ++i) {
    if (!(*reduced)[i])
      out.push_back(in[i]);
    else if (keepDim)
      out.push_back(1);
  }
  return out;
}

namespace {

// Everything after the checks, for element type E.
template <typename E>
Status reduceTyped(ReduceKind kind, const TensorView &x, const std::vector<bool> &reduced,
                   const MutableTensorView &out) {
  const char *kernel = reduceKindName(kind);
  int64_t reducedCount = 1;
  for (size_t i = 0; i < x.shape.size(); ++i)
    if (reduced[i])
      reducedCount *= x.shape[i];
  E *o = out.as<E>();
  const int64_t outCount = out.numel();
  if (reducedCount == 0) {
    if (kind == ReduceKind::Max && outCount > 0)
      return Status::error(std::string(kernel) + ": max over an empty extent of " +
                           shapeToString(x.shape));
    const E fill = kind == ReduceKind::Sum ? E(0) : std::numeric_limits<E>::quiet_NaN();
    std::fill(o, o + outCount, fill);
    return Status::ok();
  }
  if (outCount == 0)
    return Status::ok();

  // Runs of kept / reduced dims (size-1 dims dropped: they change no offset).
  std::vector<int64_t> strides = contiguousStrides(x.shape);
  std::vector<int64_t> runDims, runStrides;
  std::vector<bool> runReduced;
  for (size_t i = 0; i < x.shape.size(); ++i) {
    if (x.shape[i] == 1)
      continue;
    if (!runDims.empty() && runReduced.back() == reduced[i]) {
      runDims.back() *= x.shape[i];
      runStrides.back() = strides[i];
      continue;
    }
    runDims.push_back(x.shape[i]);
    runStrides.push_back(strides[i]);
    runReduced.push_back(reduced[i]);
  }
  const E *in = x.as<E>();
  if (runDims.empty() || (!runReduced.back() && runDims.size() == 1)) {
    // Nothing is reduced in effect (only size-1 axes): the output is a copy.
    std::copy(in, in + outCount, o);
    return Status::ok();
  }
  const double scale = kind == ReduceKind::Mean ? 1.0 / static_cast<double>(reducedCount) : 1.0;
  DimList kept, red;
  for (size_t i = 0; i + 1 < runDims.size(); ++i) {
    DimList &list = runReduced[i] ? red : kept;
    list.dims.push_back(runDims[i]);
    list.strides.push_back(runStrides[i]);
  }
  const int64_t len = runDims.back();
  if (runReduced.back()) {
    if (kind == ReduceKind::Max)
      reduceInner<MaxAcc<E>>(in, o, kept, red, len, 1.0);
    else
      reduceInner<SumAcc<E>>(in, o, kept, red, len, scale);
  } else {
    if (kind == ReduceKind::Max)
      reduceOuter<MaxAcc<E>>(in, o, kept, red, len, 1.0);
    else
      reduceOuter<SumAcc<E>>(in, o, kept, red, len, scale);
  }
  return Status::ok();
}

} // namespace

Status reduce(ReduceKind kind, const TensorView &x, const std::vector<int64_t> &axes,
              bool keepDim, const MutableTensorView &out) {
  const char *kernel = reduceKindName(kind);
  const DType type = x.dtype == DType::F64 ? DType::F64 : DType::F32;
  DS_RETURN_IF_ERROR(checkTensor(x, type, kernel, "input"));
  StatusOr<std::vector<bool>> reducedOr = reducedAxes(x.shape, axes);
  if (!reducedOr)
    return reducedOr.status().withContext(kernel);
  StatusOr<Shape> outShape = reduceShape(x.shape, axes, keepDim);
  if (!outShape)
    return outShape.status().withContext(kernel);
  DS_RETURN_IF_ERROR(checkOutput(out, type, *outShape, kernel));
  if (type == DType::F64)
    return reduceTyped<double>(kind, x, *reducedOr, out);
  return reduceTyped<float>(kind, x, *reducedOr, out);
}

} // namespace ds::rt::cpu
