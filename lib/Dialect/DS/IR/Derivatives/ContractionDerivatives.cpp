//===- ContractionDerivatives.cpp - rules of matmul -----------------------===//

#include "DerivativeUtils.h"

using namespace mlir;
using namespace mlir::ds;

namespace mlir::ds::derivatives {

// With op(X) = X or X^T over the last two dims, Y = op(A) op(B) gives
// d op(A) = dY op(B)^T and d op(B) = op(A)^T dY; each is transposed back when its operand was,
// and every transpose is folded into the matmul's flags. Batch dims that were broadcast are summed.
template <>
LogicalResult gradients(MatmulOp op, OpBuilder &b, ArrayRef<Value> rg, MutableArrayRef<Value> og) {
  Location loc = op.getLoc();
  Value dy = rg[0], lhs = op.getLhs(), rhs = op.getRhs();
  bool tl = op.getTransposeLhs(), tr = op.getTransposeRhs();
  auto lhsType = cast<RankedTensorType>(lhs.getType());
  auto rhsType = cast<RankedTensorType>(rhs.getType());
  Value dl = tl ? matmul(b, loc, rhs, dy, /*transposeLhs=*/tr, /*transposeRhs=*/true)
                : matmul(b, loc, dy, rhs, /*transposeLhs=*/false, /*transposeRhs=*/!tr);
  Value dr = tr ? matmul(b, loc, dy, lhs, /*transposeLhs=*/true, /*transposeRhs=*/tl)
                : matmul(b, loc, lhs, dy, /*transposeLhs=*/!tl, /*transposeRhs=*/false);
  og[0] = sumToShape(b, loc, dl, lhsType);
  og[1] = sumToShape(b, loc, dr, rhsType);
  return success();
}

void attachContractionDerivatives(MLIRContext *context) { attachRules<MatmulOp>(context); }

} // namespace mlir::ds::derivatives
