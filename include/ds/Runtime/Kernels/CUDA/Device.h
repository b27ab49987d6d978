// Device discovery, the few runtime calls the kernel tests and callers need, and the owners of a
// rank's device arena and pinned host staging buffers, without cuda_runtime.h in the caller.
#ifndef DS_RUNTIME_KERNELS_CUDA_DEVICE_H
#define DS_RUNTIME_KERNELS_CUDA_DEVICE_H

#include "ds/Runtime/Status.h"

#include <cstddef>
#include <cstdint>
#include <string>

namespace ds::rt::cuda {

// The number of CUDA devices, or an error with the CUDA runtime's reason (no driver, no device).
StatusOr<int> deviceCount();

// "NAME (sm_XY, N GiB)" of the current device.
StatusOr<std::string> deviceName();

// Thin wrappers so tests and tools can move data without the CUDA headers.
StatusOr<void *> deviceAlloc(size_t bytes);
Status deviceFree(void *ptr);
Status copyToDevice(void *dst, const void *src, size_t bytes);
Status copyToHost(void *dst, const void *src, size_t bytes);
Status deviceSynchronize();

// A rank's device arena: one cudaMalloc of the plan's RankProgram.arena_bytes, in which each
// transient buffer lives at base + its Buffer.arena_offset (as the CPU executor places them), so
// the steady state allocates nothing. Move-only; the memory is freed with the last owner.
class DeviceArena {
public:
  // An arena of `bytes` (0 gives an empty arena with a null base). The error names the size.
  static StatusOr<DeviceArena> create(int64_t bytes);

  DeviceArena() = default;
  DeviceArena(DeviceArena &&other) noexcept;
  DeviceArena &operator=(DeviceArena &&other) noexcept;
  DeviceArena(const DeviceArena &) = delete;
  DeviceArena &operator=(const DeviceArena &) = delete;
  ~DeviceArena();

  void *base() const { return base_; }
  int64_t bytes() const { return bytes_; }

  // The device address of a buffer of `size` bytes at `offset`, or an error naming both when it
  // does not fit inside the arena.
  StatusOr<void *> place(int64_t offset, int64_t size) const;

private:
  void *base_ = nullptr;
  int64_t bytes_ = 0;
};

// Page-locked host memory (cudaMallocHost) for staging offloaded tensors, so copies to and from the
// device can run asynchronously on a stream. Move-only, freed with the last owner.
class PinnedHostBuffer {
public:
  static StatusOr<PinnedHostBuffer> create(int64_t bytes);

  PinnedHostBuffer() = default;
  PinnedHostBuffer(PinnedHostBuffer &&other) noexcept;
  PinnedHostBuffer &operator=(PinnedHostBuffer &&other) noexcept;
  PinnedHostBuffer(const PinnedHostBuffer &) = delete;
  PinnedHostBuffer &operator=(const PinnedHostBuffer &) = delete;
  ~PinnedHostBuffer();

  void *data() const { return data_; }
  int64_t bytes() const { return bytes_; }

private:
  void *data_ = nullptr;
  int64_t bytes_ = 0;
};

} // namespace ds::rt::cuda

#endif // DS_RUNTIME_KERNELS_CUDA_DEVICE_H
