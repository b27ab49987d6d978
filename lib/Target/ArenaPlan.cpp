//===- ArenaPlan.cpp - offsets of transient buffers in one arena ----------===//
//
// Best fit rather than first fit: the GPT's activations come in a few sizes that recur layer
// after layer, so the smallest gap that fits tends to be one an equal buffer just left.
//
//===----------------------------------------------------------------------===//

#include "ds/Target/ArenaPlan.h"

#include <algorithm>
#include <limits>

namespace ds {

namespace {
int64_t alignUp(int64_t bytes) {
  return (bytes + ArenaPlanner::kArenaAlignment - 1) / ArenaPlanner::kArenaAlignment *
         ArenaPlanner::kArenaAlignment;
}
} // namespace

int64_t ArenaPlanner::allocate(int64_t bytes) {
  // An empty buffer still takes a byte, so that every live buffer has its own offset.
  int64_t size = std::max<int64_t>(bytes, 1);
  int64_t best = -1;
  int64_t bestGap = std::numeric_limits<int64_t>::max();
  int64_t candidate = 0; // the first aligned offset after the previous live block
  for (const auto &[offset, blockBytes] : blocks) {
    int64_t gap = offset - candidate;
    if (gap >= size && gap < bestGap) {
      best = candidate;
      bestGap = gap;
    }
    candidate = std::max(candidate, alignUp(offset + std::max<int64_t>(blockBytes, 1)));
  }
  if (best < 0)
    best = candidate; // past the last live block
  blocks.emplace(best, bytes);
  extent = std::max(extent, best + bytes);
  live += bytes;
  peakLive = std::max(peakLive, live);
  return best;
}

bool ArenaPlanner::free(int64_t offset) {
  auto it = blocks.find(offset);
  if (it == blocks.end())
    return false;
  live -= it->second;
  blocks.erase(it);
  return true;
}

} // namespace ds
