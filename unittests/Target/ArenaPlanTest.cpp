// The arena planner on random allocation/free sequences: buffers live at the same time never
// overlap, offsets are aligned, and the arena is never smaller than the live-bytes peak.
#include "ds/Target/ArenaPlan.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace {

struct Placed {
  int64_t offset;
  int64_t bytes;
};

TEST(ArenaPlanTest, DisjointLifetimesShareAnOffset) {
  ds::ArenaPlanner arena;
  int64_t a = arena.allocate(1000);
  EXPECT_EQ(a, 0);
  ASSERT_TRUE(arena.free(a));
  EXPECT_EQ(arena.allocate(1000), 0);
  EXPECT_EQ(arena.getExtentBytes(), 1000);
}

TEST(ArenaPlanTest, BestFitTakesTheSmallestGap) {
  ds::ArenaPlanner arena;
  int64_t big = arena.allocate(256);   // [0, 256)
  int64_t keep1 = arena.allocate(64);  // [256, 320)
  int64_t small = arena.allocate(64);  // [320, 384)
  int64_t keep2 = arena.allocate(64);  // [384, 448)
  EXPECT_EQ(keep1, 256);
  EXPECT_EQ(keep2, 384);
  ASSERT_TRUE(arena.free(big));
  ASSERT_TRUE(arena.free(small));
  EXPECT_EQ(arena.allocate(60), small); // the 64-byte gap, not the 256-byte one
  EXPECT_EQ(arena.allocate(200), big);
  EXPECT_EQ(arena.allocate(10), 448);   // no gap left: past the last block
  EXPECT_FALSE(arena.free(7));
}

TEST(ArenaPlanTest, RandomSequencesNeverOverlap) {
  std::mt19937_64 rng(20261128);
  for (int trial = 0; trial < 200; ++trial) {
    ds::ArenaPlanner arena;
    std::vector<Placed> live;
    int64_t liveBytes = 0, peak = 0;
    std::uniform_int_distribution<int64_t> size(0, trial % 2 ? 5000 : 300);
    for (int event = 0; event < 400; ++event) {
      bool allocate = live.empty() || rng() % 5 < 3;
      if (!allocate) {
        size_t victim = rng() % live.size();
        ASSERT_TRUE(arena.free(live[victim].offset));
        liveBytes -= live[victim].bytes;
        live.erase(live.begin() + victim);
        continue;
      }
      int64_t bytes = size(rng);
      int64_t offset = arena.allocate(bytes);
      ASSERT_EQ(offset % ds::ArenaPlanner::kArenaAlignment, 0);
      ASSERT_LE(offset + bytes, arena.getExtentBytes());
      for (const Placed &other : live) {
        // Empty buffers take a byte, so they too get offsets of their own.
        int64_t end = offset + std::max<int64_t>(bytes, 1);
        int64_t otherEnd = other.offset + std::max<int64_t>(other.bytes, 1);
        ASSERT_TRUE(end <= other.offset || otherEnd <= offset)
            << "trial " << trial << ": [" << offset << ", " << end << ") overlaps ["
            << other.offset << ", " << otherEnd << ")";
      }
      live.push_back({offset, bytes});
      liveBytes += bytes;
      peak = std::max(peak, liveBytes);
      ASSERT_EQ(arena.getLiveBytes(), liveBytes);
    }
    EXPECT_EQ(arena.getPeakLiveBytes(), peak);
    EXPECT_GE(arena.getExtentBytes(), peak);
  }
}

TEST(ArenaPlanTest, IsDeterministic) {
  auto run = [] {
    std::mt19937_64 rng(7);
    ds::ArenaPlanner arena;
    std::vector<int64_t> offsets, live;
    for (int event = 0; event < 300; ++event) {
      if (!live.empty() && rng() % 2) {
        size_t victim = rng() % live.size();
        arena.free(live[victim]);
        live.erase(live.begin() + victim);
      } else {
        live.push_back(arena.allocate(static_cast<int64_t>(rng() % 4096)));
        offsets.push_back(live.back());
      }
    }
    return offsets;
  };
  EXPECT_EQ(run(), run());
}

} // namespace
