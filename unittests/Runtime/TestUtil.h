// Helpers for the runtime kernel tests: seeded random inputs (never zero), index arithmetic for
// float64 reference implementations, and an all-close assertion that reports the worst element.
#ifndef DS_UNITTESTS_RUNTIME_TESTUTIL_H
#define DS_UNITTESTS_RUNTIME_TESTUTIL_H

#include "ds/Runtime/Shape.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <sstream>
#include <vector>

namespace ds::rt::test {

// Uniform magnitudes in [lo, hi] with random signs: no zeros, so a kernel that writes nothing or
// zeros cannot pass.
inline std::vector<float> randomFloats(size_t n, uint32_t seed, float lo = 0.1f, float hi = 2.0f,
                                       bool positive = false) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> mag(lo, hi);
  std::bernoulli_distribution neg(0.5);
  std::vector<float> v(n);
  for (float &x : v)
    x = (!positive && neg(gen)) ? -mag(gen) : mag(gen);
  return v;
}

inline std::vector<int64_t> randomInts(size_t n, uint32_t seed, int64_t lo, int64_t hi) {
  std::mt19937 gen(seed);
  std::uniform_int_distribution<int64_t> dist(lo, hi);
  std::vector<int64_t> v(n);
  for (int64_t &x : v)
    x = dist(gen);
  return v;
}

// Multi-index of `linear` in row-major `shape`.
inline std::vector<int64_t> unravel(int64_t linear, const Shape &shape) {
  std::vector<int64_t> idx(shape.size());
  for (size_t i = shape.size(); i-- > 0;) {
    idx[i] = shape[i] ? linear % shape[i] : 0;
    linear = shape[i] ? linear / shape[i] : 0;
  }
  return idx;
}

inline int64_t ravel(const std::vector<int64_t> &idx, const Shape &shape) {
  int64_t linear = 0;
  for (size_t i = 0; i < shape.size(); ++i)
    linear = linear * shape[i] + idx[i];
  return linear;
}

// Linear index into `in` of the element that broadcasts to output multi-index `outIdx`.
inline int64_t broadcastSource(const std::vector<int64_t> &outIdx, const Shape &in) {
  const size_t lead = outIdx.size() - in.size();
  int64_t linear = 0;
  for (size_t i = 0; i < in.size(); ++i)
    linear = linear * in[i] + (in[i] == 1 ? 0 : outIdx[lead + i]);
  return linear;
}

// |got - want| <= atol + rtol * |want| for every element; NaN matches NaN and infinities must
// match exactly.
inline ::testing::AssertionResult allClose(const float *got, const std::vector<double> &want,
                                           double rtol, double atol) {
  size_t bad = 0, worst = 0;
  double worstExcess = -1.0;
  for (size_t i = 0; i < want.size(); ++i) {
    double g = got[i], w = want[i];
    bool ok;
    if (std::isnan(w) || std::isnan(g))
      ok = std::isnan(w) && std::isnan(g);
    else if (std::isinf(w) || std::isinf(g))
      ok = g == w;
    else
      ok = std::fabs(g - w) <= atol + rtol * std::fabs(w);
    if (!ok) {
      double excess = std::isfinite(g - w) ? std::fabs(g - w) : INFINITY;
      if (bad == 0 || excess > worstExcess) {
        worst = i;
        worstExcess = excess;
      }
      ++bad;
    }
  }
  if (bad == 0)
    return ::testing::AssertionSuccess();
  std::ostringstream os;
  os << bad << " of " << want.size() << " elements differ; worst at " << worst << ": got "
     << got[worst] << ", want " << want[worst];
  return ::testing::AssertionFailure() << os.str();
}

inline ::testing::AssertionResult allClose(const std::vector<float> &got,
                                           const std::vector<double> &want, double rtol = 1e-5,
                                           double atol = 1e-6) {
  if (got.size() != want.size())
    return ::testing::AssertionFailure()
           << "size " << got.size() << " differs from the expected " << want.size();
  return allClose(got.data(), want, rtol, atol);
}

inline std::vector<double> toDouble(const std::vector<float> &v) {
  return std::vector<double>(v.begin(), v.end());
}

} // namespace ds::rt::test

// Expects a bad Status (or StatusOr) whose message contains `needle`.
#define EXPECT_ERROR_CONTAINS(expr, needle)                                                        \
  do {                                                                                             \
    const auto &dsResult_ = (expr);                                                                     \
    EXPECT_FALSE(dsResult_.isOk()) << "expected an error from " #expr;                             \
    if (!dsResult_.isOk()) {                                                                       \
      std::string dsMessage_ = ::ds::rt::test::messageOf(dsResult_);                               \
      EXPECT_NE(dsMessage_.find(needle), std::string::npos)                                        \
          << "message '" << dsMessage_ << "' lacks '" << needle << "'";                            \
    }                                                                                              \
  } while (0)

#define EXPECT_OK(expr)                                                                            \
  do {                                                                                             \
    const auto &dsResult_ = (expr);                                                                     \
    EXPECT_TRUE(dsResult_.isOk()) << ::ds::rt::test::messageOf(dsResult_);                         \
  } while (0)

#define ASSERT_OK(expr)                                                                            \
  do {                                                                                             \
    const auto &dsResult_ = (expr);                                                                     \
    ASSERT_TRUE(dsResult_.isOk()) << ::ds::rt::test::messageOf(dsResult_);                         \
  } while (0)

namespace ds::rt::test {
inline std::string messageOf(const Status &s) { return s.message(); }
template <typename T> std::string messageOf(const StatusOr<T> &s) { return s.status().message(); }
} // namespace ds::rt::test

#endif // DS_UNITTESTS_RUNTIME_TESTUTIL_H
