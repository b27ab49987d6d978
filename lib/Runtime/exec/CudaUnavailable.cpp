// The CUDA entry points of a build without the CUDA toolkit: they say so.
#include "ds/Runtime/Exec/Device.h"

namespace ds::rt {

bool cudaBackendBuilt() { return false; }
int cudaDeviceCount() { return 0; }

StatusOr<std::unique_ptr<Device>> createCudaDevice(int) {
  return Status::error("this ds-run was built without CUDA (no CUDA toolkit was found when it "
                       "was configured); use --backend cpu");
}

} // namespace ds::rt
