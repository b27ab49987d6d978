//===- GradientOps.cpp - verifiers of the backward ops --------------------===//
//
// Each backward op checks its operands against the forward op it differentiates: the gradient
// has the shape of the value it is the gradient of, and attributes read as on the forward op.
//
//===----------------------------------------------------------------------===//

#include "DSOpsUtils.h"
#include "ds/Dialect/DS/IR/DSOps.h"

#include "mlir/IR/TypeUtilities.h"

using namespace mlir;
using namespace mlir::ds;

static LogicalResult verifyAxisOf(Operation *op, int64_t axis,
                                  RankedTensorType type) {
  if (!normalizeAxis(axis, type.getRank()))
    return op->emitOpError("axis ")
           << axis << " is out of range for rank " << type.getRank();
  return success();
}

//===----------------------------------------------------------------------===//
// softmax family
//===----------------------------------------------------------------------===//

LogicalResult SoftmaxGradOp::verify() {
  return verifyAxisOf(*this, getAxis(), getOutput().getType());
}

LogicalResult LogSoftmaxGradOp::verify() {
  return verifyAxisOf(*this, getAxis(), getOutput().getType());
}

//===----------------------------------------------------------------------===//
// normalizations
//===----------------------------------------------------------------------===//

/// The checks every normalization gradient shares: `grad` has the input's type, the axis and
/// epsilon are what the forward op accepts. Returns the normalized shape input.shape[axis:].
static FailureOr<ArrayRef<int64_t>>
verifyNormGradOperands(Operation *op, Value input, Value grad, int64_t axis,
                       double epsilon) {
  auto inputType = cast<RankedTensorType>(input.getType());
  if (grad.getType() != inputType)
    return op->emitOpError("grad type ")
           << grad.getType() << " must equal the input type " << inputType;
  std::optional<int64_t> normalized = normalizeAxis(axis, inputType.getRank());
  if (!normalized)
    return op->emitOpError("axis ")
           << axis << " is out of range for rank " << inputType.getRank();
  if (!(epsilon >= 0))
    return op->emitOpError("epsilon must be >= 0, got ")
           << formatDouble(epsilon);
  return inputType.getShape().drop_front(*normalized);
}

/// `value` (a weight or a parameter gradient, named `what`) has the normalized shape and the
/// input's element type.
static LogicalResult verifyNormalizedShape(Operation *op, Value value,
                                           StringRef what,
                                           ArrayRef<int64_t> normalizedShape,
                                           Type element) {
  auto type = cast<RankedTensorType>(value.getType());
  if (type.getShape() != normalizedShape)
    return op->emitOpError()
           << what << " shape " << shapeToString(type.getShape())
           << " must be the normalized shape "
           << shapeToString(normalizedShape);
  if (type.getElementType() != element)
    return op->emitOpError() << what << " element type must be " << element;
  return success();
}

/// layer_norm_grad and rms_norm_grad: the input gradient, with an optional weight.
static LogicalResult verifyNormInputGrad(Operation *op, Value input, Value grad,
                                         Value weight, int64_t axis,
                                         double epsilon) {
  FailureOr<ArrayRef<int64_t>> normalized =
      verifyNormGradOperands(op, input, grad, axis, epsilon);
  if (failed(normalized))
    return failure();
  if (op->getResult(0).getType() != input.getType())
    return op->emitOpError("result type must equal the input type ")
           << input.getType();
  if (weight)
    return verifyNormalizedShape(op, weight, "weight", *normalized,
                                 getElementTypeOrSelf(input));
  return success();
}

/// layer_norm_param_grad and rms_norm_param_grad: every result is a parameter's gradient.
static LogicalResult verifyNormParamGrad(Operation *op, Value input, Value grad,
                                         int64_t axis, double epsilon) {
  FailureOr<ArrayRef<int64_t>> normalized =
      verifyNormGradOperands(op, input, grad, axis, epsilon);
  if (failed(normalized))
    return failure();
  for (Value result : op->getResults())
    if (failed(verifyNormalizedShape(op, result, "result", *normalized,
                                     getElementTypeOrSelf(input))))
      return failure();
  return success();
}

LogicalResult LayerNormGradOp::verify() {
  return verifyNormInputGrad(*this, getInput(), getGrad(), getWeight(),
                             getAxis(), getEpsilon().convertToDouble());
}

LogicalResult RMSNormGradOp::verify() {
  return verifyNormInputGrad(*this, getInput(), getGrad(), getWeight(),
                             getAxis(), getEpsilon().convertToDouble());
}

LogicalResult LayerNormParamGradOp::verify() {
  return verifyNormParamGrad(*this, getInput(), getGrad(), getAxis(),
                             getEpsilon().convertToDouble());
}

LogicalResult RMSNormParamGradOp::verify() {
  return verifyNormParamGrad(*this, getInput(), getGrad(), getAxis(),
                             getEpsilon().convertToDouble());
}

//===----------------------------------------------------------------------===//
// cross_entropy_grad
//===----------------------------------------------------------------------===//

LogicalResult CrossEntropyGradOp::verify() {
  RankedTensorType logits = getLogits().getType();
  // grad is the gradient of the loss, so it has the loss's type.
  if (failed(verifyLossShapes(*this, logits, getTargets().getType(),
                              getGrad().getType(), "grad", getReduction())))
    return failure();
  if (getResult().getType() != logits)
    return emitOpError("result type must equal the logits type ") << logits;
  return success();
}

//===----------------------------------------------------------------------===//
// gather_grad and slice_grad
//===----------------------------------------------------------------------===//

LogicalResult GatherGradOp::verify() {
  RankedTensorType data = getResult().getType(), grad = getGrad().getType();
  RankedTensorType indices = getIndices().getType();
  // The result stands for ds.gather's input, so the axis is one of its dimensions.
  std::optional<int64_t> axis = normalizeAxis(getAxis(), data.getRank());
  if (!axis)
    return emitOpError("axis ") << getAxis()
                                << " is out of range for the result's rank "
                                << data.getRank();
  SmallVector<int64_t> expected(data.getShape().take_front(*axis));
  llvm::append_range(expected, indices.getShape());
  llvm::append_range(expected, data.getShape().drop_front(*axis + 1));
  if (grad.getShape() != ArrayRef<int64_t>(expected))
    return emitOpError("grad shape ")
           << shapeToString(grad.getShape()) << " should be "
           << shapeToString(expected)
           << ", the shape ds.gather gives for these indices";
  if (grad.getElementType() != data.getElementType())
    return emitOpError("grad and result element types differ: ")
           << grad.getElementType() << " vs " << data.getElementType();
  return success();
}

LogicalResult SliceGradOp::verify() {
  RankedTensorType grad = getGrad().getType(), whole = getResult().getType();
  FailureOr<SmallVector<int64_t>> expected = getSliceShape(
      *this, whole.getShape(), getStarts(), getEnds(), getSteps());
  if (failed(expected))
    return failure();
  if (grad.getShape() != ArrayRef<int64_t>(*expected))
    return emitOpError("grad shape ")
           << shapeToString(grad.getShape()) << " should be "
           << shapeToString(*expected) << ", the shape of the slice";
  if (grad.getElementType() != whole.getElementType())
    return emitOpError("grad and result element types differ: ")
           << grad.getElementType() << " vs " << whole.getElementType();
  return success();
}
