// The device arena (one allocation, buffers at their planned offsets, clean failure on an
// impossible size) and pinned host buffers. Tests that touch the GPU skip when none is present; the
// argument checks that never reach CUDA run everywhere.
#include "CudaTestSupport.h"

#include "ds/Runtime/Kernels/CUDA.h"

#include <cstring>
#include <string>
#include <vector>

namespace {

using namespace ds::rt;
using namespace ds::rt::cuda::test;

TEST(DeviceArena, PlacesBuffersAtTheirOffsets) {
  REQUIRE_CUDA_DEVICE();
  StatusOr<gpu::DeviceArena> arena = gpu::DeviceArena::create(1 << 20);
  ASSERT_TRUE(arena.isOk()) << arena.status().message();
  ASSERT_TRUE(arena->bytes() == (1 << 20));
  // Three buffers as a plan would lay them out, each filled with its own byte.
  const struct {
    int64_t offset, bytes;
    uint8_t fill;
  } buffers[] = {{0, 256, 0x11}, {256, 3840, 0x22}, {(1 << 20) - 100, 100, 0x33}};
  ASSERT_OK(gpu::copyToDevice(arena->base(), std::vector<uint8_t>(1 << 20, 0).data(), 1 << 20));
  for (const auto &b : buffers) {
    StatusOr<void *> p = arena->place(b.offset, b.bytes);
    ASSERT_TRUE(p.isOk()) << p.status().message();
    EXPECT_TRUE(*p == static_cast<char *>(arena->base()) + b.offset);
    ASSERT_OK(gpu::copyToDevice(*p, std::vector<uint8_t>(b.bytes, b.fill).data(), b.bytes));
  }
  std::vector<uint8_t> host(1 << 20);
  ASSERT_OK(gpu::copyToHost(host.data(), arena->base(), host.size()));
  int64_t wrong = 0;
  for (int64_t i = 0; i < (1 << 20); ++i) {
    uint8_t want = 0;
    for (const auto &b : buffers)
      if (i >= b.offset && i < b.offset + b.bytes)
        want = b.fill;
    wrong += host[i] != want;
  }
  EXPECT_TRUE(wrong == 0) << wrong << " bytes differ";

  // Moving hands over the allocation; the moved-from arena is empty.
  void *base = arena->base();
  gpu::DeviceArena moved = std::move(*arena);
  EXPECT_TRUE(moved.base() == base && arena->base() == nullptr && arena->bytes() == 0);
}

TEST(DeviceArena, ImpossibleSizeFailsCleanly) {
  REQUIRE_CUDA_DEVICE();
  const int64_t huge = int64_t(1) << 60;
  StatusOr<gpu::DeviceArena> arena = gpu::DeviceArena::create(huge);
  ASSERT_TRUE(!arena.isOk());
  EXPECT_TRUE(arena.status().message().find(std::to_string(huge) + " bytes") != std::string::npos)
      << arena.status().message();
  // The failed cudaMalloc must not leave an error for the next launch to report as its own.
  const std::vector<float> x = {-1.0f, 0.5f, 2.0f};
  DeviceBuffer dX(x), dY(x.size() * 4);
  ASSERT_OK(gpu::gelu(DType::F32, dX.get(), dY.get(), 3, true, nullptr));
}

TEST(DeviceArena, PinnedHostBufferRoundTrip) {
  REQUIRE_CUDA_DEVICE();
  StatusOr<gpu::PinnedHostBuffer> pinned = gpu::PinnedHostBuffer::create(4096);
  ASSERT_TRUE(pinned.isOk()) << pinned.status().message();
  std::memset(pinned->data(), 0x5a, 4096);
  DeviceBuffer dev(4096);
  ASSERT_OK(gpu::copyToDevice(dev.get(), pinned->data(), 4096));
  std::memset(pinned->data(), 0, 4096);
  ASSERT_OK(gpu::copyToHost(pinned->data(), dev.get(), 4096));
  const auto *bytes = static_cast<const uint8_t *>(pinned->data());
  int64_t wrong = 0;
  for (int i = 0; i < 4096; ++i)
    wrong += bytes[i] != 0x5a;
  EXPECT_TRUE(wrong == 0) << wrong << " bytes differ";
}

// No CUDA call is made on these paths, so they run without a device too.
TEST(DeviceArena, RejectsBadSizesAndPlacements) {
  StatusOr<gpu::DeviceArena> negative = gpu::DeviceArena::create(-1);
  EXPECT_TRUE(!negative.isOk() &&
              negative.status().message().find("negative size -1") != std::string::npos);
  StatusOr<gpu::DeviceArena> empty = gpu::DeviceArena::create(0);
  ASSERT_TRUE(empty.isOk()) << empty.status().message();
  EXPECT_TRUE(empty->base() == nullptr && empty->bytes() == 0);
  EXPECT_TRUE(empty->place(0, 0).isOk());
  StatusOr<void *> outside = empty->place(0, 8);
  EXPECT_TRUE(!outside.isOk() &&
              outside.status().message().find(
                  "8 bytes at offset 0 do not fit the arena of 0 bytes") != std::string::npos)
      << outside.status().message();
  EXPECT_TRUE(!empty->place(-4, 0).isOk());
  StatusOr<gpu::PinnedHostBuffer> pinned = gpu::PinnedHostBuffer::create(-5);
  EXPECT_TRUE(!pinned.isOk());
}

} // namespace
