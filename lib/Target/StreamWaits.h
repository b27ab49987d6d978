//===- StreamWaits.h - which instructions on other streams must finish first
//--===//
//
// The runtime runs each stream in list order but streams side by side, so an
// instruction that touches a buffer another stream reads or writes must wait
// for that stream's instruction.
//
//===----------------------------------------------------------------------===//

#ifndef DS_LIB_TARGET_STREAMWAITS_H
#define DS_LIB_TARGET_STREAMWAITS_H

#include "ds/Plan/Plan.pb.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallVector.h"

#include <array>
#include <cstdint>
#include <vector>

namespace ds {

/// Computes Instruction.waits for a rank's list, one instruction at a time, in
/// list order. It waits only where needed: on the writer of a buffer the
/// instruction reads (a collective's result before its first use, an activation
/// before the collective that sends it), and on earlier readers and writers of
/// a buffer it overwrites or frees. A wait on an instruction also covers
/// everything that instruction had itself waited for, so no wait is repeated.
class StreamWaits {
public:
  /// Records the next instruction, on `stream`, and returns the indices it must
  /// wait for, ascending. A free counts as a write of the freed buffer.
  llvm::SmallVector<uint32_t> add(plan::Stream stream,
                                  llvm::ArrayRef<uint32_t> reads,
                                  llvm::ArrayRef<uint32_t> writes);

  /// The stream of the last instruction that read or wrote `buffer`; COMPUTE
  /// when none has. A free goes there: it is ordered after that use without
  /// stalling any other stream.
  plan::Stream getLastUseStream(uint32_t buffer) const;

private:
  static constexpr size_t kNumStreams = plan::Stream_ARRAYSIZE;
  /// Per stream, the last instruction on it known to have finished (-1: none).
  using Clock = std::array<int64_t, kNumStreams>;
  static Clock emptyClock();

  struct BufferAccess {
    int64_t lastWriter = -1;
    /// Per stream, its last instruction that read the buffer since lastWriter
    /// (-1: none).
    Clock lastReaders = emptyClock();
  };

  std::vector<plan::Stream> streamOf;
  /// What an instruction's stream knows to be finished once the instruction
  /// itself is.
  std::vector<Clock> clockAfter;
  std::array<Clock, kNumStreams> streamClocks = {emptyClock(), emptyClock(),
                                                 emptyClock(), emptyClock()};
  llvm::DenseMap<uint32_t, BufferAccess> accesses;
};

} // namespace ds

#endif // DS_LIB_TARGET_STREAMWAITS_H
