// The host Device: what the executor's fills, copies and strided copies (the reorders of
// collectives along a non-leading dim) do to bytes, as the CUDA device must do them too.
#include "ds/Runtime/Exec/Device.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <numeric>
#include <vector>

using namespace ds::rt;

namespace {

TEST(HostDevice, AllocatesZeroedAlignedMemory) {
  std::unique_ptr<Device> device = createHostDevice();
  EXPECT_EQ(device->kind(), DeviceKind::Host);
  EXPECT_EQ(device->description(), "cpu");
  EXPECT_EQ(device->stream(), nullptr);
  for (int64_t bytes : {0, 1, 63, 64, 1000}) {
    auto *p = static_cast<unsigned char *>(device->allocate(bytes));
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 64, 0u) << bytes;
    for (int64_t i = 0; i < bytes; ++i)
      ASSERT_EQ(p[i], 0) << bytes;
    device->deallocate(p, bytes);
  }
}

TEST(HostDevice, FillsWithAPatternOrZeros) {
  std::unique_ptr<Device> device = createHostDevice();
  std::vector<uint16_t> out(7, 0xffff);
  uint16_t element = 0x3f80; // bf16 1.0
  ASSERT_TRUE(device->fill(out.data(), 5, &element, 2).isOk());
  EXPECT_EQ(out, (std::vector<uint16_t>{0x3f80, 0x3f80, 0x3f80, 0x3f80, 0x3f80, 0xffff, 0xffff}));
  ASSERT_TRUE(device->fill(out.data(), 3, nullptr, 2).isOk());
  EXPECT_EQ(out, (std::vector<uint16_t>{0, 0, 0, 0x3f80, 0x3f80, 0xffff, 0xffff}));
}

TEST(HostDevice, CopiesRowsBetweenPitches) {
  std::unique_ptr<Device> device = createHostDevice();
  // Two pieces of [2, 3] i32 concatenated along dim 1 into [2, 6]: piece i's row r lands at
  // r * 6 + i * 3, as ExecCollectives lays a gathered buffer out.
  std::vector<int32_t> pieces(12);
  std::iota(pieces.begin(), pieces.end(), 0);
  std::vector<int32_t> whole(12, -1);
  for (int i = 0; i < 2; ++i)
    ASSERT_TRUE(device->copy2D(whole.data() + i * 3, 6 * 4, pieces.data() + i * 6, 3 * 4, 3 * 4, 2)
                    .isOk());
  EXPECT_EQ(whole, (std::vector<int32_t>{0, 1, 2, 6, 7, 8, 3, 4, 5, 9, 10, 11}));
  std::vector<int32_t> back(12, -1);
  for (int i = 0; i < 2; ++i)
    ASSERT_TRUE(device->copy2D(back.data() + i * 6, 3 * 4, whole.data() + i * 3, 6 * 4, 3 * 4, 2)
                    .isOk());
  EXPECT_EQ(back, pieces);
}

TEST(HostDevice, CopiesToAndFromTheHost) {
  std::unique_ptr<Device> device = createHostDevice();
  std::vector<float> src = {1, 2, 3}, mid(3), dst(3);
  ASSERT_TRUE(device->copyFromHost(mid.data(), src.data(), 12).isOk());
  ASSERT_TRUE(device->copy(dst.data(), mid.data(), 12).isOk());
  std::vector<float> host(3);
  ASSERT_TRUE(device->copyToHost(host.data(), dst.data(), 12).isOk());
  EXPECT_EQ(host, src);
  EXPECT_TRUE(device->synchronize().isOk());
}

// A build without CUDA, or a machine without a GPU, says why --backend cuda cannot run.
TEST(CudaDevice, SaysWhyThereIsNone) {
  if (cudaBackendBuilt() && cudaDeviceCount() > 0)
    GTEST_SKIP() << "a CUDA device is present";
  auto device = createCudaDevice(0);
  ASSERT_FALSE(device);
  const std::string &message = device.status().message();
  EXPECT_TRUE(message.find("no CUDA device") != std::string::npos ||
              message.find("built without CUDA") != std::string::npos)
      << message;
}

} // namespace
