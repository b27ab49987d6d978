//===- ReductionDerivatives.cpp - rules of the reductions -----------------===//

#include "DerivativeUtils.h"
#include "../DSOpsUtils.h"

using namespace mlir;
using namespace mlir::ds;

namespace mlir::ds::derivatives {

namespace {
/// `grad` of a reduction's result, reshaped to keep the reduced dims (size 1) and broadcast back
/// over them to the input's shape.
Value broadcastBack(OpBuilder &b, Location loc, Value grad, RankedTensorType inputType,
                    ArrayRef<int64_t> axes) {
  auto gradType = cast<RankedTensorType>(grad.getType());
  SmallVector<int64_t> kept(inputType.getShape());
  for (int64_t axis : axes)
    kept[*normalizeAxis(axis, inputType.getRank())] = 1;
  auto keptType = RankedTensorType::get(kept, gradType.getElementType());
  if (gradType.getShape() != keptType.getShape())
    grad = b.create<ReshapeOp>(loc, keptType, grad);
  if (keptType.getShape() == inputType.getShape())
    return grad;
  return b.create<ExpandOp>(loc, inputType, grad);
}

int64_t reducedCount(RankedTensorType inputType, ArrayRef<int64_t> axes) {
  int64_t count = 1;
  for (int64_t axis : axes)
    count *= inputType.getDimSize(*normalizeAxis(axis, inputType.getRank()));
  return count;
}
} // namespace

template <>
LogicalResult gradients(ReduceSumOp op, OpBuilder &b, ArrayRef<Value> rg,
                        MutableArrayRef<Value> og) {
  auto inputType = cast<RankedTensorType>(op.getInput().getType());
  if (isDifferentiable(inputType))
    og[0] = broadcastBack(b, op.getLoc(), rg[0], inputType, op.getAxes());
  return success();
}

template <>
LogicalResult gradients(ReduceMeanOp op, OpBuilder &b, ArrayRef<Value> rg,
                        MutableArrayRef<Value> og) {
  auto inputType = cast<RankedTensorType>(op.getInput().getType());
  if (!isDifferentiable(inputType))
    return success();
  Location loc = op.getLoc();
  double inverse = 1.0 / static_cast<double>(reducedCount(inputType, op.getAxes()));
  Value scaled = mul(b, loc, rg[0], scalarConstant(b, loc, rg[0].getType(), inverse));
  og[0] = broadcastBack(b, loc, scaled, inputType, op.getAxes());
  return success();
}

// As torch's amax: the gradient goes to the positions equal to the maximum, shared evenly
// between ties (dx = mask * dy / count(mask)), so it sums to dy whatever the ties.
template <>
LogicalResult gradients(ReduceMaxOp op, OpBuilder &b, ArrayRef<Value> rg,
                        MutableArrayRef<Value> og) {
  auto inputType = cast<RankedTensorType>(op.getInput().getType());
  if (!isDifferentiable(inputType))
    return success();
  Location loc = op.getLoc();
  SmallVector<int64_t> kept(inputType.getShape());
  for (int64_t axis : op.getAxes())
    kept[*normalizeAxis(axis, inputType.getRank())] = 1;
  auto keptType = RankedTensorType::get(kept, inputType.getElementType());
  auto keepDims = [&](Value v) -> Value {
    if (cast<RankedTensorType>(v.getType()).getShape() == keptType.getShape())
      return v;
    return b.create<ReshapeOp>(loc, keptType, v);
  };
  Value isMax = compare(b, loc, ComparePredicate::EQ, op.getInput(), keepDims(op.getResult()));
  Value mask = maskToFloat(b, loc, isMax, inputType);
  Value count = b.create<ReduceSumOp>(loc, keptType, mask, op.getAxesAttr(), /*keepdim=*/true);
  og[0] = mul(b, loc, mask, div(b, loc, keepDims(rg[0]), count));
  return success();
}

void attachReductionDerivatives(MLIRContext *context) {
  attachRules<ReduceSumOp, ReduceMeanOp, ReduceMaxOp>(context);
}

} // namespace mlir::ds::derivatives
