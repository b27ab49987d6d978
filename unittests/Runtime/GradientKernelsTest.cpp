// The backward kernels, in f32 and f64, against float64 references on random inputs, and in f64
// against central differences of the forward function they differentiate. Where the forward kernel
// is f32 only, the differences run on a float64 reference forward, which is first checked against
// the f32 forward kernel so that both are one function.
#include "ds/Runtime/Kernels/CPU/Elementwise.h"
#include "ds/Runtime/Kernels/CPU/Gradients.h"
#include "ds/Runtime/Kernels/CPU/Loss.h"
#include "ds/Runtime/Kernels/CPU/Norm.h"
#include "ds/Runtime/Kernels/CPU/ShapeOps.h"
#include "ds/Runtime/Kernels/CPU/Softmax.h"

#include "TestUtil.h"

#include <functional>
#include <type_traits>

using namespace ds::rt;
using namespace ds::rt::test;

namespace {

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

using Vec = std::vector<double>;

template <typename T>
std::vector<T> randomValues(size_t n, uint32_t seed, float lo = 0.1f, float hi = 2.0f) {
  std::vector<float> f = randomFloats(n, seed, lo, hi);
  return std::vector<T>(f.begin(), f.end());
}

template <typename T> Vec widen(const std::vector<T> &v) { return Vec(v.begin(), v.end()); }

// Tolerances of a kernel in T against a float64 reference computed from the same inputs.
template <typename T> constexpr double kRtol = std::is_same_v<T, float> ? 1e-4 : 1e-11;
template <typename T> constexpr double kAtol = std::is_same_v<T, float> ? 1e-5 : 1e-12;

// allClose for f32 or f64 results.
template <typename T>
::testing::AssertionResult close(const std::vector<T> &got, const Vec &want, double rtol,
                                 double atol) {
  if (got.size() != want.size())
    return ::testing::AssertionFailure() << "size " << got.size() << " vs " << want.size();
  size_t bad = 0, worst = 0;
  double worstErr = -1;
  for (size_t i = 0; i < want.size(); ++i) {
    const double g = got[i], w = want[i];
    const bool ok = std::isfinite(g) && std::fabs(g - w) <= atol + rtol * std::fabs(w);
    if (!ok) {
      ++bad;
      double err = std::isfinite(g) ? std::fabs(g - w) : INFINITY;
      if (err > worstErr) {
        worstErr = err;
        worst = i;
      }
    }
  }
  if (bad == 0)
    return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << bad << " of " << want.size()
                                       << " elements differ; worst at " << worst << ": got "
                                       << static_cast<double>(got[worst]) << ", want "
                                       << want[worst];
}

double dot(const Vec &a, const Vec &b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i)
    s += a[i] * b[i];
  return s;
}

// d/dx of sum(dy * f(x)) by central differences: the vector-Jacobian product a gradient kernel
// computes.
Vec numericGrad(const std::function<Vec(const Vec &)> &f, Vec x, const Vec &dy,
                double h = 1e-5) {
  Vec g(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    const double xi = x[i];
    x[i] = xi + h;
    const double plus = dot(dy, f(x));
    x[i] = xi - h;
    const double minus = dot(dy, f(x));
    x[i] = xi;
    g[i] = (plus - minus) / (2 * h);
  }
  return g;
}

// Central differences are good to about 1e-9 here; the kernels in f64 are far better.
constexpr double kFdRtol = 1e-6, kFdAtol = 1e-8;

// [outer, len, inner] around `axis`.
struct Lanes {
  int64_t outer = 1, len = 1, inner = 1;
  Lanes(const Shape &shape, int64_t axis) {
    if (axis < 0)
      axis += static_cast<int64_t>(shape.size());
    for (int64_t i = 0; i < axis; ++i)
      outer *= shape[i];
    len = shape[axis];
    for (size_t i = axis + 1; i < shape.size(); ++i)
      inner *= shape[i];
  }
  // Calls fn(at) once per lane, with at(a) the linear index of the lane's element a.
  template <typename Fn> void forEach(const Fn &fn) const {
    const int64_t n = len, m = inner;
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t i = 0; i < m; ++i)
        fn([=](int64_t a) { return (o * n + a) * m + i; });
  }
};

// The gradient kernels' typed test suite: every case runs in f32 and in f64.
template <typename T> class GradKernel : public ::testing::Test {};
using FloatTypes = ::testing::Types<float, double>;
TYPED_TEST_SUITE(GradKernel, FloatTypes);

//===----------------------------------------------------------------------===//
// gelu
//===----------------------------------------------------------------------===//

double geluRef(double x, bool tanhApprox) {
  if (tanhApprox)
    return 0.5 * x * (1 + std::tanh(std::sqrt(2 / M_PI) * (x + 0.044715 * x * x * x)));
  return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0)));
}

// The derivative written out by hand, apart from the kernel's form.
double geluDerivRef(double x, bool tanhApprox) {
  if (tanhApprox) {
    const double k = std::sqrt(2 / M_PI), u = k * (x + 0.044715 * x * x * x);
    const double sech2 = 1 / (std::cosh(u) * std::cosh(u));
    return 0.5 * (1 + std::tanh(u)) + 0.5 * x * sech2 * k * (1 + 3 * 0.044715 * x * x);
  }
  return 0.5 * (1 + std::erf(x / std::sqrt(2.0))) + x * std::exp(-x * x / 2) / std::sqrt(2 * M_PI);
}

TYPED_TEST(GradKernel, GeluGradMatchesReference) {
  using T = TypeParam;
  const Shape shape = {3, 50};
  std::vector<T> x = randomValues<T>(150, 1, 0.05f, 4.0f), dy = randomValues<T>(150, 2);
  for (bool tanhApprox : {false, true}) {
    std::vector<T> dx(150, T(NAN));
    ASSERT_OK(cpu::geluGrad(TensorView(x.data(), shape), TensorView(dy.data(), shape), tanhApprox,
                            MutableTensorView(dx.data(), shape)));
    Vec want(150);
    for (size_t i = 0; i < want.size(); ++i)
      want[i] = dy[i] * geluDerivRef(x[i], tanhApprox);
    EXPECT_TRUE(close(dx, want, kRtol<T>, kAtol<T>)) << "tanh " << tanhApprox;
  }
}

TEST(GeluGrad, FiniteDifferencesOfTheForward) {
  std::vector<float> xf = randomFloats(40, 3, 0.05f, 4.0f);
  Vec x = widen(xf), dy = widen(randomValues<double>(40, 4));
  for (bool tanhApprox : {false, true}) {
    // The reference forward is the forward kernel's function.
    std::vector<float> fwd(40);
    ASSERT_OK(cpu::unary(tanhApprox ? cpu::UnaryOp::GeluTanh : cpu::UnaryOp::Gelu,
                         TensorView(xf.data(), {40}), MutableTensorView(fwd.data(), {40})));
    Vec ref(40);
    for (size_t i = 0; i < 40; ++i)
      ref[i] = geluRef(x[i], tanhApprox);
    EXPECT_TRUE(allClose(fwd, ref, 1e-5, 1e-6));

    auto gelu = [&](const Vec &v) {
      Vec y(v.size());
      for (size_t i = 0; i < v.size(); ++i)
        y[i] = geluRef(v[i], tanhApprox);
      return y;
    };
    std::vector<double> dx(40);
    ASSERT_OK(cpu::geluGrad(TensorView(x.data(), {40}), TensorView(dy.data(), {40}), tanhApprox,
                            MutableTensorView(dx.data(), {40})));
    EXPECT_TRUE(close(dx, numericGrad(gelu, x, dy), kFdRtol, kFdAtol)) << "tanh " << tanhApprox;
  }
}

TEST(GeluGrad, LargeInputRunsInParallelAndInPlace) {
  const int64_t n = 1 << 17;
  std::vector<float> x = randomFloats(n, 5, 0.01f, 5.0f), dy = randomFloats(n, 6);
  Vec want(n);
  for (int64_t i = 0; i < n; ++i)
    want[i] = dy[i] * geluDerivRef(x[i], false);
  ASSERT_OK(cpu::geluGrad(TensorView(x.data(), {n}), TensorView(dy.data(), {n}), false,
                          MutableTensorView(dy.data(), {n})));
  EXPECT_TRUE(allClose(dy, want, 1e-5, 1e-6));
}

TEST(GeluGrad, Errors) {
  std::vector<float> x(4, 1.0f), out(4);
  std::vector<double> d(4, 1.0);
  EXPECT_ERROR_CONTAINS(cpu::geluGrad(TensorView(x.data(), {4}), TensorView(d.data(), {4}), false,
                                      MutableTensorView(out.data(), {4})),
                        "gelu_grad: grad must be f32, got f64");
  EXPECT_ERROR_CONTAINS(cpu::geluGrad(TensorView(x.data(), {4}), TensorView(x.data(), {2, 2}),
                                      false, MutableTensorView(out.data(), {4})),
                        "gelu_grad: grad shape [2,2] differs from the input's [4]");
  std::vector<int64_t> ints(4, 1);
  EXPECT_ERROR_CONTAINS(cpu::geluGrad(TensorView(ints.data(), {4}), TensorView(ints.data(), {4}),
                                      false, MutableTensorView(ints.data(), {4})),
                        "gelu_grad: element type must be f32 or f64, got i64");
}

//===----------------------------------------------------------------------===//
// softmax and log-softmax
//===----------------------------------------------------------------------===//

Vec softmaxRef(const Vec &x, const Shape &shape, int64_t axis, bool log) {
  Vec y(x.size());
  const Lanes lanes(shape, axis);
  const int64_t len = lanes.len;
  lanes.forEach([&](auto at) {
    double mx = -INFINITY, sum = 0;
    for (int64_t a = 0; a < len; ++a)
      mx = std::max(mx, x[at(a)]);
    for (int64_t a = 0; a < len; ++a)
      sum += std::exp(x[at(a)] - mx);
    for (int64_t a = 0; a < len; ++a)
      y[at(a)] = log ? x[at(a)] - mx - std::log(sum) : std::exp(x[at(a)] - mx) / sum;
  });
  return y;
}

// The vector-Jacobian product of (log-)softmax from its output, by the full Jacobian:
// dsoftmax_a/dx_b = s_a (delta_ab - s_b), dlogsoftmax_a/dx_b = delta_ab - s_b.
Vec softmaxGradRef(const Vec &y, const Vec &dy, const Shape &shape, int64_t axis, bool log) {
  Vec dx(y.size(), 0.0);
  const Lanes lanes(shape, axis);
  lanes.forEach([&](auto at) {
    for (int64_t b = 0; b < lanes.len; ++b)
      for (int64_t a = 0; a < lanes.len; ++a) {
        const double sb = log ? std::exp(y[at(b)]) : y[at(b)];
        const double jac = log ? (a == b) - sb : y[at(a)] * ((a == b) - sb);
        dx[at(b)] += dy[at(a)] * jac;
      }
  });
  return dx;
}

struct SoftmaxCase {
  Shape shape;
  int64_t axis;
};

TYPED_TEST(GradKernel, SoftmaxGradsMatchReference) {
  using T = TypeParam;
  for (const SoftmaxCase &c : {SoftmaxCase{{3, 4, 9}, -1}, SoftmaxCase{{3, 4, 9}, 1},
                               SoftmaxCase{{3, 4, 9}, 0}, SoftmaxCase{{7}, 0}}) {
    const int64_t n = numElements(c.shape);
    for (bool log : {false, true}) {
      Vec x = widen(randomValues<double>(n, 11, 0.1f, 5.0f));
      Vec yRef = softmaxRef(x, c.shape, c.axis, log);
      std::vector<T> y(yRef.begin(), yRef.end()), dy = randomValues<T>(n, 12), dx(n, T(NAN));
      auto kernel = log ? cpu::logSoftmaxGrad : cpu::softmaxGrad;
      ASSERT_OK(kernel(TensorView(y.data(), c.shape), TensorView(dy.data(), c.shape), c.axis,
                       MutableTensorView(dx.data(), c.shape)));
      EXPECT_TRUE(close(dx, softmaxGradRef(widen(y), widen(dy), c.shape, c.axis, log), kRtol<T>,
                        kAtol<T>))
          << "log " << log << " shape " << shapeToString(c.shape) << " axis " << c.axis;
    }
  }
}

TEST(SoftmaxGrad, FiniteDifferencesOfTheForward) {
  const Shape shape = {2, 5, 3};
  for (int64_t axis : {-1, 1}) {
    for (bool log : {false, true}) {
      std::vector<float> xf = randomFloats(30, 13, 0.1f, 3.0f);
      Vec x = widen(xf), dy = widen(randomValues<double>(30, 14));
      std::vector<float> fwd(30);
      ASSERT_OK((log ? cpu::logSoftmax : cpu::softmax)(TensorView(xf.data(), shape), axis,
                                                        MutableTensorView(fwd.data(), shape)));
      EXPECT_TRUE(allClose(fwd, softmaxRef(x, shape, axis, log), 1e-5, 1e-6));

      Vec y = softmaxRef(x, shape, axis, log);
      std::vector<double> dx(30);
      ASSERT_OK((log ? cpu::logSoftmaxGrad : cpu::softmaxGrad)(
          TensorView(y.data(), shape), TensorView(dy.data(), shape), axis,
          MutableTensorView(dx.data(), shape)));
      auto f = [&](const Vec &v) { return softmaxRef(v, shape, axis, log); };
      EXPECT_TRUE(close(dx, numericGrad(f, x, dy), kFdRtol, kFdAtol))
          << "log " << log << " axis " << axis;
    }
  }
}

TEST(SoftmaxGrad, CausalOutputNeedsNothingExtra) {
  // The causal softmax's y is 0 at masked entries, so the plain gradient is 0 there and is the
  // gradient of the masked function everywhere else.
  const int64_t t = 5;
  const Shape shape = {2, t, t};
  std::vector<float> xf = randomFloats(2 * t * t, 15, 0.1f, 3.0f), yf(2 * t * t);
  ASSERT_OK(cpu::causalSoftmax(TensorView(xf.data(), shape), MutableTensorView(yf.data(), shape)));
  auto causal = [&](const Vec &v) {
    Vec y(v.size(), 0.0);
    for (int64_t r = 0; r < 2 * t; ++r) {
      const int64_t i = r % t;
      Vec row(v.begin() + r * t, v.begin() + r * t + i + 1);
      Vec s = softmaxRef(row, {i + 1}, 0, false);
      std::copy(s.begin(), s.end(), y.begin() + r * t);
    }
    return y;
  };
  Vec x = widen(xf), y = causal(x), dy = widen(randomValues<double>(2 * t * t, 16));
  EXPECT_TRUE(allClose(yf, y, 1e-5, 1e-7));
  std::vector<double> dx(y.size(), NAN);
  ASSERT_OK(cpu::softmaxGrad(TensorView(y.data(), shape), TensorView(dy.data(), shape), -1,
                             MutableTensorView(dx.data(), shape)));
  EXPECT_TRUE(close(dx, numericGrad(causal, x, dy), kFdRtol, kFdAtol));
  EXPECT_EQ(dx[1], 0.0); // row 0 sees column 0 only
}

TEST(SoftmaxGrad, LargeStridedAxisRunsInParallel) {
  // inner = 600 spans three lane blocks; outer * len * inner is above the parallel grain.
  const Shape shape = {3, 40, 600};
  const int64_t n = numElements(shape);
  for (bool log : {false, true}) {
    Vec y = softmaxRef(widen(randomValues<double>(n, 17, 0.1f, 4.0f)), shape, 1, log);
    std::vector<float> yf(y.begin(), y.end()), dy = randomFloats(n, 18), dx(n, NAN);
    ASSERT_OK((log ? cpu::logSoftmaxGrad : cpu::softmaxGrad)(
        TensorView(yf.data(), shape), TensorView(dy.data(), shape), 1,
        MutableTensorView(dx.data(), shape)));
    // dy * y summed with float inputs: the f32 kernel against f64 math on the same floats.
    Vec want(n);
    Lanes lanes(shape, 1);
    lanes.forEach([&](auto at) {
      double s = 0;
      for (int64_t a = 0; a < lanes.len; ++a)
        s += log ? dy[at(a)] : static_cast<double>(dy[at(a)]) * yf[at(a)];
      for (int64_t a = 0; a < lanes.len; ++a)
        want[at(a)] = log ? dy[at(a)] - std::exp(static_cast<double>(yf[at(a)])) * s
                          : yf[at(a)] * (dy[at(a)] - s);
    });
    EXPECT_TRUE(allClose(dx, want, 1e-4, 1e-5)) << "log " << log;
  }
}

TEST(SoftmaxGrad, Errors) {
  std::vector<float> y(6, 0.5f), out(6);
  EXPECT_ERROR_CONTAINS(cpu::softmaxGrad(TensorView(y.data(), {2, 3}), TensorView(y.data(), {2, 3}),
                                         2, MutableTensorView(out.data(), {2, 3})),
                        "softmax_grad: axis 2 is out of range");
  EXPECT_ERROR_CONTAINS(cpu::logSoftmaxGrad(TensorView(y.data(), {2, 3}),
                                            TensorView(y.data(), {3, 2}), 1,
                                            MutableTensorView(out.data(), {2, 3})),
                        "log_softmax_grad: grad shape [3,2] differs from the output's [2,3]");
}

//===----------------------------------------------------------------------===//
// layer norm and rms norm
//===----------------------------------------------------------------------===//

// Forward layer norm (or rms norm) of rows x cols in float64, with optional weight and bias.
Vec normRef(const Vec &x, int64_t rows, int64_t cols, const Vec *w, const Vec *b, double eps,
            bool rms) {
  Vec y(x.size());
  for (int64_t r = 0; r < rows; ++r) {
    double mu = 0, sq = 0;
    if (!rms) {
      for (int64_t c = 0; c < cols; ++c)
        mu += x[r * cols + c];
      mu /= cols;
    }
    for (int64_t c = 0; c < cols; ++c)
      sq += (x[r * cols + c] - mu) * (x[r * cols + c] - mu);
    const double rs = 1 / std::sqrt(sq / cols + eps);
    for (int64_t c = 0; c < cols; ++c)
      y[r * cols + c] =
          (x[r * cols + c] - mu) * rs * (w ? (*w)[c] : 1.0) + (b ? (*b)[c] : 0.0);
  }
  return y;
}

// The input gradient by the textbook chain through variance and mean (layer norm), or through
// the mean square (rms norm): a derivation apart from the kernel's closed form.
Vec normGradRef(const Vec &x, const Vec &dy, int64_t rows, int64_t cols, const Vec *w, double eps,
                bool rms) {
  Vec dx(x.size());
  for (int64_t r = 0; r < rows; ++r) {
    const double *xr = &x[r * cols], *gr = &dy[r * cols];
    double mu = 0, var = 0;
    if (!rms) {
      for (int64_t c = 0; c < cols; ++c)
        mu += xr[c];
      mu /= cols;
    }
    for (int64_t c = 0; c < cols; ++c)
      var += (xr[c] - mu) * (xr[c] - mu);
    var /= cols;
    const double rs = 1 / std::sqrt(var + eps);
    double dvar = 0, dmu = 0, sumCentered = 0;
    for (int64_t c = 0; c < cols; ++c) {
      const double dxhat = gr[c] * (w ? (*w)[c] : 1.0);
      dvar += dxhat * (xr[c] - mu) * -0.5 * std::pow(var + eps, -1.5);
      dmu += -dxhat * rs;
      sumCentered += -2 * (xr[c] - mu);
    }
    dmu += dvar * sumCentered / cols;
    for (int64_t c = 0; c < cols; ++c) {
      const double dxhat = gr[c] * (w ? (*w)[c] : 1.0);
      dx[r * cols + c] = dxhat * rs + dvar * 2 * (xr[c] - mu) / cols + (rms ? 0.0 : dmu / cols);
    }
  }
  return dx;
}

// dweight = sum_r dy * xhat, dbias = sum_r dy.
std::pair<Vec, Vec> normParamGradRef(const Vec &x, const Vec &dy, int64_t rows, int64_t cols,
                                     double eps, bool rms) {
  Vec xhat = normRef(x, rows, cols, nullptr, nullptr, eps, rms);
  Vec dw(cols, 0.0), db(cols, 0.0);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) {
      dw[c] += dy[r * cols + c] * xhat[r * cols + c];
      db[c] += dy[r * cols + c];
    }
  return {dw, db};
}

struct NormCase {
  Shape shape;
  int64_t axis;
  int64_t rows, cols;
};

const NormCase kNormCases[] = {{{3, 4, 16}, -1, 12, 16}, {{2, 3, 5}, 1, 2, 15}, {{6}, 0, 1, 6}};

Shape normalizedShape(const NormCase &c) {
  const int64_t axis = c.axis < 0 ? c.axis + static_cast<int64_t>(c.shape.size()) : c.axis;
  return Shape(c.shape.begin() + axis, c.shape.end());
}

TYPED_TEST(GradKernel, NormInputGradsMatchReference) {
  using T = TypeParam;
  for (const NormCase &c : kNormCases) {
    const int64_t n = c.rows * c.cols;
    const Shape colShape = normalizedShape(c);
    // An offset mean makes layer norm's mean subtraction matter.
    std::vector<T> x = randomValues<T>(n, 21), dy = randomValues<T>(n, 22),
                   w = randomValues<T>(c.cols, 23);
    for (T &v : x)
      v += T(3);
    Vec wd = widen(w);
    for (bool rms : {false, true})
      for (bool withWeight : {false, true}) {
        std::vector<T> dx(n, T(NAN));
        TensorView wv(w.data(), colShape);
        auto kernel = rms ? cpu::rmsNormGrad : cpu::layerNormGrad;
        ASSERT_OK(kernel(TensorView(x.data(), c.shape), TensorView(dy.data(), c.shape),
                         withWeight ? &wv : nullptr, c.axis, 1e-5,
                         MutableTensorView(dx.data(), c.shape)));
        Vec want = normGradRef(widen(x), widen(dy), c.rows, c.cols, withWeight ? &wd : nullptr,
                               1e-5, rms);
        EXPECT_TRUE(close(dx, want, kRtol<T>, kAtol<T>))
            << "rms " << rms << " weight " << withWeight << " shape " << shapeToString(c.shape);
      }
  }
}

TYPED_TEST(GradKernel, NormParamGradsMatchReference) {
  using T = TypeParam;
  for (const NormCase &c : kNormCases) {
    const int64_t n = c.rows * c.cols;
    const Shape colShape = normalizedShape(c);
    std::vector<T> x = randomValues<T>(n, 24), dy = randomValues<T>(n, 25);
    std::vector<T> dw(c.cols, T(NAN)), db(c.cols, T(NAN));
    ASSERT_OK(cpu::layerNormParamGrad(TensorView(x.data(), c.shape), TensorView(dy.data(), c.shape),
                                      c.axis, 1e-5, MutableTensorView(dw.data(), colShape),
                                      MutableTensorView(db.data(), colShape)));
    auto [wantW, wantB] = normParamGradRef(widen(x), widen(dy), c.rows, c.cols, 1e-5, false);
    EXPECT_TRUE(close(dw, wantW, kRtol<T>, kAtol<T>)) << shapeToString(c.shape);
    EXPECT_TRUE(close(db, wantB, kRtol<T>, kAtol<T>)) << shapeToString(c.shape);

    ASSERT_OK(cpu::rmsNormParamGrad(TensorView(x.data(), c.shape), TensorView(dy.data(), c.shape),
                                    c.axis, 1e-5, MutableTensorView(dw.data(), colShape)));
    EXPECT_TRUE(close(dw, normParamGradRef(widen(x), widen(dy), c.rows, c.cols, 1e-5, true).first,
                      kRtol<T>, kAtol<T>))
        << shapeToString(c.shape);
  }
}

TEST(NormGrad, FiniteDifferencesOfTheForward) {
  const Shape shape = {3, 2, 4};
  const int64_t rows = 3, cols = 8, n = 24;
  const double eps = 1e-5;
  std::vector<float> xf = randomFloats(n, 26), wf = randomFloats(cols, 27),
                     bf = randomFloats(cols, 28);
  Vec x = widen(xf), w = widen(wf), b = widen(bf), dy = widen(randomValues<double>(n, 29));
  TensorView wv(w.data(), {2, 4});
  for (bool rms : {false, true}) {
    // The reference forward is the forward kernel's function (rms_norm has no bias).
    std::vector<float> fwd(n);
    TensorView wfv(wf.data(), {2, 4}), bfv(bf.data(), {2, 4});
    if (rms)
      ASSERT_OK(cpu::rmsNorm(TensorView(xf.data(), shape), 1, &wfv, static_cast<float>(eps),
                             MutableTensorView(fwd.data(), shape)));
    else
      ASSERT_OK(cpu::layerNorm(TensorView(xf.data(), shape), 1, &wfv, &bfv,
                               static_cast<float>(eps), MutableTensorView(fwd.data(), shape)));
    EXPECT_TRUE(allClose(fwd, normRef(x, rows, cols, &w, rms ? nullptr : &b, eps, rms), 1e-5,
                         1e-5));

    // d/dx.
    std::vector<double> dx(n);
    ASSERT_OK((rms ? cpu::rmsNormGrad : cpu::layerNormGrad)(
        TensorView(x.data(), shape), TensorView(dy.data(), shape), &wv, 1, eps,
        MutableTensorView(dx.data(), shape)));
    auto byX = [&](const Vec &v) { return normRef(v, rows, cols, &w, rms ? nullptr : &b, eps, rms); };
    EXPECT_TRUE(close(dx, numericGrad(byX, x, dy), kFdRtol, kFdAtol)) << "rms " << rms;

    // d/dweight and d/dbias.
    std::vector<double> dw(cols), db(cols);
    if (rms)
      ASSERT_OK(cpu::rmsNormParamGrad(TensorView(x.data(), shape), TensorView(dy.data(), shape),
                                      1, eps, MutableTensorView(dw.data(), {2, 4})));
    else
      ASSERT_OK(cpu::layerNormParamGrad(TensorView(x.data(), shape),
                                        TensorView(dy.data(), shape), 1, eps,
                                        MutableTensorView(dw.data(), {2, 4}),
                                        MutableTensorView(db.data(), {2, 4})));
    auto byW = [&](const Vec &v) { return normRef(x, rows, cols, &v, rms ? nullptr : &b, eps, rms); };
    EXPECT_TRUE(close(dw, numericGrad(byW, w, dy), kFdRtol, kFdAtol)) << "rms " << rms;
    if (!rms) {
      auto byB = [&](const Vec &v) { return normRef(x, rows, cols, &w, &v, eps, rms); };
      EXPECT_TRUE(close(db, numericGrad(byB, b, dy), kFdRtol, kFdAtol));
    }
  }
}

TEST(NormGrad, LargeRunsInParallel) {
  // 64 rows of 1024, offset by 100 so layer norm's mean matters; 1024 columns are 16 blocks of
  // the parameter gradients' column split.
  const int64_t rows = 64, cols = 1024, n = rows * cols;
  std::vector<float> x = randomFloats(n, 30), dy = randomFloats(n, 31), w = randomFloats(cols, 32);
  for (float &v : x)
    v += 100.0f;
  Vec wd = widen(w);
  TensorView wv(w.data(), {cols});
  for (bool rms : {false, true}) {
    std::vector<float> dx(n, NAN), dw(cols, NAN), db(cols, NAN);
    ASSERT_OK((rms ? cpu::rmsNormGrad : cpu::layerNormGrad)(
        TensorView(x.data(), {rows, cols}), TensorView(dy.data(), {rows, cols}), &wv, -1, 1e-5,
        MutableTensorView(dx.data(), {rows, cols})));
    EXPECT_TRUE(allClose(dx, normGradRef(widen(x), widen(dy), rows, cols, &wd, 1e-5, rms), 1e-4,
                         1e-5))
        << "rms " << rms;
    auto [wantW, wantB] = normParamGradRef(widen(x), widen(dy), rows, cols, 1e-5, rms);
    if (rms) {
      ASSERT_OK(cpu::rmsNormParamGrad(TensorView(x.data(), {rows, cols}),
                                      TensorView(dy.data(), {rows, cols}), -1, 1e-5,
                                      MutableTensorView(dw.data(), {cols})));
    } else {
      ASSERT_OK(cpu::layerNormParamGrad(
          TensorView(x.data(), {rows, cols}), TensorView(dy.data(), {rows, cols}), -1, 1e-5,
          MutableTensorView(dw.data(), {cols}), MutableTensorView(db.data(), {cols})));
      EXPECT_TRUE(allClose(db, wantB, 1e-5, 1e-5));
    }
    EXPECT_TRUE(allClose(dw, wantW, 1e-4, 1e-4)) << "rms " << rms;
  }
}

TEST(NormGrad, Errors) {
  std::vector<float> x(24, 1.0f), w(4, 1.0f), out(24);
  TensorView wv(w.data(), {4});
  EXPECT_ERROR_CONTAINS(cpu::layerNormGrad(TensorView(x.data(), {2, 3, 4}),
                                           TensorView(x.data(), {2, 3, 4}), &wv, 1, 1e-5,
                                           MutableTensorView(out.data(), {2, 3, 4})),
                        "layer_norm_grad: weight shape [4] must equal the normalized shape [3,4]");
  EXPECT_ERROR_CONTAINS(cpu::rmsNormGrad(TensorView(x.data(), {2, 3, 4}),
                                         TensorView(x.data(), {2, 12}), nullptr, 1, 1e-5,
                                         MutableTensorView(out.data(), {2, 3, 4})),
                        "rms_norm_grad: grad shape [2,12] differs from the input's [2,3,4]");
  EXPECT_ERROR_CONTAINS(cpu::layerNormParamGrad(TensorView(x.data(), {2, 3, 4}),
                                                TensorView(x.data(), {2, 3, 4}), -1, 1e-5,
                                                MutableTensorView(out.data(), {4}),
                                                MutableTensorView(out.data(), {3})),
                        "layer_norm_param_grad: bias grad shape [3] differs from the expected [4]");
  EXPECT_ERROR_CONTAINS(cpu::rmsNormParamGrad(TensorView(x.data(), {2, 3, 4}),
                                              TensorView(x.data(), {2, 3, 4}), 3, 1e-5,
                                              MutableTensorView(out.data(), {4})),
                        "rms_norm_param_grad: axis 3 is out of range");
}

//===----------------------------------------------------------------------===//
// cross-entropy
//===----------------------------------------------------------------------===//

// Per-target losses (0 where ignored) and their reduction, in float64.
Vec crossEntropyRef(const Vec &logits, const std::vector<int64_t> &targets, int64_t classes,
                    int64_t ignore, cpu::LossReduction reduction) {
  const int64_t rows = targets.size();
  Vec losses(rows, 0.0);
  double total = 0;
  int64_t counted = 0;
  for (int64_t r = 0; r < rows; ++r) {
    if (targets[r] == ignore)
      continue;
    double mx = -INFINITY, sum = 0;
    for (int64_t c = 0; c < classes; ++c)
      mx = std::max(mx, logits[r * classes + c]);
    for (int64_t c = 0; c < classes; ++c)
      sum += std::exp(logits[r * classes + c] - mx);
    losses[r] = mx + std::log(sum) - logits[r * classes + targets[r]];
    total += losses[r];
    ++counted;
  }
  if (reduction == cpu::LossReduction::None)
    return losses;
  return {reduction == cpu::LossReduction::Mean ? total / counted : total};
}

// (softmax - onehot) * g row by row.
Vec crossEntropyGradRef(const Vec &logits, const std::vector<int64_t> &targets, const Vec &dloss,
                        int64_t classes, int64_t ignore, cpu::LossReduction reduction) {
  const int64_t rows = targets.size();
  int64_t counted = 0;
  for (int64_t t : targets)
    counted += t != ignore;
  Vec out(logits.size(), 0.0);
  for (int64_t r = 0; r < rows; ++r) {
    if (targets[r] == ignore)
      continue;
    double g = reduction == cpu::LossReduction::None ? dloss[r] : dloss[0];
    if (reduction == cpu::LossReduction::Mean)
      g /= counted;
    Vec row(logits.begin() + r * classes, logits.begin() + (r + 1) * classes);
    Vec p = softmaxRef(row, {classes}, 0, false);
    for (int64_t c = 0; c < classes; ++c)
      out[r * classes + c] = (p[c] - (c == targets[r])) * g;
  }
  return out;
}

const cpu::LossReduction kReductions[] = {cpu::LossReduction::None, cpu::LossReduction::Mean,
                                          cpu::LossReduction::Sum};

TYPED_TEST(GradKernel, CrossEntropyGradMatchesReference) {
  using T = TypeParam;
  const int64_t rows = 12, classes = 11;
  const Shape shape = {3, 4, classes}, rowShape = {3, 4};
  std::vector<T> logits = randomValues<T>(rows * classes, 41, 0.1f, 8.0f);
  std::vector<int64_t> targets = randomInts(rows, 42, 0, classes - 1);
  targets[2] = targets[7] = -100; // ignored rows
  std::vector<int32_t> targets32(targets.begin(), targets.end());
  for (cpu::LossReduction reduction : kReductions) {
    const bool perTarget = reduction == cpu::LossReduction::None;
    std::vector<T> dloss = randomValues<T>(perTarget ? rows : 1, 43);
    Vec want = crossEntropyGradRef(widen(logits), targets, widen(dloss), classes, -100, reduction);
    for (bool i32 : {false, true}) {
      std::vector<T> out(rows * classes, T(NAN));
      TensorView t = i32 ? TensorView(targets32.data(), rowShape)
                         : TensorView(targets.data(), rowShape);
      ASSERT_OK(cpu::crossEntropyGrad(TensorView(logits.data(), shape), t,
                                      TensorView(dloss.data(), perTarget ? rowShape : Shape{}),
                                      -100, reduction, MutableTensorView(out.data(), shape)));
      EXPECT_TRUE(close(out, want, kRtol<T>, kAtol<T>))
          << "reduction " << static_cast<int>(reduction) << " i32 " << i32;
      for (int64_t c = 0; c < classes; ++c)
        EXPECT_EQ(out[2 * classes + c], T(0)) << "an ignored target's row";
    }
  }
}

TEST(CrossEntropyGrad, FiniteDifferencesOfTheForward) {
  const int64_t rows = 6, classes = 5;
  const Shape shape = {rows, classes}, rowShape = {rows};
  std::vector<float> lf = randomFloats(rows * classes, 44, 0.1f, 3.0f);
  // Target 3 is the ignore index here, so an in-range class is ignored too.
  std::vector<int64_t> targets = {0, 3, 4, 1, 3, 2};
  const int64_t ignore = 3;
  Vec logits = widen(lf);
  for (cpu::LossReduction reduction : kReductions) {
    const bool perTarget = reduction == cpu::LossReduction::None;
    Vec dloss = widen(randomValues<double>(perTarget ? rows : 1, 45));
    // The reference forward is the forward kernel's function.
    std::vector<float> fwd(perTarget ? rows : 1);
    ASSERT_OK(cpu::crossEntropy(TensorView(lf.data(), shape), TensorView(targets.data(), rowShape),
                                ignore, reduction,
                                MutableTensorView(fwd.data(), perTarget ? rowShape : Shape{})));
    EXPECT_TRUE(allClose(fwd, crossEntropyRef(logits, targets, classes, ignore, reduction), 1e-5,
                         1e-6));

    std::vector<double> out(rows * classes, NAN);
    ASSERT_OK(cpu::crossEntropyGrad(TensorView(logits.data(), shape),
                                    TensorView(targets.data(), rowShape),
                                    TensorView(dloss.data(), perTarget ? rowShape : Shape{}),
                                    ignore, reduction, MutableTensorView(out.data(), shape)));
    auto f = [&](const Vec &v) { return crossEntropyRef(v, targets, classes, ignore, reduction); };
    EXPECT_TRUE(close(out, numericGrad(f, logits, dloss), kFdRtol, kFdAtol))
        << "reduction " << static_cast<int>(reduction);
  }
}

TEST(CrossEntropyGrad, AllIgnoredMeanGivesZerosNotNaN) {
  std::vector<float> logits = randomFloats(12, 46), out(12, NAN);
  std::vector<int64_t> targets(3, -1);
  float dloss = 1.0f;
  ASSERT_OK(cpu::crossEntropyGrad(TensorView(logits.data(), {3, 4}), TensorView(targets.data(), {3}),
                                  TensorView(&dloss, {}), -1, cpu::LossReduction::Mean,
                                  MutableTensorView(out.data(), {3, 4})));
  EXPECT_TRUE(allClose(out, Vec(12, 0.0), 0, 0));
}

TEST(CrossEntropyGrad, LargeRunsInParallel) {
  const int64_t rows = 256, classes = 300;
  std::vector<float> logits = randomFloats(rows * classes, 47, 0.1f, 10.0f), out(rows * classes);
  std::vector<int64_t> targets = randomInts(rows, 48, 0, classes - 1);
  for (int64_t r = 0; r < rows; r += 5)
    targets[r] = -100;
  float dloss = 0.75f;
  ASSERT_OK(cpu::crossEntropyGrad(TensorView(logits.data(), {rows, classes}),
                                  TensorView(targets.data(), {rows}), TensorView(&dloss, {}), -100,
                                  cpu::LossReduction::Mean,
                                  MutableTensorView(out.data(), {rows, classes})));
  EXPECT_TRUE(allClose(out,
                       crossEntropyGradRef(widen(logits), targets, {0.75}, classes, -100,
                                           cpu::LossReduction::Mean),
                       1e-5, 1e-9));
}

TEST(CrossEntropyGrad, Errors) {
  std::vector<float> logits(12, 1.0f), out(12), dloss(3, 1.0f);
  std::vector<int64_t> targets = {0, 4, 1};
  EXPECT_ERROR_CONTAINS(cpu::crossEntropyGrad(TensorView(logits.data(), {3, 4}),
                                              TensorView(targets.data(), {3}),
                                              TensorView(dloss.data(), {}), -100,
                                              cpu::LossReduction::Sum,
                                              MutableTensorView(out.data(), {3, 4})),
                        "cross_entropy_grad: target 4 at position 1 is outside [0, 4)");
  targets[1] = 2;
  EXPECT_ERROR_CONTAINS(cpu::crossEntropyGrad(TensorView(logits.data(), {3, 4}),
                                              TensorView(targets.data(), {3}),
                                              TensorView(dloss.data(), {3}), -100,
                                              cpu::LossReduction::Mean,
                                              MutableTensorView(out.data(), {3, 4})),
                        "cross_entropy_grad: grad shape [3] should be []");
  std::vector<float> ftargets(3, 0.0f);
  EXPECT_ERROR_CONTAINS(cpu::crossEntropyGrad(TensorView(logits.data(), {3, 4}),
                                              TensorView(ftargets.data(), {3}),
                                              TensorView(dloss.data(), {3}), -100,
                                              cpu::LossReduction::None,
                                              MutableTensorView(out.data(), {3, 4})),
                        "cross_entropy_grad: targets must be i64 or i32, got f32");
}

//===----------------------------------------------------------------------===//
// gather and slice
//===----------------------------------------------------------------------===//

// Scatter-add by the definition: for every element of dy, add it at the data position it came
// from.
Vec gatherGradRef(const std::vector<int64_t> &indices, const Vec &dy, const Shape &data,
                  int64_t axis) {
  Shape dyShape(data.begin(), data.begin() + axis);
  const Shape idxShape = {static_cast<int64_t>(indices.size())};
  dyShape.push_back(static_cast<int64_t>(indices.size()));
  dyShape.insert(dyShape.end(), data.begin() + axis + 1, data.end());
  Vec dx(numElements(data), 0.0);
  for (int64_t i = 0; i < static_cast<int64_t>(dy.size()); ++i) {
    std::vector<int64_t> idx = unravel(i, dyShape);
    int64_t v = indices[idx[axis]];
    idx[axis] = v < 0 ? v + data[axis] : v;
    dx[ravel(idx, data)] += dy[i];
  }
  return dx;
}

TYPED_TEST(GradKernel, GatherGradRepeatedAndNegativeIndices) {
  using T = TypeParam;
  // Embedding-shaped: axis 0, 3 appears three times (once as -4), -1 is row 6.
  const std::vector<int64_t> indices = {3, 0, -4, 6, 3, -1, 2, 0};
  const Shape data = {7, 5};
  std::vector<T> dy = randomValues<T>(8 * 5, 51), dx(35, T(NAN));
  ASSERT_OK(cpu::gatherGrad(TensorView(indices.data(), {2, 4}), TensorView(dy.data(), {2, 4, 5}),
                            0, MutableTensorView(dx.data(), data)));
  Vec want = gatherGradRef(indices, widen(dy), data, 0);
  EXPECT_TRUE(close(dx, want, kRtol<T>, kAtol<T>));
  for (int64_t c = 0; c < 5; ++c) {
    EXPECT_EQ(dx[1 * 5 + c], T(0)) << "row 1 is never gathered";
    EXPECT_EQ(dx[5 * 5 + c], T(0)) << "row 5 is never gathered";
  }

  // A middle axis with outer and inner dims, i32 indices.
  const std::vector<int32_t> idx32 = {1, -1, 1, 0, 2};
  const std::vector<int64_t> idx64(idx32.begin(), idx32.end());
  const Shape data3 = {2, 3, 4};
  std::vector<T> dy3 = randomValues<T>(2 * 5 * 4, 52), dx3(24, T(NAN));
  ASSERT_OK(cpu::gatherGrad(TensorView(idx32.data(), {5}), TensorView(dy3.data(), {2, 5, 4}), -2,
                            MutableTensorView(dx3.data(), data3)));
  EXPECT_TRUE(close(dx3, gatherGradRef(idx64, widen(dy3), data3, 1), kRtol<T>, kAtol<T>));
}

TEST(GatherGrad, FiniteDifferencesOfTheForwardKernel) {
  // gather copies any dtype, so its own kernel runs in f64 here.
  const std::vector<int64_t> indices = {2, -1, 0, 2, 2};
  const Shape data = {3, 4, 2}, out = {3, 5, 2};
  Vec x = widen(randomValues<double>(24, 53)), dy = widen(randomValues<double>(30, 54));
  auto gather = [&](const Vec &v) {
    Vec y(30);
    EXPECT_OK(cpu::gather(TensorView(v.data(), data), TensorView(indices.data(), {5}), 1,
                          MutableTensorView(y.data(), out)));
    return y;
  };
  std::vector<double> dx(24, NAN);
  ASSERT_OK(cpu::gatherGrad(TensorView(indices.data(), {5}), TensorView(dy.data(), out), 1,
                            MutableTensorView(dx.data(), data)));
  EXPECT_TRUE(close(dx, numericGrad(gather, x, dy), kFdRtol, kFdAtol));
}

TEST(GatherGrad, ManyRepeatsInParallelMatchTheSerialSum) {
  // 20000 tokens over a 600-row table (600 x 64 is past the parallel grain): every row is hit
  // about 33 times. The result must equal the in-order double sum rounded once.
  const int64_t tokens = 20000, vocab = 600, dim = 64;
  std::vector<int64_t> indices = randomInts(tokens, 55, -vocab, vocab - 1);
  std::vector<float> dy = randomFloats(tokens * dim, 56), dx(vocab * dim, NAN);
  ASSERT_OK(cpu::gatherGrad(TensorView(indices.data(), {tokens}),
                            TensorView(dy.data(), {tokens, dim}), 0,
                            MutableTensorView(dx.data(), {vocab, dim})));
  Vec want = gatherGradRef(indices, widen(dy), {vocab, dim}, 0);
  for (size_t i = 0; i < want.size(); ++i)
    EXPECT_EQ(dx[i], static_cast<float>(want[i])) << "element " << i;
}

TEST(GatherGrad, Errors) {
  std::vector<int64_t> indices = {0, 5};
  std::vector<float> dy(8, 1.0f), dx(20);
  EXPECT_ERROR_CONTAINS(cpu::gatherGrad(TensorView(indices.data(), {2}),
                                        TensorView(dy.data(), {2, 4}), 0,
                                        MutableTensorView(dx.data(), {5, 4})),
                        "gather_grad: index 5 at position 1 is out of range for axis 0 of size 5");
  indices[1] = 1;
  EXPECT_ERROR_CONTAINS(cpu::gatherGrad(TensorView(indices.data(), {2}),
                                        TensorView(dy.data(), {4, 2}), 0,
                                        MutableTensorView(dx.data(), {5, 4})),
                        "gather_grad: grad shape [4,2] should be [2,4]");
  std::vector<double> dyd(8, 1.0);
  EXPECT_ERROR_CONTAINS(cpu::gatherGrad(TensorView(indices.data(), {2}),
                                        TensorView(dyd.data(), {2, 4}), 0,
                                        MutableTensorView(dx.data(), {5, 4})),
                        "gather_grad: output must be f64, got f32");
}

struct SliceCase {
  Shape whole;
  std::vector<int64_t> starts, ends, steps;
};

const SliceCase kSliceCases[] = {
    {{4, 9}, {1, 0}, {4, 9}, {1, 3}},                  // strided last dim
    {{5, 3, 8}, {0, 1, 1}, {5, 3, 8}, {2, 1, 2}},      // strides on two dims
    {{6, 7}, {-4, 2}, {INT64_MAX, -1}, {3, 2}},        // Python-style negative and open bounds
    {{3, 4}, {1, 2}, {1, 4}, {1, 1}}};                 // an empty slice

TYPED_TEST(GradKernel, SliceGradMatchesReference) {
  using T = TypeParam;
  for (const SliceCase &c : kSliceCases) {
    StatusOr<Shape> part = cpu::sliceShape(c.whole, c.starts, c.ends, c.steps);
    ASSERT_OK(part);
    const int64_t n = numElements(*part), total = numElements(c.whole);
    std::vector<T> dy = randomValues<T>(n, 61), dx(total, T(NAN));
    ASSERT_OK(cpu::sliceGrad(TensorView(dy.data(), *part), c.starts, c.ends, c.steps,
                             MutableTensorView(dx.data(), c.whole)));
    // Each dy element goes to whole index start + i * step, per dim.
    Vec want(total, 0.0);
    for (int64_t i = 0; i < n; ++i) {
      std::vector<int64_t> idx = unravel(i, *part);
      for (size_t d = 0; d < idx.size(); ++d) {
        int64_t s = c.starts[d] < 0 ? std::max<int64_t>(c.starts[d] + c.whole[d], 0) : c.starts[d];
        idx[d] = s + idx[d] * c.steps[d];
      }
      want[ravel(idx, c.whole)] = dy[i];
    }
    EXPECT_TRUE(close(dx, want, 0, 0)) << "whole " << shapeToString(c.whole);
  }
}

TEST(SliceGrad, FiniteDifferencesOfTheForwardKernel) {
  const SliceCase &c = kSliceCases[1];
  StatusOr<Shape> part = cpu::sliceShape(c.whole, c.starts, c.ends, c.steps);
  ASSERT_OK(part);
  const int64_t n = numElements(*part), total = numElements(c.whole);
  Vec x = widen(randomValues<double>(total, 62)), dy = widen(randomValues<double>(n, 63));
  auto slice = [&](const Vec &v) {
    Vec y(n);
    EXPECT_OK(cpu::slice(TensorView(v.data(), c.whole), c.starts, c.ends, c.steps,
                         MutableTensorView(y.data(), *part)));
    return y;
  };
  std::vector<double> dx(total, NAN);
  ASSERT_OK(cpu::sliceGrad(TensorView(dy.data(), *part), c.starts, c.ends, c.steps,
                           MutableTensorView(dx.data(), c.whole)));
  EXPECT_TRUE(close(dx, numericGrad(slice, x, dy), kFdRtol, kFdAtol));
}

TEST(SliceGrad, LargeStridedSliceRunsInParallel) {
  const Shape whole = {256, 512};
  const std::vector<int64_t> starts = {0, 1}, ends = {256, 512}, steps = {1, 2};
  std::vector<float> dy = randomFloats(256 * 256, 64), dx(256 * 512, NAN), back(256 * 256);
  ASSERT_OK(cpu::sliceGrad(TensorView(dy.data(), {256, 256}), starts, ends, steps,
                           MutableTensorView(dx.data(), whole)));
  // Slicing the gradient again gives dy back; everything else is zero.
  ASSERT_OK(cpu::slice(TensorView(dx.data(), whole), starts, ends, steps,
                       MutableTensorView(back.data(), {256, 256})));
  EXPECT_TRUE(allClose(back, widen(dy), 0, 0));
  for (int64_t i = 0; i < 256 * 512; i += 2)
    ASSERT_EQ(dx[i], 0.0f) << "element " << i;
}

TEST(SliceGrad, Errors) {
  std::vector<float> dy(4, 1.0f), dx(8);
  EXPECT_ERROR_CONTAINS(cpu::sliceGrad(TensorView(dy.data(), {4}), {0}, {8}, {1},
                                       MutableTensorView(dx.data(), {8})),
                        "slice_grad: grad shape [4] should be [8], the shape of the slice");
  EXPECT_ERROR_CONTAINS(cpu::sliceGrad(TensorView(dy.data(), {4}), {0}, {8}, {0},
                                       MutableTensorView(dx.data(), {8})),
                        "slice_grad: slice: step 0 of dim 0 must be >= 1");
  std::vector<double> dxd(8);
  EXPECT_ERROR_CONTAINS(cpu::sliceGrad(TensorView(dy.data(), {4}), {0}, {8}, {2},
                                       MutableTensorView(dxd.data(), {8})),
                        "slice_grad: output must be f32, got f64");
}

} // namespace
