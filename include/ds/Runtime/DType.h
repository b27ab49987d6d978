// Element types the runtime stores, and the scalar conversions between fp32, bf16 and fp16.
// bf16 and fp16 are distinct storage types (not bare uint16_t) so a buffer's type says which it is.
#ifndef DS_RUNTIME_DTYPE_H
#define DS_RUNTIME_DTYPE_H

#include <cstdint>
#include <cstring>

namespace ds::rt {

// F64 serves gradient checks and reference runs: kernels compute in double where it is given.
enum class DType : uint8_t { F32, BF16, F16, I64, I32, U8, F64 };

// Size of one element in bytes.
int64_t dtypeSize(DType type);
// Short name as the plan and error messages spell it: "f32", "bf16", "f16", "i64", "i32", "u8",
// "f64".
const char *dtypeName(DType type);

struct BFloat16 {
  uint16_t bits;
};
struct Half {
  uint16_t bits;
};

inline uint32_t floatBits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}
inline float floatFromBits(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

// fp32 -> bf16, round to nearest even; NaN stays a (quiet) NaN of the same sign.
inline BFloat16 toBFloat16(float f) {
  uint32_t x = floatBits(f);
  if ((x & 0x7fffffffu) > 0x7f800000u)
    return BFloat16{static_cast<uint16_t>((x >> 16) | 0x0040u)};
  x += 0x7fffu + ((x >> 16) & 1u);
  return BFloat16{static_cast<uint16_t>(x >> 16)};
}
inline float toFloat(BFloat16 b) { return floatFromBits(static_cast<uint32_t>(b.bits) << 16); }

// fp32 -> IEEE binary16, round to nearest even, with subnormals; overflow goes to infinity.
inline Half toHalf(float f) {
  uint32_t x = floatBits(f);
  uint32_t sign = (x >> 16) & 0x8000u;
  uint32_t absx = x & 0x7fffffffu;
  if (absx >= 0x7f800000u) {
    if (absx > 0x7f800000u) // NaN: keep the top payload bits, force quiet
      return Half{static_cast<uint16_t>(sign | 0x7e00u | ((absx >> 13) & 0x3ffu))};
    return Half{static_cast<uint16_t>(sign | 0x7c00u)};
  }
  // 65520 is halfway between the largest half (65504) and 2^16; the tie goes to even, i.e. up.
  if (absx >= 0x477ff000u)
    return Half{static_cast<uint16_t>(sign | 0x7c00u)};
  int32_t exp = static_cast<int32_t>(absx >> 23) - 127;
  if (exp >= -14) {
    uint32_t h = (static_cast<uint32_t>(exp + 15) << 10) | ((absx >> 13) & 0x3ffu);
    uint32_t rem = absx & 0x1fffu;
    // A carry out of the mantissa correctly bumps the exponent.
    if (rem > 0x1000u || (rem == 0x1000u && (h & 1u)))
      ++h;
    return Half{static_cast<uint16_t>(sign | h)};
  }
  if (exp < -25)
    return Half{static_cast<uint16_t>(sign)};
  // Subnormal result: count units of 2^-24 in the 24-bit significand.
  uint32_t mant = (absx & 0x7fffffu) | 0x800000u;
  int shift = -exp - 1; // 14..24
  uint32_t h = mant >> shift;
  uint32_t rem = mant & ((1u << shift) - 1u);
  uint32_t halfway = 1u << (shift - 1);
  if (rem > halfway || (rem == halfway && (h & 1u)))
    ++h;
  return Half{static_cast<uint16_t>(sign | h)};
}

// bf16 and f16 are storage types: kernels compute on them in f32 (see the executor's dispatch).
inline bool isHalfFloat(DType type) { return type == DType::BF16 || type == DType::F16; }

inline float toFloat(Half h) {
  uint32_t sign = static_cast<uint32_t>(h.bits & 0x8000u) << 16;
  uint32_t exp = (h.bits >> 10) & 0x1fu;
  uint32_t mant = h.bits & 0x3ffu;
  if (exp == 0) {
    // Zero or subnormal: mant * 2^-24 is exact in fp32.
    float mag = static_cast<float>(mant) * (1.0f / 16777216.0f);
    return floatFromBits(sign | floatBits(mag));
  }
  if (exp == 31)
    return floatFromBits(sign | 0x7f800000u | (mant << 13));
  return floatFromBits(sign | ((exp - 15 + 127) << 23) | (mant << 13));
}

// Maps a C++ element type to its DType, for typed views.
template <typename T> struct DTypeOf;
template <> struct DTypeOf<float> { static constexpr DType value = DType::F32; };
template <> struct DTypeOf<double> { static constexpr DType value = DType::F64; };
template <> struct DTypeOf<BFloat16> { static constexpr DType value = DType::BF16; };
template <> struct DTypeOf<Half> { static constexpr DType value = DType::F16; };
template <> struct DTypeOf<int64_t> { static constexpr DType value = DType::I64; };
template <> struct DTypeOf<int32_t> { static constexpr DType value = DType::I32; };
template <> struct DTypeOf<uint8_t> { static constexpr DType value = DType::U8; };

} // namespace ds::rt

#endif // DS_RUNTIME_DTYPE_H
