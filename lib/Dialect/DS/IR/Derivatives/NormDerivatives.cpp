//===- NormDerivatives.cpp - rules of layer_norm and rms_norm -------------===//
//
// Each norm's gradient is two fused ops: one for the input (which needs the weight, not the
// bias), one for the affine parameters (sums over the leading dims). The parameter op is only
// built when the forward op had a weight or a bias.
//
//===----------------------------------------------------------------------===//

#include "DerivativeUtils.h"
#include "../DSOpsUtils.h"

using namespace mlir;
using namespace mlir::ds;

namespace mlir::ds::derivatives {

namespace {
/// The type of a norm's weight: the input's dims from `axis` on.
RankedTensorType normalizedType(Value input, int64_t axis) {
  auto type = cast<RankedTensorType>(input.getType());
  int64_t first = *normalizeAxis(axis, type.getRank());
  return RankedTensorType::get(type.getShape().drop_front(first), type.getElementType());
}
} // namespace

template <>
LogicalResult gradients(LayerNormOp op, OpBuilder &b, ArrayRef<Value> rg,
                        MutableArrayRef<Value> og) {
  Location loc = op.getLoc();
  Value x = op.getInput(), dy = rg[0];
  og[0] = b.create<LayerNormGradOp>(loc, x.getType(), x, dy, op.getWeight(), op.getAxisAttr(),
                                    op.getEpsilonAttr());
  if (!op.getWeight() && !op.getBias())
    return success();
  RankedTensorType paramType = normalizedType(x, op.getAxis());
  auto params = b.create<LayerNormParamGradOp>(loc, paramType, paramType, x, dy,
                                               op.getAxisAttr(), op.getEpsilonAttr());
  // Operands are input, then weight and bias where present.
  unsigned next = 1;
  if (op.getWeight())
    og[next++] = params.getWeightGrad();
  if (op.getBias())
    og[next] = params.getBiasGrad();
  return success();
}

template <>
LogicalResult gradients(RMSNormOp op, OpBuilder &b, ArrayRef<Value> rg,
                        MutableArrayRef<Value> og) {
  Location loc = op.getLoc();
  Value x = op.getInput(), dy = rg[0];
  og[0] = b.create<RMSNormGradOp>(loc, x.getType(), x, dy, op.getWeight(), op.getAxisAttr(),
                                  op.getEpsilonAttr());
  if (op.getWeight())
    og[1] = b.create<RMSNormParamGradOp>(loc, op.getWeight().getType(), x, dy, op.getAxisAttr(),
                                         op.getEpsilonAttr());
  return success();
}

void attachNormDerivatives(MLIRContext *context) {
  attachRules<LayerNormOp, RMSNormOp>(context);
}

} // namespace mlir::ds::derivatives
