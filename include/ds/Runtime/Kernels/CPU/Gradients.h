// Backward kernels: the gradients the ds dialect's *_grad ops compute, one per forward kernel.
// Float operands and results are all f32 or all f64 (the element type of the first operand
// decides); sums run in double either way. Elementwise and row-wise outputs may alias an input of
// their shape; the scatter kernels (gatherGrad, sliceGrad) must not alias.
#ifndef DS_RUNTIME_KERNELS_CPU_GRADIENTS_H
#define DS_RUNTIME_KERNELS_CPU_GRADIENTS_H

#include "ds/Runtime/Kernels/CPU/Loss.h"
#include "ds/Runtime/Tensor.h"

#include <vector>

namespace ds::rt::cpu {

// dx = dy * gelu'(x), for gelu's exact (erf) form or, with `tanhApprox`, its tanh form.
Status geluGrad(const TensorView &x, const TensorView &dy, bool tanhApprox,
                const MutableTensorView &dx);

// From the softmax output y: dx = y * (dy - sum(dy * y, axis)). A causal softmax's y is 0 at
// masked entries, so the same kernel serves it.
Status softmaxGrad(const TensorView &y, const TensorView &dy, int64_t axis,
                   const MutableTensorView &dx);

// From the log_softmax output y: dx = dy - exp(y) * sum(dy, axis).
Status logSoftmaxGrad(const TensorView &y, const TensorView &dy, int64_t axis,
                      const MutableTensorView &dx);

// Gradient of layerNorm (normalized shape x.shape[axis:]) w.r.t. x, recomputing the row
// statistics from x. weight is optional (nullptr) and has the normalized shape.
Status layerNormGrad(const TensorView &x, const TensorView &dy, const TensorView *weight,
                     int64_t axis, double eps, const MutableTensorView &dx);

// dweight = sum(dy * xhat) and dbias = sum(dy) over the leading dims x.shape[:axis]; both have
// shape x.shape[axis:].
Status layerNormParamGrad(const TensorView &x, const TensorView &dy, int64_t axis, double eps,
                          const MutableTensorView &dweight, const MutableTensorView &dbias);

// Gradient of rmsNorm (x * rsqrt(mean(x^2) + eps) * weight) w.r.t. x; weight is optional.
Status rmsNormGrad(const TensorView &x, const TensorView &dy, const TensorView *weight,
                   int64_t axis, double eps, const MutableTensorView &dx);

// dweight = sum(dy * x * rsqrt(mean(x^2) + eps)) over the leading dims, shape x.shape[axis:].
Status rmsNormParamGrad(const TensorView &x, const TensorView &dy, int64_t axis, double eps,
                        const MutableTensorView &dweight);

// Gradient of crossEntropy w.r.t. logits [..., V]: row r is (softmax(row) - onehot(target)) * g,
// with g = dloss[r] for None (dloss has targets' shape) and the scalar dloss for Sum, divided by
// the number of targets that are not ignoreIndex for Mean (no such targets: g = 0). Ignored targets
// give zero rows; any other target outside [0, V) is an error.
Status crossEntropyGrad(const TensorView &logits, const TensorView &targets,
                        const TensorView &dloss, int64_t ignoreIndex, LossReduction reduction,
                        const MutableTensorView &dlogits);

// Gradient of gather w.r.t. its data: dx (the data's shape) is zero except that slice q of dy
// along `axis` is added at indices[q]. Repeated indices accumulate (in index order, so the result
// does not depend on the thread count); negative indices count from the back as gather's do.
Status gatherGrad(const TensorView &indices, const TensorView &dy, int64_t axis,
                  const MutableTensorView &dx);

// Gradient of slice: dx (the sliced input's shape) is zero except at the positions slice reads,
// which get dy. starts/ends/steps mean what they mean to slice (ShapeOps.h). Any dtype.
Status sliceGrad(const TensorView &dy, const std::vector<int64_t> &starts,
                 const std::vector<int64_t> &ends, const std::vector<int64_t> &steps,
                 const MutableTensorView &dx);

} // namespace ds::rt::cpu

#endif // DS_RUNTIME_KERNELS_CPU_GRADIENTS_H
