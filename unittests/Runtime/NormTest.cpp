// layer_norm and rms_norm against float64 references, with and without affine parameters.
#include "ds/Runtime/Kernels/CPU/Norm.h"

#include "TestUtil.h"

using namespace ds::rt;
using namespace ds::rt::test;

namespace {

struct NormRef {
  std::vector<double> out, mean, rstd;
};

NormRef referenceLayerNorm(const std::vector<float> &x, int64_t rows, int64_t cols,
                           const float *w, const float *b, double eps) {
  NormRef r;
  r.out.resize(x.size());
  for (int64_t i = 0; i < rows; ++i) {
    double mu = 0, var = 0;
    for (int64_t c = 0; c < cols; ++c)
      mu += x[i * cols + c];
    mu /= cols;
    for (int64_t c = 0; c < cols; ++c)
      var += (x[i * cols + c] - mu) * (x[i * cols + c] - mu);
    var /= cols;
    double rs = 1.0 / std::sqrt(var + eps);
    r.mean.push_back(mu);
    r.rstd.push_back(rs);
    for (int64_t c = 0; c < cols; ++c)
      r.out[i * cols + c] = (x[i * cols + c] - mu) * rs * (w ? w[c] : 1.0) + (b ? b[c] : 0.0);
  }
  return r;
}

TEST(LayerNorm, LastAxisWithAffineAndStats) {
  const Shape shape = {3, 5, 16};
  std::vector<float> x = randomFloats(240, 61), w = randomFloats(16, 62), b = randomFloats(16, 63);
  std::vector<float> out(240, NAN), mean(15, NAN), rstd(15, NAN);
  TensorView wv(w.data(), {16}), bv(b.data(), {16});
  MutableTensorView mv(mean.data(), {3, 5}), rv(rstd.data(), {3, 5});
  ASSERT_OK(cpu::layerNorm(TensorView(x.data(), shape), -1, &wv, &bv, 1e-5f,
                           MutableTensorView(out.data(), shape), &mv, &rv));
  NormRef want = referenceLayerNorm(x, 15, 16, w.data(), b.data(), 1e-5);
  EXPECT_TRUE(allClose(out, want.out, 1e-5, 1e-5));
  EXPECT_TRUE(allClose(mean, want.mean, 1e-5, 1e-6));
  EXPECT_TRUE(allClose(rstd, want.rstd, 1e-5, 1e-6));
}

TEST(LayerNorm, TrailingTwoDimsNoAffine) {
  const Shape shape = {2, 3, 4};
  std::vector<float> x = randomFloats(24, 64), out(24, NAN);
  ASSERT_OK(cpu::layerNorm(TensorView(x.data(), shape), 1, nullptr, nullptr, 1e-5f,
                           MutableTensorView(out.data(), shape)));
  EXPECT_TRUE(allClose(out, referenceLayerNorm(x, 2, 12, nullptr, nullptr, 1e-5).out, 1e-5, 1e-5));
}

TEST(LayerNorm, LargeMeanStaysAccurateAndParallel) {
  // 64 x 1024 rows offset by 1000: a one-pass E[x^2]-E[x]^2 in f32 would lose the variance.
  const int64_t rows = 64, cols = 1024;
  std::vector<float> x = randomFloats(rows * cols, 65);
  for (float &v : x)
    v += 1000.0f;
  std::vector<float> w = randomFloats(cols, 66), out(x.size(), NAN);
  TensorView wv(w.data(), {cols});
  ASSERT_OK(cpu::layerNorm(TensorView(x.data(), {rows, cols}), 1, &wv, nullptr, 1e-5f,
                           MutableTensorView(out.data(), {rows, cols})));
  EXPECT_TRUE(
      allClose(out, referenceLayerNorm(x, rows, cols, w.data(), nullptr, 1e-5).out, 1e-4, 1e-4));
}

TEST(LayerNorm, Errors) {
  std::vector<float> x(24, 1.0f), w(4, 1.0f), out(24), stat(6);
  TensorView wv(w.data(), {4});
  EXPECT_ERROR_CONTAINS(cpu::layerNorm(TensorView(x.data(), {2, 3, 4}), 1, &wv, nullptr, 1e-5f,
                                       MutableTensorView(out.data(), {2, 3, 4})),
                        "layer_norm: weight shape [4] must equal the normalized shape [3,4]");
  EXPECT_ERROR_CONTAINS(cpu::layerNorm(TensorView(x.data(), {2, 3, 4}), 3, nullptr, nullptr,
                                       1e-5f, MutableTensorView(out.data(), {2, 3, 4})),
                        "layer_norm: axis 3 is out of range");
  MutableTensorView badStat(stat.data(), {6});
  EXPECT_ERROR_CONTAINS(cpu::layerNorm(TensorView(x.data(), {2, 3, 4}), -1, &wv, nullptr, 1e-5f,
                                       MutableTensorView(out.data(), {2, 3, 4}), &badStat),
                        "layer_norm: mean shape [6] differs from the expected [2,3]");
}

TEST(RmsNorm, WithWeightAndRstd) {
  const int64_t rows = 12, cols = 24;
  std::vector<float> x = randomFloats(rows * cols, 67), w = randomFloats(cols, 68);
  std::vector<float> out(x.size(), NAN), rstd(rows, NAN);
  TensorView wv(w.data(), {cols});
  MutableTensorView rv(rstd.data(), {3, 4});
  ASSERT_OK(cpu::rmsNorm(TensorView(x.data(), {3, 4, cols}), -1, &wv, 1e-6f,
                         MutableTensorView(out.data(), {3, 4, cols}), &rv));
  std::vector<double> want(x.size()), wantRstd(rows);
  for (int64_t r = 0; r < rows; ++r) {
    double ms = 0;
    for (int64_t c = 0; c < cols; ++c)
      ms += static_cast<double>(x[r * cols + c]) * x[r * cols + c];
    wantRstd[r] = 1.0 / std::sqrt(ms / cols + 1e-6);
    for (int64_t c = 0; c < cols; ++c)
      want[r * cols + c] = x[r * cols + c] * wantRstd[r] * w[c];
  }
  EXPECT_TRUE(allClose(out, want, 1e-5, 1e-6));
  EXPECT_TRUE(allClose(rstd, wantRstd, 1e-5, 1e-7));
}

TEST(RmsNorm, NoWeightInPlace) {
  std::vector<float> x = randomFloats(20, 69);
  std::vector<double> want(20);
  for (int r = 0; r < 4; ++r) {
    double ms = 0;
    for (int c = 0; c < 5; ++c)
      ms += static_cast<double>(x[r * 5 + c]) * x[r * 5 + c];
    for (int c = 0; c < 5; ++c)
      want[r * 5 + c] = x[r * 5 + c] / std::sqrt(ms / 5 + 1e-5);
  }
  ASSERT_OK(cpu::rmsNorm(TensorView(x.data(), {4, 5}), 1, nullptr, 1e-5f,
                         MutableTensorView(x.data(), {4, 5})));
  EXPECT_TRUE(allClose(x, want));
  std::vector<float> w(4, 1.0f);
  TensorView wv(w.data(), {4});
  EXPECT_ERROR_CONTAINS(cpu::rmsNorm(TensorView(x.data(), {4, 5}), 1, &wv, 1e-5f,
                                     MutableTensorView(x.data(), {4, 5})),
                        "rms_norm: weight shape [4]");
}

} // namespace
