//===- UnaryDerivatives.cpp - rules of the unary math and activations -----===//
//
// Each rule is dx = dy * f'(x), written with the forward result where that is what torch's
// derivative uses (exp, tanh, sqrt, sigmoid, ...): the result is alive anyway and it saves
// recomputing f. Kinks take torch's one-sided value (relu'(0) = 0, abs'(0) = 0).
//
//===----------------------------------------------------------------------===//

#include "DerivativeUtils.h"

#include <cmath>

using namespace mlir;
using namespace mlir::ds;

namespace mlir::ds::derivatives {

namespace {
Value scalar(OpBuilder &b, Location loc, Operation *op, double value) {
  return scalarConstant(b, loc, op->getResult(0).getType(), value);
}
} // namespace

template <>
LogicalResult gradients(NegOp op, OpBuilder &b, ArrayRef<Value> rg, MutableArrayRef<Value> og) {
  og[0] = neg(b, op.getLoc(), rg[0]);
  return success();
}

// dy * sign(x), with sign(0) = 0 as torch's sgn.
template <>
LogicalResult gradients(AbsOp op, OpBuilder &b, ArrayRef<Value> rg, MutableArrayRef<Value> og) {
  Location loc = op.getLoc();
  Value x = op.getInput(), dy = rg[0], zero = scalar(b, loc, op, 0.0);
  Value negative =
      select(b, loc, compare(b, loc, ComparePredicate::LT, x, zero), neg(b, loc, dy), zero);
  og[0] = select(b, loc, compare(b, loc, ComparePredicate::GT, x, zero), dy, negative);
  return success();
}

template <>
LogicalResult gradients(ExpOp op, OpBuilder &b, ArrayRef<Value> rg, MutableArrayRef<Value> og) {
  og[0] = mul(b, op.getLoc(), rg[0], op.getResult());
  return success();
}

template <>
LogicalResult gradients(LogOp op, OpBuilder &b, ArrayRef<Value> rg, MutableArrayRef<Value> og) {
  og[0] = div(b, op.getLoc(), rg[0], op.getInput());
  return success();
}

// dy * (1 - y^2)
template <>
LogicalResult gradients(TanhOp op, OpBuilder &b, ArrayRef<Value> rg, MutableArrayRef<Value> og) {
  Location loc = op.getLoc();
  Value y = op.getResult();
  og[0] = mul(b, loc, rg[0], sub(b, loc, scalar(b, loc, op, 1.0), mul(b, loc, y, y)));
  return success();
}

// dy * 2/sqrt(pi) * exp(-x^2)
template <>
LogicalResult gradients(ErfOp op, OpBuilder &b, ArrayRef<Value> rg, MutableArrayRef<Value> og) {
  Location loc = op.getLoc();
  Value x = op.getInput();
  Value gauss = unary<ExpOp>(b, loc, neg(b, loc, mul(b, loc, x, x)));
  og[0] = mul(b, loc, rg[0], mul(b, loc, gauss, scalar(b, loc, op, 2.0 / std::sqrt(M_PI))));
  return success();
}

// dy / (2 sqrt(x))
template <>
LogicalResult gradients(SqrtOp op, OpBuilder &b, ArrayRef<Value> rg, MutableArrayRef<Value> og) {
  Location loc = op.getLoc();
  og[0] = div(b, loc, rg[0], mul(b, loc, op.getResult(), scalar(b, loc, op, 2.0)));
  return success();
}

// d x^-1/2 = -1/2 x^-3/2 = -1/2 y^3
template <>
LogicalResult gradients(RsqrtOp op, OpBuilder &b, ArrayRef<Value> rg, MutableArrayRef<Value> og) {
  Location loc = op.getLoc();
  Value y = op.getResult();
  Value cube = mul(b, loc, mul(b, loc, y, y), y);
  og[0] = mul(b, loc, rg[0], mul(b, loc, cube, scalar(b, loc, op, -0.5)));
  return success();
}

// -dy * y^2
template <>
LogicalResult gradients(ReciprocalOp op, OpBuilder &b, ArrayRef<Value> rg,
                        MutableArrayRef<Value> og) {
  Location loc = op.getLoc();
  Value y = op.getResult();
  og[0] = neg(b, loc, mul(b, loc, rg[0], mul(b, loc, y, y)));
  return success();
}

// As torch's threshold_backward on the result: zero where y <= 0, the gradient elsewhere.
template <>
LogicalResult gradients(ReluOp op, OpBuilder &b, ArrayRef<Value> rg, MutableArrayRef<Value> og) {
  Location loc = op.getLoc();
  Value zero = scalar(b, loc, op, 0.0);
  og[0] = select(b, loc, compare(b, loc, ComparePredicate::LE, op.getResult(), zero), zero, rg[0]);
  return success();
}

// dy * y * (1 - y)
template <>
LogicalResult gradients(SigmoidOp op, OpBuilder &b, ArrayRef<Value> rg, MutableArrayRef<Value> og) {
  Location loc = op.getLoc();
  Value y = op.getResult();
  og[0] = mul(b, loc, rg[0], mul(b, loc, y, sub(b, loc, scalar(b, loc, op, 1.0), y)));
  return success();
}

// d(x s(x)) = s(x) (1 + x (1 - s(x))), with s the sigmoid (torch's silu_backward).
template <>
LogicalResult gradients(SiluOp op, OpBuilder &b, ArrayRef<Value> rg, MutableArrayRef<Value> og) {
  Location loc = op.getLoc();
  Value x = op.getInput();
  Value s = unary<SigmoidOp>(b, loc, x);
  Value one = scalar(b, loc, op, 1.0);
  Value inner = add(b, loc, one, mul(b, loc, x, sub(b, loc, one, s)));
  og[0] = mul(b, loc, rg[0], mul(b, loc, s, inner));
  return success();
}

// gelu' in either form is a fused op: written out it would be about ten elementwise ops.
template <>
LogicalResult gradients(GeluOp op, OpBuilder &b, ArrayRef<Value> rg, MutableArrayRef<Value> og) {
  og[0] = b.create<GeluGradOp>(op.getLoc(), op.getType(), op.getInput(), rg[0],
                               op.getApproximateAttr());
  return success();
}

// Dropout is linear in its input with a mask that depends on the seed, the optimizer step and
// the element index only (see ds.dropout), so within a step the same op on the gradient drops
// the same elements and scales the rest by the same 1/(1-ratio).
template <>
LogicalResult gradients(DropoutOp op, OpBuilder &b, ArrayRef<Value> rg, MutableArrayRef<Value> og) {
  og[0] =
      b.create<DropoutOp>(op.getLoc(), op.getType(), rg[0], op.getRatioAttr(), op.getSeedAttr());
  return success();
}

void attachUnaryDerivatives(MLIRContext *context) {
  attachRules<NegOp, AbsOp, ExpOp, LogOp, TanhOp, ErfOp, SqrtOp, RsqrtOp, ReciprocalOp, ReluOp,
              SigmoidOp, SiluOp, GeluOp, DropoutOp>(context);
}

} // namespace mlir::ds::derivatives
