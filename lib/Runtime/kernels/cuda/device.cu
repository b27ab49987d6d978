// Device discovery and plain memory movement for callers that do not include the CUDA headers.
#include "ds/Runtime/Kernels/CUDA/Device.h"

#include "Common.cuh"

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

} // namespace ds::rt::cuda
