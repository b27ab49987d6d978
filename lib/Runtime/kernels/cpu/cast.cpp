// Element type conversion. Every pair of dtypes goes through one templated loop: floats meet in
// f32 (in f64 when either side is f64), integers convert directly, and u8 is read and written as a
// bool.
#include "ds/Runtime/Kernels/CPU/Cast.h"

#include "Common.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

namespace ds::rt::cpu {

namespace {

template <typename T>
constexpr bool kIsFloat = std::is_same_v<T, float> || std::is_same_v<T, BFloat16> ||
                          std::is_same_v<T, Half> || std::is_same_v<T, double>;

inline float loadFloat(float v) { return v; }
inline float loadFloat(BFloat16 v) { return toFloat(v); }
inline float loadFloat(Half v) { return toFloat(v); }
inline double loadFloat(double v) { return v; }

// f64 -> bf16/f16 rounds to f32 first (as torch does), so a value within half an f32 ulp of a
// 16-bit tie may round twice; that is below anything a 16-bit result can show.
template <typename D, typename W> inline D storeFloat(W v) {
  if constexpr (std::is_same_v<D, double>)
    return static_cast<double>(v);
  else if constexpr (std::is_same_v<D, float>)
    return static_cast<float>(v);
  else if constexpr (std::is_same_v<D, BFloat16>)
    return toBFloat16(static_cast<float>(v));
  else
    return toHalf(static_cast<float>(v));
}

template <typename S> inline bool isNonzero(S v) {
  if constexpr (kIsFloat<S>)
    return loadFloat(v) != 0.0f; // NaN is true, as bool(nan) in torch
  else
    return v != 0;
}

// D's range as doubles (powers of two, so exact): representable when low <= trunc(v) < high.
template <typename D>
constexpr double kHigh = static_cast<double>(static_cast<uint64_t>(std::numeric_limits<D>::max()) + 1);
template <typename D> constexpr double kLow = -kHigh<D>;

// Finds the first element that has no value in D; returns its index or -1.
template <typename S, typename D> int64_t firstUnrepresentable(const S *src, int64_t n) {
  if constexpr (std::is_same_v<D, uint8_t> || kIsFloat<D>) {
    return -1;
  } else if constexpr (kIsFloat<S>) {
    for (int64_t i = 0; i < n; ++i) {
      double v = std::trunc(static_cast<double>(loadFloat(src[i])));
      if (!(v >= kLow<D> && v < kHigh<D>))
        return i;
    }
    return -1;
  } else {
    for (int64_t i = 0; i < n; ++i) {
      int64_t v = static_cast<int64_t>(src[i]);
      if (v < static_cast<int64_t>(std::numeric_limits<D>::min()) ||
          v > static_cast<int64_t>(std::numeric_limits<D>::max()))
        return i;
    }
    return -1;
  }
}

template <typename S, typename D> inline D convert(S v) {
  if constexpr (std::is_same_v<D, uint8_t>)
    return isNonzero(v) ? 1 : 0;
  else if constexpr (kIsFloat<D> && kIsFloat<S>)
    return storeFloat<D>(loadFloat(v));
  else if constexpr (std::is_same_v<D, double>)
    return static_cast<double>(v);
  else if constexpr (kIsFloat<D>)
    return storeFloat<D>(static_cast<float>(v));
  else if constexpr (kIsFloat<S>)
    return static_cast<D>(loadFloat(v)); // truncates toward zero; range checked before
  else
    return static_cast<D>(v);
}

template <typename S, typename D> Status castLoop(const S *src, D *dst, int64_t n) {
  int64_t bad = firstUnrepresentable<S, D>(src, n);
  if (bad >= 0) {
    std::string value;
    if constexpr (kIsFloat<S>)
      value = std::to_string(loadFloat(src[bad]));
    else
      value = std::to_string(static_cast<int64_t>(src[bad]));
    return Status::error("cast: value " + value + " at index " + std::to_string(bad) +
                         " has no " + dtypeName(DTypeOf<D>::value) + " representation");
  }
#pragma omp parallel for simd schedule(static) if (n > detail::kParallelGrain)
  for (int64_t i = 0; i < n; ++i)
    dst[i] = convert<S, D>(src[i]);
  return Status::ok();
}

template <typename Fn> void dispatchType(DType t, const Fn &fn) {
  switch (t) {
  case DType::F32:
    fn(float{});
    break;
  case DType::BF16:
    fn(BFloat16{});
    break;
  case DType::F16:
    fn(Half{});
    break;
  case DType::F64:
    fn(double{});
    break;
  case DType::I64:
    fn(int64_t{});
    break;
  case DType::I32:
    fn(int32_t{});
    break;
  case DType::U8:
    fn(uint8_t{});
    break;
  }
}

} // namespace

Status cast(const TensorView &x, const MutableTensorView &out) {
  DS_RETURN_IF_ERROR(checkTensor(x, x.dtype, "cast", "input"));
  DS_RETURN_IF_ERROR(checkOutput(out, out.dtype, x.shape, "cast"));
  const int64_t n = x.numel();
  if (x.dtype == out.dtype) {
    if (n)
      std::memcpy(out.data, x.data, x.bytes());
    return Status::ok();
  }
  Status status;
  dispatchType(x.dtype, [&](auto s) {
    using S = decltype(s);
    dispatchType(out.dtype, [&](auto d) {
      using D = decltype(d);
      status = castLoop(x.as<S>(), out.as<D>(), n);
    });
  });
  return status;
}

} // namespace ds::rt::cpu
