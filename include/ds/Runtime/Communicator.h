// The collective-communication interface of one rank in a process group, the byte counters every
// backend keeps, and the device-mesh arithmetic that names sub-groups ("the dp group of rank 3").
// Backends (MPI now, NCCL later) implement Communicator; the executor sees only this header.
#ifndef DS_RUNTIME_COMMUNICATOR_H
#define DS_RUNTIME_COMMUNICATOR_H

#include "ds/Runtime/DType.h"
#include "ds/Runtime/Status.h"

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace ds::rt {

enum class CollectiveKind : uint8_t {
  AllGather,
  ReduceScatter,
  AllReduce,
  AllToAll,
  Broadcast,
  Send,
  Recv,
};
constexpr int kNumCollectiveKinds = 7;
// "all_gather", "reduce_scatter", ... as run.jsonl's comm_bytes keys spell them.
const char *collectiveKindName(CollectiveKind kind);

enum class ReduceOp : uint8_t { Sum, Avg, Max, Min };
const char *reduceOpName(ReduceOp op);

// Bytes one rank puts on the wire for one call, as nccl-tests counts bus traffic: for a group of
// n ranks, (n-1)/n of the full message for all_gather, reduce_scatter and all_to_all, 2(n-1)/n for
// all_reduce, the message for broadcast and send, nothing for recv. `messageBytes` is the full
// message: the gathered output, the reduce_scatter input, the all_reduce buffer, the whole
// all_to_all send buffer. Fractions round down.
uint64_t busBytes(CollectiveKind kind, uint64_t messageBytes, int groupSize);

// Calls and bus bytes per collective kind, since creation or the last reset.
struct CommCounters {
  std::array<uint64_t, kNumCollectiveKinds> bytes{};
  std::array<uint64_t, kNumCollectiveKinds> calls{};

  uint64_t bytesOf(CollectiveKind kind) const { return bytes[static_cast<int>(kind)]; }
  uint64_t callsOf(CollectiveKind kind) const { return calls[static_cast<int>(kind)]; }
  uint64_t totalBytes() const;
};

// An operation in flight. Its buffers must stay alive and untouched until it has completed.
class CommRequest {
public:
  virtual ~CommRequest() = default;
  // True once complete (results in place); an error if the operation failed.
  virtual StatusOr<bool> test() = 0;
  // Blocks until complete or until `timeoutSeconds` (>= 0, may be infinity) have passed; the
  // timeout error names the operation, its group and the rank. A timed-out request stays pending
  // and may be waited on again.
  virtual Status wait(double timeoutSeconds) = 0;
  // "all_reduce(sum, 1024 x f32) on group 'dp' (rank 1 of 2, world rank 3)".
  virtual const std::string &description() const = 0;
};
using CommHandle = std::unique_ptr<CommRequest>;

// A named device mesh over the ranks of a communicator, ranks laid out row-major (the last axis
// varies fastest): {dp=2, tp=2} puts ranks 0,1 in dp row 0 and ranks 0,2 in tp column 0.
struct MeshAxis {
  std::string name;
  int64_t size = 1;
};
using MeshShape = std::vector<MeshAxis>;

// Coordinates of `rank` in the mesh.
StatusOr<std::vector<int64_t>> meshCoordinates(const MeshShape &mesh, int64_t rank);

// The group of `rank` along `axes`: the ranks whose coordinates differ from rank's only on those
// axes. `color` is the same for exactly the members of one group; `key` is rank's position in
// its group (row-major over `axes` in mesh order); `members` lists the group's ranks by position.
struct MeshGroup {
  int64_t color = 0;
  int64_t key = 0;
  std::vector<int64_t> members;
};
StatusOr<MeshGroup> meshGroup(const MeshShape &mesh, const std::vector<std::string> &axes,
                              int64_t rank);

// One rank's endpoint in a process group. Counts are in elements. Every call is nonblocking and
// returns a handle; members must issue the same collectives in the same order. Reductions take
// f32, i32 or i64 (avg: f32 only); data movement takes any dtype (bf16 and f16 travel as raw
// 16-bit words). Argument errors are returned before anything is sent. Calls are issued from one
// thread at a time.
class Communicator {
public:
  virtual ~Communicator() = default;

  virtual int rank() const = 0;
  virtual int size() const = 0;
  // "world" or the mesh axes the group spans, joined by ',' ("dp", "dp,tp").
  virtual const std::string &name() const = 0;

  // recv (size * sendCount) = the members' send buffers in rank order. send may be recv's own
  // slot (recv + rank * sendCount elements) for an in-place gather.
  virtual StatusOr<CommHandle> allGather(const void *send, void *recv, int64_t sendCount,
                                         DType dtype) = 0;
  // recv (recvCount) = reduction over members of their send buffer's chunk number `rank`, where
  // send holds size * recvCount elements.
  virtual StatusOr<CommHandle> reduceScatter(const void *send, void *recv, int64_t recvCount,
                                             DType dtype, ReduceOp op) = 0;
  // recv = reduction of every member's send; send == recv reduces in place.
  virtual StatusOr<CommHandle> allReduce(const void *send, void *recv, int64_t count, DType dtype,
                                         ReduceOp op) = 0;
  // Chunk j of send (chunkCount elements) goes to rank j; chunk i of recv comes from rank i.
  virtual StatusOr<CommHandle> allToAll(const void *send, void *recv, int64_t chunkCount,
                                        DType dtype) = 0;
  // buffer on every member = buffer on `root`.
  virtual StatusOr<CommHandle> broadcast(void *buffer, int64_t count, DType dtype, int root) = 0;
  // Point to point within the group; a recv of a message with another element count fails.
  virtual StatusOr<CommHandle> send(const void *buffer, int64_t count, DType dtype, int peer,
                                    int tag) = 0;
  virtual StatusOr<CommHandle> recv(void *buffer, int64_t count, DType dtype, int peer,
                                    int tag) = 0;

  // The sub-group of this rank along `axes` of `mesh`, whose product must equal size(). Every
  // member of this communicator must call it, with the same arguments.
  virtual StatusOr<std::unique_ptr<Communicator>>
  subGroup(const MeshShape &mesh, const std::vector<std::string> &axes) = 0;

  const CommCounters &counters() const { return counters_; }
  void resetCounters() { counters_ = CommCounters(); }

protected:
  // Backends call this once per successfully issued operation.
  void countIssued(CollectiveKind kind, uint64_t messageBytes) {
    counters_.calls[static_cast<int>(kind)] += 1;
    counters_.bytes[static_cast<int>(kind)] += busBytes(kind, messageBytes, size());
  }

private:
  CommCounters counters_;
};

} // namespace ds::rt

#endif // DS_RUNTIME_COMMUNICATOR_H
