// The runtime's own allocator: every buffer of a step comes from here, so the peak it reports
// is what the plan really used (the number the memory planner predicts), not what the OS saw.
// The memory itself comes from the rank's device (host memory or a GPU's).
#ifndef DS_RUNTIME_EXEC_ALLOCATOR_H
#define DS_RUNTIME_EXEC_ALLOCATOR_H

#include "ds/Runtime/Exec/Device.h"

#include <cstddef>
#include <cstdint>

namespace ds::rt {

class TrackingAllocator {
public:
  explicit TrackingAllocator(Device &device) : device_(&device) {}

  // 64-byte aligned, zero-filled memory of `bytes` (at least one byte is allocated).
  void *allocate(int64_t bytes);
  void deallocate(void *ptr, int64_t bytes);

  int64_t currentBytes() const { return current_; }
  int64_t peakBytes() const { return peak_; }
  // Calls to allocate so far: a step that places its transients in the arena makes none.
  int64_t allocations() const { return allocations_; }
  void resetPeak() { peak_ = current_; }

private:
  Device *device_;
  int64_t current_ = 0;
  int64_t peak_ = 0;
  int64_t allocations_ = 0;
};

} // namespace ds::rt

#endif // DS_RUNTIME_EXEC_ALLOCATOR_H
