// A rank's GPU as the executor's Device, and what its CUDA kernel table shares between kernels:
// the compute stream, the cuBLASLt GEMM with its workspace, and scratch memory for kernels that
// need a workspace or f32 staging. Private to the CUDA backend (lib/Runtime/exec/cuda).
#ifndef DS_LIB_RUNTIME_EXEC_CUDA_CUDADEVICE_H
#define DS_LIB_RUNTIME_EXEC_CUDA_CUDADEVICE_H

#include "ds/Runtime/Exec/Device.h"
#include "ds/Runtime/Kernels/CUDA/Matmul.h"

#include <memory>
#include <vector>

namespace ds::rt {

class CudaDevice final : public Device {
public:
  static StatusOr<std::unique_ptr<CudaDevice>> create(int localRank);
  ~CudaDevice() override;

  DeviceKind kind() const override { return DeviceKind::Cuda; }
  const std::string &description() const override { return description_; }
  void *allocate(int64_t bytes) override;
  void deallocate(void *ptr, int64_t bytes) override;
  Status fill(void *dst, int64_t count, const void *element, int64_t elementBytes) override;
  Status copyFromHost(void *dst, const void *src, int64_t bytes) override;
  Status copyToHost(void *dst, const void *src, int64_t bytes) override;
  Status copy(void *dst, const void *src, int64_t bytes) override;
  Status copy2D(void *dst, int64_t dstPitch, const void *src, int64_t srcPitch,
                int64_t widthBytes, int64_t rows) override;
  Status synchronize() override;
  void *stream() const override { return stream_; }

  cuda::Matmul &matmul() { return *matmul_; }
  void *matmulWorkspace() const { return matmulWorkspace_; }
  int64_t matmulWorkspaceBytes() const { return matmulWorkspaceBytes_; }

  // Scratch for one instruction: take() hands out 256-byte aligned pieces of one device block,
  // release() makes all of them free again once the instruction's kernels are enqueued (the
  // stream orders the next instruction's use after them). The block grows, outside the step's
  // steady state, when an instruction needs more than it has: the old one is freed after the
  // device has finished with it.
  StatusOr<void *> take(int64_t bytes);
  void release() { scratchUsed_ = 0; }

private:
  CudaDevice() = default;

  std::string description_;
  int ordinal_ = 0;
  void *stream_ = nullptr;
  std::unique_ptr<cuda::Matmul> matmul_;
  void *matmulWorkspace_ = nullptr;
  int64_t matmulWorkspaceBytes_ = 0;
  void *scratch_ = nullptr;
  int64_t scratchBytes_ = 0;
  int64_t scratchUsed_ = 0;
  std::vector<void *> retiredScratch_;
};

} // namespace ds::rt

#endif // DS_LIB_RUNTIME_EXEC_CUDA_CUDADEVICE_H
