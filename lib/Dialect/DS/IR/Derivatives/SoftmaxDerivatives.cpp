//===- SoftmaxDerivatives.cpp - rules of softmax, log_softmax, causal_mask ===//

#include "DerivativeUtils.h"

using namespace mlir;
using namespace mlir::ds;

namespace mlir::ds::derivatives {

// softmax' is best written with the output: dx = y * (dy - sum(dy * y)). A causal softmax
// needs nothing more, since y is 0 at the masked entries, so their gradient is 0 too.
template <>
LogicalResult gradients(SoftmaxOp op, OpBuilder &b, ArrayRef<Value> rg,
                        MutableArrayRef<Value> og) {
  og[0] = b.create<SoftmaxGradOp>(op.getLoc(), op.getType(), op.getResult(), rg[0],
                                  op.getAxisAttr());
  return success();
}

// dx = dy - exp(y) * sum(dy), from the output as well.
template <>
LogicalResult gradients(LogSoftmaxOp op, OpBuilder &b, ArrayRef<Value> rg,
                        MutableArrayRef<Value> og) {
  og[0] = b.create<LogSoftmaxGradOp>(op.getLoc(), op.getType(), op.getResult(), rg[0],
                                     op.getAxisAttr());
  return success();
}

// The masked entries were overwritten by a constant, so they get no gradient: the same mask
// with fill 0 on the gradient.
template <>
LogicalResult gradients(CausalMaskOp op, OpBuilder &b, ArrayRef<Value> rg,
                        MutableArrayRef<Value> og) {
  og[0] = b.create<CausalMaskOp>(op.getLoc(), op.getType(), rg[0], b.getF64FloatAttr(0.0));
  return success();
}

void attachSoftmaxDerivatives(MLIRContext *context) {
  attachRules<SoftmaxOp, LogSoftmaxOp, CausalMaskOp>(context);
}

} // namespace mlir::ds::derivatives
