// What the CUDA kernel tests share: device detection and the skip, device buffers, seeded random
// data, f32/bf16 round trips, and the error measure with its DS_CUDA_RESULTS table rows.
#ifndef DS_UNITTESTS_CUDA_CUDATESTSUPPORT_H
#define DS_UNITTESTS_CUDA_CUDATESTSUPPORT_H

#include "TestHarness.h"

#include "ds/Runtime/DType.h"
#include "ds/Runtime/Kernels/CUDA.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace ds::rt::cuda::test {

namespace gpu = ds::rt::cuda;

//===----------------------------------------------------------------------===//
// Device, buffers and reporting
//===----------------------------------------------------------------------===//

// Empty when a device is usable, else why not.
inline const std::string &noDeviceReason() {
  static const std::string reason = [] {
    StatusOr<int> count = gpu::deviceCount();
    if (!count)
      return count.status().message();
    if (*count == 0)
      return std::string("cudaGetDeviceCount reports 0 devices");
    return std::string();
  }();
  return reason;
}

#define REQUIRE_CUDA_DEVICE()                                                                      \
  if (!noDeviceReason().empty())                                                                   \
  GTEST_SKIP() << "no CUDA device: " << noDeviceReason()

#define ASSERT_OK(expr)                                                                            \
  do {                                                                                             \
    ::ds::rt::Status dsTestStatus_ = (expr);                                                       \
    ASSERT_TRUE(dsTestStatus_.isOk()) << dsTestStatus_.message();                                  \
  } while (0)

// A device allocation freed on scope exit; aborts the test process if allocation fails (the
// tests allocate a few MiB).
class DeviceBuffer {
public:
  explicit DeviceBuffer(size_t bytes) {
    StatusOr<void *> p = gpu::deviceAlloc(bytes);
    if (!p) {
      std::fprintf(stderr, "%s\n", p.status().message().c_str());
      std::abort();
    }
    ptr_ = *p;
  }
  template <typename T>
  explicit DeviceBuffer(const std::vector<T> &host) : DeviceBuffer(host.size() * sizeof(T)) {
    Status s = gpu::copyToDevice(ptr_, host.data(), host.size() * sizeof(T));
    if (!s) {
      std::fprintf(stderr, "%s\n", s.message().c_str());
      std::abort();
    }
  }
  DeviceBuffer(const DeviceBuffer &) = delete;
  DeviceBuffer &operator=(const DeviceBuffer &) = delete;
  ~DeviceBuffer() { (void)gpu::deviceFree(ptr_); }

  void *get() const { return ptr_; }
  template <typename T> T *as() const { return static_cast<T *>(ptr_); }
  template <typename T> std::vector<T> download(size_t n) const {
    std::vector<T> host(n);
    Status s = gpu::deviceSynchronize();
    if (s)
      s = gpu::copyToHost(host.data(), ptr_, n * sizeof(T));
    if (!s) {
      std::fprintf(stderr, "%s\n", s.message().c_str());
      std::abort();
    }
    return host;
  }

private:
  void *ptr_ = nullptr;
};

inline std::vector<float> randomFloats(size_t n, uint32_t seed, float lo = -2.0f, float hi = 2.0f) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float &x : v)
    x = dist(gen);
  return v;
}

inline std::vector<uint16_t> toBf16Bits(const std::vector<float> &v) {
  std::vector<uint16_t> out(v.size());
  for (size_t i = 0; i < v.size(); ++i)
    out[i] = toBFloat16(v[i]).bits;
  return out;
}
inline std::vector<float> fromBf16Bits(const std::vector<uint16_t> &v) {
  std::vector<float> out(v.size());
  for (size_t i = 0; i < v.size(); ++i)
    out[i] = toFloat(BFloat16{v[i]});
  return out;
}
// The values a bf16 kernel sees: v rounded to bf16.
inline std::vector<float> roundToBf16(const std::vector<float> &v) {
  return fromBf16Bits(toBf16Bits(v));
}

// Host data in `dtype` (f32 or bf16) on the device.
inline std::unique_ptr<DeviceBuffer> upload(const std::vector<float> &v, DType dtype) {
  if (dtype == DType::BF16)
    return std::make_unique<DeviceBuffer>(toBf16Bits(v));
  return std::make_unique<DeviceBuffer>(v);
}
inline std::vector<float> downloadFloats(const DeviceBuffer &b, size_t n, DType dtype) {
  if (dtype == DType::BF16)
    return fromBf16Bits(b.download<uint16_t>(n));
  return b.download<float>(n);
}

inline double tolFor(DType dtype) { return dtype == DType::BF16 ? 1e-2 : 1e-5; }

inline std::string shapeStr(std::initializer_list<int64_t> dims) {
  std::ostringstream os;
  os << "[";
  bool first = true;
  for (int64_t d : dims) {
    os << (first ? "" : ",") << d;
    first = false;
  }
  os << "]";
  return os.str();
}

inline void appendResult(const std::string &kernel, const std::string &shape, const char *dtype,
                         double err, double tol, bool pass) {
  const char *path = std::getenv("DS_CUDA_RESULTS");
  if (!path || !*path)
    return;
  if (FILE *f = std::fopen(path, "a")) {
    std::fprintf(f, "| %s | %s | %s | %.3g | %.0e | %s |\n", kernel.c_str(), shape.c_str(), dtype,
                 err, tol, pass ? "pass" : "FAIL");
    std::fclose(f);
  }
}

// Max |got - want| over max |want| (NaN where exactly one side is NaN counts as infinite error).
inline double relMaxError(const std::vector<float> &got, const std::vector<float> &want) {
  double maxRef = 0.0, maxErr = 0.0;
  for (float w : want)
    if (std::isfinite(w))
      maxRef = std::max(maxRef, std::fabs(static_cast<double>(w)));
  for (size_t i = 0; i < got.size(); ++i) {
    if (std::isnan(got[i]) || std::isnan(want[i])) {
      if (std::isnan(got[i]) != std::isnan(want[i]))
        return std::numeric_limits<double>::infinity();
      continue;
    }
    maxErr = std::max(maxErr, std::fabs(static_cast<double>(got[i]) - want[i]));
  }
  return maxRef > 0 ? maxErr / maxRef : maxErr;
}

// Records and checks one comparison; returns whether it passed.
inline bool closeEnough(const std::string &kernel, const std::string &shape, DType dtype,
                        const std::vector<float> &got, const std::vector<float> &want, double tol) {
  const double err =
      got.size() == want.size() ? relMaxError(got, want) : std::numeric_limits<double>::infinity();
  const bool pass = err <= tol;
  appendResult(kernel, shape, dtypeName(dtype), err, tol, pass);
  if (!pass)
    std::printf("  %s %s %s: max error %.3g exceeds %.0e\n", kernel.c_str(), shape.c_str(),
                dtypeName(dtype), err, tol);
  return pass;
}

inline constexpr DType kFloatTypes[] = {DType::F32, DType::BF16};

} // namespace ds::rt::cuda::test

#endif // DS_UNITTESTS_CUDA_CUDATESTSUPPORT_H
