// cross_entropy against a float64 log-sum-exp reference: reductions, ignore_index, index types.
#include "ds/Runtime/Kernels/CPU/Loss.h"

#include "TestUtil.h"

using namespace ds::rt;
using namespace ds::rt::test;
using cpu::LossReduction;

namespace {

std::vector<double> referenceLosses(const std::vector<float> &logits, const std::vector<int64_t> &t,
                                    int64_t classes, int64_t ignore) {
  std::vector<double> out(t.size());
  for (size_t r = 0; r < t.size(); ++r) {
    if (t[r] == ignore)
      continue;
    double mx = -INFINITY, sum = 0;
    for (int64_t c = 0; c < classes; ++c)
      mx = std::max(mx, static_cast<double>(logits[r * classes + c]));
    for (int64_t c = 0; c < classes; ++c)
      sum += std::exp(logits[r * classes + c] - mx);
    out[r] = mx + std::log(sum) - logits[r * classes + t[r]];
  }
  return out;
}

TEST(CrossEntropy, ReductionsWithIgnoreIndex) {
  const int64_t batch = 3, seq = 5, vocab = 11, ignore = -100;
  // Scale 40: naive exp would overflow f32.
  std::vector<float> logits = randomFloats(batch * seq * vocab, 101, 0.1f, 40.0f);
  std::vector<int64_t> targets = randomInts(batch * seq, 102, 0, vocab - 1);
  targets[2] = ignore;
  targets[9] = ignore;
  std::vector<double> losses = referenceLosses(logits, targets, vocab, ignore);
  double sum = 0;
  for (double l : losses)
    sum += l;
  const TensorView lv(logits.data(), {batch, seq, vocab}), tv(targets.data(), {batch, seq});

  std::vector<float> none(batch * seq, NAN);
  ASSERT_OK(cpu::crossEntropy(lv, tv, ignore, LossReduction::None,
                              MutableTensorView(none.data(), {batch, seq})));
  EXPECT_TRUE(allClose(none, losses, 1e-5, 1e-5));
  EXPECT_EQ(none[2], 0.0f);

  float mean = NAN, total = NAN;
  ASSERT_OK(cpu::crossEntropy(lv, tv, ignore, LossReduction::Mean, MutableTensorView(&mean, {})));
  EXPECT_TRUE(allClose(std::vector<float>{mean}, {sum / (batch * seq - 2)}, 1e-5, 0));
  ASSERT_OK(cpu::crossEntropy(lv, tv, ignore, LossReduction::Sum, MutableTensorView(&total, {})));
  EXPECT_TRUE(allClose(std::vector<float>{total}, {sum}, 1e-5, 0));
}

TEST(CrossEntropy, Int32TargetsAndCustomIgnore) {
  const int64_t rows = 64, vocab = 700; // past the parallel threshold
  std::vector<float> logits = randomFloats(rows * vocab, 103, 0.1f, 5.0f);
  std::vector<int64_t> t64 = randomInts(rows, 104, 0, vocab - 1);
  t64[5] = 3; // ignore index 3 is also a valid class: it must still be skipped
  std::vector<int32_t> t32(t64.begin(), t64.end());
  std::vector<double> losses = referenceLosses(logits, t64, vocab, 3);
  double sum = 0;
  int64_t counted = 0;
  for (int64_t r = 0; r < rows; ++r)
    if (t64[r] != 3) {
      sum += losses[r];
      ++counted;
    }
  float mean = NAN;
  ASSERT_OK(cpu::crossEntropy(TensorView(logits.data(), {rows, vocab}), TensorView(t32.data(), {rows}),
                              3, LossReduction::Mean, MutableTensorView(&mean, {})));
  EXPECT_TRUE(allClose(std::vector<float>{mean}, {sum / counted}, 1e-5, 0));
}

TEST(CrossEntropy, AllIgnoredMeanIsNaN) {
  std::vector<float> logits = randomFloats(6, 105);
  std::vector<int64_t> t = {-100, -100};
  float mean = 0.0f;
  ASSERT_OK(cpu::crossEntropy(TensorView(logits.data(), {2, 3}), TensorView(t.data(), {2}), -100,
                              LossReduction::Mean, MutableTensorView(&mean, {})));
  EXPECT_TRUE(std::isnan(mean));
}

TEST(CrossEntropy, Errors) {
  std::vector<float> logits(6, 1.0f), out(2);
  std::vector<int64_t> t = {0, 3};
  EXPECT_ERROR_CONTAINS(cpu::crossEntropy(TensorView(logits.data(), {2, 3}),
                                          TensorView(t.data(), {2}), -100, LossReduction::None,
                                          MutableTensorView(out.data(), {2})),
                        "target 3 at position 1 is outside [0, 3)");
  EXPECT_ERROR_CONTAINS(cpu::crossEntropy(TensorView(logits.data(), {2, 3}),
                                          TensorView(t.data(), {1, 2}), -100, LossReduction::None,
                                          MutableTensorView(out.data(), {1, 2})),
                        "targets shape [1,2] must be the logits shape [2,3] without its class dim");
  t[1] = 1;
  EXPECT_ERROR_CONTAINS(cpu::crossEntropy(TensorView(logits.data(), {2, 3}),
                                          TensorView(t.data(), {2}), -100, LossReduction::Mean,
                                          MutableTensorView(out.data(), {2})),
                        "output shape [2] differs from the expected []");
}

} // namespace
