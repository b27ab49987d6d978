// Philox against Random123's known answers, and dropout: determinism across thread counts,
// mask/output consistency, keep rate, and the edge ratios.
#include "ds/Runtime/Kernels/CPU/Random.h"

#include "TestUtil.h"

#include <omp.h>

using namespace ds::rt;
using namespace ds::rt::test;

namespace {

// Random123 tests/kat_vectors, philox4x32 10 lines (counter, key, expected output).
TEST(Philox, KnownAnswerVectors) {
  EXPECT_EQ(philox4x32_10({0, 0, 0, 0}, {0, 0}),
            (PhiloxBlock{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}));
  EXPECT_EQ(philox4x32_10({0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff},
                          {0xffffffff, 0xffffffff}),
            (PhiloxBlock{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}));
  EXPECT_EQ(philox4x32_10({0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344},
                          {0xa4093822, 0x299f31d0}),
            (PhiloxBlock{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}));
}

struct DropoutResult {
  std::vector<float> out;
  std::vector<uint8_t> mask;
};

DropoutResult runDropout(const std::vector<float> &x, float ratio, uint64_t seed, uint64_t counter) {
  DropoutResult r{std::vector<float>(x.size(), NAN), std::vector<uint8_t>(x.size(), 7)};
  const Shape shape = {static_cast<int64_t>(x.size())};
  Status s = cpu::dropout(TensorView(x.data(), shape), ratio, seed, counter,
                          MutableTensorView(r.out.data(), shape),
                          MutableTensorView(r.mask.data(), shape));
  EXPECT_TRUE(s.isOk()) << s.message();
  return r;
}

TEST(Dropout, SameMaskOnAnyThreadCount) {
  std::vector<float> x = randomFloats(100003, 111);
  const int saved = omp_get_max_threads();
  omp_set_num_threads(1);
  DropoutResult one = runDropout(x, 0.3f, 1234, 5);
  omp_set_num_threads(3);
  DropoutResult three = runDropout(x, 0.3f, 1234, 5);
  omp_set_num_threads(saved);
  EXPECT_EQ(one.mask, three.mask);
  EXPECT_EQ(one.out, three.out);
}

TEST(Dropout, MaskFollowsPhiloxLayoutAndScales) {
  const float ratio = 0.25f;
  const uint64_t seed = 0x123456789abcdefULL, counter = 42;
  std::vector<float> x = randomFloats(4099, 112);
  DropoutResult r = runDropout(x, ratio, seed, counter);
  int64_t kept = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    // The documented contract a GPU kernel must reproduce: word i%4 of Philox block i/4.
    bool keep = uniformFromWord(philoxWords(seed, counter, i / 4)[i % 4]) >= ratio;
    ASSERT_EQ(r.mask[i], keep ? 1 : 0) << "element " << i;
    ASSERT_EQ(r.out[i], keep ? x[i] * (1.0f / 0.75f) : 0.0f) << "element " << i;
    kept += keep;
  }
  // Binomial(4099, 0.75): sd ~ 27.7; 5 sd.
  EXPECT_NEAR(static_cast<double>(kept), 0.75 * x.size(), 5 * 27.7);
}

TEST(Dropout, CounterAndSeedChangeTheMask) {
  std::vector<float> x = randomFloats(1000, 113);
  DropoutResult a = runDropout(x, 0.5f, 7, 0), b = runDropout(x, 0.5f, 7, 1),
                c = runDropout(x, 0.5f, 8, 0), again = runDropout(x, 0.5f, 7, 0);
  EXPECT_NE(a.mask, b.mask);
  EXPECT_NE(a.mask, c.mask);
  EXPECT_EQ(a.mask, again.mask);
}

TEST(Dropout, EdgeRatiosAndErrors) {
  std::vector<float> x = randomFloats(33, 114);
  DropoutResult keepAll = runDropout(x, 0.0f, 1, 1);
  EXPECT_EQ(keepAll.out, x);
  EXPECT_EQ(keepAll.mask, std::vector<uint8_t>(33, 1));
  DropoutResult dropAll = runDropout(x, 1.0f, 1, 1);
  EXPECT_EQ(dropAll.out, std::vector<float>(33, 0.0f));
  EXPECT_EQ(dropAll.mask, std::vector<uint8_t>(33, 0));
  std::vector<float> out(33);
  std::vector<uint8_t> mask(33);
  EXPECT_ERROR_CONTAINS(cpu::dropout(TensorView(x.data(), {33}), 1.5f, 1, 1,
                                     MutableTensorView(out.data(), {33}),
                                     MutableTensorView(mask.data(), {33})),
                        "dropout: ratio 1.5");
  EXPECT_ERROR_CONTAINS(cpu::dropout(TensorView(x.data(), {33}), NAN, 1, 1,
                                     MutableTensorView(out.data(), {33}),
                                     MutableTensorView(mask.data(), {33})),
                        "outside [0, 1]");
  EXPECT_ERROR_CONTAINS(cpu::dropout(TensorView(x.data(), {33}), 0.1f, 1, 1,
                                     MutableTensorView(out.data(), {33}),
                                     MutableTensorView(out.data(), {33})),
                        "dropout: mask must be u8, got f32");
}

} // namespace
