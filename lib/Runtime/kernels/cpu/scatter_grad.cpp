// Backward kernels of gather and slice: each writes zeros of the forward input's shape and puts the
// incoming gradient back where the forward read it.
#include "ds/Runtime/Kernels/CPU/Gradients.h"

#include "Common.h"
#include "GradientCommon.h"
#include "ds/Runtime/Kernels/CPU/ShapeOps.h"

#include <algorithm>
#include <cstring>
#include <vector>

namespace ds::rt::cpu {

namespace {

// Scatter-add without races: the indices are first bucketed by the data row they hit (a stable
// counting sort, so each bucket lists its positions q in increasing order), then each task owns
// whole output rows (outer index o, data index v) and sums its bucket's slices of dy in q order.
// No two threads write one row, and the sum's order does not depend on the thread count.
template <typename T, typename Index>
Status gatherGradImpl(const Index *indices, int64_t numIndices, const T *dy, T *dx, int64_t outer,
                      int64_t dim, int64_t inner, int64_t axis) {
  std::vector<int64_t> bucketStart(dim + 1, 0);
  for (int64_t q = 0; q < numIndices; ++q) {
    const int64_t v = indices[q];
    if (v < -dim || v >= dim)
      return Status::error("gather_grad: index " + std::to_string(v) + " at position " +
                           std::to_string(q) + " is out of range for axis " +
                           std::to_string(axis) + " of size " + std::to_string(dim));
    ++bucketStart[(v < 0 ? v + dim : v) + 1];
  }
  for (int64_t v = 0; v < dim; ++v)
    bucketStart[v + 1] += bucketStart[v];
  std::vector<int64_t> order(numIndices), next(bucketStart.begin(), bucketStart.end() - 1);
  for (int64_t q = 0; q < numIndices; ++q) {
    const int64_t v = indices[q] < 0 ? indices[q] + dim : indices[q];
    order[next[v]++] = q;
  }

  const int64_t tasks = outer * dim;
#pragma omp parallel if (tasks * inner > detail::kParallelGrain)
  {
    // Accumulating in double keeps f32 sums over many repeats (an embedding's common tokens)
    // as accurate as one rounding.
    std::vector<double> acc(inner);
#pragma omp for schedule(static)
    for (int64_t t = 0; t < tasks; ++t) {
      const int64_t o = t / dim, v = t % dim;
      T *row = dx + t * inner;
      const int64_t begin = bucketStart[v], end = bucketStart[v + 1];
      if (begin == end) {
        std::fill(row, row + inner, T(0));
        continue;
      }
      std::fill(acc.begin(), acc.end(), 0.0);
      for (int64_t k = begin; k < end; ++k) {
        const T *src = dy + (o * numIndices + order[k]) * inner;
        for (int64_t i = 0; i < inner; ++i)
          acc[i] += src[i];
      }
      for (int64_t i = 0; i < inner; ++i)
        row[i] = static_cast<T>(acc[i]);
    }
  }
  return Status::ok();
}

// Writes dy's elements (of `elem` bytes) to their places in dx; dx is already zero. Positions a
// slice reads are distinct, so the rows of dy can go to threads in any split.
template <typename E>
void scatterSlice(const E *dy, E *dx, const Shape &dyShape, const std::vector<int64_t> &dxStrides,
                  int64_t base) {
  const size_t rank = dyShape.size();
  const int64_t inner = rank ? dyShape.back() : 1;
  const int64_t innerStride = rank ? dxStrides.back() : 1;
  const int64_t rows = inner ? numElements(dyShape) / inner : 0;
#pragma omp parallel for schedule(static) if (rows * inner > detail::kParallelGrain)
  for (int64_t r = 0; r < rows; ++r) {
    int64_t off = base, rest = r;
    for (size_t i = rank ? rank - 1 : 0; i-- > 0;) {
      off += (rest % dyShape[i]) * dxStrides[i];
      rest /= dyShape[i];
    }
    const E *src = dy + r * inner;
    if (innerStride == 1) {
      std::memcpy(dx + off, src, inner * sizeof(E));
      continue;
    }
    for (int64_t j = 0; j < inner; ++j)
      dx[off + j * innerStride] = src[j];
  }
}

} // namespace

Status gatherGrad(const TensorView &indices, const TensorView &dy, int64_t axis,
                  const MutableTensorView &dx) {
  const char *kernel = "gather_grad";
  return detail::dispatchFloat(dy.dtype, kernel, [&](auto zero) -> Status {
    using T = decltype(zero);
    DS_RETURN_IF_ERROR(detail::checkIndexTensor(indices, kernel, "indices"));
    DS_RETURN_IF_ERROR(checkTensor(dy, dy.dtype, kernel, "grad"));
    DS_RETURN_IF_ERROR(checkTensor(dx, dy.dtype, kernel, "output"));
    // dx stands for gather's data, so the axis and dy's expected shape come from it.
    StatusOr<Shape> expected = gatherShape(dx.shape, indices.shape, axis);
    if (!expected)
      return expected.status().withContext(kernel);
    if (dy.shape != *expected)
      return Status::error(std::string(kernel) + ": grad shape " + shapeToString(dy.shape) +
                           " should be " + shapeToString(*expected) +
                           ", what gather gives for output " + shapeToString(dx.shape) +
                           " and indices " + shapeToString(indices.shape));
    const int64_t ax = axis < 0 ? axis + dx.rank() : axis;
    int64_t outer = 1, inner = 1;
    for (int64_t i = 0; i < ax; ++i)
      outer *= dx.shape[i];
    for (int64_t i = ax + 1; i < dx.rank(); ++i)
      inner *= dx.shape[i];
    return detail::dispatchIndex(indices.dtype, [&](auto index) -> Status {
      using Index = decltype(index);
      return gatherGradImpl(indices.as<Index>(), indices.numel(), dy.as<T>(), dx.as<T>(), outer,
                            dx.shape[ax], inner, ax);
    });
  });
}

Status sliceGrad(const TensorView &dy, const std::vector<int64_t> &starts,
                 const std::vector<int64_t> &ends, const std::vector<int64_t> &steps,
                 const MutableTensorView &dx) {
  const char *kernel = "slice_grad";
  DS_RETURN_IF_ERROR(checkTensor(dy, dy.dtype, kernel, "grad"));
  DS_RETURN_IF_ERROR(checkTensor(dx, dy.dtype, kernel, "output"));
  // The forward slice's own shape rule, so both read starts/ends/steps the same way.
  StatusOr<Shape> expected = sliceShape(dx.shape, starts, ends, steps);
  if (!expected)
    return expected.status().withContext(kernel);
  if (dy.shape != *expected)
    return Status::error(std::string(kernel) + ": grad shape " + shapeToString(dy.shape) +
                         " should be " + shapeToString(*expected) + ", the shape of the slice");
  std::memset(dx.data, 0, static_cast<size_t>(dx.bytes()));
  if (dy.numel() == 0)
    return Status::ok();
  std::vector<int64_t> wholeStrides = contiguousStrides(dx.shape), strides(dx.rank());
  int64_t base = 0;
  for (int64_t i = 0; i < dx.rank(); ++i) {
    // As slice: a negative start counts from the back, and starts clamp to [0, dim].
    int64_t s = starts[i] < 0 ? std::max<int64_t>(starts[i] + dx.shape[i], 0) : starts[i];
    base += std::min(s, dx.shape[i]) * wholeStrides[i];
    strides[i] = wholeStrides[i] * steps[i];
  }
  detail::dispatchElemSize(dtypeSize(dx.dtype), [&](auto elem) {
    using E = decltype(elem);
    scatterSlice(dy.as<E>(), dx.as<E>(), dy.shape, strides, base);
  });
  return Status::ok();
}

} // namespace ds::rt::cpu
