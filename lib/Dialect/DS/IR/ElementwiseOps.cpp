//===- ElementwiseOps.cpp - constants, elementwise ops, softmax family ----===//

#include "DSOpsUtils.h"
#include "ds/Dialect/DS/IR/DSOps.h"

#include "mlir/IR/Matchers.h"
#include "mlir/IR/TypeUtilities.h"

using namespace mlir;
using namespace mlir::ds;

namespace {
/// True when `attr` is a splat constant equal to `value`. For floats, zero means +0.0 only:
/// x - (+0.0) is x for every x, but x - (-0.0) turns -0.0 into +0.0.
bool isSplatOf(Attribute attr, int64_t value) {
  auto splat = dyn_cast_or_null<SplatElementsAttr>(attr);
  if (!splat)
    return false;
  Type element = splat.getElementType();
  if (isa<FloatType>(element)) {
    APFloat actual = splat.getSplatValue<APFloat>();
    APFloat expected(static_cast<double>(value));
    bool losesInfo = false;
    expected.convert(actual.getSemantics(), APFloat::rmNearestTiesToEven,
                     &losesInfo);
    return actual.bitwiseIsEqual(expected);
  }
  if (isa<IntegerType>(element))
    return splat.getSplatValue<APInt>().getSExtValue() == value;
  return false;
}

/// `lhs` when an identity element on the right leaves it unchanged and no broadcast happens.
OpFoldResult foldRightIdentity(Operation *op, Attribute rhs, int64_t identity) {
  Value lhs = op->getOperand(0);
  if (lhs.getType() == op->getResult(0).getType() && isSplatOf(rhs, identity))
    return lhs;
  return {};
}
} // namespace

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

OpFoldResult SubOp::fold(FoldAdaptor adaptor) {
  return foldRightIdentity(*this, adaptor.getRhs(), 0);
}

OpFoldResult MulOp::fold(FoldAdaptor adaptor) {
  return foldRightIdentity(*this, adaptor.getRhs(), 1);
}

OpFoldResult DivOp::fold(FoldAdaptor adaptor) {
  return foldRightIdentity(*this, adaptor.getRhs(), 1);
}

OpFoldResult NegOp::fold(FoldAdaptor) {
  if (auto inner = getInput().getDefiningOp<NegOp>())
    return inner.getInput();
  return {};
}

LogicalResult CompareOp::verify() {
  if (failed(verifyBroadcastingOp(*this, /*sameElementType=*/false)))
    return failure();
  if (getElementTypeOrSelf(getLhs()) != getElementTypeOrSelf(getRhs()))
    return emitOpError("compares different element types: ")
           << getElementTypeOrSelf(getLhs()) << " and "
           << getElementTypeOrSelf(getRhs());
  return success();
}

LogicalResult SelectOp::verify() {
  if (failed(verifyBroadcastingOp(*this, /*sameElementType=*/false)))
    return failure();
  Type element = getElementTypeOrSelf(getResult());
  if (getElementTypeOrSelf(getTrueValue()) != element ||
      getElementTypeOrSelf(getFalseValue()) != element)
    return emitOpError("true and false values must have the result's element "
                       "type ")
           << element;
  return success();
}

LogicalResult DropoutOp::verify() {
  double ratio = getRatio().convertToDouble();
  if (!(ratio >= 0.0 && ratio < 1.0))
    return emitOpError("ratio must be in [0, 1), got ") << formatDouble(ratio);
  return success();
}

OpFoldResult DropoutOp::fold(FoldAdaptor) {
  if (getRatio().isZero())
    return getInput();
  return {};
}

OpFoldResult CastOp::fold(FoldAdaptor) {
  if (getInput().getType() == getType())
    return getInput();
  return {};
}

static LogicalResult verifyAxis(Operation *op, int64_t axis) {
  int64_t rank = cast<RankedTensorType>(op->getOperand(0).getType()).getRank();
  if (!normalizeAxis(axis, rank))
    return op->emitOpError("axis ")
           << axis << " is out of range for rank " << rank;
  return success();
}

LogicalResult SoftmaxOp::verify() {
  if (failed(verifyAxis(*this, getAxis())))
    return failure();
  if (!getCausal())
    return success();
  RankedTensorType type = getInput().getType();
  if (type.getRank() < 2)
    return emitOpError("causal softmax needs rank >= 2, got ")
           << type.getRank();
  if (*normalizeAxis(getAxis(), type.getRank()) != type.getRank() - 1)
    return emitOpError("causal softmax must normalize over the last axis");
  return success();
}

LogicalResult LogSoftmaxOp::verify() { return verifyAxis(*this, getAxis()); }

LogicalResult CausalMaskOp::verify() {
  if (getInput().getType().getRank() < 2)
    return emitOpError("needs rank >= 2, got ")
           << getInput().getType().getRank();
  return success();
}
