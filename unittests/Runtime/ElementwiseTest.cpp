// Unary, binary, compare and select kernels against float64 references, with broadcasting.
#include "ds/Runtime/Kernels/CPU/Elementwise.h"

#include "TestUtil.h"

#include <functional>

using namespace ds::rt;
using namespace ds::rt::test;
using cpu::BinaryOp;
using cpu::CompareOp;
using cpu::UnaryOp;

namespace {

struct BroadcastCase {
  Shape a, b, out;
};

const BroadcastCase kBroadcastCases[] = {
    {{2, 3, 4}, {2, 3, 4}, {2, 3, 4}},
    {{3, 1, 5}, {4, 1}, {3, 4, 5}},
    {{}, {2, 3}, {2, 3}},
    {{2, 3, 4}, {4}, {2, 3, 4}},
    {{2, 1, 4}, {1, 3, 1}, {2, 3, 4}},
    {{5, 1}, {1, 1}, {5, 1}},
    {{2, 0, 3}, {3}, {2, 0, 3}},
    // Past the parallel threshold, both contiguous and broadcast inner loops.
    {{64, 700}, {64, 700}, {64, 700}},
    {{64, 1}, {1, 700}, {64, 700}},
    {{64, 700}, {1}, {64, 700}},
};

double referenceBinary(BinaryOp op, double a, double b) {
  switch (op) {
  case BinaryOp::Add:
    return a + b;
  case BinaryOp::Sub:
    return a - b;
  case BinaryOp::Mul:
    return a * b;
  case BinaryOp::Div:
    return a / b;
  case BinaryOp::Pow:
    return std::pow(a, b);
  case BinaryOp::Max:
    return std::max(a, b);
  case BinaryOp::Min:
    return std::min(a, b);
  }
  return 0;
}

// Reference broadcast of an elementwise function of two inputs.
template <typename Fn>
std::vector<double> broadcastReference(const std::vector<float> &a, const Shape &as,
                                       const std::vector<float> &b, const Shape &bs,
                                       const Shape &out, const Fn &fn) {
  std::vector<double> r(numElements(out));
  for (int64_t i = 0; i < numElements(out); ++i) {
    std::vector<int64_t> idx = unravel(i, out);
    r[i] = fn(a[broadcastSource(idx, as)], b[broadcastSource(idx, bs)]);
  }
  return r;
}

class BinaryTest : public ::testing::TestWithParam<BinaryOp> {};

TEST_P(BinaryTest, BroadcastsLikeNumpy) {
  const BinaryOp op = GetParam();
  uint32_t seed = 10;
  for (const BroadcastCase &c : kBroadcastCases) {
    SCOPED_TRACE(shapeToString(c.a) + " op " + shapeToString(c.b));
    // pow needs a positive base to stay real.
    std::vector<float> a = randomFloats(numElements(c.a), seed++, 0.1f, 2.0f, op == BinaryOp::Pow);
    std::vector<float> b = randomFloats(numElements(c.b), seed++);
    std::vector<float> out(numElements(c.out), NAN);
    ASSERT_OK(cpu::binary(op, TensorView(a.data(), c.a), TensorView(b.data(), c.b),
                          MutableTensorView(out.data(), c.out)));
    std::vector<double> want = broadcastReference(
        a, c.a, b, c.b, c.out, [&](double x, double y) { return referenceBinary(op, x, y); });
    EXPECT_TRUE(allClose(out, want, 1e-6, 1e-6));
  }
}

INSTANTIATE_TEST_SUITE_P(Ops, BinaryTest,
                         ::testing::Values(BinaryOp::Add, BinaryOp::Sub, BinaryOp::Mul,
                                           BinaryOp::Div, BinaryOp::Pow, BinaryOp::Max,
                                           BinaryOp::Min),
                         [](const auto &info) { return cpu::binaryOpName(info.param); });

TEST(BinaryEdge, MaxAndMinPropagateNaN) {
  std::vector<float> a = {NAN, 1.0f, 2.0f}, b = {1.0f, NAN, 3.0f}, out(3);
  ASSERT_OK(cpu::binary(BinaryOp::Max, TensorView(a.data(), {3}), TensorView(b.data(), {3}),
                        MutableTensorView(out.data(), {3})));
  EXPECT_TRUE(std::isnan(out[0]) && std::isnan(out[1]));
  EXPECT_EQ(out[2], 3.0f);
  ASSERT_OK(cpu::binary(BinaryOp::Min, TensorView(a.data(), {3}), TensorView(b.data(), {3}),
                        MutableTensorView(out.data(), {3})));
  EXPECT_TRUE(std::isnan(out[0]) && std::isnan(out[1]));
  EXPECT_EQ(out[2], 2.0f);
}

TEST(BinaryEdge, OutputMayAliasInput) {
  std::vector<float> a = randomFloats(12, 3), b = randomFloats(4, 4);
  std::vector<double> want = broadcastReference(a, {3, 4}, b, {4}, {3, 4},
                                                [](double x, double y) { return x * y; });
  ASSERT_OK(cpu::binary(BinaryOp::Mul, TensorView(a.data(), {3, 4}), TensorView(b.data(), {4}),
                        MutableTensorView(a.data(), {3, 4})));
  EXPECT_TRUE(allClose(a, want));
}

TEST(BinaryErrors, ReportsWhatIsWrong) {
  std::vector<float> a(12, 1.0f), b(12, 1.0f), out(12);
  EXPECT_ERROR_CONTAINS(cpu::binary(BinaryOp::Add, TensorView(a.data(), {3, 4}),
                                    TensorView(b.data(), {4, 3}),
                                    MutableTensorView(out.data(), {3, 4})),
                        "do not broadcast");
  EXPECT_ERROR_CONTAINS(cpu::binary(BinaryOp::Sub, TensorView(a.data(), {3, 4}),
                                    TensorView(b.data(), {4}),
                                    MutableTensorView(out.data(), {4, 3})),
                        "sub: output shape [4,3] differs from the expected [3,4]");
  EXPECT_ERROR_CONTAINS(cpu::binary(BinaryOp::Add, TensorView(a.data(), {-1, 4}),
                                    TensorView(b.data(), {4}),
                                    MutableTensorView(out.data(), {3, 4})),
                        "negative dim");
}

TEST(Compare, AllOpsWithTiesAndBroadcasting) {
  const Shape as = {3, 4, 5}, bs = {4, 1};
  std::vector<float> a = randomFloats(60, 21);
  std::vector<float> b = randomFloats(4, 22);
  // Plant exact ties so eq/le/ge see both outcomes.
  a[0] = b[0];
  a[7] = b[1];
  a[33] = b[2];
  const std::pair<CompareOp, std::function<bool(float, float)>> ops[] = {
      {CompareOp::Eq, std::equal_to<float>()}, {CompareOp::Ne, std::not_equal_to<float>()},
      {CompareOp::Lt, std::less<float>()},     {CompareOp::Le, std::less_equal<float>()},
      {CompareOp::Gt, std::greater<float>()},  {CompareOp::Ge, std::greater_equal<float>()}};
  for (const auto &[op, fn] : ops) {
    SCOPED_TRACE(cpu::compareOpName(op));
    std::vector<uint8_t> out(60, 7);
    ASSERT_OK(cpu::compare(op, TensorView(a.data(), as), TensorView(b.data(), bs),
                           MutableTensorView(out.data(), as)));
    int trues = 0;
    for (int64_t i = 0; i < 60; ++i) {
      std::vector<int64_t> idx = unravel(i, as);
      bool want = fn(a[i], b[broadcastSource(idx, bs)]);
      ASSERT_EQ(out[i], want ? 1 : 0) << "element " << i;
      trues += want;
    }
    EXPECT_GT(trues, 0);
    EXPECT_LT(trues, 60);
  }
  std::vector<float> wrong(60);
  EXPECT_ERROR_CONTAINS(cpu::compare(CompareOp::Lt, TensorView(a.data(), as),
                                     TensorView(b.data(), bs),
                                     MutableTensorView(wrong.data(), as)),
                        "output must be u8, got f32");
}

TEST(Select, BroadcastsAllThreeOperands) {
  const Shape cs = {2, 1, 4}, as = {3, 1}, bs = {2, 3, 4}, out = {2, 3, 4};
  std::vector<uint8_t> cond = {1, 0, 0, 1, 0, 2, 1, 0};
  std::vector<float> a = randomFloats(3, 31), b = randomFloats(24, 32);
  std::vector<float> got(24, NAN);
  ASSERT_OK(cpu::select(TensorView(cond.data(), cs), TensorView(a.data(), as),
                        TensorView(b.data(), bs), MutableTensorView(got.data(), out)));
  std::vector<double> want(24);
  for (int64_t i = 0; i < 24; ++i) {
    std::vector<int64_t> idx = unravel(i, out);
    want[i] = cond[broadcastSource(idx, cs)] ? a[broadcastSource(idx, as)]
                                             : b[broadcastSource(idx, bs)];
  }
  EXPECT_TRUE(allClose(got, want, 0, 0));
  std::vector<float> fcond(8, 1.0f);
  EXPECT_ERROR_CONTAINS(cpu::select(TensorView(fcond.data(), cs), TensorView(a.data(), as),
                                    TensorView(b.data(), bs), MutableTensorView(got.data(), out)),
                        "cond must be u8");
}

double referenceUnary(UnaryOp op, double x) {
  switch (op) {
  case UnaryOp::Neg:
    return -x;
  case UnaryOp::Exp:
    return std::exp(x);
  case UnaryOp::Log:
    return std::log(x);
  case UnaryOp::Tanh:
    return std::tanh(x);
  case UnaryOp::Erf:
    return std::erf(x);
  case UnaryOp::Sqrt:
    return std::sqrt(x);
  case UnaryOp::Rsqrt:
    return 1.0 / std::sqrt(x);
  case UnaryOp::Reciprocal:
    return 1.0 / x;
  case UnaryOp::Relu:
    return x > 0 ? x : 0.0;
  case UnaryOp::Sigmoid:
    return 1.0 / (1.0 + std::exp(-x));
  case UnaryOp::Silu:
    return x / (1.0 + std::exp(-x));
  case UnaryOp::Abs:
    return std::fabs(x);
  case UnaryOp::Gelu:
    return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0)));
  case UnaryOp::GeluTanh:
    return 0.5 * x *
           (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x)));
  }
  return 0;
}

class UnaryTest : public ::testing::TestWithParam<UnaryOp> {};

TEST_P(UnaryTest, MatchesReference) {
  const UnaryOp op = GetParam();
  const bool positiveOnly = op == UnaryOp::Log || op == UnaryOp::Sqrt || op == UnaryOp::Rsqrt;
  // 40000 elements: past the parallel threshold. Range [0.05, 6] reaches the tails of
  // sigmoid/tanh/erf.
  for (size_t n : {size_t(7), size_t(40000)}) {
    std::vector<float> x = randomFloats(n, 41, 0.05f, 6.0f, positiveOnly);
    std::vector<float> out(n, NAN);
    ASSERT_OK(cpu::unary(op, TensorView(x.data(), {static_cast<int64_t>(n)}),
                         MutableTensorView(out.data(), {static_cast<int64_t>(n)})));
    std::vector<double> want(n);
    for (size_t i = 0; i < n; ++i)
      want[i] = referenceUnary(op, x[i]);
    EXPECT_TRUE(allClose(out, want, 2e-6, 1e-6));
  }
}

INSTANTIATE_TEST_SUITE_P(Ops, UnaryTest,
                         ::testing::Values(UnaryOp::Neg, UnaryOp::Exp, UnaryOp::Log,
                                           UnaryOp::Tanh, UnaryOp::Erf, UnaryOp::Sqrt,
                                           UnaryOp::Rsqrt, UnaryOp::Reciprocal, UnaryOp::Relu,
                                           UnaryOp::Sigmoid, UnaryOp::Silu, UnaryOp::Abs,
                                           UnaryOp::Gelu, UnaryOp::GeluTanh),
                         [](const auto &info) { return cpu::unaryOpName(info.param); });

TEST(UnaryEdge, SigmoidIsStableAtExtremes) {
  std::vector<float> x = {-200.0f, 200.0f, -90.0f}, out(3);
  ASSERT_OK(cpu::unary(UnaryOp::Sigmoid, TensorView(x.data(), {3}),
                       MutableTensorView(out.data(), {3})));
  EXPECT_EQ(out[0], 0.0f);
  EXPECT_EQ(out[1], 1.0f);
  EXPECT_TRUE(allClose(std::vector<float>{out[2]}, {1.0 / (1.0 + std::exp(90.0))}, 1e-5, 0));
}

// Spot values of both torch gelu formulas, evaluated in float64 by Python and rounded to 7 digits.
TEST(UnaryEdge, GeluKnownValues) {
  std::vector<float> x = {-3.0f, -1.0f, 0.5f, 2.0f}, exact(4), tanhForm(4);
  ASSERT_OK(cpu::unary(UnaryOp::Gelu, TensorView(x.data(), {4}),
                       MutableTensorView(exact.data(), {4})));
  ASSERT_OK(cpu::unary(UnaryOp::GeluTanh, TensorView(x.data(), {4}),
                       MutableTensorView(tanhForm.data(), {4})));
  EXPECT_TRUE(allClose(exact, {-0.004049694, -0.1586553, 0.3457312, 1.954500}, 1e-5, 1e-7));
  EXPECT_TRUE(allClose(tanhForm, {-0.003637392, -0.1588080, 0.3457140, 1.954598}, 1e-5, 1e-7));
}

TEST(UnaryErrors, ShapeAndDtype) {
  std::vector<float> x(6, 1.0f), out(6);
  EXPECT_ERROR_CONTAINS(cpu::unary(UnaryOp::Exp, TensorView(x.data(), {2, 3}),
                                   MutableTensorView(out.data(), {3, 2})),
                        "exp: output shape");
  std::vector<uint8_t> u(6);
  EXPECT_ERROR_CONTAINS(cpu::unary(UnaryOp::Tanh, TensorView(u.data(), {6}),
                                   MutableTensorView(out.data(), {6})),
                        "tanh: input must be f32, got u8");
}

} // namespace

namespace {

// Integer arithmetic and comparisons, broadcast, against int64 references on random values
// (division by zero is defined as 0 rather than a trap).
TEST(IntegerElementwise, ArithmeticAndComparisonsOnI64AndI32) {
  std::mt19937 rng(11);
  std::uniform_int_distribution<int64_t> dist(-50, 50);
  Shape as = {3, 1, 5}, bs = {4, 1}, os = {3, 4, 5};
  std::vector<int64_t> a(15), b(4);
  for (auto &v : a)
    v = dist(rng);
  for (auto &v : b)
    v = dist(rng) | 1; // odd: never zero
  std::vector<int32_t> a32(a.begin(), a.end()), b32(b.begin(), b.end());
  for (BinaryOp op : {BinaryOp::Add, BinaryOp::Sub, BinaryOp::Mul, BinaryOp::Div, BinaryOp::Max,
                      BinaryOp::Min}) {
    std::vector<int64_t> out(60);
    std::vector<int32_t> out32(60);
    ASSERT_OK(cpu::binary(op, TensorView(a.data(), as), TensorView(b.data(), bs),
                          MutableTensorView(out.data(), os)));
    ASSERT_OK(cpu::binary(op, TensorView(a32.data(), as), TensorView(b32.data(), bs),
                          MutableTensorView(out32.data(), os)));
    for (int64_t i = 0; i < 3; ++i)
      for (int64_t j = 0; j < 4; ++j)
        for (int64_t k = 0; k < 5; ++k) {
          int64_t x = a[i * 5 + k], y = b[j], expected = 0;
          switch (op) {
          case BinaryOp::Add: expected = x + y; break;
          case BinaryOp::Sub: expected = x - y; break;
          case BinaryOp::Mul: expected = x * y; break;
          case BinaryOp::Div: expected = x / y; break;
          case BinaryOp::Max: expected = std::max(x, y); break;
          case BinaryOp::Min: expected = std::min(x, y); break;
          default: break;
          }
          int64_t at = (i * 4 + j) * 5 + k;
          EXPECT_EQ(out[at], expected) << cpu::binaryOpName(op) << " at " << at;
          EXPECT_EQ(out32[at], expected) << cpu::binaryOpName(op) << " (i32) at " << at;
        }
  }
  std::vector<uint8_t> lt(60);
  ASSERT_OK(cpu::compare(CompareOp::Lt, TensorView(a.data(), as), TensorView(b.data(), bs),
                         MutableTensorView(lt.data(), os)));
  for (int64_t i = 0; i < 3; ++i)
    for (int64_t j = 0; j < 4; ++j)
      for (int64_t k = 0; k < 5; ++k)
        EXPECT_EQ(lt[(i * 4 + j) * 5 + k], a[i * 5 + k] < b[j] ? 1 : 0);
  // Mixed element types are still an error.
  std::vector<int64_t> sum(60);
  EXPECT_ERROR_CONTAINS(cpu::binary(BinaryOp::Add, TensorView(a.data(), as),
                                    TensorView(b32.data(), bs), MutableTensorView(sum.data(), os)),
                        "rhs must be i64");
}

TEST(IntegerElementwise, SelectMovesAnyElementType) {
  std::vector<uint8_t> cond = {1, 0, 0, 1};
  std::vector<int64_t> a = {10, 20, 30, 40}, b = {-1};
  std::vector<int64_t> out(4);
  ASSERT_OK(cpu::select(TensorView(cond.data(), {4}), TensorView(a.data(), {4}),
                        TensorView(b.data(), {1}), MutableTensorView(out.data(), {4})));
  EXPECT_EQ(out, (std::vector<int64_t>{10, -1, -1, 40}));
  std::vector<uint8_t> ba = {1, 1, 1, 1}, bb = {0}, bout(4);
  ASSERT_OK(cpu::select(TensorView(cond.data(), {4}), TensorView(ba.data(), {4}),
                        TensorView(bb.data(), {1}), MutableTensorView(bout.data(), {4})));
  EXPECT_EQ(bout, cond);
}

} // namespace
