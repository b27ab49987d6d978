//===- ElementwiseDerivatives.cpp - rules of the elementwise ops ----------===//
//
// Binary ops broadcast, so each operand's gradient is summed back to its own shape. Where a
// derivative is undefined (x^y at x = 0, max/min at ties) the rules pick torch's value, so a
// model trains the same here as in PyTorch.
//
//===----------------------------------------------------------------------===//

#include "DerivativeUtils.h"

using namespace mlir;
using namespace mlir::ds;
using namespace mlir::ds::derivatives;

namespace mlir::ds::derivatives {

namespace {
RankedTensorType typeOf(Value value) { return cast<RankedTensorType>(value.getType()); }

/// Sets operand `index`'s gradient to `grad` summed to its shape, if that operand needs one.
void setBroadcastGradient(OpBuilder &b, Location loc, Operation *op, unsigned index, Value grad,
                          MutableArrayRef<Value> operandGradients) {
  Value operand = op->getOperand(index);
  if (needsGradient(operand))
    operandGradients[index] = sumToShape(b, loc, grad, typeOf(operand));
}
} // namespace

template <>
LogicalResult gradients(AddOp op, OpBuilder &b, ArrayRef<Value> rg, MutableArrayRef<Value> og) {
  setBroadcastGradient(b, op.getLoc(), op, 0, rg[0], og);
  setBroadcastGradient(b, op.getLoc(), op, 1, rg[0], og);
  return success();
}

template <>
LogicalResult gradients(SubOp op, OpBuilder &b, ArrayRef<Value> rg, MutableArrayRef<Value> og) {
  setBroadcastGradient(b, op.getLoc(), op, 0, rg[0], og);
  if (needsGradient(op.getRhs()))
    setBroadcastGradient(b, op.getLoc(), op, 1, neg(b, op.getLoc(), rg[0]), og);
  return success();
}

template <>
LogicalResult gradients(MulOp op, OpBuilder &b, ArrayRef<Value> rg, MutableArrayRef<Value> og) {
  Location loc = op.getLoc();
  if (needsGradient(op.getLhs()))
    setBroadcastGradient(b, loc, op, 0, mul(b, loc, rg[0], op.getRhs()), og);
  if (needsGradient(op.getRhs()))
    setBroadcastGradient(b, loc, op, 1, mul(b, loc, rg[0], op.getLhs()), og);
  return success();
}

template <>
LogicalResult gradients(DivOp op, OpBuilder &b, ArrayRef<Value> rg, MutableArrayRef<Value> og) {
  Location loc = op.getLoc();
  if (!isDifferentiable(op.getType()))
    return success();
  // d(a/b)/da = 1/b; d(a/b)/db = -(a/b)/b.
  if (needsGradient(op.getLhs()))
    setBroadcastGradient(b, loc, op, 0, div(b, loc, rg[0], op.getRhs()), og);
  if (needsGradient(op.getRhs())) {
    Value quotientOverRhs = div(b, loc, op.getResult(), op.getRhs());
    setBroadcastGradient(b, loc, op, 1, neg(b, loc, mul(b, loc, rg[0], quotientOverRhs)), og);
  }
  return success();
}

// As torch's pow_backward_self / pow_backward_exponent:
//   d/dx = y * x^(y-1), but 0 where y == 0 (x^0 is constant even at x = 0, where x^-1 is inf);
//   d/dy = x^y * log(x), but 0 where x == 0 and y >= 0 (0^y is 0 or 1 there; log(0) = -inf
//   would give NaN). For x < 0 log(x) is NaN, as in torch: x^y is not differentiable in y there.
// A constant exponent (x^2 from the importer) needs no mask and no exponent gradient.
template <>
LogicalResult gradients(PowOp op, OpBuilder &b, ArrayRef<Value> rg, MutableArrayRef<Value> og) {
  if (!isDifferentiable(op.getType()))
    return success();
  Location loc = op.getLoc();
  Value x = op.getLhs(), y = op.getRhs(), dz = rg[0];
  Type type = op.getType();
  Value zero = scalarConstant(b, loc, type, 0.0);
  std::optional<double> exponent = splatValue(y);
  if (exponent && *exponent != 0.0) {
    // x^2 is the common case: its derivative 2x needs no pow.
    Value power =
        *exponent == 2.0 ? x : pow(b, loc, x, scalarConstant(b, loc, type, *exponent - 1.0));
    Value dx = mul(b, loc, dz, mul(b, loc, power, scalarConstant(b, loc, type, *exponent)));
    setBroadcastGradient(b, loc, op, 0, dx, og);
  } else if (!exponent && needsGradient(x)) {
    Value power = pow(b, loc, x, sub(b, loc, y, scalarConstant(b, loc, type, 1.0)));
    Value dx = mul(b, loc, dz, mul(b, loc, y, power));
    dx = select(b, loc, compare(b, loc, ComparePredicate::EQ, y, zero), zero, dx);
    setBroadcastGradient(b, loc, op, 0, dx, og);
  }

  if (!needsGradient(y))
    return success();
  Value dy = mul(b, loc, dz, mul(b, loc, op.getResult(), unary<LogOp>(b, loc, x)));
  std::optional<double> base = splatValue(x);
  if (!base || *base == 0.0) {
    Value baseIsZero = compare(b, loc, ComparePredicate::EQ, x, zero);
    Value exponentNonNegative = compare(b, loc, ComparePredicate::GE, y, zero);
    dy = select(b, loc, baseIsZero, select(b, loc, exponentNonNegative, zero, dy), dy);
  }
  setBroadcastGradient(b, loc, op, 1, dy, og);
  return success();
}

namespace {
// torch.maximum / torch.minimum: the chosen operand gets the gradient; at a tie each operand
// gets half. `loses` is the predicate under which the lhs was not chosen (lt for max, gt for
// min); the rhs loses under the swapped one.
void minMaxGradients(Operation *op, OpBuilder &b, Value dz, ComparePredicate lhsLoses,
                     ComparePredicate rhsLoses, MutableArrayRef<Value> og) {
  Location loc = op->getLoc();
  Value lhs = op->getOperand(0), rhs = op->getOperand(1);
  Type type = op->getResult(0).getType();
  Value zero = scalarConstant(b, loc, type, 0.0);
  Value half = mul(b, loc, dz, scalarConstant(b, loc, type, 0.5));
  Value shared = select(b, loc, compare(b, loc, ComparePredicate::EQ, lhs, rhs), half, dz);
  // max(x, 0) is common: the constant needs no mask of its own.
  if (needsGradient(lhs))
    setBroadcastGradient(b, loc, op, 0,
                         select(b, loc, compare(b, loc, lhsLoses, lhs, rhs), zero, shared), og);
  if (needsGradient(rhs))
    setBroadcastGradient(b, loc, op, 1,
                         select(b, loc, compare(b, loc, rhsLoses, lhs, rhs), zero, shared), og);
}
} // namespace

template <>
LogicalResult gradients(MaxOp op, OpBuilder &b, ArrayRef<Value> rg, MutableArrayRef<Value> og) {
  if (isDifferentiable(op.getType()))
    minMaxGradients(op, b, rg[0], ComparePredicate::LT, ComparePredicate::GT, og);
  return success();
}

template <>
LogicalResult gradients(MinOp op, OpBuilder &b, ArrayRef<Value> rg, MutableArrayRef<Value> og) {
  if (isDifferentiable(op.getType()))
    minMaxGradients(op, b, rg[0], ComparePredicate::GT, ComparePredicate::LT, og);
  return success();
}

// The condition gets no gradient; each branch gets the gradient where it was chosen.
template <>
LogicalResult gradients(SelectOp op, OpBuilder &b, ArrayRef<Value> rg, MutableArrayRef<Value> og) {
  if (!isDifferentiable(op.getType()))
    return success();
  Location loc = op.getLoc();
  Value zero = scalarConstant(b, loc, op.getType(), 0.0);
  Value cond = op.getCondition();
  // select(c, x, -inf) masks scores: the constant branch needs nothing built.
  if (needsGradient(op.getTrueValue()))
    setBroadcastGradient(b, loc, op, 1, select(b, loc, cond, rg[0], zero), og);
  if (needsGradient(op.getFalseValue()))
    setBroadcastGradient(b, loc, op, 2, select(b, loc, cond, zero, rg[0]), og);
  return success();
}

// A comparison is piecewise constant: its operands get no gradient. (Its i1 result never
// carries one, so the walk does not reach it; the rule says so explicitly.)
template <>
LogicalResult gradients(CompareOp, OpBuilder &, ArrayRef<Value>, MutableArrayRef<Value>) {
  return success();
}

void attachElementwiseDerivatives(MLIRContext *context) {
  attachRules<AddOp, SubOp, MulOp, DivOp, PowOp, MaxOp, MinOp, SelectOp, CompareOp>(context);
}

} // namespace mlir::ds::derivatives
