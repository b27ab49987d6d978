//===- SoftmaxDerivatives.cpp - rules of softmax, log_softmax, causal_mask -===//

#include "DerivativeUtils.h"

using namespace mlir;
using namespace mlir::ds;

namespace mlir::ds::derivatives {

// The masked entries were overwritten by a constant, so they get no gradient: the same mask
// with fill 0 on the gradient.
template <>
LogicalResult gradients(CausalMaskOp op, OpBuilder &b, ArrayRef<Value> rg,
                        MutableArrayRef<Value> og) {
  og[0] = b.create<CausalMaskOp>(op.getLoc(), op.getType(), rg[0], b.getF64FloatAttr(0.0));
  return success();
}

void attachSoftmaxDerivatives(MLIRContext *context) { attachRules<CausalMaskOp>(context); }

} // namespace mlir::ds::derivatives
