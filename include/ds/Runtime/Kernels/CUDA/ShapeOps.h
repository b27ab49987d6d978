// Data movement on device tensors: the CUDA twins of the cpu:: kernels of ShapeOps.h (transpose,
// slice, concat, split, gather, expand) and of their gradients in Gradients.h (sliceGrad,
// gatherGrad), with the same operands, shape rules and checks. Views' data are device pointers;
// every function enqueues on `stream` (a cudaStream_t, nullptr for the legacy default stream).
// The copies work on any dtype; outputs must not alias inputs. Strided copies handle up to 8 dims
// after size-1 dims are dropped and contiguous neighbours merged.
#ifndef DS_RUNTIME_KERNELS_CUDA_SHAPEOPS_H
#define DS_RUNTIME_KERNELS_CUDA_SHAPEOPS_H

#include "ds/Runtime/Tensor.h"

#include <cstdint>
#include <vector>

namespace ds::rt::cuda {

// out.shape[i] = x.shape[perm[i]], as cpu::transpose.
Status transpose(const TensorView &x, const std::vector<int64_t> &perm,
                 const MutableTensorView &out, void *stream);

// Python slices with step >= 1 (negative starts/ends count from the back and clamp), as
// cpu::slice.
Status slice(const TensorView &x, const std::vector<int64_t> &starts,
             const std::vector<int64_t> &ends, const std::vector<int64_t> &steps,
             const MutableTensorView &out, void *stream);

// dx (the sliced input's shape) is zero except at the positions slice reads, which get dy, as
// cpu::sliceGrad.
Status sliceGrad(const TensorView &dy, const std::vector<int64_t> &starts,
                 const std::vector<int64_t> &ends, const std::vector<int64_t> &steps,
                 const MutableTensorView &dx, void *stream);

// Inputs agree on dtype and on every dim but `axis`, as cpu::concat.
Status concat(const std::vector<TensorView> &inputs, int64_t axis, const MutableTensorView &out,
              void *stream);

// outputs[i] takes sizes[i] consecutive entries along `axis`, as cpu::split.
Status split(const TensorView &x, int64_t axis, const std::vector<int64_t> &sizes,
             const std::vector<MutableTensorView> &outputs, void *stream);

// ONNX Gather along `axis` with i64 or i32 indices (negative ones count from the back), as
// cpu::gather. The CPU kernel reports an index outside [-dim, dim) as an error; a kernel cannot
// without synchronizing, so here such an index yields a zero slice of the output.
Status gather(const TensorView &data, const TensorView &indices, int64_t axis,
              const MutableTensorView &out, void *stream);

// dx (gather's data shape) = 0, then slice q of dy along `axis` is added at indices[q], as
// cpu::gatherGrad; out-of-range indices are skipped. f32 only (bf16 is an error: accumulate into
// f32 and cast). The additions are f32 atomics, so where an index repeats the order of its
// additions varies between runs and so may the last bits of that slice; the CPU kernel sums in
// index order in double.
Status gatherGrad(const TensorView &indices, const TensorView &dy, int64_t axis,
                  const MutableTensorView &dx, void *stream);

// numpy broadcast_to: out.shape must be x.shape broadcast to it, as cpu::expand.
Status expand(const TensorView &x, const MutableTensorView &out, void *stream);

} // namespace ds::rt::cuda

#endif // DS_RUNTIME_KERNELS_CUDA_SHAPEOPS_H
