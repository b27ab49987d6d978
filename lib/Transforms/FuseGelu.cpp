//===- FuseGelu.cpp - torch's decomposed GELU into ds.gelu ----------------===//
//
// ONNX had no Gelu before opset 20, so torch exports F.gelu as elementwise arithmetic:
//   exact: x * (1 + erf(x / sqrt(2))) * 0.5
//   tanh:  x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * x^3))) * 0.5
// Each ds op of that chain is a pass over the tensor (and a saved activation for the backward
// pass); ds.gelu is one.
//
//===----------------------------------------------------------------------===//

#include "PatternUtils.h"

#include "ds/Dialect/DS/IR/DSOps.h"
#include "ds/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <array>
#include <cmath>

namespace mlir::ds {
#define GEN_PASS_DEF_FUSEGELU
#include "ds/Transforms/Passes.h.inc"
} // namespace mlir::ds

using namespace mlir;
using namespace mlir::ds;
using namespace mlir::ds::fusion;

namespace {

// The constants of both forms, matched with a 1e-6 relative tolerance: exporters write them
// rounded to f32 (1.4142135, 0.7978846) or computed in Python doubles (math.sqrt(2.0)).
constexpr double kSqrt2 = 1.41421356237309504880;
constexpr double kInvSqrt2 = 0.70710678118654752440;
constexpr double kSqrt2OverPi = 0.79788456080286535588;
constexpr double kTanhCubicCoefficient = 0.044715;

/// x / sqrt(2), or x * (1/sqrt(2)).
bool isXOverSqrt2(Value value, Value x) {
  if (auto div = value.getDefiningOp<DivOp>())
    return div.getLhs() == x && isSplatNear(div.getRhs(), kSqrt2);
  if (auto mul = value.getDefiningOp<MulOp>())
    return matchOperands(mul, [&](Value a, Value b) {
      return a == x && isSplatNear(b, kInvSqrt2);
    });
  return false;
}

/// x^3: torch's own gelu writes x * (x * x), Python code often torch.pow(x, 3.0).
bool isCube(Value value, Value x) {
  if (auto pow = value.getDefiningOp<PowOp>())
    return pow.getLhs() == x && isSplatExactly(pow.getRhs(), 3.0);
  auto mul = value.getDefiningOp<MulOp>();
  return mul && matchOperands(mul, [&](Value a, Value b) {
           auto square = b.getDefiningOp<MulOp>();
           return a == x && square && square.getLhs() == x &&
                  square.getRhs() == x;
         });
}

/// sqrt(2/pi) * (x + 0.044715 * x^3), in any operand order.
bool isTanhArgument(Value value, Value x) {
  auto scale = value.getDefiningOp<MulOp>();
  return scale && matchOperands(scale, [&](Value c, Value inner) {
           auto sum = inner.getDefiningOp<AddOp>();
           return isSplatNear(c, kSqrt2OverPi) && sum &&
                  matchOperands(sum, [&](Value a, Value term) {
                    auto cubic = term.getDefiningOp<MulOp>();
                    return a == x && cubic &&
                           matchOperands(cubic, [&](Value k, Value cube) {
                             return isSplatNear(k, kTanhCubicCoefficient) &&
                                    isCube(cube, x);
                           });
                  });
         });
}

/// 1 + erf(x / sqrt(2)) (twice the Gaussian CDF) or its tanh approximation; which one it is.
std::optional<GeluApproximation> matchTwiceCdf(Value value, Value x) {
  auto sum = value.getDefiningOp<AddOp>();
  if (!sum)
    return std::nullopt;
  std::optional<GeluApproximation> form;
  matchOperands(sum, [&](Value f, Value one) {
    if (!isSplatNear(one, 1.0))
      return false;
    if (auto erf = f.getDefiningOp<ErfOp>();
        erf && isXOverSqrt2(erf.getInput(), x))
      form = GeluApproximation::None;
    else if (auto tanh = f.getDefiningOp<TanhOp>();
             tanh && isTanhArgument(tanh.getInput(), x))
      form = GeluApproximation::Tanh;
    return form.has_value();
  });
  return form;
}

/// The factors of a three-way product in either association: (a * b) * c or a * (b * c).
SmallVector<std::array<Value, 3>, 2> threeFactorProducts(MulOp root) {
  SmallVector<std::array<Value, 3>, 2> products;
  for (unsigned i = 0; i < 2; ++i)
    if (auto inner = root->getOperand(i).getDefiningOp<MulOp>())
      products.push_back(
          {inner.getLhs(), inner.getRhs(), root->getOperand(1 - i)});
  return products;
}

/// 0.5 * x * twiceCdf(x), with the three factors in any order and association: torch's
/// nn.GELU writes (x * twiceCdf) * 0.5, hand-written GELUs often (x * 0.5) * twiceCdf.
struct FuseGeluPattern : public OpRewritePattern<MulOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(MulOp root,
                                PatternRewriter &rewriter) const override {
    if (!isFloatTensor(root))
      return failure();
    for (std::array<Value, 3> factors : threeFactorProducts(root)) {
      for (unsigned half = 0; half < 3; ++half) {
        if (!isSplatNear(factors[half], 0.5))
          continue;
        Value p = factors[(half + 1) % 3], q = factors[(half + 2) % 3];
        for (auto [x, twiceCdf] : {std::pair(p, q), std::pair(q, p)}) {
          // Every constant then broadcasts into x's shape, so each op of the chain is
          // elementwise on x and the whole chain is gelu(x) element by element.
          if (x.getType() != root.getType())
            continue;
          std::optional<GeluApproximation> form = matchTwiceCdf(twiceCdf, x);
          if (!form)
            continue;
          rewriter.replaceOpWithNewOp<GeluOp>(
              root, root.getType(), x,
              GeluApproximationAttr::get(rewriter.getContext(), *form));
          return success();
        }
      }
    }
    return failure();
  }
};

struct FuseGeluPass : public ds::impl::FuseGeluBase<FuseGeluPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FuseGeluPattern>(&getContext());
    if (failed(
            applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
