// Data movement without arithmetic: transpose, slice, concat, split, gather, expand. These work on
// any dtype (they copy elements) and outputs must not alias inputs.
#ifndef DS_RUNTIME_KERNELS_CPU_SHAPEOPS_H
#define DS_RUNTIME_KERNELS_CPU_SHAPEOPS_H

#include "ds/Runtime/Tensor.h"

#include <vector>

namespace ds::rt::cpu {

// out.shape[i] = x.shape[perm[i]].
StatusOr<Shape> transposeShape(const Shape &in, const std::vector<int64_t> &perm);
Status transpose(const TensorView &x, const std::vector<int64_t> &perm,
                 const MutableTensorView &out);

// One start/end/step per dim, as Python slices with step >= 1: negative starts and ends count
// from the back and both clamp to [0, dim], so INT64_MAX means "to the end".
StatusOr<Shape> sliceShape(const Shape &in, const std::vector<int64_t> &starts,
                           const std::vector<int64_t> &ends, const std::vector<int64_t> &steps);
Status slice(const TensorView &x, const std::vector<int64_t> &starts,
             const std::vector<int64_t> &ends, const std::vector<int64_t> &steps,
             const MutableTensorView &out);

// Inputs agree on dtype and on every dim but `axis`.
StatusOr<Shape> concatShape(const std::vector<Shape> &inputs, int64_t axis);
Status concat(const std::vector<TensorView> &inputs, int64_t axis, const MutableTensorView &out);

// outputs[i] takes sizes[i] consecutive entries along `axis`; the sizes add up to x.shape[axis].
Status split(const TensorView &x, int64_t axis, const std::vector<int64_t> &sizes,
             const std::vector<MutableTensorView> &outputs);

// ONNX Gather: out = data.shape[:axis] + indices.shape + data.shape[axis+1:]. Indices are i64 or
// i32, negative ones count from the back; one outside [-dim, dim) is an error naming it.
StatusOr<Shape> gatherShape(const Shape &data, const Shape &indices, int64_t axis);
Status gather(const TensorView &data, const TensorView &indices, int64_t axis,
              const MutableTensorView &out);

// numpy broadcast_to: out.shape must be x.shape broadcast to it.
Status expand(const TensorView &x, const MutableTensorView &out);

} // namespace ds::rt::cpu

#endif // DS_RUNTIME_KERNELS_CPU_SHAPEOPS_H
