//===- ElementwiseDerivatives.cpp - rules of the elementwise ops ----------===//
//
// Binary ops broadcast, so each operand's gradient is summed back to its own shape.
//
//===----------------------------------------------------------------------===//

#include "DerivativeUtils.h"

using namespace mlir;
using namespace mlir::ds;
using namespace mlir::ds::derivatives;

namespace mlir::ds::derivatives {

namespace {
RankedTensorType typeOf(Value value) { return cast<RankedTensorType>(value.getType()); }

/// Sets operand `index`'s gradient to `grad` summed to its shape, if that operand is a float.
void setBroadcastGradient(OpBuilder &b, Location loc, Operation *op, unsigned index, Value grad,
                          MutableArrayRef<Value> operandGradients) {
  Value operand = op->getOperand(index);
  if (isDifferentiable(operand.getType()))
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
  if (isDifferentiable(op.getRhs().getType()))
    setBroadcastGradient(b, op.getLoc(), op, 1, neg(b, op.getLoc(), rg[0]), og);
  return success();
}

template <>
LogicalResult gradients(MulOp op, OpBuilder &b, ArrayRef<Value> rg, MutableArrayRef<Value> og) {
  Location loc = op.getLoc();
  if (isDifferentiable(op.getLhs().getType()))
    setBroadcastGradient(b, loc, op, 0, mul(b, loc, rg[0], op.getRhs()), og);
  if (isDifferentiable(op.getRhs().getType()))
    setBroadcastGradient(b, loc, op, 1, mul(b, loc, rg[0], op.getLhs()), og);
  return success();
}

template <>
LogicalResult gradients(DivOp op, OpBuilder &b, ArrayRef<Value> rg, MutableArrayRef<Value> og) {
  Location loc = op.getLoc();
  if (!isDifferentiable(op.getType()))
    return success();
  // d(a/b)/da = 1/b; d(a/b)/db = -(a/b)/b.
  setBroadcastGradient(b, loc, op, 0, div(b, loc, rg[0], op.getRhs()), og);
  Value quotientOverRhs = div(b, loc, op.getResult(), op.getRhs());
  setBroadcastGradient(b, loc, op, 1, neg(b, loc, mul(b, loc, rg[0], quotientOverRhs)), og);
  return success();
}

void attachElementwiseDerivatives(MLIRContext *context) {
  attachRules<AddOp, SubOp, MulOp, DivOp>(context);
}

} // namespace mlir::ds::derivatives
