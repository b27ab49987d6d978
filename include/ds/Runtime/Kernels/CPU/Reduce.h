// Reductions (sum, mean, max) of f32 or f64 tensors over a set of axes; out has x's dtype.
#ifndef DS_RUNTIME_KERNELS_CPU_REDUCE_H
#define DS_RUNTIME_KERNELS_CPU_REDUCE_H

#include "ds/Runtime/Tensor.h"

#include <vector>

namespace ds::rt::cpu {

enum class ReduceKind { Sum, Mean, Max };
const char *reduceKindName(ReduceKind kind);

// Shape after reducing `axes` (negative allowed, no repeats; empty means every axis); reduced
// dims become 1 with keepDim and disappear otherwise.
StatusOr<Shape> reduceShape(const Shape &in, const std::vector<int64_t> &axes, bool keepDim);

// Sums accumulate in double. The sum of nothing is 0, its mean NaN, and its max an error. Max
// propagates NaN.
Status reduce(ReduceKind kind, const TensorView &x, const std::vector<int64_t> &axes,
              bool keepDim, const MutableTensorView &out);

} // namespace ds::rt::cpu

#endif // DS_RUNTIME_KERNELS_CPU_REDUCE_H
