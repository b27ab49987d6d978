//===- ShapeDerivatives.cpp - rules of the data-movement ops --------------===//
//
// Data movement is linear: each rule moves the gradient back the way the data came.
//
//===----------------------------------------------------------------------===//

#include "DerivativeUtils.h"
#include "../DSOpsUtils.h"

using namespace mlir;
using namespace mlir::ds;

namespace mlir::ds::derivatives {

template <>
LogicalResult gradients(ReshapeOp op, OpBuilder &b, ArrayRef<Value> rg, MutableArrayRef<Value> og) {
  if (isDifferentiable(op.getInput().getType()))
    og[0] = b.create<ReshapeOp>(op.getLoc(), op.getInput().getType(), rg[0]);
  return success();
}

template <>
LogicalResult gradients(TransposeOp op, OpBuilder &b, ArrayRef<Value> rg,
                        MutableArrayRef<Value> og) {
  if (!isDifferentiable(op.getInput().getType()))
    return success();
  ArrayRef<int64_t> perm = op.getPerm();
  SmallVector<int64_t> inverse(perm.size());
  for (auto [i, p] : llvm::enumerate(perm))
    inverse[p] = static_cast<int64_t>(i);
  og[0] = b.create<TransposeOp>(op.getLoc(), op.getInput().getType(), rg[0],
                                b.getDenseI64ArrayAttr(inverse));
  return success();
}

template <>
LogicalResult gradients(ExpandOp op, OpBuilder &b, ArrayRef<Value> rg, MutableArrayRef<Value> og) {
  if (isDifferentiable(op.getInput().getType()))
    og[0] = sumToShape(b, op.getLoc(), rg[0], cast<RankedTensorType>(op.getInput().getType()));
  return success();
}

template <>
LogicalResult gradients(CastOp op, OpBuilder &b, ArrayRef<Value> rg, MutableArrayRef<Value> og) {
  // Only float-to-float casts carry gradients (mixed precision); the gradient is cast back.
  if (isDifferentiable(op.getInput().getType()) && isDifferentiable(op.getType()))
    og[0] = b.create<CastOp>(op.getLoc(), op.getInput().getType(), rg[0]);
  return success();
}

template <>
LogicalResult gradients(SplitOp op, OpBuilder &b, ArrayRef<Value> rg, MutableArrayRef<Value> og) {
  if (!isDifferentiable(op.getInput().getType()))
    return success();
  SmallVector<Value> pieces;
  for (auto [result, grad] : llvm::zip(op.getResults(), rg))
    pieces.push_back(gradOrZeros(b, op.getLoc(), grad, result.getType()));
  og[0] = b.create<ConcatOp>(op.getLoc(), op.getInput().getType(), pieces, op.getAxis());
  return success();
}

template <>
LogicalResult gradients(ConcatOp op, OpBuilder &b, ArrayRef<Value> rg, MutableArrayRef<Value> og) {
  auto resultType = cast<RankedTensorType>(op.getType());
  if (!isDifferentiable(resultType))
    return success();
  int64_t rank = resultType.getRank();
  int64_t axis = *normalizeAxis(op.getAxis(), rank);
  int64_t offset = 0;
  for (auto [index, input] : llvm::enumerate(op.getInputs())) {
    auto type = cast<RankedTensorType>(input.getType());
    SmallVector<int64_t> starts(rank, 0), ends(resultType.getShape()), steps(rank, 1);
    starts[axis] = offset;
    ends[axis] = offset + type.getDimSize(axis);
    offset = ends[axis];
    og[index] = b.create<SliceOp>(op.getLoc(), type, rg[0], b.getDenseI64ArrayAttr(starts),
                                  b.getDenseI64ArrayAttr(ends), b.getDenseI64ArrayAttr(steps));
  }
  return success();
}

// The data gets the gradient scattered back (added where an index repeats, as an embedding
// used twice); the indices get none.
template <>
LogicalResult gradients(GatherOp op, OpBuilder &b, ArrayRef<Value> rg, MutableArrayRef<Value> og) {
  if (isDifferentiable(op.getInput().getType()))
    og[0] = b.create<GatherGradOp>(op.getLoc(), op.getInput().getType(), op.getIndices(), rg[0],
                                   op.getAxisAttr());
  return success();
}

template <>
LogicalResult gradients(SliceOp op, OpBuilder &b, ArrayRef<Value> rg, MutableArrayRef<Value> og) {
  if (isDifferentiable(op.getInput().getType()))
    og[0] = b.create<SliceGradOp>(op.getLoc(), op.getInput().getType(), rg[0], op.getStartsAttr(),
                                  op.getEndsAttr(), op.getStepsAttr());
  return success();
}

void attachShapeDerivatives(MLIRContext *context) {
  attachRules<ReshapeOp, TransposeOp, ExpandOp, CastOp, SplitOp, ConcatOp, GatherOp, SliceOp>(
      context);
}

} // namespace mlir::ds::derivatives
