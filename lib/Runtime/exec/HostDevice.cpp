// The host as a device: buffers in (64-byte aligned) host memory, every copy a memcpy.
#include "ds/Runtime/Exec/Device.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace ds::rt {

namespace {

class HostDevice final : public Device {
public:
  DeviceKind kind() const override { return DeviceKind::Host; }
  const std::string &description() const override { return description_; }

  void *allocate(int64_t bytes) override {
    size_t size = static_cast<size_t>(std::max<int64_t>(bytes, 1));
    size_t rounded = (size + 63) / 64 * 64; // aligned_alloc wants a multiple of the alignment
    void *ptr = std::aligned_alloc(64, rounded);
    if (ptr)
      std::memset(ptr, 0, rounded);
    return ptr;
  }
  void deallocate(void *ptr, int64_t) override { std::free(ptr); }

  Status fill(void *dst, int64_t count, const void *element, int64_t elementBytes) override {
    if (!element) {
      std::memset(dst, 0, static_cast<size_t>(count * elementBytes));
      return Status::ok();
    }
    char *out = static_cast<char *>(dst);
    for (int64_t i = 0; i < count; ++i)
      std::memcpy(out + i * elementBytes, element, static_cast<size_t>(elementBytes));
    return Status::ok();
  }
  Status copyFromHost(void *dst, const void *src, int64_t bytes) override {
    return copy(dst, src, bytes);
  }
  Status copyToHost(void *dst, const void *src, int64_t bytes) override {
    return copy(dst, src, bytes);
  }
  Status copy(void *dst, const void *src, int64_t bytes) override {
    if (dst != src && bytes > 0)
      std::memcpy(dst, src, static_cast<size_t>(bytes));
    return Status::ok();
  }
  Status copy2D(void *dst, int64_t dstPitch, const void *src, int64_t srcPitch,
                int64_t widthBytes, int64_t rows) override {
    for (int64_t r = 0; r < rows; ++r)
      std::memcpy(static_cast<char *>(dst) + r * dstPitch,
                  static_cast<const char *>(src) + r * srcPitch, static_cast<size_t>(widthBytes));
    return Status::ok();
  }
  Status synchronize() override { return Status::ok(); }

private:
  std::string description_ = "cpu";
};

} // namespace

std::unique_ptr<Device> createHostDevice() { return std::make_unique<HostDevice>(); }

} // namespace ds::rt
