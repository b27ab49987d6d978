// The CUDA device: cudaMalloc'd buffers, copies and fills enqueued on the rank's compute stream.
#include "CudaDevice.h"

#include "ds/Runtime/Kernels/CUDA/Tensor.h"

#include <cuda_runtime.h>

#include <algorithm>
#include <cstring>

namespace ds::rt {

namespace {

Status cudaStatus(cudaError_t error, const std::string &what) {
  if (error == cudaSuccess)
    return Status::ok();
  return Status::error(what + ": " + cudaGetErrorString(error));
}

cudaStream_t asStream(void *stream) { return static_cast<cudaStream_t>(stream); }

} // namespace

bool cudaBackendBuilt() { return true; }

int cudaDeviceCount() {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    (void)cudaGetLastError(); // clear the sticky "no driver" error for later calls
    return 0;
  }
  return count;
}

StatusOr<std::unique_ptr<Device>> createCudaDevice(int localRank) {
  DS_ASSIGN_OR_RETURN(device, CudaDevice::create(localRank));
  return std::unique_ptr<Device>(std::move(device));
}

StatusOr<std::unique_ptr<CudaDevice>> CudaDevice::create(int localRank) {
  int count = 0;
  cudaError_t error = cudaGetDeviceCount(&count);
  if (error != cudaSuccess)
    return Status::error(std::string("no CUDA device: ") + cudaGetErrorString(error));
  if (count == 0)
    return Status::error("no CUDA device: cudaGetDeviceCount reports 0 devices");
  std::unique_ptr<CudaDevice> device(new CudaDevice());
  device->ordinal_ = localRank % count;
  DS_RETURN_IF_ERROR(cudaStatus(cudaSetDevice(device->ordinal_),
                                "cudaSetDevice(" + std::to_string(device->ordinal_) + ")"));
  cudaDeviceProp prop;
  DS_RETURN_IF_ERROR(cudaStatus(cudaGetDeviceProperties(&prop, device->ordinal_),
                                "cudaGetDeviceProperties"));
  device->description_ = "cuda:" + std::to_string(device->ordinal_) + " (" + prop.name + ", sm_" +
                         std::to_string(prop.major) + std::to_string(prop.minor) + ", " +
                         std::to_string(prop.totalGlobalMem >> 30) + " GiB)";
  cudaStream_t stream = nullptr;
  DS_RETURN_IF_ERROR(cudaStatus(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking),
                                "creating the compute stream"));
  device->stream_ = stream;
  DS_ASSIGN_OR_RETURN(matmul, cuda::Matmul::create());
  device->matmul_ = std::move(matmul);
  device->matmulWorkspaceBytes_ = cuda::matmulWorkspaceBytes();
  DS_RETURN_IF_ERROR(cudaStatus(cudaMalloc(&device->matmulWorkspace_,
                                           static_cast<size_t>(device->matmulWorkspaceBytes_)),
                                "allocating the GEMM workspace"));
  return device;
}

CudaDevice::~CudaDevice() {
  if (stream_)
    cudaStreamSynchronize(asStream(stream_));
  matmul_.reset();
  cudaFree(matmulWorkspace_);
  cudaFree(scratch_);
  for (void *p : retiredScratch_)
    cudaFree(p);
  if (stream_)
    cudaStreamDestroy(asStream(stream_));
}

void *CudaDevice::allocate(int64_t bytes) {
  void *ptr = nullptr;
  size_t size = static_cast<size_t>(std::max<int64_t>(bytes, 1));
  if (cudaMalloc(&ptr, size) != cudaSuccess) {
    (void)cudaGetLastError();
    return nullptr;
  }
  // Zero-filled as the interface promises; in stream order, so later kernels see the zeros.
  if (cudaMemsetAsync(ptr, 0, size, asStream(stream_)) != cudaSuccess) {
    cudaFree(ptr);
    return nullptr;
  }
  return ptr; // cudaMalloc aligns to at least 256 bytes
}

void CudaDevice::deallocate(void *ptr, int64_t) {
  if (!ptr)
    return;
  // Kernels still queued may read it; cudaFree does not wait for a non-blocking stream.
  cudaStreamSynchronize(asStream(stream_));
  cudaFree(ptr);
}

Status CudaDevice::fill(void *dst, int64_t count, const void *element, int64_t elementBytes) {
  int64_t bytes = count * elementBytes;
  if (bytes == 0)
    return Status::ok();
  bool zero = !element;
  if (element) {
    zero = true;
    for (int64_t i = 0; i < elementBytes; ++i)
      zero = zero && static_cast<const unsigned char *>(element)[i] == 0;
  }
  if (zero)
    return cudaStatus(cudaMemsetAsync(dst, 0, static_cast<size_t>(bytes), asStream(stream_)),
                      "zeroing " + std::to_string(bytes) + " bytes");
  if (elementBytes == 1 || elementBytes == 2 || elementBytes == 4 || elementBytes == 8)
    return cuda::fill(dst, element, elementBytes, count, stream_);
  // Another element size: written once, then doubled by device copies (log2(count) copies).
  DS_RETURN_IF_ERROR(copyFromHost(dst, element, elementBytes));
  int64_t done = elementBytes;
  while (done < bytes) {
    int64_t chunk = std::min(done, bytes - done);
    DS_RETURN_IF_ERROR(copy(static_cast<char *>(dst) + done, dst, chunk));
    done += chunk;
  }
  return Status::ok();
}

Status CudaDevice::copyFromHost(void *dst, const void *src, int64_t bytes) {
  if (bytes == 0)
    return Status::ok();
  DS_RETURN_IF_ERROR(cudaStatus(cudaMemcpyAsync(dst, src, static_cast<size_t>(bytes),
                                                cudaMemcpyHostToDevice, asStream(stream_)),
                                "copying " + std::to_string(bytes) + " bytes to the device"));
  // The caller may reuse src at once, pinned or not: wait for the copy.
  return cudaStatus(cudaStreamSynchronize(asStream(stream_)), "copying to the device");
}

Status CudaDevice::copyToHost(void *dst, const void *src, int64_t bytes) {
  if (bytes == 0)
    return Status::ok();
  DS_RETURN_IF_ERROR(cudaStatus(cudaMemcpyAsync(dst, src, static_cast<size_t>(bytes),
                                                cudaMemcpyDeviceToHost, asStream(stream_)),
                                "copying " + std::to_string(bytes) + " bytes to the host"));
  return cudaStatus(cudaStreamSynchronize(asStream(stream_)), "copying to the host");
}

Status CudaDevice::copy(void *dst, const void *src, int64_t bytes) {
  if (bytes == 0 || dst == src)
    return Status::ok();
  return cudaStatus(cudaMemcpyAsync(dst, src, static_cast<size_t>(bytes), cudaMemcpyDeviceToDevice,
                                    asStream(stream_)),
                    "copying " + std::to_string(bytes) + " bytes on the device");
}

Status CudaDevice::copy2D(void *dst, int64_t dstPitch, const void *src, int64_t srcPitch,
                          int64_t widthBytes, int64_t rows) {
  if (rows == 0 || widthBytes == 0)
    return Status::ok();
  return cudaStatus(cudaMemcpy2DAsync(dst, static_cast<size_t>(dstPitch), src,
                                      static_cast<size_t>(srcPitch),
                                      static_cast<size_t>(widthBytes), static_cast<size_t>(rows),
                                      cudaMemcpyDeviceToDevice, asStream(stream_)),
                    "a strided copy of " + std::to_string(rows) + " rows of " +
                        std::to_string(widthBytes) + " bytes");
}

Status CudaDevice::synchronize() {
  DS_RETURN_IF_ERROR(
      cudaStatus(cudaStreamSynchronize(asStream(stream_)), "waiting for the compute stream"));
  for (void *p : retiredScratch_)
    cudaFree(p);
  retiredScratch_.clear();
  return Status::ok();
}

StatusOr<void *> CudaDevice::take(int64_t bytes) {
  int64_t aligned = (std::max<int64_t>(bytes, 1) + 255) / 256 * 256;
  if (scratchUsed_ + aligned > scratchBytes_) {
    // Grow to twice what is needed now; the pieces already handed out for this instruction live
    // in the old block, which stays allocated until the device is idle.
    int64_t grown = std::max<int64_t>(2 * (scratchUsed_ + aligned), 1 << 20);
    void *block = nullptr;
    DS_RETURN_IF_ERROR(cudaStatus(cudaMalloc(&block, static_cast<size_t>(grown)),
                                  "allocating " + std::to_string(grown) + " bytes of scratch"));
    if (scratch_)
      retiredScratch_.push_back(scratch_);
    scratch_ = block;
    scratchBytes_ = grown;
    scratchUsed_ = 0;
  }
  void *piece = static_cast<char *>(scratch_) + scratchUsed_;
  scratchUsed_ += aligned;
  return piece;
}

} // namespace ds::rt
