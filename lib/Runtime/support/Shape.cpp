// Shape arithmetic shared by every kernel: element counts, strides, axes and broadcasting.
#include "ds/Runtime/Shape.h"

#include <algorithm>

namespace ds::rt {

int64_t numElements(const Shape &shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

std::vector<int64_t> contiguousStrides(const Shape &shape) {
  std::vector<int64_t> strides(shape.size());
  int64_t s = 1;
  for (size_t i = shape.size(); i-- > 0;) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

std::string shapeToString(const Shape &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i)
      s += ",";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

Status checkShape(const Shape &shape, const char *what) {
  for (int64_t d : shape)
    if (d < 0)
      return Status::error(std::string(what) + " has a negative dim: " + shapeToString(shape));
  return Status::ok();
}

StatusOr<int64_t> normalizeAxis(int64_t axis, int64_t rank, const char *what) {
  if (axis < -rank || axis >= rank)
    return Status::error(std::string(what) + " " + std::to_string(axis) +
                         " is out of range for rank " + std::to_string(rank));
  return axis < 0 ? axis + rank : axis;
}

StatusOr<Shape> broadcastShapes(const Shape &a, const Shape &b) {
  size_t rank = std::max(a.size(), b.size());
  Shape out(rank);
  for (size_t i = 0; i < rank; ++i) {
    // Align from the right; a missing dim acts as 1.
    int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1)
      return Status::error("shapes " + shapeToString(a) + " and " + shapeToString(b) +
                           " do not broadcast (dim " + std::to_string(i) + ": " +
                           std::to_string(da) + " vs " + std::to_string(db) + ")");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

StatusOr<Shape> broadcastShapes(const std::vector<Shape> &shapes) {
  Shape out;
  for (const Shape &s : shapes) {
    StatusOr<Shape> next = broadcastShapes(out, s);
    if (!next)
      return next.status();
    out = std::move(*next);
  }
  return out;
}

} // namespace ds::rt
