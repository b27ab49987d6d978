// Concat and split along one axis: row-by-row copies of contiguous chunks.
#include "ds/Runtime/Kernels/CPU/ShapeOps.h"

#include "Common.h"

#include <cstring>

namespace ds::rt::cpu {

namespace {

// Element counts before and after `axis`.
void outerInner(const Shape &shape, int64_t axis, int64_t &outer, int64_t &inner) {
  outer = inner = 1;
  for (int64_t i = 0; i < axis; ++i)
    outer *= shape[i];
  for (size_t i = axis + 1; i < shape.size(); ++i)
    inner *= shape[i];
}

} // namespace

StatusOr<Shape> concatShape(const std::vector<Shape> &inputs, int64_t axis) {
  if (inputs.empty())
    return Status::error("concat: no inputs");
  const Shape &first = inputs[0];
  StatusOr<int64_t> ax = normalizeAxis(axis, static_cast<int64_t>(first.size()), "axis");
  if (!ax)
    return ax.status().withContext("concat");
  Shape out = first;
  out[*ax] = 0;
  for (size_t k = 0; k < inputs.size(); ++k) {
    const Shape &s = inputs[k];
    bool match = s.size() == first.size();
    for (size_t i = 0; match && i < s.size(); ++i)
      match = static_cast<int64_t>(i) == *ax || s[i] == first[i];
    if (!match)
      return Status::error("concat: input " + std::to_string(k) + " shape " + shapeToString(s) +
                           " does not match input 0 " + shapeToString(first) +
                           " outside axis " + std::to_string(*ax));
    out[*ax] += s[*ax];
  }
  return out;
}

Status concat(const std::vector<TensorView> &inputs, int64_t axis, const MutableTensorView &out) {
  std::vector<Shape> shapes;
  for (size_t k = 0; k < inputs.size(); ++k) {
    std::string name = "input " + std::to_string(k);
    DS_RETURN_IF_ERROR(checkTensor(inputs[k], out.dtype, "concat", name.c_str()));
    shapes.push_back(inputs[k].shape);
  }
  StatusOr<Shape> shape = concatShape(shapes, axis);
  if (!shape)
    return shape.status();
  DS_RETURN_IF_ERROR(checkOutput(out, out.dtype, *shape, "concat"));
  const int64_t ax = axis < 0 ? axis + out.rank() : axis;
  int64_t outer, inner;
  outerInner(out.shape, ax, outer, inner);
  const int64_t elem = dtypeSize(out.dtype);
  const int64_t outRow = out.shape[ax] * inner * elem;
  char *dst = static_cast<char *>(out.data);
#pragma omp parallel for schedule(static) if (out.numel() > detail::kParallelGrain)
  for (int64_t o = 0; o < outer; ++o) {
    int64_t offset = 0;
    for (const TensorView &in : inputs) {
      const int64_t chunk = in.shape[ax] * inner * elem;
      if (chunk)
        std::memcpy(dst + o * outRow + offset, static_cast<const char *>(in.data) + o * chunk,
                    chunk);
      offset += chunk;
    }
  }
  return Status::ok();
}

Status split(const TensorView &x, int64_t axis, const std::vector<int64_t> &sizes,
             const std::vector<MutableTensorView> &outputs) {
  DS_RETURN_IF_ERROR(checkTensor(x, x.dtype, "split", "input"));
  StatusOr<int64_t> ax = normalizeAxis(axis, x.rank(), "axis");
  if (!ax)
    return ax.status().withContext("split");
  if (sizes.size() != outputs.size())
    return Status::error("split: " + std::to_string(sizes.size()) + " sizes for " +
                         std::to_string(outputs.size()) + " outputs");
  int64_t total = 0;
  for (int64_t s : sizes) {
    if (s < 0)
      return Status::error("split: negative size " + std::to_string(s));
    total += s;
  }
  if (total != x.shape[*ax])
    return Status::error("split: sizes add up to " + std::to_string(total) + " but axis " +
                         std::to_string(*ax) + " of " + shapeToString(x.shape) + " has " +
                         std::to_string(x.shape[*ax]));
  for (size_t k = 0; k < outputs.size(); ++k) {
    Shape expected = x.shape;
    expected[*ax] = sizes[k];
    std::string name = "output " + std::to_string(k);
    DS_RETURN_IF_ERROR(checkOutput(outputs[k], x.dtype, expected, "split", name.c_str()));
  }
  int64_t outer, inner;
  outerInner(x.shape, *ax, outer, inner);
  const int64_t elem = dtypeSize(x.dtype);
  const int64_t inRow = x.shape[*ax] * inner * elem;
  const char *src = static_cast<const char *>(x.data);
#pragma omp parallel for schedule(static) if (x.numel() > detail::kParallelGrain)
  for (int64_t o = 0; o < outer; ++o) {
    int64_t offset = 0;
    for (size_t k = 0; k < outputs.size(); ++k) {
      const int64_t chunk = sizes[k] * inner * elem;
      if (chunk)
        std::memcpy(static_cast<char *>(outputs[k].data) + o * chunk, src + o * inRow + offset,
                    chunk);
      offset += chunk;
    }
  }
  return Status::ok();
}

} // namespace ds::rt::cpu
