// Device discovery, plain memory movement, and the arena and pinned-buffer owners, for callers
// that do not include the CUDA headers.
#include "ds/Runtime/Kernels/CUDA/Device.h"

#include "Common.cuh"

#include <utility>

namespace ds::rt::cuda {

using detail::fromCuda;

StatusOr<int> deviceCount() {
  int count = 0;
  cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess) {
    cudaGetLastError(); // clear the sticky error so later calls report their own
    return Status::error(std::string("cudaGetDeviceCount: ") + cudaGetErrorString(err));
  }
  return count;
}

StatusOr<std::string> deviceName() {
  int dev = 0;
  DS_RETURN_IF_ERROR(fromCuda(cudaGetDevice(&dev), "cudaGetDevice"));
  cudaDeviceProp prop;
  DS_RETURN_IF_ERROR(fromCuda(cudaGetDeviceProperties(&prop, dev), "cudaGetDeviceProperties"));
  return std::string(prop.name) + " (sm_" + std::to_string(prop.major) +
         std::to_string(prop.minor) + ", " +
         std::to_string(prop.totalGlobalMem >> 30) + " GiB)";
}

StatusOr<void *> deviceAlloc(size_t bytes) {
  void *p = nullptr;
  DS_RETURN_IF_ERROR(fromCuda(cudaMalloc(&p, bytes == 0 ? 1 : bytes), "cudaMalloc"));
  return p;
}

Status deviceFree(void *ptr) { return fromCuda(cudaFree(ptr), "cudaFree"); }

Status copyToDevice(void *dst, const void *src, size_t bytes) {
  return fromCuda(cudaMemcpy(dst, src, bytes, cudaMemcpyHostToDevice), "cudaMemcpy");
}

Status copyToHost(void *dst, const void *src, size_t bytes) {
  return fromCuda(cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToHost), "cudaMemcpy");
}

Status deviceSynchronize() { return fromCuda(cudaDeviceSynchronize(), "cudaDeviceSynchronize"); }

namespace {

// A failed allocation also leaves its error as the runtime's last error; clear it so the next
// kernel launch does not report it as its own.
Status allocationError(cudaError_t err, const char *call, const char *what, int64_t bytes) {
  cudaGetLastError();
  return Status::error(std::string(call) + " of " + std::to_string(bytes) + " bytes for " + what +
                       ": CUDA error: " + cudaGetErrorString(err));
}

} // namespace

StatusOr<DeviceArena> DeviceArena::create(int64_t bytes) {
  if (bytes < 0)
    return Status::error("device arena: negative size " + std::to_string(bytes));
  DeviceArena arena;
  if (bytes == 0)
    return std::move(arena);
  cudaError_t err = cudaMalloc(&arena.base_, static_cast<size_t>(bytes));
  if (err != cudaSuccess) {
    arena.base_ = nullptr;
    return allocationError(err, "cudaMalloc", "the device arena", bytes);
  }
  arena.bytes_ = bytes;
  return std::move(arena);
}

DeviceArena::DeviceArena(DeviceArena &&other) noexcept
    : base_(std::exchange(other.base_, nullptr)), bytes_(std::exchange(other.bytes_, 0)) {}

DeviceArena &DeviceArena::operator=(DeviceArena &&other) noexcept {
  if (this != &other) {
    if (base_)
      cudaFree(base_);
    base_ = std::exchange(other.base_, nullptr);
    bytes_ = std::exchange(other.bytes_, 0);
  }
  return *this;
}

DeviceArena::~DeviceArena() {
  if (base_)
    cudaFree(base_);
}

StatusOr<void *> DeviceArena::place(int64_t offset, int64_t size) const {
  if (offset < 0 || size < 0 || offset > bytes_ || size > bytes_ - offset)
    return Status::error("device arena: " + std::to_string(size) + " bytes at offset " +
                         std::to_string(offset) + " do not fit the arena of " +
                         std::to_string(bytes_) + " bytes");
  return static_cast<void *>(static_cast<char *>(base_) + offset);
}

StatusOr<PinnedHostBuffer> PinnedHostBuffer::create(int64_t bytes) {
  if (bytes < 0)
    return Status::error("pinned host buffer: negative size " + std::to_string(bytes));
  PinnedHostBuffer buffer;
  if (bytes == 0)
    return std::move(buffer);
  cudaError_t err = cudaMallocHost(&buffer.data_, static_cast<size_t>(bytes));
  if (err != cudaSuccess) {
    buffer.data_ = nullptr;
    return allocationError(err, "cudaMallocHost", "a pinned host buffer", bytes);
  }
  buffer.bytes_ = bytes;
  return std::move(buffer);
}

PinnedHostBuffer::PinnedHostBuffer(PinnedHostBuffer &&other) noexcept
    : data_(std::exchange(other.data_, nullptr)), bytes_(std::exchange(other.bytes_, 0)) {}

PinnedHostBuffer &PinnedHostBuffer::operator=(PinnedHostBuffer &&other) noexcept {
  if (this != &other) {
    if (data_)
      cudaFreeHost(data_);
    data_ = std::exchange(other.data_, nullptr);
    bytes_ = std::exchange(other.bytes_, 0);
  }
  return *this;
}

PinnedHostBuffer::~PinnedHostBuffer() {
  if (data_)
    cudaFreeHost(data_);
}

} // namespace ds::rt::cuda
