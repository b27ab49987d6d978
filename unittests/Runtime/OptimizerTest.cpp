// The fused optimizer kernels against five steps of torch.optim (fixtures/OptimizerFixtures.h):
// each step feeds the kernel its own previous outputs, as a training run does, and every value
// must stay within a few float32 ulps of torch's.
#include "ds/Runtime/Kernels/CPU/Optimizer.h"

#include "TestUtil.h"
#include "fixtures/OptimizerFixtures.h"

#include <cstring>
#include <vector>

using namespace ds::rt;
using namespace ds::rt::test;
namespace fx = ds::rt::test::optimizer_fixtures;

namespace {

// Distance in representable floats (0 when equal, 1 for neighbours); sign changes count through 0.
int64_t ulpDistance(float a, float b) {
  auto ordered = [](float f) {
    int32_t i;
    std::memcpy(&i, &f, sizeof i);
    return i < 0 ? -static_cast<int64_t>(i & 0x7fffffff) : static_cast<int64_t>(i);
  };
  return std::llabs(ordered(a) - ordered(b));
}

constexpr int64_t kMaxUlps = 4;

::testing::AssertionResult withinUlps(const std::vector<float> &got, const float *want,
                                      const char *what, int step) {
  int64_t worst = 0;
  size_t at = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    int64_t d = ulpDistance(got[i], want[i]);
    if (d > worst) {
      worst = d;
      at = i;
    }
  }
  if (worst <= kMaxUlps)
    return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << what << " after step " << step + 1 << ": element " << at << " is " << got[at]
         << ", torch has " << want[at] << " (" << worst << " ulps apart)";
}

std::vector<float> scaledGrad(int step) {
  return std::vector<float>(fx::kGrads + step * fx::kNumel, fx::kGrads + (step + 1) * fx::kNumel);
}

// Runs the five fixture steps of an Adam/AdamW case and compares p, m and v after each.
void checkAdamSteps(const cpu::AdamConfig &config, const float *lrs, const float *afterParam,
                    const float *afterExpAvg, const float *afterExpAvgSq) {
  const Shape shape = {fx::kNumel};
  std::vector<float> p(fx::kParam0, fx::kParam0 + fx::kNumel);
  std::vector<float> m(fx::kNumel, 0.0f), v(fx::kNumel, 0.0f); // torch starts from zeros
  for (int s = 0; s < fx::kSteps; ++s) {
    std::vector<float> g = scaledGrad(s);
    std::vector<float> p2(fx::kNumel, NAN), m2(fx::kNumel, NAN), v2(fx::kNumel, NAN);
    ASSERT_OK(cpu::adamUpdate(TensorView(p.data(), shape), TensorView(g.data(), shape),
                              TensorView(m.data(), shape), TensorView(v.data(), shape), lrs[s],
                              s + 1, fx::kGradScales[s], config,
                              MutableTensorView(p2.data(), shape),
                              MutableTensorView(m2.data(), shape),
                              MutableTensorView(v2.data(), shape)));
    const int64_t off = s * fx::kNumel;
    EXPECT_TRUE(withinUlps(p2, afterParam + off, "param", s));
    EXPECT_TRUE(withinUlps(m2, afterExpAvg + off, "exp_avg", s));
    EXPECT_TRUE(withinUlps(v2, afterExpAvgSq + off, "exp_avg_sq", s));
    p = p2;
    m = m2;
    v = v2;
  }
}

// The same for SGD; `afterBuffer` is null without momentum (the buffer must pass through).
void checkSgdSteps(const cpu::SGDConfig &config, const float *lrs, const float *afterParam,
                   const float *afterBuffer) {
  const Shape shape = {fx::kNumel};
  std::vector<float> p(fx::kParam0, fx::kParam0 + fx::kNumel);
  // Garbage before step 1: torch has no buffer yet, so step 1 must not read it.
  std::vector<float> buf(fx::kNumel, afterBuffer ? 1e30f : 0.25f);
  for (int s = 0; s < fx::kSteps; ++s) {
    std::vector<float> g = scaledGrad(s);
    std::vector<float> p2(fx::kNumel, NAN), buf2(fx::kNumel, NAN);
    ASSERT_OK(cpu::sgdUpdate(TensorView(p.data(), shape), TensorView(g.data(), shape),
                             TensorView(buf.data(), shape), lrs[s], s + 1, fx::kGradScales[s],
                             config, MutableTensorView(p2.data(), shape),
                             MutableTensorView(buf2.data(), shape)));
    const int64_t off = s * fx::kNumel;
    EXPECT_TRUE(withinUlps(p2, afterParam + off, "param", s));
    if (afterBuffer)
      EXPECT_TRUE(withinUlps(buf2, afterBuffer + off, "momentum_buffer", s));
    else
      EXPECT_EQ(buf2, buf) << "without momentum the buffer passes through";
    p = p2;
    buf = buf2;
  }
}

// A fixture case (a namespace of fixtures/OptimizerFixtures.h) run through its kernel.
#define CHECK_ADAM_CASE(NS)                                                                        \
  checkAdamSteps({fx::NS::kBeta1, fx::NS::kBeta2, fx::NS::kEps, fx::NS::kWeightDecay,              \
                  fx::NS::kAdamWMode},                                                             \
                 fx::NS::kLrs, fx::NS::kAfterParam, fx::NS::kAfterExpAvg, fx::NS::kAfterExpAvgSq)
#define SGD_CONFIG(NS)                                                                             \
  cpu::SGDConfig { fx::NS::kMomentum, fx::NS::kDampening, fx::NS::kWeightDecay, fx::NS::kNesterov }

TEST(AdamUpdate, AdamWMatchesTorch) { CHECK_ADAM_CASE(AdamW); }
TEST(AdamUpdate, AdamWWithGptHyperparametersMatchesTorch) { CHECK_ADAM_CASE(AdamWGpt); }
TEST(AdamUpdate, AdamWithL2WeightDecayMatchesTorch) { CHECK_ADAM_CASE(AdamL2); }

TEST(SgdUpdate, PlainMatchesTorch) {
  checkSgdSteps(SGD_CONFIG(SgdPlain), fx::SgdPlain::kLrs, fx::SgdPlain::kAfterParam, nullptr);
}
TEST(SgdUpdate, MomentumMatchesTorch) {
  checkSgdSteps(SGD_CONFIG(SgdMomentum), fx::SgdMomentum::kLrs, fx::SgdMomentum::kAfterParam,
                fx::SgdMomentum::kAfterMomentumBuffer);
}
TEST(SgdUpdate, DampeningMatchesTorch) {
  checkSgdSteps(SGD_CONFIG(SgdDampening), fx::SgdDampening::kLrs, fx::SgdDampening::kAfterParam,
                fx::SgdDampening::kAfterMomentumBuffer);
}
TEST(SgdUpdate, NesterovMatchesTorch) {
  checkSgdSteps(SGD_CONFIG(SgdNesterov), fx::SgdNesterov::kLrs, fx::SgdNesterov::kAfterParam,
                fx::SgdNesterov::kAfterMomentumBuffer);
}

// A large tensor takes the parallel loop; it must give the very values of small serial pieces, and
// writing the results over the inputs (in place) must change nothing either.
TEST(AdamUpdate, ParallelAndInPlaceAgreeWithSerialPieces) {
  const int64_t n = 100003, piece = 1000;
  std::vector<float> p = randomFloats(n, 1), g = randomFloats(n, 2), m = randomFloats(n, 3);
  std::vector<float> v = randomFloats(n, 4, 0.1f, 2.0f, /*positive=*/true);
  const cpu::AdamConfig config{0.9, 0.95, 1e-8, 0.1, true};
  std::vector<float> pWant(n), mWant(n), vWant(n);
  for (int64_t at = 0; at < n; at += piece) {
    const int64_t len = std::min(piece, n - at);
    const Shape s = {len};
    ASSERT_OK(cpu::adamUpdate(TensorView(p.data() + at, s), TensorView(g.data() + at, s),
                              TensorView(m.data() + at, s), TensorView(v.data() + at, s), 1e-3f, 7,
                              0.5f, config, MutableTensorView(pWant.data() + at, s),
                              MutableTensorView(mWant.data() + at, s),
                              MutableTensorView(vWant.data() + at, s)));
  }
  const Shape s = {n};
  ASSERT_OK(cpu::adamUpdate(TensorView(p.data(), s), TensorView(g.data(), s),
                            TensorView(m.data(), s), TensorView(v.data(), s), 1e-3f, 7, 0.5f,
                            config, MutableTensorView(p.data(), s), MutableTensorView(m.data(), s),
                            MutableTensorView(v.data(), s)));
  EXPECT_EQ(p, pWant);
  EXPECT_EQ(m, mWant);
  EXPECT_EQ(v, vWant);
}

TEST(SgdUpdate, ParallelAndInPlaceAgreeWithSerialPieces) {
  const int64_t n = 100003, piece = 1000;
  std::vector<float> p = randomFloats(n, 5), g = randomFloats(n, 6), b = randomFloats(n, 7);
  const cpu::SGDConfig config{0.9, 0.1, 1e-4, false};
  std::vector<float> pWant(n), bWant(n);
  for (int64_t at = 0; at < n; at += piece) {
    const int64_t len = std::min(piece, n - at);
    const Shape s = {len};
    ASSERT_OK(cpu::sgdUpdate(TensorView(p.data() + at, s), TensorView(g.data() + at, s),
                             TensorView(b.data() + at, s), 0.1f, 3, 2.0f, config,
                             MutableTensorView(pWant.data() + at, s),
                             MutableTensorView(bWant.data() + at, s)));
  }
  const Shape s = {n};
  ASSERT_OK(cpu::sgdUpdate(TensorView(p.data(), s), TensorView(g.data(), s),
                           TensorView(b.data(), s), 0.1f, 3, 2.0f, config,
                           MutableTensorView(p.data(), s), MutableTensorView(b.data(), s)));
  EXPECT_EQ(p, pWant);
  EXPECT_EQ(b, bWant);
}

TEST(OptimizerUpdate, RejectsMismatchedOperandsAndSteps) {
  std::vector<float> a(4, 1.0f), b(3, 1.0f), out(4), out2(4), out3(4);
  std::vector<double> d(4, 1.0);
  const Shape s4 = {4}, s3 = {3};
  cpu::AdamConfig adam;
  EXPECT_ERROR_CONTAINS(
      cpu::adamUpdate(TensorView(a.data(), s4), TensorView(b.data(), s3), TensorView(a.data(), s4),
                      TensorView(a.data(), s4), 1e-3f, 1, 1.0f, adam,
                      MutableTensorView(out.data(), s4), MutableTensorView(out2.data(), s4),
                      MutableTensorView(out3.data(), s4)),
      "adam_update: grad shape [3] differs from the param's [4]");
  EXPECT_ERROR_CONTAINS(
      cpu::adamUpdate(TensorView(a.data(), s4), TensorView(a.data(), s4), TensorView(a.data(), s4),
                      TensorView(a.data(), s4), 1e-3f, 0, 1.0f, adam,
                      MutableTensorView(out.data(), s4), MutableTensorView(out2.data(), s4),
                      MutableTensorView(out3.data(), s4)),
      "step must be >= 1");
  EXPECT_ERROR_CONTAINS(
      cpu::sgdUpdate(TensorView(d.data(), s4), TensorView(a.data(), s4), TensorView(a.data(), s4),
                     0.1f, 1, 1.0f, cpu::SGDConfig{}, MutableTensorView(out.data(), s4),
                     MutableTensorView(out2.data(), s4)),
      "sgd_update: param must be f32, got f64");
}

} // namespace
