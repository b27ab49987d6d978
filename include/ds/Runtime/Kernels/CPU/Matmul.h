// Batched matrix multiplication on the CPU (oneDNN sgemm for f32, a plain loop for f64), with numpy
// broadcasting of batch dims.
#ifndef DS_RUNTIME_KERNELS_CPU_MATMUL_H
#define DS_RUNTIME_KERNELS_CPU_MATMUL_H

#include "ds/Runtime/Tensor.h"

namespace ds::rt::cpu {

// Output shape of lhs [..., M, K] x rhs [..., K, N] -> [batch..., M, N]. With transposeA lhs is
// [..., K, M]; with transposeB rhs is [..., N, K]. A rank-1 operand acts as numpy.matmul's does (a
// row vector on the left, a column vector on the right, its unit dim dropped from the output) and
// ignores its transpose flag.
StatusOr<Shape> matmulShape(const Shape &lhs, const Shape &rhs, bool transposeA = false,
                            bool transposeB = false);

// out = lhs x rhs, all f32 or all f64. `out` must have matmulShape(...) and must not alias an input.
Status matmul(const TensorView &lhs, const TensorView &rhs, const MutableTensorView &out,
              bool transposeA = false, bool transposeB = false);

} // namespace ds::rt::cpu

#endif // DS_RUNTIME_KERNELS_CPU_MATMUL_H
