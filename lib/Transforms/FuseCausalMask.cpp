//===- FuseCausalMask.cpp - constant causal masks into ds.causal_mask/softmax ===//
//
// torch's `scores.masked_fill(tril[:T, :T] == 0, -inf)` reaches ds, after constant folding, as
// ds.select over a constant [.., T, T] i1 mask. The mask costs T*T bytes of storage and a pass
// over the scores; ds.causal_mask needs neither operand, and a following softmax can skip the
// masked half altogether.
//
// Two steps, each exact on its own:
//  1. select(mask, fill, scores) with mask true exactly where j > i (or select(keep, scores,
//     fill) with keep true where j <= i) is causal_mask(scores, fill), for any splat fill.
//  2. softmax(causal_mask(s, fill), last axis) is softmax(s, causal) when fill is -inf: the
//     masked entries contribute exp(-inf) = 0. It is also taken for fill = the element type's
//     lowest finite value (HF's torch.finfo(dtype).min): exp(lowest - rowmax) underflows to 0
//     unless every visible score of the row is itself within ~100 of lowest (or -inf), which
//     only a row masked out entirely by some other mask reaches. A fill such as -1e4 stays
//     unfused: exp(-1e4 - rowmax) is not 0 when the visible scores are below about -1e4 + 100,
//     and such scores occur.
//
//===----------------------------------------------------------------------===//

#include "PatternUtils.h"

#include "ds/Dialect/DS/IR/DSOps.h"
#include "ds/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <functional>
#include <limits>

namespace mlir::ds {
#define GEN_PASS_DEF_FUSECAUSALMASK
#include "ds/Transforms/Passes.h.inc"
} // namespace mlir::ds

using namespace mlir;
using namespace mlir::ds;
using namespace mlir::ds::fusion;

namespace {

/// A constant's elements, read in place (a mask can hold T*T = 16M of them) as doubles: mask
/// entries and index grids are 0/1 or small integers, which doubles hold exactly.
struct ConstantReader {
  SmallVector<int64_t> shape;
  std::function<double(int64_t)> at;
};

std::optional<ConstantReader> readConstant(Value value) {
  auto constant = value.getDefiningOp<ConstantOp>();
  auto elements =
      constant ? dyn_cast<DenseElementsAttr>(constant.getValue()) : nullptr;
  if (!elements)
    return std::nullopt;
  ConstantReader reader;
  llvm::append_range(reader.shape, elements.getType().getShape());
  Type element = elements.getElementType();
  if (isa<FloatType>(element)) {
    auto it = elements.value_begin<APFloat>();
    reader.at = [it](int64_t i) { return (*(it + i)).convertToDouble(); };
  } else if (element.isInteger(1)) {
    auto it = elements.value_begin<bool>();
    reader.at = [it](int64_t i) { return *(it + i) ? 1.0 : 0.0; };
  } else if (isa<IntegerType>(element)) {
    auto it = elements.value_begin<APInt>();
    reader.at = [it](int64_t i) {
      return static_cast<double>((*(it + i)).getSExtValue());
    };
  } else {
    return std::nullopt;
  }
  return reader;
}

/// The element of `operand` that numpy broadcasting pairs with element `index` (row-major) of
/// a result of shape `resultShape`.
double broadcastElement(const ConstantReader &operand,
                        ArrayRef<int64_t> resultShape, int64_t index) {
  int64_t offset = 0, stride = 1;
  size_t skipped = resultShape.size() - operand.shape.size();
  for (size_t d = resultShape.size(); d-- > skipped;) {
    int64_t coordinate = index % resultShape[d];
    index /= resultShape[d];
    int64_t size = operand.shape[d - skipped];
    offset += (size == 1 ? 0 : coordinate) * stride;
    stride *= size;
  }
  return operand.at(offset);
}

bool evaluatePredicate(ComparePredicate predicate, double a, double b) {
  switch (predicate) {
  case ComparePredicate::EQ:
    return a == b;
  case ComparePredicate::NE:
    return a != b;
  case ComparePredicate::LT:
    return a < b;
  case ComparePredicate::LE:
    return a <= b;
  case ComparePredicate::GT:
    return a > b;
  case ComparePredicate::GE:
    return a >= b;
  }
  llvm_unreachable("unknown compare predicate");
}

/// A select condition known at compile time: its shape and each element's truth.
struct ConstantCondition {
  SmallVector<int64_t> shape;
  std::function<bool(int64_t)> isTrue;
};

/// A ds.constant i1, or a ds.compare of two constants that the importer did not fold
/// (`tril == 0`, or an arange of rows against an arange of columns).
std::optional<ConstantCondition> evaluateCondition(Value condition) {
  if (auto compare = condition.getDefiningOp<CompareOp>()) {
    std::optional<ConstantReader> lhs = readConstant(compare.getLhs());
    std::optional<ConstantReader> rhs = readConstant(compare.getRhs());
    if (!lhs || !rhs)
      return std::nullopt;
    ConstantCondition result;
    llvm::append_range(result.shape, compare.getType().getShape());
    result.isTrue = [lhs = *lhs, rhs = *rhs, shape = result.shape,
                     predicate = compare.getPredicate()](int64_t i) {
      return evaluatePredicate(predicate, broadcastElement(lhs, shape, i),
                               broadcastElement(rhs, shape, i));
    };
    return result;
  }
  std::optional<ConstantReader> mask = readConstant(condition);
  if (!mask)
    return std::nullopt;
  return ConstantCondition{mask->shape,
                           [at = mask->at](int64_t i) { return at(i) != 0.0; }};
}

/// Whether the fill lands exactly on the entries (.., i, j) with j > i of every [Tq, Tk]
/// matrix, where `condition` is true (`fillWhereTrue`) or false. The condition's last two
/// dims must be the scores' own: one broadcast along i or j cannot be causal.
bool isCausalCondition(const ConstantCondition &condition,
                       ArrayRef<int64_t> scoresShape, bool fillWhereTrue) {
  size_t rank = condition.shape.size();
  if (rank < 2 || condition.shape[rank - 2] != scoresShape.drop_back().back() ||
      condition.shape[rank - 1] != scoresShape.back())
    return false;
  int64_t rows = condition.shape[rank - 2], cols = condition.shape[rank - 1];
  int64_t count = ShapedType::getNumElements(condition.shape);
  for (int64_t index = 0; index < count; ++index) {
    int64_t i = (index / cols) % rows, j = index % cols;
    if ((condition.isTrue(index) == fillWhereTrue) != (j > i))
      return false;
  }
  return true;
}

/// Step 1: select over a constant causal condition -> causal_mask.
struct SelectToCausalMask : public OpRewritePattern<SelectOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(SelectOp select,
                                PatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(select.getType());
    if (!isa<FloatType>(type.getElementType()) || type.getRank() < 2)
      return failure();
    std::optional<ConstantCondition> condition;
    for (bool fillWhereTrue : {true, false}) {
      Value fill =
          fillWhereTrue ? select.getTrueValue() : select.getFalseValue();
      Value scores =
          fillWhereTrue ? select.getFalseValue() : select.getTrueValue();
      std::optional<APFloat> fillValue = getSplatFloat(fill);
      // A scores operand smaller than the result would be broadcast by the select, which
      // causal_mask (same type in and out) cannot do.
      if (!fillValue || scores.getType() != type)
        continue;
      if (!condition && !(condition = evaluateCondition(select.getCondition())))
        return failure();
      if (!isCausalCondition(*condition, type.getShape(), fillWhereTrue))
        continue;
      rewriter.replaceOpWithNewOp<CausalMaskOp>(
          select, type, scores,
          rewriter.getF64FloatAttr(fillValue->convertToDouble()));
      return success();
    }
    return failure();
  }
};

/// Whether softmax over a row masked with `fill` gives those entries exactly 0 (see the top).
bool isSoftmaxNeutralFill(double fill, Type elementType) {
  const llvm::fltSemantics &semantics =
      cast<FloatType>(elementType).getFloatSemantics();
  APFloat lowest = APFloat::getLargest(semantics, /*Negative=*/true);
  return fill == -std::numeric_limits<double>::infinity() ||
         fill == lowest.convertToDouble();
}

/// Step 2: softmax(causal_mask(s, -inf), last axis) -> softmax(s, causal).
struct AbsorbMaskIntoSoftmax : public OpRewritePattern<SoftmaxOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(SoftmaxOp softmax,
                                PatternRewriter &rewriter) const override {
    auto mask = softmax.getInput().getDefiningOp<CausalMaskOp>();
    if (!mask || softmax.getCausal())
      return failure();
    RankedTensorType type = softmax.getType();
    int64_t rank = type.getRank();
    // Causal softmax is defined on square [.., T, T] scores, normalized along j.
    if (normalizeAxis(softmax.getAxis(), rank) != rank - 1 ||
        type.getDimSize(rank - 1) != type.getDimSize(rank - 2) ||
        !isSoftmaxNeutralFill(mask.getFill().convertToDouble(),
                              type.getElementType()))
      return failure();
    // The causal_mask stays for any other user; the greedy driver drops it otherwise.
    rewriter.replaceOpWithNewOp<SoftmaxOp>(softmax, type, mask.getInput(),
                                           rewriter.getI64IntegerAttr(-1),
                                           rewriter.getUnitAttr());
    return success();
  }
};

struct FuseCausalMaskPass
    : public ds::impl::FuseCausalMaskBase<FuseCausalMaskPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<SelectToCausalMask, AbsorbMaskIntoSoftmax>(&getContext());
    if (failed(
            applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
