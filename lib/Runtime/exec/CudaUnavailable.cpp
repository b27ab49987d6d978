// The CUDA entry points of a build without the CUDA toolkit: they say so.
#include "InstructionContext.h"

#include "ds/Runtime/Exec/Device.h"

namespace ds::rt {

bool cudaBackendBuilt() { return false; }
int cudaDeviceCount() { return 0; }

StatusOr<std::unique_ptr<Device>> createCudaDevice(int) {
  return Status::error("this ds-run was built without CUDA (no CUDA toolkit was found when it "
                       "was configured); use --backend cpu");
}

// Unreachable: without createCudaDevice no executor has a GPU device.
Status runOnCuda(const std::string &op, InstructionContext &c) {
  return c.error("'" + op + "' cannot run on a GPU: this build has no CUDA kernels");
}

} // namespace ds::rt
