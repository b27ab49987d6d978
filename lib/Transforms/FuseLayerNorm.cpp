//===- FuseLayerNorm.cpp - torch's decomposed LayerNorm into ds.layer_norm ===//
//
// ONNX has no LayerNormalization before opset 17, so torch exports nn.LayerNorm as
//   d = x - mean(x); n = d / sqrt(mean(d^2) + eps); y = n * weight + bias
// with the means over the normalized trailing axes. Fusing turns nine passes over the tensor
// into one kernel, and gives autodiff one op whose backward needs only mean and 1/stddev.
//
// The fusion runs in three steps so each is exact on its own: the normalization n becomes a
// layer_norm without affine operands, then `* weight` and `+ bias` fold into it. A weight or
// bias that is not of the normalized shape (a broadcast along other dims) is left as a mul/add
// after the fused normalization.
//
//===----------------------------------------------------------------------===//

#include "PatternUtils.h"

#include "ds/Dialect/DS/IR/DSOps.h"
#include "ds/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::ds {
#define GEN_PASS_DEF_FUSELAYERNORM
#include "ds/Transforms/Passes.h.inc"
} // namespace mlir::ds

using namespace mlir;
using namespace mlir::ds;
using namespace mlir::ds::fusion;

namespace {

/// The first normalized axis when `mean` keeps dims and reduces exactly the trailing axes
/// [k, rank), listed in any order and sign; else nullopt. Without keepdim the result would
/// broadcast against x along the wrong dims, so that is not a layer norm.
std::optional<int64_t> trailingAxesStart(ReduceMeanOp mean) {
  if (!mean.getKeepdim())
    return std::nullopt;
  int64_t rank = mean.getInput().getType().getRank();
  ArrayRef<int64_t> axes = mean.getAxes();
  SmallVector<bool> reduced(rank, false);
  for (int64_t axis : axes) {
    std::optional<int64_t> normalized = normalizeAxis(axis, rank);
    if (!normalized || reduced[*normalized])
      return std::nullopt;
    reduced[*normalized] = true;
  }
  int64_t start = rank - static_cast<int64_t>(axes.size());
  if (axes.empty() ||
      !llvm::all_of(llvm::drop_begin(reduced, start), [](bool r) { return r; }))
    return std::nullopt;
  return start;
}

/// d^2 as torch writes it, pow(d, 2.0), or as other exporters do, d * d.
bool isSquareOf(Value square, Value d) {
  if (auto pow = square.getDefiningOp<PowOp>())
    return pow.getLhs() == d && isSplatExactly(pow.getRhs(), 2.0) &&
           pow.getType() == d.getType();
  auto mul = square.getDefiningOp<MulOp>();
  return mul && mul.getLhs() == d && mul.getRhs() == d;
}

/// Replaces `root`, which computes d / sqrt(varPlusEps), by a layer_norm when
/// d = x - mean(x) and varPlusEps = mean(d^2) + eps over the same trailing axes. Other users of
/// d, the means or the variance keep them alive: the fused op is still exact, and it still
/// saves the five ops from the square to the division.
LogicalResult replaceNormalization(Operation *root, Value d, Value varPlusEps,
                                   PatternRewriter &rewriter) {
  Value result = root->getResult(0);
  if (!isFloatTensor(d) || result.getType() != d.getType())
    return rewriter.notifyMatchFailure(root, "not elementwise on d");
  auto sub = d.getDefiningOp<SubOp>();
  if (!sub)
    return rewriter.notifyMatchFailure(root, "numerator is not x - mean");
  Value x = sub.getLhs();
  auto mean = sub.getRhs().getDefiningOp<ReduceMeanOp>();
  if (!mean || mean.getInput() != x || x.getType() != d.getType())
    return rewriter.notifyMatchFailure(root, "numerator is not x - mean(x)");
  std::optional<int64_t> start = trailingAxesStart(mean);
  if (!start)
    return rewriter.notifyMatchFailure(root, "mean is not over trailing axes");

  auto addEps = varPlusEps.getDefiningOp<AddOp>();
  ReduceMeanOp variance;
  std::optional<APFloat> eps;
  if (!addEps || !matchOperands(addEps, [&](Value a, Value b) {
        variance = a.getDefiningOp<ReduceMeanOp>();
        eps = getSplatFloat(b);
        return variance && eps;
      }))
    return rewriter.notifyMatchFailure(root, "no mean(..) + splat epsilon");
  if (addEps.getType() != variance.getType() ||
      variance.getType() != mean.getType() ||
      trailingAxesStart(variance) != start ||
      !isSquareOf(variance.getInput(), d))
    return rewriter.notifyMatchFailure(root, "variance is not mean(d^2) "
                                             "over the mean's axes");
  // The op's epsilon is f64: the f32 constant converts exactly, and the kernel's
  // var + eps rounds like the pattern's add.
  double epsilon = eps->convertToDouble();
  if (!(epsilon >= 0.0) || std::isinf(epsilon))
    return rewriter.notifyMatchFailure(root,
                                       "epsilon is negative or not finite");

  int64_t rank = mean.getInput().getType().getRank();
  rewriter.replaceOpWithNewOp<LayerNormOp>(
      root, result.getType(), x, /*weight=*/Value(), /*bias=*/Value(),
      rewriter.getI64IntegerAttr(*start - rank),
      rewriter.getF64FloatAttr(epsilon));
  return success();
}

/// n = d / sqrt(var + eps), as torch exports it.
struct FuseDivNormalization : public OpRewritePattern<DivOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(DivOp div,
                                PatternRewriter &rewriter) const override {
    auto sqrt = div.getRhs().getDefiningOp<SqrtOp>();
    if (!sqrt)
      return failure();
    return replaceNormalization(div, div.getLhs(), sqrt.getInput(), rewriter);
  }
};

/// n = d * rsqrt(var + eps), as hand-written norms and some exporters write it.
struct FuseRsqrtNormalization : public OpRewritePattern<MulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MulOp mul,
                                PatternRewriter &rewriter) const override {
    Value d, varPlusEps;
    if (!matchOperands(mul, [&](Value a, Value b) {
          auto rsqrt = b.getDefiningOp<RsqrtOp>();
          d = a;
          varPlusEps = rsqrt ? rsqrt.getInput() : Value();
          return bool(rsqrt);
        }))
      return failure();
    return replaceNormalization(mul, d, varPlusEps, rewriter);
  }
};

/// Whether `value` has exactly the normalized shape of `norm` (what the op accepts as weight
/// or bias); a [1, C] or full-shape operand broadcasts differently and stays outside.
bool hasNormalizedShape(LayerNormOp norm, Value value) {
  RankedTensorType input = norm.getInput().getType();
  auto type = dyn_cast<RankedTensorType>(value.getType());
  int64_t start = *normalizeAxis(norm.getAxis(), input.getRank());
  return type && type.getElementType() == input.getElementType() &&
         type.getShape() == input.getShape().drop_front(start);
}

/// Finds `layer_norm(..) <op> operand` in either operand order, for a layer_norm that only
/// this op uses (else the un-scaled result is still needed and nothing is saved).
LayerNormOp matchAffineOperand(Operation *op, Value &operand) {
  LayerNormOp found;
  matchOperands(op, [&](Value a, Value b) {
    auto norm = a.getDefiningOp<LayerNormOp>();
    if (!norm || !norm->hasOneUse() || !hasNormalizedShape(norm, b) ||
        op->getResult(0).getType() != norm.getType())
      return false;
    found = norm;
    operand = b;
    return true;
  });
  return found;
}

/// layer_norm(x) * weight: the kernel scales the normalized value before adding the bias, so
/// only a layer_norm with neither may take the weight.
struct AbsorbWeight : public OpRewritePattern<MulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MulOp mul,
                                PatternRewriter &rewriter) const override {
    Value weight;
    LayerNormOp norm = matchAffineOperand(mul, weight);
    if (!norm || norm.getWeight() || norm.getBias())
      return failure();
    rewriter.replaceOpWithNewOp<LayerNormOp>(
        mul, norm.getType(), norm.getInput(), weight, /*bias=*/Value(),
        norm.getAxisAttr(), norm.getEpsilonAttr());
    return success();
  }
};

/// layer_norm(x) [* weight] + bias.
struct AbsorbBias : public OpRewritePattern<AddOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AddOp add,
                                PatternRewriter &rewriter) const override {
    Value bias;
    LayerNormOp norm = matchAffineOperand(add, bias);
    if (!norm || norm.getBias())
      return failure();
    rewriter.replaceOpWithNewOp<LayerNormOp>(
        add, norm.getType(), norm.getInput(), norm.getWeight(), bias,
        norm.getAxisAttr(), norm.getEpsilonAttr());
    return success();
  }
};

struct FuseLayerNormPass
    : public ds::impl::FuseLayerNormBase<FuseLayerNormPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FuseDivNormalization, FuseRsqrtNormalization, AbsorbWeight,
                 AbsorbBias>(&getContext());
    if (failed(
            applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
