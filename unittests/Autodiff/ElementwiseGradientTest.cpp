// Gradient checks of the elementwise ops: binary arithmetic with broadcasting, select, the unary
// math and activations, dropout and cast. Inputs stay clear of kinks (relu and abs at 0, max and
// min ties) and of the edges of each op's domain.
#include "GradientCheck.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace ds::gradcheck {
namespace {

const std::vector<int64_t> kShape = {3, 4};
const int64_t kCount = 12;

/// A case computing %y = ds.<op> %x [attrs] on a 3x4 input.
Case unaryCase(const std::string &op, std::vector<double> x, const std::string &attrs = "") {
  Case c;
  c.name = op + attrs;
  c.inputs = {floatInput("x", kShape, std::move(x))};
  c.body = "%y = ds." + op + " %x " + attrs + " : tensor<3x4x{T}>";
  c.resultShape = kShape;
  return c;
}

void checkUnary(const std::string &op, std::vector<double> x, const std::string &attrs = "") {
  checkGradients(unaryCase(op, std::move(x), attrs));
}

/// %y = ds.<op> %a, %b with a 2x3 lhs and a broadcast rhs of `rhsShape`.
void checkBinary(const std::string &op, std::vector<double> a, std::vector<int64_t> rhsShape,
                 std::vector<double> b) {
  Case c;
  c.name = op;
  c.inputs = {floatInput("a", {2, 3}, std::move(a)), floatInput("b", rhsShape, std::move(b))};
  std::string rhsType = "tensor<";
  for (int64_t d : rhsShape)
    rhsType += std::to_string(d) + "x";
  rhsType += "{T}>";
  c.body = "%y = ds." + op + " %a, %b : (tensor<2x3x{T}>, " + rhsType + ") -> tensor<2x3x{T}>";
  c.resultShape = {2, 3};
  checkGradients(c);
}

TEST(ElementwiseGradient, Add) {
  Inputs r(1);
  checkBinary("add", r.uniform(6, -2, 2), {3}, r.uniform(3, -2, 2));
}

TEST(ElementwiseGradient, SubBroadcastsBothOperands) {
  Inputs r(2);
  Case c;
  c.name = "sub";
  c.inputs = {floatInput("a", {2, 1}, r.uniform(2, -2, 2)),
              floatInput("b", {1, 3}, r.uniform(3, -2, 2))};
  c.body = "%y = ds.sub %a, %b : (tensor<2x1x{T}>, tensor<1x3x{T}>) -> tensor<2x3x{T}>";
  c.resultShape = {2, 3};
  checkGradients(c);
}

TEST(ElementwiseGradient, MulByScalar) {
  Inputs r(3);
  checkBinary("mul", r.uniform(6, -2, 2), {}, r.awayFromZero(1, 0.5, 2));
}

TEST(ElementwiseGradient, Div) {
  Inputs r(4);
  checkBinary("div", r.uniform(6, -2, 2), {1, 3}, r.awayFromZero(3, 0.5, 2));
}

TEST(ElementwiseGradient, Pow) {
  // Positive bases: for x < 0 the exponent's gradient is NaN, as in torch.
  Inputs r(5);
  checkBinary("pow", r.uniform(6, 0.5, 2), {3}, r.uniform(3, -1.5, 2.5));
}

// Constant exponents take their own path in the rule: 2x for a square, c x^(c-1) otherwise.
TEST(ElementwiseGradient, PowConstantExponents) {
  Case c;
  c.name = "pow_constant";
  c.inputs = {floatInput("x", {2, 3}, Inputs(9).uniform(6, 0.5, 2))};
  c.body = R"(%two = ds.constant dense<2.0> : tensor<{T}>
%half = ds.constant dense<0.5> : tensor<{T}>
%a = ds.pow %x, %two : (tensor<2x3x{T}>, tensor<{T}>) -> tensor<2x3x{T}>
%b = ds.pow %x, %half : (tensor<2x3x{T}>, tensor<{T}>) -> tensor<2x3x{T}>
%y = ds.add %a, %b : tensor<2x3x{T}>)";
  c.resultShape = {2, 3};
  checkGradients(c);
}

// max(x, 0) written out, as exports of relu sometimes are: the constant gets no gradient.
TEST(ElementwiseGradient, MaxWithConstant) {
  Case c;
  c.name = "max_constant";
  c.inputs = {floatInput("x", {2, 3}, Inputs(26).awayFromZero(6, 0.1, 2))};
  c.body = R"(%zero = ds.constant dense<0.0> : tensor<{T}>
%y = ds.max %x, %zero : (tensor<2x3x{T}>, tensor<{T}>) -> tensor<2x3x{T}>)";
  c.resultShape = {2, 3};
  checkGradients(c);
}

// a's entries lie in [-1 + 0.3i, -1 + 0.3i + 0.075], b's at -1 + 0.3(k + 0.6): at least 0.1 apart.
std::vector<double> maxMinRhs() { return {-1 + 0.3 * 0.6, -1 + 0.3 * 2.6, -1 + 0.3 * 4.6}; }

TEST(ElementwiseGradient, Max) {
  Inputs r(6);
  checkBinary("max", r.distinct(6, -1, 0.3), {3}, maxMinRhs());
}

TEST(ElementwiseGradient, Min) {
  Inputs r(7);
  checkBinary("min", r.distinct(6, -1, 0.3), {3}, maxMinRhs());
}

TEST(ElementwiseGradient, SelectBroadcastsItsBranches) {
  Inputs r(8);
  Case c;
  c.name = "select";
  c.inputs = {floatInput("t", {2, 3}, r.uniform(6, -2, 2)),
              floatInput("f", {3}, r.uniform(3, -2, 2))};
  c.body =
      R"(%cond = ds.constant dense<[[true, false, true], [false, false, true]]> : tensor<2x3xi1>
%y = ds.select %cond, %t, %f : (tensor<2x3xi1>, tensor<2x3x{T}>, tensor<3x{T}>) -> tensor<2x3x{T}>)";
  c.resultShape = {2, 3};
  checkGradients(c);
}

TEST(UnaryGradient, Neg) { checkUnary("neg", Inputs(10).uniform(kCount, -2, 2)); }
TEST(UnaryGradient, Abs) { checkUnary("abs", Inputs(11).awayFromZero(kCount, 0.1, 2)); }
TEST(UnaryGradient, Exp) { checkUnary("exp", Inputs(12).uniform(kCount, -2, 2)); }
TEST(UnaryGradient, Log) { checkUnary("log", Inputs(13).uniform(kCount, 0.2, 3)); }
TEST(UnaryGradient, Tanh) { checkUnary("tanh", Inputs(14).uniform(kCount, -2, 2)); }
TEST(UnaryGradient, Erf) { checkUnary("erf", Inputs(15).uniform(kCount, -2, 2)); }
TEST(UnaryGradient, Sqrt) { checkUnary("sqrt", Inputs(16).uniform(kCount, 0.2, 3)); }
TEST(UnaryGradient, Rsqrt) { checkUnary("rsqrt", Inputs(17).uniform(kCount, 0.2, 3)); }
TEST(UnaryGradient, Reciprocal) {
  checkUnary("reciprocal", Inputs(18).awayFromZero(kCount, 0.3, 2));
}
TEST(UnaryGradient, Relu) { checkUnary("relu", Inputs(19).awayFromZero(kCount, 0.1, 2)); }
TEST(UnaryGradient, Sigmoid) { checkUnary("sigmoid", Inputs(20).uniform(kCount, -3, 3)); }
TEST(UnaryGradient, Silu) { checkUnary("silu", Inputs(21).uniform(kCount, -3, 3)); }
TEST(UnaryGradient, GeluExact) {
  checkUnary("gelu", Inputs(22).uniform(kCount, -3, 3), "approximate = none");
}
TEST(UnaryGradient, GeluTanh) {
  checkUnary("gelu", Inputs(23).uniform(kCount, -3, 3), "approximate = tanh");
}

// The gradient replays the forward mask: it is a function of seed, step and element index. The
// differences only agree when the mask is the same; `inspect` makes sure the mask drops some
// elements and keeps others, so the check is not vacuous.
TEST(UnaryGradient, Dropout) {
  Case c = unaryCase("dropout", Inputs(24).uniform(kCount, -2, 2), "ratio = 4.000000e-01 seed = 7");
  c.inspect = [](const std::string &, const std::vector<double> &grad) {
    int64_t dropped = std::count(grad.begin(), grad.end(), 0.0);
    EXPECT_GT(dropped, 0);
    EXPECT_LT(dropped, static_cast<int64_t>(grad.size()));
  };
  checkGradients(c);
}

// f64 -> f32 -> f64 rounds x to f32, so differences of f are only good to f32 precision: a
// larger step and tolerance (f is linear in x, so the step adds no truncation error).
TEST(UnaryGradient, CastRoundTrip) {
  Case c;
  c.name = "cast";
  c.inputs = {floatInput("x", kShape, Inputs(25).uniform(kCount, -2, 2))};
  c.body = R"(%n = ds.cast %x : tensor<3x4x{T}> to tensor<3x4xf32>
%y = ds.cast %n : tensor<3x4xf32> to tensor<3x4x{T}>)";
  c.resultShape = kShape;
  c.step = 1e-3;
  c.tolerance = 1e-4;
  checkGradients(c);
}

} // namespace
} // namespace ds::gradcheck
