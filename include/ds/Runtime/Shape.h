// Shapes of row-major contiguous tensors and the checks every kernel shares (axes, broadcasting).
#ifndef DS_RUNTIME_SHAPE_H
#define DS_RUNTIME_SHAPE_H

#include "ds/Runtime/Status.h"

#include <cstdint>
#include <string>
#include <vector>

namespace ds::rt {

using Shape = std::vector<int64_t>;

// Product of the dims (1 for a scalar of rank 0).
int64_t numElements(const Shape &shape);
// Row-major element strides.
std::vector<int64_t> contiguousStrides(const Shape &shape);
// "[2,3,4]", as error messages print shapes.
std::string shapeToString(const Shape &shape);
// Every dim is >= 0.
Status checkShape(const Shape &shape, const char *what);

// Maps a possibly negative axis into [0, rank); an error names `what` and the rank otherwise.
StatusOr<int64_t> normalizeAxis(int64_t axis, int64_t rank, const char *what);

// numpy broadcasting of two (or more) shapes.
StatusOr<Shape> broadcastShapes(const Shape &a, const Shape &b);
StatusOr<Shape> broadcastShapes(const std::vector<Shape> &shapes);

} // namespace ds::rt

#endif // DS_RUNTIME_SHAPE_H
