//===- ArenaPlan.h - offsets of transient buffers in one arena -*- C++ -*-===//
//
// The placement half of the memory planner: given a function's allocations and frees in
// program order, gives every buffer a byte offset in one arena so that buffers live at the
// same time never share a byte. No MLIR here; MemoryPlan.cpp feeds it a function's events.
//
//===----------------------------------------------------------------------===//

#ifndef DS_TARGET_ARENAPLAN_H
#define DS_TARGET_ARENAPLAN_H

#include <cstdint>
#include <map>

namespace ds {

/// Best-fit placement over the gaps between live blocks, deterministic (ties go to the lowest
/// offset). Offsets are multiples of kArenaAlignment, as the runtime's allocator aligns.
class ArenaPlanner {
public:
  static constexpr int64_t kArenaAlignment = 64;

  /// Places a buffer of `bytes` and returns its offset.
  int64_t allocate(int64_t bytes);
  /// Frees the buffer placed at `offset`; false when none is live there.
  bool free(int64_t offset);

  /// The arena this sequence needs: the largest end of any buffer placed so far.
  int64_t getExtentBytes() const { return extent; }
  int64_t getLiveBytes() const { return live; }
  /// The most bytes live at once: no placement can make the arena smaller.
  int64_t getPeakLiveBytes() const { return peakLive; }

private:
  std::map<int64_t, int64_t> blocks; // live buffers: offset -> bytes
  int64_t extent = 0;
  int64_t live = 0;
  int64_t peakLive = 0;
};

} // namespace ds

#endif // DS_TARGET_ARENAPLAN_H
