// Aligned allocation with byte accounting.
#include "ds/Runtime/Exec/Allocator.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

namespace ds::rt {

void *TrackingAllocator::allocate(int64_t bytes) {
  size_t size = static_cast<size_t>(std::max<int64_t>(bytes, 1));
  size_t rounded = (size + 63) / 64 * 64; // aligned_alloc wants a multiple of the alignment
  void *ptr = std::aligned_alloc(64, rounded);
  if (!ptr)
    return nullptr;
  std::memset(ptr, 0, rounded);
  ++allocations_;
  current_ += bytes;
  peak_ = std::max(peak_, current_);
  return ptr;
}

void TrackingAllocator::deallocate(void *ptr, int64_t bytes) {
  if (!ptr)
    return;
  std::free(ptr);
  current_ -= bytes;
}

} // namespace ds::rt
