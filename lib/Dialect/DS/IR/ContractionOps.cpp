//===- ContractionOps.cpp - matmul, normalizations and the loss -----------===//

#include "DSOpsUtils.h"
#include "ds/Dialect/DS/IR/DSOps.h"

#include "mlir/IR/TypeUtilities.h"

using namespace mlir;
using namespace mlir::ds;

LogicalResult MatmulOp::verify() {
  RankedTensorType lhs = getLhs().getType(), rhs = getRhs().getType();
  RankedTensorType result = getResult().getType();
  if (lhs.getRank() < 2 || rhs.getRank() < 2)
    return emitOpError("operands must have rank >= 2, got ")
           << lhs.getRank() << " and " << rhs.getRank();
  if (lhs.getElementType() != rhs.getElementType() ||
      lhs.getElementType() != result.getElementType())
    return emitOpError("operand and result element types must agree");
  ArrayRef<int64_t> l = lhs.getShape(), r = rhs.getShape();
  int64_t m = getTransposeLhs() ? l[l.size() - 1] : l[l.size() - 2];
  int64_t kl = getTransposeLhs() ? l[l.size() - 2] : l[l.size() - 1];
  int64_t kr = getTransposeRhs() ? r[r.size() - 1] : r[r.size() - 2];
  int64_t n = getTransposeRhs() ? r[r.size() - 2] : r[r.size() - 1];
  if (kl != kr)
    return emitOpError("contraction sizes differ: lhs has ")
           << kl << ", rhs has " << kr;
  std::optional<SmallVector<int64_t>> batch =
      broadcastShapes({l.drop_back(2), r.drop_back(2)});
  if (!batch)
    return emitOpError("batch dimensions ")
           << shapeToString(l.drop_back(2)) << " and "
           << shapeToString(r.drop_back(2)) << " do not broadcast";
  SmallVector<int64_t> expected = *batch;
  expected.push_back(m);
  expected.push_back(n);
  if (result.getShape() != ArrayRef<int64_t>(expected))
    return emitOpError("result shape ")
           << shapeToString(result.getShape()) << " should be "
           << shapeToString(expected);
  return success();
}

/// Shared by layer_norm and rms_norm: the normalized trailing shape and its affine operands.
static LogicalResult verifyNormalization(Operation *op, int64_t axis,
                                         double epsilon, ValueRange affine) {
  auto input = cast<RankedTensorType>(op->getOperand(0).getType());
  if (op->getResult(0).getType() != input)
    return op->emitOpError("result type must equal the input type ") << input;
  std::optional<int64_t> normalized = normalizeAxis(axis, input.getRank());
  if (!normalized)
    return op->emitOpError("axis ")
           << axis << " is out of range for rank " << input.getRank();
  if (!(epsilon >= 0))
    return op->emitOpError("epsilon must be >= 0, got ")
           << formatDouble(epsilon);
  ArrayRef<int64_t> normalizedShape = input.getShape().drop_front(*normalized);
  for (Value value : affine) {
    auto type = cast<RankedTensorType>(value.getType());
    if (type.getShape() != normalizedShape)
      return op->emitOpError("weight/bias shape ")
             << shapeToString(type.getShape())
             << " must be the normalized shape "
             << shapeToString(normalizedShape);
    if (type.getElementType() != input.getElementType())
      return op->emitOpError("weight/bias element type must be ")
             << input.getElementType();
  }
  return success();
}

LogicalResult LayerNormOp::verify() {
  SmallVector<Value, 2> affine;
  if (getWeight())
    affine.push_back(getWeight());
  if (getBias())
    affine.push_back(getBias());
  return verifyNormalization(*this, getAxis(),
                             getEpsilon().convertToDouble(), affine);
}

LogicalResult RMSNormOp::verify() {
  SmallVector<Value, 1> affine;
  if (getWeight())
    affine.push_back(getWeight());
  return verifyNormalization(*this, getAxis(),
                             getEpsilon().convertToDouble(), affine);
}

LogicalResult mlir::ds::verifyLossShapes(Operation *op, RankedTensorType logits,
                                         RankedTensorType targets,
                                         RankedTensorType loss,
                                         StringRef lossName,
                                         LossReduction reduction) {
  if (logits.getRank() < 1)
    return op->emitOpError("logits must have a class dimension");
  if (targets.getShape() != logits.getShape().drop_back())
    return op->emitOpError("targets shape ")
           << shapeToString(targets.getShape())
           << " must be the logits shape without its last dimension, "
           << shapeToString(logits.getShape().drop_back());
  if (loss.getElementType() != logits.getElementType())
    return op->emitOpError() << lossName
                             << " element type must be the logits' "
                             << logits.getElementType();
  ArrayRef<int64_t> expected = reduction == LossReduction::None
                                   ? targets.getShape()
                                   : ArrayRef<int64_t>();
  if (loss.getShape() != expected)
    return op->emitOpError() << lossName << " shape "
                             << shapeToString(loss.getShape()) << " should be "
                             << shapeToString(expected) << " for reduction "
                             << stringifyLossReduction(reduction);
  return success();
}

LogicalResult CrossEntropyOp::verify() {
  return verifyLossShapes(*this, getLogits().getType(), getTargets().getType(),
                          getResult().getType(), "result", getReduction());
}
