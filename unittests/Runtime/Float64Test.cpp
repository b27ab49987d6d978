// Every compute kernel on f64 tensors against float64 references. Inputs carry full double
// precision and tolerances are ~1e-12, so a kernel that rounded through f32 anywhere would fail.
#include "ds/Runtime/Kernels/CPU.h"

#include "TestUtil.h"

#include <limits>
#include <random>

using namespace ds::rt;
using namespace ds::rt::test;

namespace {

constexpr double kRtol = 1e-12, kAtol = 1e-14;

// Uniform magnitudes in [lo, hi] with random signs (or positive), never exactly an f32 value.
std::vector<double> randomDoubles(size_t n, uint64_t seed, double lo = 0.1, double hi = 2.0,
                                  bool positive = false) {
  std::mt19937_64 gen(seed);
  std::uniform_real_distribution<double> mag(lo, hi);
  std::bernoulli_distribution neg(0.5);
  std::vector<double> v(n);
  for (double &x : v)
    x = (!positive && neg(gen)) ? -mag(gen) : mag(gen);
  return v;
}

::testing::AssertionResult allCloseD(const std::vector<double> &got,
                                     const std::vector<double> &want, double rtol = kRtol,
                                     double atol = kAtol) {
  if (got.size() != want.size())
    return ::testing::AssertionFailure() << "size " << got.size() << " vs " << want.size();
  for (size_t i = 0; i < want.size(); ++i) {
    const double g = got[i], w = want[i];
    const bool ok = std::isnan(w) ? std::isnan(g)
                    : std::isinf(w) ? g == w
                                    : std::fabs(g - w) <= atol + rtol * std::fabs(w);
    if (!ok)
      return ::testing::AssertionFailure()
             << "element " << i << ": got " << testing::PrintToString(g) << ", want "
             << testing::PrintToString(w);
  }
  return ::testing::AssertionSuccess();
}

TensorView view(const std::vector<double> &v, const Shape &shape) {
  return TensorView(v.data(), shape);
}
MutableTensorView mview(std::vector<double> &v, const Shape &shape) {
  return MutableTensorView(v.data(), shape);
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

double referenceUnary(cpu::UnaryOp op, double v) {
  auto sigmoid = [](double x) { return 1.0 / (1.0 + std::exp(-x)); };
  switch (op) {
  case cpu::UnaryOp::Neg: return -v;
  case cpu::UnaryOp::Exp: return std::exp(v);
  case cpu::UnaryOp::Log: return std::log(v);
  case cpu::UnaryOp::Tanh: return std::tanh(v);
  case cpu::UnaryOp::Erf: return std::erf(v);
  case cpu::UnaryOp::Sqrt: return std::sqrt(v);
  case cpu::UnaryOp::Rsqrt: return 1.0 / std::sqrt(v);
  case cpu::UnaryOp::Reciprocal: return 1.0 / v;
  case cpu::UnaryOp::Relu: return v < 0 ? 0.0 : v;
  case cpu::UnaryOp::Sigmoid: return sigmoid(v);
  case cpu::UnaryOp::Silu: return v * sigmoid(v);
  case cpu::UnaryOp::Abs: return std::fabs(v);
  case cpu::UnaryOp::Gelu: return 0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0)));
  case cpu::UnaryOp::GeluTanh:
    return 0.5 * v * (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (v + 0.044715 * v * v * v)));
  }
  return NAN;
}

TEST(Float64, UnaryOps) {
  const cpu::UnaryOp ops[] = {cpu::UnaryOp::Neg,     cpu::UnaryOp::Exp,   cpu::UnaryOp::Log,
                              cpu::UnaryOp::Tanh,    cpu::UnaryOp::Erf,   cpu::UnaryOp::Sqrt,
                              cpu::UnaryOp::Rsqrt,   cpu::UnaryOp::Reciprocal,
                              cpu::UnaryOp::Relu,    cpu::UnaryOp::Sigmoid,
                              cpu::UnaryOp::Silu,    cpu::UnaryOp::Abs,   cpu::UnaryOp::Gelu,
                              cpu::UnaryOp::GeluTanh};
  const Shape shape = {3, 50};
  for (cpu::UnaryOp op : ops) {
    SCOPED_TRACE(cpu::unaryOpName(op));
    const bool positive = op == cpu::UnaryOp::Log || op == cpu::UnaryOp::Sqrt ||
                          op == cpu::UnaryOp::Rsqrt;
    std::vector<double> x = randomDoubles(150, 11, 0.1, 3.0, positive), out(150, NAN);
    ASSERT_OK(cpu::unary(op, view(x, shape), mview(out, shape)));
    std::vector<double> want(150);
    for (size_t i = 0; i < x.size(); ++i)
      want[i] = referenceUnary(op, x[i]);
    EXPECT_TRUE(allCloseD(out, want));
  }
}

TEST(Float64, UnaryLargeTensorRunsInParallel) {
  const int64_t n = 100000;
  std::vector<double> x = randomDoubles(n, 12), out(n, NAN), want(n);
  ASSERT_OK(cpu::unary(cpu::UnaryOp::Gelu, view(x, {n}), mview(out, {n})));
  for (int64_t i = 0; i < n; ++i)
    want[i] = referenceUnary(cpu::UnaryOp::Gelu, x[i]);
  EXPECT_TRUE(allCloseD(out, want));
}

double referenceBinary(cpu::BinaryOp op, double a, double b) {
  switch (op) {
  case cpu::BinaryOp::Add: return a + b;
  case cpu::BinaryOp::Sub: return a - b;
  case cpu::BinaryOp::Mul: return a * b;
  case cpu::BinaryOp::Div: return a / b;
  case cpu::BinaryOp::Pow: return std::pow(a, b);
  case cpu::BinaryOp::Max: return std::max(a, b);
  case cpu::BinaryOp::Min: return std::min(a, b);
  }
  return NAN;
}

TEST(Float64, BinaryOpsBroadcast) {
  const Shape sa = {2, 3, 4}, sb = {3, 1}, so = {2, 3, 4};
  const cpu::BinaryOp ops[] = {cpu::BinaryOp::Add, cpu::BinaryOp::Sub, cpu::BinaryOp::Mul,
                               cpu::BinaryOp::Div, cpu::BinaryOp::Pow, cpu::BinaryOp::Max,
                               cpu::BinaryOp::Min};
  for (cpu::BinaryOp op : ops) {
    SCOPED_TRACE(cpu::binaryOpName(op));
    const bool positive = op == cpu::BinaryOp::Pow; // a real power of a negative base is NaN
    std::vector<double> a = randomDoubles(24, 21, 0.1, 2.0, positive);
    std::vector<double> b = randomDoubles(3, 22), out(24, NAN), want(24);
    ASSERT_OK(cpu::binary(op, view(a, sa), view(b, sb), mview(out, so)));
    for (int64_t i = 0; i < 24; ++i) {
      std::vector<int64_t> idx = unravel(i, so);
      want[i] = referenceBinary(op, a[broadcastSource(idx, sa)], b[broadcastSource(idx, sb)]);
    }
    EXPECT_TRUE(allCloseD(out, want));
  }
}

TEST(Float64, CompareSeesDifferencesBelowF32Precision) {
  // 1 and 1 + 1e-12 are one value in f32.
  std::vector<double> a = {1.0, 1.0 + 1e-12, -2.0}, b = {1.0 + 1e-12, 1.0, -2.0};
  std::vector<uint8_t> out(3, 7);
  ASSERT_OK(cpu::compare(cpu::CompareOp::Lt, view(a, {3}), view(b, {3}),
                         MutableTensorView(out.data(), {3})));
  EXPECT_EQ(out, (std::vector<uint8_t>{1, 0, 0}));
  ASSERT_OK(cpu::compare(cpu::CompareOp::Eq, view(a, {3}), view(b, {3}),
                         MutableTensorView(out.data(), {3})));
  EXPECT_EQ(out, (std::vector<uint8_t>{0, 0, 1}));
}

TEST(Float64, SelectMovesWholeDoubles) {
  std::vector<uint8_t> cond = {1, 0, 1, 0};
  std::vector<double> a = randomDoubles(4, 31), b = randomDoubles(1, 32), out(4, NAN);
  ASSERT_OK(cpu::select(TensorView(cond.data(), {4}), view(a, {4}), view(b, {1}),
                        mview(out, {4})));
  EXPECT_EQ(out, (std::vector<double>{a[0], b[0], a[2], b[0]}));
}

TEST(Float64, MixedF32AndF64OperandsAreAnError) {
  std::vector<double> a(3, 1.0), out(3);
  std::vector<float> b(3, 1.0f);
  EXPECT_ERROR_CONTAINS(cpu::binary(cpu::BinaryOp::Add, view(a, {3}), TensorView(b.data(), {3}),
                                    mview(out, {3})),
                        "add: rhs must be f64, got f32");
}

//===----------------------------------------------------------------------===//
// Matmul
//===----------------------------------------------------------------------===//

struct MatmulCase {
  Shape lhs, rhs;
  bool transA, transB;
};

class Float64Matmul : public ::testing::TestWithParam<MatmulCase> {};

TEST_P(Float64Matmul, MatchesTripleLoop) {
  const MatmulCase &c = GetParam();
  StatusOr<Shape> outShape = cpu::matmulShape(c.lhs, c.rhs, c.transA, c.transB);
  ASSERT_OK(outShape);
  std::vector<double> a = randomDoubles(numElements(c.lhs), 41);
  std::vector<double> b = randomDoubles(numElements(c.rhs), 42);
  std::vector<double> out(numElements(*outShape), NAN);
  ASSERT_OK(cpu::matmul(view(a, c.lhs), view(b, c.rhs), mview(out, *outShape), c.transA,
                        c.transB));
  // Promote vectors as numpy.matmul does, then index the operands directly.
  Shape l = c.lhs.size() == 1 ? Shape{1, c.lhs[0]} : c.lhs;
  Shape r = c.rhs.size() == 1 ? Shape{c.rhs[0], 1} : c.rhs;
  const bool ta = c.lhs.size() > 1 && c.transA, tb = c.rhs.size() > 1 && c.transB;
  const int64_t m = ta ? l.back() : l[l.size() - 2], k = ta ? l[l.size() - 2] : l.back();
  const int64_t n = tb ? r[r.size() - 2] : r.back();
  Shape lb(l.begin(), l.end() - 2), rb(r.begin(), r.end() - 2);
  StatusOr<Shape> batch = broadcastShapes(lb, rb);
  ASSERT_OK(batch);
  std::vector<double> want;
  for (int64_t bi = 0; bi < numElements(*batch); ++bi) {
    std::vector<int64_t> idx = unravel(bi, *batch);
    const double *pa = a.data() + broadcastSource(idx, lb) * m * k;
    const double *pb = b.data() + broadcastSource(idx, rb) * k * n;
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double sum = 0;
        for (int64_t kk = 0; kk < k; ++kk)
          sum += (ta ? pa[kk * m + i] : pa[i * k + kk]) * (tb ? pb[j * k + kk] : pb[kk * n + j]);
        want.push_back(sum);
      }
  }
  EXPECT_TRUE(allCloseD(out, want));
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, Float64Matmul,
    ::testing::Values(MatmulCase{{5, 7}, {7, 3}, false, false},
                      MatmulCase{{7, 5}, {7, 3}, true, false},
                      MatmulCase{{5, 7}, {3, 7}, false, true},
                      MatmulCase{{7, 5}, {3, 7}, true, true},
                      MatmulCase{{2, 4, 5, 6}, {6, 3}, false, false},     // shared rhs
                      MatmulCase{{2, 1, 5, 6}, {3, 3, 6}, false, true},   // broadcast batch
                      MatmulCase{{6}, {2, 6, 4}, false, false},           // vector lhs
                      MatmulCase{{3, 6}, {6}, false, false},              // vector rhs
                      MatmulCase{{64, 80}, {80, 72}, false, false}));     // parallel rows

//===----------------------------------------------------------------------===//
// Softmax, masks, norms, reductions, loss
//===----------------------------------------------------------------------===//

std::vector<double> referenceSoftmax(const std::vector<double> &x, int64_t outer, int64_t len,
                                     int64_t inner, bool log) {
  std::vector<double> out(x.size());
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t in = 0; in < inner; ++in) {
      auto at = [&](int64_t a) { return o * len * inner + a * inner + in; };
      double mx = -INFINITY, sum = 0;
      for (int64_t a = 0; a < len; ++a)
        mx = std::max(mx, x[at(a)]);
      for (int64_t a = 0; a < len; ++a)
        sum += std::exp(x[at(a)] - mx);
      for (int64_t a = 0; a < len; ++a)
        out[at(a)] = log ? (x[at(a)] - mx) - std::log(sum) : std::exp(x[at(a)] - mx) / sum;
    }
  return out;
}

TEST(Float64, SoftmaxAndLogSoftmaxBothLayouts) {
  const Shape shape = {3, 5, 4};
  std::vector<double> x = randomDoubles(60, 51, 0.1, 30.0), out(60, NAN);
  ASSERT_OK(cpu::softmax(view(x, shape), -1, mview(out, shape)));
  EXPECT_TRUE(allCloseD(out, referenceSoftmax(x, 15, 4, 1, false)));
  ASSERT_OK(cpu::logSoftmax(view(x, shape), -1, mview(out, shape)));
  EXPECT_TRUE(allCloseD(out, referenceSoftmax(x, 15, 4, 1, true)));
  ASSERT_OK(cpu::softmax(view(x, shape), 1, mview(out, shape)));
  EXPECT_TRUE(allCloseD(out, referenceSoftmax(x, 3, 5, 4, false)));
  ASSERT_OK(cpu::logSoftmax(view(x, shape), 1, mview(out, shape)));
  EXPECT_TRUE(allCloseD(out, referenceSoftmax(x, 3, 5, 4, true)));
}

TEST(Float64, CausalSoftmaxAndMask) {
  const int64_t t = 5;
  const Shape shape = {2, t, t};
  std::vector<double> x = randomDoubles(2 * t * t, 52), out(x.size(), NAN);
  ASSERT_OK(cpu::causalSoftmax(view(x, shape), mview(out, shape)));
  std::vector<double> want(x.size(), 0.0);
  for (int64_t r = 0; r < 2 * t; ++r) {
    const int64_t i = r % t;
    std::vector<double> row(x.begin() + r * t, x.begin() + r * t + i + 1);
    std::vector<double> sm = referenceSoftmax(row, 1, i + 1, 1, false);
    std::copy(sm.begin(), sm.end(), want.begin() + r * t);
  }
  EXPECT_TRUE(allCloseD(out, want));

  // -1e300 has no f32 value: a kernel that narrowed the fill would write -inf.
  ASSERT_OK(cpu::causalMask(view(x, shape), -1e300, mview(out, shape)));
  for (int64_t r = 0; r < 2 * t; ++r)
    for (int64_t j = 0; j < t; ++j)
      EXPECT_EQ(out[r * t + j], j <= r % t ? x[r * t + j] : -1e300) << r << "," << j;
}

TEST(Float64, LayerNormWithAffineAndStatistics) {
  const int64_t rows = 6, cols = 10;
  const Shape shape = {2, 3, cols};
  // A large mean: the two-pass variance must hold up in double too.
  std::vector<double> x = randomDoubles(rows * cols, 61);
  for (double &v : x)
    v += 1000.0;
  std::vector<double> w = randomDoubles(cols, 62), b = randomDoubles(cols, 63);
  std::vector<double> out(x.size(), NAN), mean(rows, NAN), rstd(rows, NAN);
  TensorView wv = view(w, {cols}), bv = view(b, {cols});
  MutableTensorView mv = mview(mean, {2, 3}), rv = mview(rstd, {2, 3});
  const double eps = 1e-5; // not an f32 value: f64 must use it as given
  ASSERT_OK(cpu::layerNorm(view(x, shape), -1, &wv, &bv, eps, mview(out, shape), &mv, &rv));
  std::vector<double> want(x.size()), wantMean(rows), wantRstd(rows);
  for (int64_t r = 0; r < rows; ++r) {
    double mu = 0, var = 0;
    for (int64_t c = 0; c < cols; ++c)
      mu += x[r * cols + c];
    mu /= cols;
    for (int64_t c = 0; c < cols; ++c)
      var += (x[r * cols + c] - mu) * (x[r * cols + c] - mu);
    var /= cols;
    wantMean[r] = mu;
    wantRstd[r] = 1.0 / std::sqrt(var + eps);
    for (int64_t c = 0; c < cols; ++c)
      want[r * cols + c] = (x[r * cols + c] - mu) * wantRstd[r] * w[c] + b[c];
  }
  EXPECT_TRUE(allCloseD(out, want, 1e-10, 1e-12));
  EXPECT_TRUE(allCloseD(mean, wantMean));
  EXPECT_TRUE(allCloseD(rstd, wantRstd, 1e-10, 1e-12));
}

TEST(Float64, RmsNormWithWeight) {
  const int64_t rows = 4, cols = 9;
  std::vector<double> x = randomDoubles(rows * cols, 64), w = randomDoubles(cols, 65);
  std::vector<double> out(x.size(), NAN), rstd(rows, NAN);
  TensorView wv = view(w, {cols});
  MutableTensorView rv = mview(rstd, {rows});
  ASSERT_OK(cpu::rmsNorm(view(x, {rows, cols}), 1, &wv, 1e-6, mview(out, {rows, cols}), &rv));
  for (int64_t r = 0; r < rows; ++r) {
    double sq = 0;
    for (int64_t c = 0; c < cols; ++c)
      sq += x[r * cols + c] * x[r * cols + c];
    const double rs = 1.0 / std::sqrt(sq / cols + 1e-6);
    EXPECT_NEAR(rstd[r], rs, 1e-12 * rs);
    for (int64_t c = 0; c < cols; ++c)
      EXPECT_NEAR(out[r * cols + c], x[r * cols + c] * rs * w[c], 1e-12);
  }
}

struct ReduceCase {
  std::vector<int64_t> axes;
  bool keepDim;
};

class Float64Reduce : public ::testing::TestWithParam<ReduceCase> {};

TEST_P(Float64Reduce, SumMeanMax) {
  const ReduceCase &c = GetParam();
  const Shape shape = {3, 4, 5};
  std::vector<double> x = randomDoubles(60, 71);
  StatusOr<Shape> outShape = cpu::reduceShape(shape, c.axes, c.keepDim);
  ASSERT_OK(outShape);
  std::vector<bool> reduced(3, c.axes.empty());
  for (int64_t a : c.axes)
    reduced[a < 0 ? a + 3 : a] = true;
  // Output index of each input element: its kept coordinates.
  Shape keptShape;
  for (int i = 0; i < 3; ++i)
    if (!reduced[i])
      keptShape.push_back(shape[i]);
  const int64_t outCount = numElements(keptShape);
  std::vector<double> sum(outCount, 0.0), mx(outCount, -INFINITY);
  std::vector<int64_t> count(outCount, 0);
  for (int64_t i = 0; i < 60; ++i) {
    std::vector<int64_t> idx = unravel(i, shape), kept;
    for (int d = 0; d < 3; ++d)
      if (!reduced[d])
        kept.push_back(idx[d]);
    const int64_t o = ravel(kept, keptShape);
    sum[o] += x[i];
    mx[o] = std::max(mx[o], x[i]);
    ++count[o];
  }
  std::vector<double> mean(outCount);
  for (int64_t o = 0; o < outCount; ++o)
    mean[o] = sum[o] / count[o];
  std::vector<double> out(outCount, NAN);
  ASSERT_OK(cpu::reduce(cpu::ReduceKind::Sum, view(x, shape), c.axes, c.keepDim,
                        mview(out, *outShape)));
  EXPECT_TRUE(allCloseD(out, sum));
  ASSERT_OK(cpu::reduce(cpu::ReduceKind::Mean, view(x, shape), c.axes, c.keepDim,
                        mview(out, *outShape)));
  EXPECT_TRUE(allCloseD(out, mean));
  ASSERT_OK(cpu::reduce(cpu::ReduceKind::Max, view(x, shape), c.axes, c.keepDim,
                        mview(out, *outShape)));
  EXPECT_EQ(out, mx);
}

INSTANTIATE_TEST_SUITE_P(Axes, Float64Reduce,
                         ::testing::Values(ReduceCase{{2}, false}, ReduceCase{{0}, true},
                                           ReduceCase{{1}, false}, ReduceCase{{0, 2}, false},
                                           ReduceCase{{}, false}, ReduceCase{{-1, 0}, true}));

TEST(Float64, CrossEntropyAllReductions) {
  const int64_t rows = 6, classes = 7;
  std::vector<double> logits = randomDoubles(rows * classes, 81, 0.1, 20.0);
  std::vector<int64_t> targets = {3, 0, -100, 6, 2, 5};
  std::vector<double> losses(rows, 0.0);
  double total = 0;
  for (int64_t r = 0; r < rows; ++r) {
    if (targets[r] == -100)
      continue;
    double mx = -INFINITY, sum = 0;
    for (int64_t c = 0; c < classes; ++c)
      mx = std::max(mx, logits[r * classes + c]);
    for (int64_t c = 0; c < classes; ++c)
      sum += std::exp(logits[r * classes + c] - mx);
    losses[r] = std::log(sum) - (logits[r * classes + targets[r]] - mx);
    total += losses[r];
  }
  TensorView lv = view(logits, {2, 3, classes});
  TensorView tv(targets.data(), {2, 3});
  std::vector<double> none(rows, NAN), scalar(1, NAN);
  ASSERT_OK(cpu::crossEntropy(lv, tv, -100, cpu::LossReduction::None, mview(none, {2, 3})));
  EXPECT_TRUE(allCloseD(none, losses, 1e-12, 1e-13));
  ASSERT_OK(cpu::crossEntropy(lv, tv, -100, cpu::LossReduction::Sum, mview(scalar, {})));
  EXPECT_NEAR(scalar[0], total, 1e-12 * total);
  ASSERT_OK(cpu::crossEntropy(lv, tv, -100, cpu::LossReduction::Mean, mview(scalar, {})));
  EXPECT_NEAR(scalar[0], total / 5, 1e-12 * total);
}

//===----------------------------------------------------------------------===//
// Dropout, cast and data movement
//===----------------------------------------------------------------------===//

TEST(Float64, DropoutDropsWhatF32DropsAndScalesInDouble) {
  const int64_t n = 1001;
  std::vector<double> x = randomDoubles(n, 91), out(n, NAN);
  std::vector<float> xf(x.begin(), x.end()), outF(n, NAN);
  std::vector<uint8_t> mask(n, 9), maskF(n, 9);
  ASSERT_OK(cpu::dropout(view(x, {n}), 0.3f, 5, 2, mview(out, {n}),
                         MutableTensorView(mask.data(), {n})));
  ASSERT_OK(cpu::dropout(TensorView(xf.data(), {n}), 0.3f, 5, 2,
                         MutableTensorView(outF.data(), {n}),
                         MutableTensorView(maskF.data(), {n})));
  EXPECT_EQ(mask, maskF);
  const double scale = 1.0 / (1.0 - static_cast<double>(0.3f));
  for (int64_t i = 0; i < n; ++i)
    EXPECT_NEAR(out[i], mask[i] ? x[i] * scale : 0.0, 1e-15) << i;
}

TEST(Float64, CastsToAndFromF64) {
  std::vector<double> x = {1.0 + 1e-10, -2.75, 3.9999999, -0.5, 1e300};
  std::vector<float> f(5);
  ASSERT_OK(cpu::cast(view(x, {5}), MutableTensorView(f.data(), {5})));
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(f[i], static_cast<float>(x[i])) << i; // 1e300 becomes inf, as in C and torch
  std::vector<double> back(5);
  ASSERT_OK(cpu::cast(TensorView(f.data(), {5}), mview(back, {5})));
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(back[i], static_cast<double>(f[i])) << i;

  std::vector<int64_t> ints(4);
  ASSERT_OK(cpu::cast(view(x, {4}), MutableTensorView(ints.data(), {4})));
  EXPECT_EQ(ints, (std::vector<int64_t>{1, -2, 3, 0}));
  std::vector<int64_t> big = {(int64_t(1) << 53) + 1, -7};
  std::vector<double> wide(2);
  ASSERT_OK(cpu::cast(TensorView(big.data(), {2}), mview(wide, {2})));
  EXPECT_EQ(wide, (std::vector<double>{9007199254740992.0, -7.0}));
  std::vector<BFloat16> bf(2);
  ASSERT_OK(cpu::cast(view(x, {2}), MutableTensorView(bf.data(), {2})));
  EXPECT_EQ(toFloat(bf[0]), 1.0f);
  EXPECT_EQ(toFloat(bf[1]), -2.75f);
  std::vector<int32_t> narrow(5);
  EXPECT_ERROR_CONTAINS(cpu::cast(view(x, {5}), MutableTensorView(narrow.data(), {5})),
                        "at index 4 has no i32 representation");
}

TEST(Float64, DataMovementKeepsEveryBit) {
  std::vector<double> x = randomDoubles(24, 101), t(24, NAN);
  ASSERT_OK(cpu::transpose(view(x, {2, 3, 4}), {2, 0, 1}, mview(t, {4, 2, 3})));
  for (int64_t i = 0; i < 24; ++i) {
    std::vector<int64_t> o = unravel(i, {4, 2, 3});
    EXPECT_EQ(t[i], x[ravel({o[1], o[2], o[0]}, {2, 3, 4})]);
  }
  std::vector<double> s(8, NAN);
  ASSERT_OK(cpu::slice(view(x, {2, 3, 4}), {0, 1, 1}, {2, 3, 4}, {1, 1, 2}, mview(s, {2, 2, 2})));
  EXPECT_EQ(s, (std::vector<double>{x[5], x[7], x[9], x[11], x[17], x[19], x[21], x[23]}));
  std::vector<double> c(48, NAN);
  ASSERT_OK(cpu::concat({view(x, {2, 3, 4}), view(x, {2, 3, 4})}, 0, mview(c, {4, 3, 4})));
  EXPECT_TRUE(std::equal(x.begin(), x.end(), c.begin()));
  EXPECT_TRUE(std::equal(x.begin(), x.end(), c.begin() + 24));
  std::vector<int64_t> idx = {2, 0};
  std::vector<double> g(8, NAN);
  ASSERT_OK(cpu::gather(view(x, {6, 4}), TensorView(idx.data(), {2}), 0, mview(g, {2, 4})));
  EXPECT_TRUE(std::equal(g.begin(), g.begin() + 4, x.begin() + 8));
  EXPECT_TRUE(std::equal(g.begin() + 4, g.end(), x.begin()));
}

} // namespace
