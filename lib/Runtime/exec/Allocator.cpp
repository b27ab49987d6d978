// Byte accounting over the device's allocations.
#include "ds/Runtime/Exec/Allocator.h"

#include <algorithm>

namespace ds::rt {

void *TrackingAllocator::allocate(int64_t bytes) {
  void *ptr = device_->allocate(bytes);
  if (!ptr)
    return nullptr;
  ++allocations_;
  current_ += bytes;
  peak_ = std::max(peak_, current_);
  return ptr;
}

void TrackingAllocator::deallocate(void *ptr, int64_t bytes) {
  if (!ptr)
    return;
  device_->deallocate(ptr, bytes);
  current_ -= bytes;
}

} // namespace ds::rt
