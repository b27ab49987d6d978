// Elementwise kernels on f32 and f64 (computing in the operands' type): unary math, binary
// arithmetic and comparisons with numpy broadcasting, and select. Outputs may alias an input of the
// same shape.
#ifndef DS_RUNTIME_KERNELS_CPU_ELEMENTWISE_H
#define DS_RUNTIME_KERNELS_CPU_ELEMENTWISE_H

#include "ds/Runtime/Tensor.h"

namespace ds::rt::cpu {

enum class UnaryOp {
  Neg,
  Exp,
  Log,
  Tanh,
  Erf,
  Sqrt,
  Rsqrt,
  Reciprocal,
  Relu,
  Sigmoid,
  Silu,
  Abs,
  Gelu,     // x * Phi(x), torch gelu(approximate='none')
  GeluTanh, // torch gelu(approximate='tanh')
};
enum class BinaryOp { Add, Sub, Mul, Div, Pow, Max, Min };
enum class CompareOp { Eq, Ne, Lt, Le, Gt, Ge };

const char *unaryOpName(UnaryOp op);
const char *binaryOpName(BinaryOp op);
const char *compareOpName(CompareOp op);

// out = op(x); x and out are f32 (or both f64) of the same shape.
Status unary(UnaryOp op, const TensorView &x, const MutableTensorView &out);

// out = op(a, b) with broadcasting; out has the broadcast shape. a, b and out share one dtype: f32,
// f64, i64 or i32. Max and Min propagate NaN (as torch.maximum/minimum do).
Status binary(BinaryOp op, const TensorView &a, const TensorView &b, const MutableTensorView &out);

// out (u8, 0 or 1) = a op b with broadcasting.
Status compare(CompareOp op, const TensorView &a, const TensorView &b,
               const MutableTensorView &out);

// out = cond ? a : b with broadcasting of all three; cond is u8 (nonzero is true), a and b any one
// dtype.
Status select(const TensorView &cond, const TensorView &a, const TensorView &b,
              const MutableTensorView &out);

} // namespace ds::rt::cpu

#endif // DS_RUNTIME_KERNELS_CPU_ELEMENTWISE_H
