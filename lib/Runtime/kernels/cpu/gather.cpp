// ONNX Gather along one axis with i64 or i32 indices; every index is checked before any copy.
#include "ds/Runtime/Kernels/CPU/ShapeOps.h"

#include "Common.h"

#include <cstring>

namespace ds::rt::cpu {

namespace {

template <typename Index>
Status gatherImpl(const TensorView &data, const Index *indices, int64_t numIndices, int64_t axis,
                  const MutableTensorView &out) {
  const int64_t dim = data.shape[axis];
  for (int64_t q = 0; q < numIndices; ++q) {
    const int64_t v = indices[q];
    if (v < -dim || v >= dim)
      return Status::error("gather: index " + std::to_string(v) + " at position " +
                           std::to_string(q) + " is out of range for axis " +
                           std::to_string(axis) + " of size " + std::to_string(dim));
  }
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < axis; ++i)
    outer *= data.shape[i];
  for (int64_t i = axis + 1; i < data.rank(); ++i)
    inner *= data.shape[i];
  const int64_t rowBytes = inner * dtypeSize(data.dtype);
  const char *src = static_cast<const char *>(data.data);
  char *dst = static_cast<char *>(out.data);
  if (rowBytes == 0)
    return Status::ok();
#pragma omp parallel for schedule(static) if (out.numel() > detail::kParallelGrain)
  for (int64_t t = 0; t < outer * numIndices; ++t) {
    const int64_t o = t / numIndices, q = t % numIndices;
    int64_t v = indices[q];
    if (v < 0)
      v += dim;
    std::memcpy(dst + t * rowBytes, src + (o * dim + v) * rowBytes, rowBytes);
  }
  return Status::ok();
}

} // namespace

StatusOr<Shape> gatherShape(const Shape &data, const Shape &indices, int64_t axis) {
  StatusOr<int64_t> ax = normalizeAxis(axis, static_cast<int64_t>(data.size()), "axis");
  if (!ax)
    return ax.status().withContext("gather");
  Shape out(data.begin(), data.begin() + *ax);
  out.insert(out.end(), indices.begin(), indices.end());
  out.insert(out.end(), data.begin() + *ax + 1, data.end());
  return out;
}

Status gather(const TensorView &data, const TensorView &indices, int64_t axis,
              const MutableTensorView &out) {
  DS_RETURN_IF_ERROR(checkTensor(data, data.dtype, "gather", "data"));
  if (indices.dtype != DType::I64 && indices.dtype != DType::I32)
    return Status::error(std::string("gather: indices must be i64 or i32, got ") +
                         dtypeName(indices.dtype));
  DS_RETURN_IF_ERROR(checkTensor(indices, indices.dtype, "gather", "indices"));
  StatusOr<Shape> shape = gatherShape(data.shape, indices.shape, axis);
  if (!shape)
    return shape.status();
  DS_RETURN_IF_ERROR(checkOutput(out, data.dtype, *shape, "gather"));
  const int64_t ax = axis < 0 ? axis + data.rank() : axis;
  if (indices.dtype == DType::I64)
    return gatherImpl(data, indices.as<int64_t>(), indices.numel(), ax, out);
  return gatherImpl(data, indices.as<int32_t>(), indices.numel(), ax, out);
}

} // namespace ds::rt::cpu
