//===- StreamWaits.cpp - which instructions on other streams must finish first
//===//

#include "StreamWaits.h"

#include "llvm/ADT/STLExtras.h"

#include <algorithm>

using namespace ds;

static_assert(
    plan::Stream_ARRAYSIZE == 4,
    "StreamWaits::streamClocks initializes one clock per plan stream");

StreamWaits::Clock StreamWaits::emptyClock() {
  Clock clock;
  clock.fill(-1);
  return clock;
}

llvm::SmallVector<uint32_t> StreamWaits::add(plan::Stream stream,
                                             llvm::ArrayRef<uint32_t> reads,
                                             llvm::ArrayRef<uint32_t> writes) {
  const int64_t index = static_cast<int64_t>(streamOf.size());
  llvm::SmallVector<int64_t> dependencies;
  for (uint32_t buffer : reads)
    dependencies.push_back(accesses[buffer].lastWriter);
  for (uint32_t buffer : writes) {
    BufferAccess &access = accesses[buffer];
    dependencies.push_back(access.lastWriter);
    llvm::append_range(dependencies, access.lastReaders);
  }
  // Latest first: waiting on a late instruction may already cover an earlier
  // one.
  llvm::sort(dependencies, std::greater<int64_t>());

  Clock &clock = streamClocks[stream];
  llvm::SmallVector<uint32_t> waits;
  for (int64_t dependency : dependencies) {
    if (dependency < 0)
      continue;
    plan::Stream other = streamOf[dependency];
    if (other == stream || clock[other] >= dependency)
      continue; // same stream (runs in order), or already waited for
    waits.push_back(static_cast<uint32_t>(dependency));
    const Clock &known = clockAfter[dependency];
    for (size_t s = 0; s < kNumStreams; ++s)
      clock[s] = std::max(clock[s], known[s]);
  }
  clock[stream] = index;
  streamOf.push_back(stream);
  clockAfter.push_back(clock);

  for (uint32_t buffer : reads) {
    BufferAccess &access = accesses[buffer];
    access.lastReaders[stream] = std::max(access.lastReaders[stream], index);
  }
  // Everything before a write is ordered before it, so later accesses need only
  // the write.
  for (uint32_t buffer : writes) {
    BufferAccess &access = accesses[buffer];
    access.lastWriter = index;
    access.lastReaders = emptyClock();
  }
  llvm::sort(waits);
  return waits;
}

plan::Stream StreamWaits::getLastUseStream(uint32_t buffer) const {
  auto access = accesses.find(buffer);
  if (access == accesses.end())
    return plan::COMPUTE;
  int64_t last = access->second.lastWriter;
  for (int64_t reader : access->second.lastReaders)
    last = std::max(last, reader);
  return last < 0 ? plan::COMPUTE : streamOf[last];
}
