// Device discovery and the few runtime calls the kernel tests and callers need, without
// cuda_runtime.h in the caller.
#ifndef DS_RUNTIME_KERNELS_CUDA_DEVICE_H
#define DS_RUNTIME_KERNELS_CUDA_DEVICE_H

#include "ds/Runtime/Status.h"

#include <cstddef>
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

} // namespace ds::rt::cuda

#endif // DS_RUNTIME_KERNELS_CUDA_DEVICE_H
