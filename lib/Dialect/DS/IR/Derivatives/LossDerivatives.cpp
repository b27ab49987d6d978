//===- LossDerivatives.cpp - rules of the losses --------------------------===//

#include "DerivativeUtils.h"

using namespace mlir;
using namespace mlir::ds;

namespace mlir::ds::derivatives {

// The logits get softmax - onehot, scaled by the loss gradient (ds.cross_entropy_grad handles
// the reduction and the ignored targets); the integer targets get none.
template <>
LogicalResult gradients(CrossEntropyOp op, OpBuilder &b, ArrayRef<Value> rg,
                        MutableArrayRef<Value> og) {
  og[0] = b.create<CrossEntropyGradOp>(op.getLoc(), op.getLogits().getType(), op.getLogits(),
                                       op.getTargets(), rg[0], op.getReductionAttr(),
                                       op.getIgnoreIndexAttr());
  return success();
}

void attachLossDerivatives(MLIRContext *context) { attachRules<CrossEntropyOp>(context); }

} // namespace mlir::ds::derivatives
