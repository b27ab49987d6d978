// Where one rank's buffers live and its kernels run: host memory with the CPU kernels, or one
// GPU's memory with the CUDA kernels. The executor touches buffer bytes only through this
// interface (and the kernels of the device's table), so one instruction loop drives both.
// No CUDA header is needed to use it: a GPU stream is passed around as `void *`.
#ifndef DS_RUNTIME_EXEC_DEVICE_H
#define DS_RUNTIME_EXEC_DEVICE_H

#include "ds/Runtime/Status.h"

#include <cstdint>
#include <memory>
#include <string>

namespace ds::rt {

enum class DeviceKind { Host, Cuda };

class Device {
public:
  virtual ~Device() = default;

  virtual DeviceKind kind() const = 0;
  // "cpu", "cuda:0 (NVIDIA H100 80GB HBM3, sm_90, 79 GiB)".
  virtual const std::string &description() const = 0;

  // `bytes` of zero-filled memory, 64-byte aligned (one byte at least); nullptr when out of memory.
  virtual void *allocate(int64_t bytes) = 0;
  virtual void deallocate(void *ptr, int64_t bytes) = 0;

  // The work below is ordered after every kernel issued before it on this device (on a GPU: it is
  // enqueued on the compute stream), so it sees their results and they do not see its own.
  //
  // dst = `count` copies of the `elementBytes`-byte value at `element` (host memory); a null
  // `element` writes zeros.
  virtual Status fill(void *dst, int64_t count, const void *element, int64_t elementBytes) = 0;
  // Device memory from host memory; `src` may be reused as soon as this returns.
  virtual Status copyFromHost(void *dst, const void *src, int64_t bytes) = 0;
  // Host memory from device memory; waits for the kernels that write `src`.
  virtual Status copyToHost(void *dst, const void *src, int64_t bytes) = 0;
  // Within the device; the ranges must not overlap.
  virtual Status copy(void *dst, const void *src, int64_t bytes) = 0;
  // `rows` rows of `widthBytes` each, from rows `srcPitch` bytes apart to rows `dstPitch` apart:
  // how collectives along a non-leading dimension lay their pieces out.
  virtual Status copy2D(void *dst, int64_t dstPitch, const void *src, int64_t srcPitch,
                        int64_t widthBytes, int64_t rows) = 0;
  // Waits until every kernel and copy issued so far has finished.
  virtual Status synchronize() = 0;

  // The GPU stream kernels are issued on (a cudaStream_t); null on the host.
  virtual void *stream() const { return nullptr; }
};

// Host memory and the CPU kernels.
std::unique_ptr<Device> createHostDevice();

// True when this build has the CUDA backend (the toolkit was found at configure time).
bool cudaBackendBuilt();
// The number of CUDA devices this process sees; 0 without a driver, a device or the backend.
int cudaDeviceCount();
// The GPU of the rank with local rank `localRank` (its number modulo the device count), made
// current for this thread, with a compute stream of its own. Errors say why there is none:
// built without CUDA, no driver, no device.
StatusOr<std::unique_ptr<Device>> createCudaDevice(int localRank);

} // namespace ds::rt

#endif // DS_RUNTIME_EXEC_DEVICE_H
