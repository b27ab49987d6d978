// softmax, log_softmax (any axis), causal softmax and the causal mask against float64 references.
#include "ds/Runtime/Kernels/CPU/Softmax.h"

#include "TestUtil.h"

#include <limits>

using namespace ds::rt;
using namespace ds::rt::test;

namespace {

// Softmax over `axis` in float64; masked(i, j) excludes entries when `causal`.
std::vector<double> referenceSoftmax(const std::vector<float> &x, const Shape &shape,
                                     int64_t axis, bool log) {
  int64_t outer = 1, inner = 1, len = shape[axis];
  for (int64_t i = 0; i < axis; ++i)
    outer *= shape[i];
  for (size_t i = axis + 1; i < shape.size(); ++i)
    inner *= shape[i];
  std::vector<double> out(x.size());
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t in = 0; in < inner; ++in) {
      auto at = [&](int64_t a) { return o * len * inner + a * inner + in; };
      double mx = -INFINITY, sum = 0;
      for (int64_t a = 0; a < len; ++a)
        mx = std::max(mx, static_cast<double>(x[at(a)]));
      for (int64_t a = 0; a < len; ++a)
        sum += std::exp(x[at(a)] - mx);
      for (int64_t a = 0; a < len; ++a)
        out[at(a)] = log ? x[at(a)] - mx - std::log(sum) : std::exp(x[at(a)] - mx) / sum;
    }
  return out;
}

struct AxisCase {
  Shape shape;
  int64_t axis;
};

class SoftmaxTest : public ::testing::TestWithParam<AxisCase> {};

TEST_P(SoftmaxTest, SoftmaxAndLogSoftmax) {
  const AxisCase &c = GetParam();
  // Scale 30 makes exp overflow in f32 without the max shift.
  std::vector<float> x = randomFloats(numElements(c.shape), 51, 0.1f, 30.0f);
  const int64_t axis = c.axis < 0 ? c.axis + static_cast<int64_t>(c.shape.size()) : c.axis;
  std::vector<float> out(x.size(), NAN);
  ASSERT_OK(cpu::softmax(TensorView(x.data(), c.shape), c.axis,
                         MutableTensorView(out.data(), c.shape)));
  EXPECT_TRUE(allClose(out, referenceSoftmax(x, c.shape, axis, false), 1e-5, 1e-7));
  ASSERT_OK(cpu::logSoftmax(TensorView(x.data(), c.shape), c.axis,
                            MutableTensorView(out.data(), c.shape)));
  EXPECT_TRUE(allClose(out, referenceSoftmax(x, c.shape, axis, true), 1e-5, 1e-5));
}

INSTANTIATE_TEST_SUITE_P(Axes, SoftmaxTest,
                         ::testing::Values(AxisCase{{2, 3, 7}, -1}, AxisCase{{2, 3, 7}, 1},
                                           AxisCase{{2, 3, 7}, 0}, AxisCase{{5}, 0},
                                           AxisCase{{4, 1, 3}, 1},
                                           // Past the parallel threshold, both layouts.
                                           AxisCase{{64, 1000}, 1}, AxisCase{{40, 30, 40}, 1}));

TEST(SoftmaxEdge, InPlace) {
  std::vector<float> x = randomFloats(24, 52);
  std::vector<double> want = referenceSoftmax(x, {4, 6}, 1, false);
  ASSERT_OK(cpu::softmax(TensorView(x.data(), {4, 6}), -1, MutableTensorView(x.data(), {4, 6})));
  EXPECT_TRUE(allClose(x, want));
}

TEST(SoftmaxErrors, BadAxisAndShape) {
  std::vector<float> x(6, 1.0f), out(6);
  EXPECT_ERROR_CONTAINS(cpu::softmax(TensorView(x.data(), {2, 3}), 2,
                                     MutableTensorView(out.data(), {2, 3})),
                        "softmax: axis 2 is out of range for rank 2");
  EXPECT_ERROR_CONTAINS(cpu::logSoftmax(TensorView(x.data(), {2, 3}), -3,
                                        MutableTensorView(out.data(), {2, 3})),
                        "log_softmax: axis -3");
  EXPECT_ERROR_CONTAINS(cpu::causalSoftmax(TensorView(x.data(), {2, 3}),
                                           MutableTensorView(out.data(), {2, 3})),
                        "last two dims must be equal");
  EXPECT_ERROR_CONTAINS(cpu::causalMask(TensorView(x.data(), {6}), 0.0f,
                                        MutableTensorView(out.data(), {6})),
                        "rank >= 2");
}

TEST(CausalSoftmax, MatchesMaskedFillThenSoftmax) {
  const Shape shape = {2, 3, 6, 6};
  std::vector<float> x = randomFloats(numElements(shape), 53, 0.1f, 8.0f);
  std::vector<float> out(x.size(), NAN);
  ASSERT_OK(cpu::causalSoftmax(TensorView(x.data(), shape), MutableTensorView(out.data(), shape)));
  // The torch formulation: fill j > i with -inf, then an ordinary softmax.
  std::vector<float> masked = x;
  for (size_t r = 0; r < x.size() / 6; ++r)
    for (int64_t j = r % 6 + 1; j < 6; ++j)
      masked[r * 6 + j] = -std::numeric_limits<float>::infinity();
  std::vector<double> want = referenceSoftmax(masked, shape, 3, false);
  EXPECT_TRUE(allClose(out, want, 1e-5, 1e-7));
  for (size_t r = 0; r < x.size() / 6; ++r)
    for (int64_t j = r % 6 + 1; j < 6; ++j)
      EXPECT_EQ(out[r * 6 + j], 0.0f);
}

TEST(CausalSoftmax, LargeInput) {
  const Shape shape = {4, 128, 128};
  std::vector<float> x = randomFloats(numElements(shape), 54);
  std::vector<float> out(x.size(), NAN);
  ASSERT_OK(cpu::causalSoftmax(TensorView(x.data(), shape), MutableTensorView(out.data(), shape)));
  std::vector<float> masked = x;
  for (size_t r = 0; r < x.size() / 128; ++r)
    for (int64_t j = r % 128 + 1; j < 128; ++j)
      masked[r * 128 + j] = -std::numeric_limits<float>::infinity();
  EXPECT_TRUE(allClose(out, referenceSoftmax(masked, shape, 2, false), 1e-5, 1e-7));
}

TEST(CausalMask, RectangularFill) {
  const Shape shape = {2, 3, 5};
  std::vector<float> x = randomFloats(30, 55), out(30, NAN);
  ASSERT_OK(cpu::causalMask(TensorView(x.data(), shape), -1e9f, MutableTensorView(out.data(), shape)));
  for (int64_t b = 0; b < 2; ++b)
    for (int64_t i = 0; i < 3; ++i)
      for (int64_t j = 0; j < 5; ++j) {
        int64_t k = (b * 3 + i) * 5 + j;
        EXPECT_EQ(out[k], j > i ? -1e9f : x[k]) << b << "," << i << "," << j;
      }
}

} // namespace

namespace {

// Inputs near 1e4 (ONNX's test_logsoftmax_large_number): the result must keep its low digits,
// along the last axis and along a middle one.
TEST(LogSoftmax, KeepsPrecisionForLargeInputs) {
  std::vector<float> x = {10000.0f, 10001.0f, 10002.0f, 10003.0f};
  std::vector<float> out(4);
  ASSERT_OK(cpu::logSoftmax(TensorView(x.data(), {1, 4}), -1, MutableTensorView(out.data(), {1, 4})));
  const double expected[4] = {-3.4401896, -2.4401896, -1.4401896, -0.44018966};
  for (int j = 0; j < 4; ++j)
    EXPECT_NEAR(out[j], expected[j], 1e-6) << j;
  // The same values down a middle axis of [1, 4, 2].
  std::vector<float> y = {10000.0f, 0.0f, 10001.0f, 1.0f, 10002.0f, 2.0f, 10003.0f, 3.0f};
  std::vector<float> yo(8);
  ASSERT_OK(cpu::logSoftmax(TensorView(y.data(), {1, 4, 2}), 1, MutableTensorView(yo.data(), {1, 4, 2})));
  for (int j = 0; j < 4; ++j) {
    EXPECT_NEAR(yo[2 * j], expected[j], 1e-6) << j;
    EXPECT_NEAR(yo[2 * j + 1], expected[j], 1e-6) << j;
  }
}

} // namespace
