//===- ShapeOps.cpp - reshape, transpose, expand, slice, concat, split, gather ===//

#include "DSOpsUtils.h"
#include "ds/Dialect/DS/IR/DSOps.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/TypeUtilities.h"

using namespace mlir;
using namespace mlir::ds;

static LogicalResult verifySameElementType(Operation *op, Type a, Type b) {
  if (getElementTypeOrSelf(a) != getElementTypeOrSelf(b))
    return op->emitOpError("element types differ: ")
           << getElementTypeOrSelf(a) << " vs " << getElementTypeOrSelf(b);
  return success();
}

//===----------------------------------------------------------------------===//
// reshape
//===----------------------------------------------------------------------===//

LogicalResult ReshapeOp::verify() {
  RankedTensorType in = getInput().getType(), out = getResult().getType();
  if (in.getNumElements() != out.getNumElements())
    return emitOpError("cannot reshape ")
           << in.getNumElements() << " elements " << shapeToString(in.getShape())
           << " into " << out.getNumElements() << " elements "
           << shapeToString(out.getShape());
  return verifySameElementType(*this, in, out);
}

OpFoldResult ReshapeOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType())
    return getInput();
  // Row-major order is preserved by every reshape, so a chain collapses to its last shape.
  if (auto inner = getInput().getDefiningOp<ReshapeOp>()) {
    getInputMutable().assign(inner.getInput());
    return getResult();
  }
  if (auto dense = dyn_cast_if_present<DenseElementsAttr>(adaptor.getInput()))
    return dense.reshape(getType());
  return {};
}

//===----------------------------------------------------------------------===//
// transpose
//===----------------------------------------------------------------------===//

LogicalResult TransposeOp::verify() {
  RankedTensorType in = getInput().getType(), out = getResult().getType();
  ArrayRef<int64_t> perm = getPerm();
  if (static_cast<int64_t>(perm.size()) != in.getRank())
    return emitOpError("perm has ")
           << perm.size() << " entries for rank " << in.getRank();
  SmallVector<bool> seen(perm.size(), false);
  SmallVector<int64_t> expected;
  for (int64_t p : perm) {
    if (p < 0 || p >= in.getRank() || seen[p])
      return emitOpError("perm ")
             << shapeToString(perm) << " is not a permutation";
    seen[p] = true;
    expected.push_back(in.getDimSize(p));
  }
  if (out.getShape() != ArrayRef<int64_t>(expected))
    return emitOpError("result shape ")
           << shapeToString(out.getShape()) << " should be "
           << shapeToString(expected);
  return verifySameElementType(*this, in, out);
}

OpFoldResult TransposeOp::fold(FoldAdaptor) {
  if (llvm::equal(getPerm(), llvm::seq<int64_t>(0, getPerm().size())))
    return getInput();
  return {};
}

namespace {
/// transpose(transpose(x, inner), outer) == transpose(x, inner[outer[i]]).
struct ComposeTransposes : public OpRewritePattern<TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(TransposeOp op,
                                PatternRewriter &rewriter) const override {
    auto inner = op.getInput().getDefiningOp<TransposeOp>();
    if (!inner)
      return failure();
    SmallVector<int64_t> composed;
    for (int64_t p : op.getPerm())
      composed.push_back(inner.getPerm()[p]);
    rewriter.replaceOpWithNewOp<TransposeOp>(op, op.getType(), inner.getInput(),
                                             composed);
    return success();
  }
};
} // namespace

void TransposeOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                              MLIRContext *context) {
  results.add<ComposeTransposes>(context);
}

//===----------------------------------------------------------------------===//
// expand
//===----------------------------------------------------------------------===//

LogicalResult ExpandOp::verify() {
  RankedTensorType in = getInput().getType(), out = getResult().getType();
  std::optional<SmallVector<int64_t>> shape =
      broadcastShapes({in.getShape(), out.getShape()});
  if (in.getRank() > out.getRank() || !shape ||
      ArrayRef<int64_t>(*shape) != out.getShape())
    return emitOpError("cannot broadcast ")
           << shapeToString(in.getShape()) << " to "
           << shapeToString(out.getShape());
  return verifySameElementType(*this, in, out);
}

OpFoldResult ExpandOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType())
    return getInput();
  if (auto splat = dyn_cast_if_present<SplatElementsAttr>(adaptor.getInput()))
    return SplatElementsAttr::get(getType(), splat.getSplatValue<Attribute>());
  return {};
}

//===----------------------------------------------------------------------===//
// slice
//===----------------------------------------------------------------------===//

FailureOr<SmallVector<int64_t>>
mlir::ds::getSliceShape(Operation *op, ArrayRef<int64_t> whole,
                        ArrayRef<int64_t> starts, ArrayRef<int64_t> ends,
                        ArrayRef<int64_t> steps) {
  int64_t rank = whole.size();
  if (static_cast<int64_t>(starts.size()) != rank ||
      static_cast<int64_t>(ends.size()) != rank ||
      static_cast<int64_t>(steps.size()) != rank)
    return op->emitOpError(
               "starts, ends and steps need one entry per dimension (")
           << rank << ")";
  SmallVector<int64_t> shape;
  for (int64_t i = 0; i < rank; ++i) {
    int64_t dim = whole[i];
    if (steps[i] < 1)
      return op->emitOpError("step ")
             << steps[i] << " of dimension " << i << " must be >= 1";
    if (starts[i] < 0 || starts[i] > ends[i] || ends[i] > dim)
      return op->emitOpError("dimension ")
             << i << " of size " << dim << " cannot be sliced [" << starts[i]
             << ", " << ends[i] << ")";
    shape.push_back((ends[i] - starts[i] + steps[i] - 1) / steps[i]);
  }
  return shape;
}

LogicalResult SliceOp::verify() {
  RankedTensorType in = getInput().getType(), out = getResult().getType();
  FailureOr<SmallVector<int64_t>> expected = getSliceShape(
      *this, in.getShape(), getStarts(), getEnds(), getSteps());
  if (failed(expected))
    return failure();
  if (out.getShape() != ArrayRef<int64_t>(*expected))
    return emitOpError("result shape ")
           << shapeToString(out.getShape()) << " should be "
           << shapeToString(*expected);
  return verifySameElementType(*this, in, out);
}

OpFoldResult SliceOp::fold(FoldAdaptor) {
  if (getInput().getType() == getType())
    return getInput();
  return {};
}

//===----------------------------------------------------------------------===//
// concat and split
//===----------------------------------------------------------------------===//

/// Checks that `pieces` stack along `axis` into `whole`; `what` names the pieces.
static LogicalResult verifyStacking(Operation *op, RankedTensorType whole,
                                    TypeRange pieces, int64_t axis,
                                    StringRef what) {
  if (pieces.empty())
    return op->emitOpError("needs at least one ") << what;
  std::optional<int64_t> normalized = normalizeAxis(axis, whole.getRank());
  if (!normalized)
    return op->emitOpError("axis ")
           << axis << " is out of range for rank " << whole.getRank();
  int64_t total = 0;
  for (auto [i, type] : llvm::enumerate(pieces)) {
    auto piece = cast<RankedTensorType>(type);
    if (piece.getElementType() != whole.getElementType())
      return op->emitOpError() << what << " #" << i << " has element type "
                               << piece.getElementType() << ", expected "
                               << whole.getElementType();
    if (piece.getRank() != whole.getRank())
      return op->emitOpError() << what << " #" << i << " has rank "
                               << piece.getRank() << ", expected "
                               << whole.getRank();
    for (int64_t d = 0; d < whole.getRank(); ++d)
      if (d != *normalized && piece.getDimSize(d) != whole.getDimSize(d))
        return op->emitOpError()
               << what << " #" << i << " has size " << piece.getDimSize(d)
               << " in dimension " << d << ", expected " << whole.getDimSize(d);
    total += piece.getDimSize(*normalized);
  }
  if (total != whole.getDimSize(*normalized))
    return op->emitOpError("sizes along axis ")
           << axis << " add up to " << total << ", expected "
           << whole.getDimSize(*normalized);
  return success();
}

LogicalResult ConcatOp::verify() {
  return verifyStacking(*this, getResult().getType(), getInputs().getTypes(),
                        getAxis(), "input");
}

LogicalResult SplitOp::verify() {
  return verifyStacking(*this, getInput().getType(), getResults().getTypes(),
                        getAxis(), "result");
}

//===----------------------------------------------------------------------===//
// gather
//===----------------------------------------------------------------------===//

LogicalResult GatherOp::verify() {
  RankedTensorType in = getInput().getType(), out = getResult().getType();
  RankedTensorType indices = getIndices().getType();
  std::optional<int64_t> axis = normalizeAxis(getAxis(), in.getRank());
  if (!axis)
    return emitOpError("axis ")
           << getAxis() << " is out of range for rank " << in.getRank();
  SmallVector<int64_t> expected(in.getShape().take_front(*axis));
  llvm::append_range(expected, indices.getShape());
  llvm::append_range(expected, in.getShape().drop_front(*axis + 1));
  if (out.getShape() != ArrayRef<int64_t>(expected))
    return emitOpError("result shape ")
           << shapeToString(out.getShape()) << " should be "
           << shapeToString(expected);
  return verifySameElementType(*this, in, out);
}
