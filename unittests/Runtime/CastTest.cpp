// bf16/f16 rounding on known bit patterns and on random values against an independent float64
// nearest-even search, and the cast kernel between every dtype pair family.
#include "ds/Runtime/Kernels/CPU/Cast.h"

#include "TestUtil.h"

#include <algorithm>
#include <climits>

using namespace ds::rt;
using namespace ds::rt::test;

namespace {

float bitsToFloat(uint32_t u) { return floatFromBits(u); }

TEST(BFloat16, KnownBitPatterns) {
  EXPECT_EQ(toBFloat16(1.0f).bits, 0x3f80);
  EXPECT_EQ(toBFloat16(-2.0f).bits, 0xc000);
  EXPECT_EQ(toBFloat16(-0.0f).bits, 0x8000);
  EXPECT_EQ(toBFloat16(bitsToFloat(0x3f808000)).bits, 0x3f80); // tie, even stays
  EXPECT_EQ(toBFloat16(bitsToFloat(0x3f818000)).bits, 0x3f82); // tie, odd rounds up
  EXPECT_EQ(toBFloat16(bitsToFloat(0x3f808001)).bits, 0x3f81); // above the tie
  EXPECT_EQ(toBFloat16(bitsToFloat(0x3f807fff)).bits, 0x3f80); // below the tie
  EXPECT_EQ(toBFloat16(bitsToFloat(0x7f7fffff)).bits, 0x7f80); // max float rounds to inf
  EXPECT_EQ(toBFloat16(bitsToFloat(0x7f800000)).bits, 0x7f80);
  EXPECT_EQ(toBFloat16(bitsToFloat(0x00018000)).bits, 0x0002); // subnormal tie, odd up
  EXPECT_EQ(toBFloat16(3.140625f).bits, 0x4049);
  BFloat16 nan = toBFloat16(bitsToFloat(0x7f800001)); // signalling NaN whose payload is low bits
  EXPECT_EQ(nan.bits & 0x7f80, 0x7f80);
  EXPECT_NE(nan.bits & 0x007f, 0);
  EXPECT_EQ(toFloat(BFloat16{0x3f80}), 1.0f);
  EXPECT_EQ(toFloat(BFloat16{0xc049}), -3.140625f);
}

TEST(Half, KnownBitPatterns) {
  EXPECT_EQ(toHalf(1.0f).bits, 0x3c00);
  EXPECT_EQ(toHalf(-2.0f).bits, 0xc000);
  EXPECT_EQ(toHalf(0.1f).bits, 0x2e66);
  EXPECT_EQ(toHalf(1.0f / 3.0f).bits, 0x3555);
  EXPECT_EQ(toHalf(65504.0f).bits, 0x7bff);
  EXPECT_EQ(toHalf(65519.99f).bits, 0x7bff);
  EXPECT_EQ(toHalf(65520.0f).bits, 0x7c00); // halfway to 2^16: ties to even, which is inf
  EXPECT_EQ(toHalf(1e10f).bits, 0x7c00);
  EXPECT_EQ(toHalf(-INFINITY).bits, 0xfc00);
  EXPECT_EQ(toHalf(std::ldexp(1.0f, -14)).bits, 0x0400); // smallest normal
  EXPECT_EQ(toHalf(std::ldexp(1.0f, -24)).bits, 0x0001); // smallest subnormal
  EXPECT_EQ(toHalf(std::ldexp(1.0f, -25)).bits, 0x0000); // tie with 0: even
  EXPECT_EQ(toHalf(std::ldexp(1.5f, -25)).bits, 0x0001);
  EXPECT_EQ(toHalf(std::ldexp(3.0f, -25)).bits, 0x0002); // 1.5 units: tie, odd 1 goes to 2
  EXPECT_EQ(toHalf(std::ldexp(1023.5f, -24)).bits, 0x0400); // carry from subnormal to normal
  EXPECT_EQ(toHalf(1.0f + std::ldexp(1.0f, -11)).bits, 0x3c00); // tie at 1: even
  EXPECT_EQ(toHalf(1.0f + 3 * std::ldexp(1.0f, -11)).bits, 0x3c02);
  Half nan = toHalf(NAN);
  EXPECT_EQ(nan.bits & 0x7c00, 0x7c00);
  EXPECT_NE(nan.bits & 0x03ff, 0);
}

// Value of a half from its fields, in double: the reference decoding.
double halfValue(uint16_t h) {
  int sign = h >> 15, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
  double mag = exp == 0 ? std::ldexp(mant, -24) : std::ldexp(1024 + mant, exp - 25);
  if (exp == 31)
    mag = mant ? NAN : INFINITY;
  return sign ? -mag : mag;
}

TEST(Half, DecodesEveryPatternAndRoundTrips) {
  for (uint32_t h = 0; h < 65536; ++h) {
    double want = halfValue(static_cast<uint16_t>(h));
    float got = toFloat(Half{static_cast<uint16_t>(h)});
    if (std::isnan(want)) {
      ASSERT_TRUE(std::isnan(got)) << std::hex << h;
      continue;
    }
    ASSERT_EQ(static_cast<double>(got), want) << std::hex << h;
    ASSERT_EQ(toHalf(got).bits, h) << std::hex << h;
  }
}

// Nearest representable value by search over the sorted finite halves; ties to even mantissa.
uint16_t referenceHalf(float f) {
  static std::vector<std::pair<double, uint16_t>> table = [] {
    std::vector<std::pair<double, uint16_t>> t;
    for (uint32_t h = 0; h < 0x7c00; ++h)
      t.push_back({halfValue(h), static_cast<uint16_t>(h)});
    return t;
  }();
  const double a = std::fabs(static_cast<double>(f));
  const uint16_t sign = std::signbit(f) ? 0x8000 : 0;
  if (a >= 65520.0)
    return sign | 0x7c00;
  auto hi = std::lower_bound(table.begin(), table.end(), std::make_pair(a, uint16_t(0)));
  if (hi == table.end()) // between 65504 and the overflow threshold
    return sign | 0x7bff;
  if (hi == table.begin() || hi->first == a)
    return sign | hi->second;
  auto lo = hi - 1;
  double dl = a - lo->first, dh = hi->first - a;
  uint16_t pick = dl < dh ? lo->second : dh < dl ? hi->second : ((lo->second & 1) ? hi->second : lo->second);
  return sign | pick;
}

uint16_t referenceBFloat16(float f) {
  uint32_t u = floatBits(f);
  uint32_t lo = u & 0xffff0000u, hi = lo + 0x10000u; // neighbours by magnitude, same sign
  double a = std::fabs(static_cast<double>(f));
  double dl = a - std::fabs(static_cast<double>(bitsToFloat(lo)));
  double dh = std::fabs(static_cast<double>(bitsToFloat(hi))) - a;
  if (dl < dh || (dl == dh && ((lo >> 16) & 1) == 0))
    return lo >> 16;
  return hi >> 16;
}

TEST(Rounding, RandomValuesMatchNearestEven) {
  std::mt19937 gen(121);
  std::uniform_int_distribution<uint32_t> bits(0, 0xffffffffu);
  for (int i = 0; i < 200000; ++i) {
    // Random bit patterns cover every exponent; keep finite values inside bf16's range.
    uint32_t u = bits(gen);
    float f = bitsToFloat(u);
    if (!std::isfinite(f) || std::fabs(f) > 3.0e38f)
      continue;
    ASSERT_EQ(toBFloat16(f).bits, referenceBFloat16(f)) << std::hex << u;
    // Half: draw magnitudes in its range, including subnormals.
    float h = std::ldexp(static_cast<float>(bits(gen) % (1u << 24)) / (1u << 24) + 0.5f,
                         static_cast<int>(bits(gen) % 44) - 27);
    if (u & 1)
      h = -h;
    ASSERT_EQ(toHalf(h).bits, referenceHalf(h)) << h;
  }
}

TEST(CastKernel, FloatFamilies) {
  std::vector<float> x = randomFloats(1000, 122, 1e-3f, 100.0f);
  std::vector<BFloat16> b(1000);
  std::vector<Half> h(1000);
  std::vector<float> back(1000);
  ASSERT_OK(cpu::cast(TensorView(x.data(), {10, 100}), MutableTensorView(b.data(), {10, 100})));
  ASSERT_OK(cpu::cast(TensorView(x.data(), {10, 100}), MutableTensorView(h.data(), {10, 100})));
  for (int i = 0; i < 1000; ++i) {
    ASSERT_EQ(b[i].bits, referenceBFloat16(x[i]));
    ASSERT_EQ(h[i].bits, referenceHalf(x[i]));
  }
  ASSERT_OK(cpu::cast(TensorView(b.data(), {10, 100}), MutableTensorView(back.data(), {10, 100})));
  for (int i = 0; i < 1000; ++i)
    ASSERT_EQ(back[i], toFloat(b[i]));
  // bf16 -> f16 goes through f32.
  std::vector<Half> bh(1000);
  ASSERT_OK(cpu::cast(TensorView(b.data(), {1000}), MutableTensorView(bh.data(), {1000})));
  for (int i = 0; i < 1000; ++i)
    ASSERT_EQ(bh[i].bits, toHalf(toFloat(b[i])).bits);
}

TEST(CastKernel, IntegersAndBools) {
  std::vector<int64_t> i64 = {-3, 0, 7, (int64_t(1) << 40) + 1, -(int64_t(1) << 24) - 1};
  std::vector<float> f(5);
  ASSERT_OK(cpu::cast(TensorView(i64.data(), {5}), MutableTensorView(f.data(), {5})));
  EXPECT_EQ(f, (std::vector<float>{-3.0f, 0.0f, 7.0f, 1099511627776.0f, -16777216.0f}));

  std::vector<float> g = {-2.7f, 2.7f, -0.5f, 1e9f, -2147483648.0f};
  std::vector<int32_t> i32(5);
  ASSERT_OK(cpu::cast(TensorView(g.data(), {5}), MutableTensorView(i32.data(), {5})));
  EXPECT_EQ(i32, (std::vector<int32_t>{-2, 2, 0, 1000000000, INT32_MIN}));

  std::vector<int32_t> small = {-5, 9};
  std::vector<int64_t> wide(2);
  ASSERT_OK(cpu::cast(TensorView(small.data(), {2}), MutableTensorView(wide.data(), {2})));
  EXPECT_EQ(wide, (std::vector<int64_t>{-5, 9}));

  std::vector<float> z = {0.0f, -0.0f, 0.5f, NAN};
  std::vector<uint8_t> bools(4);
  ASSERT_OK(cpu::cast(TensorView(z.data(), {4}), MutableTensorView(bools.data(), {4})));
  EXPECT_EQ(bools, (std::vector<uint8_t>{0, 0, 1, 1}));
  std::vector<float> fromBool(4);
  ASSERT_OK(cpu::cast(TensorView(bools.data(), {4}), MutableTensorView(fromBool.data(), {4})));
  EXPECT_EQ(fromBool, (std::vector<float>{0.0f, 0.0f, 1.0f, 1.0f}));
}

TEST(CastKernel, UnrepresentableValuesAreErrors) {
  std::vector<float> f = {1.0f, NAN};
  std::vector<int64_t> i64(2);
  EXPECT_ERROR_CONTAINS(cpu::cast(TensorView(f.data(), {2}), MutableTensorView(i64.data(), {2})),
                        "cast: value nan at index 1 has no i64 representation");
  std::vector<float> big = {2147483648.0f};
  std::vector<int32_t> i32(1);
  EXPECT_ERROR_CONTAINS(cpu::cast(TensorView(big.data(), {1}), MutableTensorView(i32.data(), {1})),
                        "has no i32 representation");
  std::vector<int64_t> wide = {int64_t(1) << 33};
  EXPECT_ERROR_CONTAINS(cpu::cast(TensorView(wide.data(), {1}), MutableTensorView(i32.data(), {1})),
                        "value 8589934592 at index 0 has no i32");
  std::vector<float> out(3);
  EXPECT_ERROR_CONTAINS(cpu::cast(TensorView(f.data(), {2}), MutableTensorView(out.data(), {3})),
                        "cast: output shape [3] differs from the expected [2]");
}

} // namespace
