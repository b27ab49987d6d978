// Communicator over NCCL. Every communicator of a rank (the world and its sub-groups) issues on one
// non-blocking communication stream, ordered after the caller's compute stream by an event; each
// operation records a completion event that its request polls, so waits have deadlines and NCCL's
// asynchronous errors come back as Status values instead of hangs.
#include "ds/Runtime/NCCLCommunicator.h"

#include "CommSupport.h"

#include <cuda_runtime.h>
#include <nccl.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace ds::rt {

namespace {

std::string cudaMessage(const char *call, cudaError_t err) {
  return std::string(call) + " failed: " + cudaGetErrorString(err);
}

// NCCL's code string plus, when there is one, its last message for `comm` (which names the cause:
// a peer gone, an unsupported type, ...).
std::string ncclMessage(const char *call, ncclResult_t result, ncclComm_t comm) {
  std::string s = std::string(call) + " failed: " + ncclGetErrorString(result);
  const char *last = ncclGetLastError(comm);
  if (last && *last)
    s += std::string(" (") + last + ")";
  return s;
}

ncclDataType_t ncclType(DType dtype) {
  switch (dtype) {
  case DType::F32:
    return ncclFloat32;
  case DType::F64:
    return ncclFloat64;
  case DType::BF16:
    return ncclBfloat16;
  case DType::F16:
    return ncclFloat16;
  case DType::I64:
    return ncclInt64;
  case DType::I32:
    return ncclInt32;
  case DType::U8:
    return ncclUint8;
  }
  return ncclUint8;
}

ncclRedOp_t ncclOp(ReduceOp op) {
  switch (op) {
  case ReduceOp::Sum:
    return ncclSum;
  case ReduceOp::Avg:
    return ncclAvg;
  case ReduceOp::Max:
    return ncclMax;
  case ReduceOp::Min:
    return ncclMin;
  }
  return ncclSum;
}

// The communication stream of one rank and the events its operations record, shared by the world
// communicator, its sub-groups and their requests; the last of them to go destroys it.
class CommStream {
public:
  static StatusOr<std::shared_ptr<CommStream>> create(int device, cudaStream_t compute) {
    std::shared_ptr<CommStream> s(new CommStream(device, compute));
    cudaError_t err = cudaStreamCreateWithFlags(&s->stream_, cudaStreamNonBlocking);
    if (err != cudaSuccess) {
      s->stream_ = nullptr;
      return Status::error("NCCL communicator: " + cudaMessage("cudaStreamCreateWithFlags", err));
    }
    return s;
  }

  ~CommStream() {
    // Pending work still finishes: CUDA releases a destroyed stream's resources once it drains.
    for (cudaEvent_t e : free_)
      (void)cudaEventDestroy(e);
    if (stream_)
      (void)cudaStreamDestroy(stream_);
  }

  int device() const { return device_; }
  cudaStream_t stream() const { return stream_; }
  cudaStream_t compute() const { return compute_; }

  // An event from the pool, or a new one; timing is off since only ordering and completion matter.
  StatusOr<cudaEvent_t> takeEvent() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!free_.empty()) {
        cudaEvent_t e = free_.back();
        free_.pop_back();
        return e;
      }
    }
    // On the stream's device, which an event recorded on it must share, whatever the calling
    // thread has current.
    int current = device_;
    cudaError_t err = cudaGetDevice(&current);
    if (err == cudaSuccess && current != device_)
      err = cudaSetDevice(device_);
    cudaEvent_t e = nullptr;
    if (err == cudaSuccess)
      err = cudaEventCreateWithFlags(&e, cudaEventDisableTiming);
    if (current != device_)
      (void)cudaSetDevice(current);
    if (err != cudaSuccess)
      return Status::error(cudaMessage("cudaEventCreateWithFlags", err));
    return e;
  }

  // Reuse is safe even while work recorded on `e` is pending: a later cudaEventRecord only
  // changes what later queries and waits see.
  void giveEvent(cudaEvent_t e) {
    std::lock_guard<std::mutex> lock(mu_);
    free_.push_back(e);
  }

private:
  CommStream(int device, cudaStream_t compute) : device_(device), compute_(compute) {}

  int device_;
  cudaStream_t stream_ = nullptr;
  cudaStream_t compute_;
  std::mutex mu_;
  std::vector<cudaEvent_t> free_;
};

// One NCCL communicator, shared by its Communicator and that one's requests (which poll its
// asynchronous error). A communicator that saw an error or still has work that nobody waited
// for is aborted rather than destroyed, since a graceful destroy would wait for that work.
class NcclComm {
public:
  explicit NcclComm(ncclComm_t comm) : comm_(comm) {}
  NcclComm(const NcclComm &) = delete;
  NcclComm &operator=(const NcclComm &) = delete;

  ~NcclComm() {
    ncclResult_t async = ncclSuccess;
    if (ncclCommGetAsyncError(comm_, &async) != ncclSuccess || async != ncclSuccess)
      troubled_ = true;
    if (troubled_)
      (void)ncclCommAbort(comm_);
    else
      (void)ncclCommDestroy(comm_);
  }

  ncclComm_t get() const { return comm_; }
  void markTroubled() { troubled_ = true; }

private:
  ncclComm_t comm_;
  std::atomic<bool> troubled_{false}; // requests may be polled from another thread
};

class NcclRequest final : public CommRequest {
public:
  NcclRequest(std::shared_ptr<CommStream> stream, std::shared_ptr<NcclComm> comm, cudaEvent_t done,
              std::string description)
      : stream_(std::move(stream)), comm_(std::move(comm)), done_(done),
        description_(std::move(description)) {}

  ~NcclRequest() override {
    if (!finished_ && cudaEventQuery(done_) == cudaErrorNotReady)
      comm_->markTroubled(); // abandoned (after a timeout, say): teardown must not wait for it
    stream_->giveEvent(done_);
  }

  StatusOr<bool> test() override {
    if (finished_) {
      if (!result_.isOk())
        return result_;
      return true;
    }
    cudaError_t err = cudaEventQuery(done_);
    if (err == cudaSuccess) {
      finished_ = true;
      // The compute stream's later work is then ordered after the collective on the device too,
      // whichever host thread or stream the caller uses to learn of completion.
      cudaError_t werr = cudaStreamWaitEvent(stream_->compute(), done_, 0);
      if (werr != cudaSuccess)
        result_ = Status::error(description_ + ": " + cudaMessage("cudaStreamWaitEvent", werr));
      if (!result_.isOk())
        return result_;
      return true;
    }
    if (err != cudaErrorNotReady) {
      finished_ = true;
      comm_->markTroubled();
      result_ = Status::error(description_ + " failed: " + cudaMessage("cudaEventQuery", err));
      return result_;
    }
    // Still running: a peer that failed or vanished shows up as the communicator's async error.
    ncclResult_t async = ncclSuccess;
    ncclResult_t rc = ncclCommGetAsyncError(comm_->get(), &async);
    if (rc != ncclSuccess)
      async = rc;
    if (async != ncclSuccess && async != ncclInProgress) {
      finished_ = true;
      comm_->markTroubled();
      result_ = Status::error(description_ + " failed: " +
                              ncclMessage("NCCL (asynchronous error)", async, comm_->get()));
      return result_;
    }
    return false;
  }

  Status wait(double timeoutSeconds) override {
    return comm::pollUntilComplete(*this, timeoutSeconds);
  }

  const std::string &description() const override { return description_; }

private:
  std::shared_ptr<CommStream> stream_;
  std::shared_ptr<NcclComm> comm_;
  cudaEvent_t done_;
  std::string description_;
  bool finished_ = false;
  Status result_;
};

class NcclCommunicator final : public Communicator {
public:
  NcclCommunicator(std::shared_ptr<CommStream> stream, std::shared_ptr<NcclComm> comm,
                   std::string name, int rank, int size, int worldRank)
      : stream_(std::move(stream)), comm_(std::move(comm)), name_(std::move(name)), rank_(rank),
        size_(size), worldRank_(worldRank) {}

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  const std::string &name() const override { return name_; }

  StatusOr<CommHandle> allGather(const void *send, void *recv, int64_t sendCount,
                                 DType dtype) override {
    std::string desc = describe("all_gather", sendCount, dtype);
    DS_RETURN_IF_ERROR(checkCount(desc, sendCount));
    DS_RETURN_IF_ERROR(checkBuffers(desc, send, recv, sendCount));
    // send == recv + rank * sendCount is NCCL's in-place gather as well.
    return issue(std::move(desc), CollectiveKind::AllGather, sendCount * size_ * dtypeSize(dtype),
                 sendCount, [&](ncclComm_t comm, cudaStream_t s) {
                   return ncclAllGather(send, recv, static_cast<size_t>(sendCount),
                                        ncclType(dtype), comm, s);
                 });
  }

  StatusOr<CommHandle> reduceScatter(const void *send, void *recv, int64_t recvCount, DType dtype,
                                     ReduceOp op) override {
    std::string desc = describe("reduce_scatter", recvCount, dtype, &op);
    DS_RETURN_IF_ERROR(checkCount(desc, recvCount));
    DS_RETURN_IF_ERROR(checkBuffers(desc, send, recv, recvCount));
    DS_RETURN_IF_ERROR(checkReduction(desc, dtype, op));
    return issue(std::move(desc), CollectiveKind::ReduceScatter,
                 recvCount * size_ * dtypeSize(dtype), recvCount,
                 [&](ncclComm_t comm, cudaStream_t s) {
                   return ncclReduceScatter(send, recv, static_cast<size_t>(recvCount),
                                            ncclType(dtype), ncclOp(op), comm, s);
                 });
  }

  StatusOr<CommHandle> allReduce(const void *send, void *recv, int64_t count, DType dtype,
                                 ReduceOp op) override {
    std::string desc = describe("all_reduce", count, dtype, &op);
    DS_RETURN_IF_ERROR(checkCount(desc, count));
    DS_RETURN_IF_ERROR(checkBuffers(desc, send, recv, count));
    DS_RETURN_IF_ERROR(checkReduction(desc, dtype, op));
    return issue(std::move(desc), CollectiveKind::AllReduce, count * dtypeSize(dtype), count,
                 [&](ncclComm_t comm, cudaStream_t s) {
                   return ncclAllReduce(send, recv, static_cast<size_t>(count), ncclType(dtype),
                                        ncclOp(op), comm, s);
                 });
  }

  StatusOr<CommHandle> allToAll(const void *send, void *recv, int64_t chunkCount,
                                DType dtype) override {
    std::string desc = describe("all_to_all", chunkCount, dtype);
    DS_RETURN_IF_ERROR(checkCount(desc, chunkCount));
    DS_RETURN_IF_ERROR(checkBuffers(desc, send, recv, chunkCount));
    if (send == recv && chunkCount > 0)
      return Status::error(desc + ": send and recv must be different buffers");
    const size_t chunkBytes = static_cast<size_t>(chunkCount * dtypeSize(dtype));
    return issue(std::move(desc), CollectiveKind::AllToAll, chunkCount * size_ * dtypeSize(dtype),
                 chunkCount, [&](ncclComm_t comm, cudaStream_t s) {
                   // One fused group of a send and a receive per peer (this rank included).
                   ncclResult_t rc = ncclGroupStart();
                   if (rc != ncclSuccess)
                     return rc;
                   const char *from = static_cast<const char *>(send);
                   char *to = static_cast<char *>(recv);
                   for (int peer = 0; peer < size_ && rc == ncclSuccess; ++peer) {
                     rc = ncclSend(from + peer * chunkBytes, static_cast<size_t>(chunkCount),
                                   ncclType(dtype), peer, comm, s);
                     if (rc == ncclSuccess)
                       rc = ncclRecv(to + peer * chunkBytes, static_cast<size_t>(chunkCount),
                                     ncclType(dtype), peer, comm, s);
                   }
                   // The group must be closed even when a member failed to enqueue.
                   ncclResult_t end = ncclGroupEnd();
                   return rc != ncclSuccess ? rc : end;
                 });
  }

  StatusOr<CommHandle> broadcast(void *buffer, int64_t count, DType dtype, int root) override {
    std::string desc = describe("broadcast", count, dtype) + " from root " + std::to_string(root);
    DS_RETURN_IF_ERROR(checkCount(desc, count));
    DS_RETURN_IF_ERROR(checkBuffers(desc, buffer, buffer, count));
    DS_RETURN_IF_ERROR(checkPeer(desc, root, "root"));
    return issue(std::move(desc), CollectiveKind::Broadcast, count * dtypeSize(dtype), count,
                 [&](ncclComm_t comm, cudaStream_t s) {
                   return ncclBroadcast(buffer, buffer, static_cast<size_t>(count),
                                        ncclType(dtype), root, comm, s);
                 });
  }

  // NCCL has no tags: messages between two ranks match in issue order. The tag is checked (>= 0)
  // and kept in the description only.
  StatusOr<CommHandle> send(const void *buffer, int64_t count, DType dtype, int peer,
                            int tag) override {
    std::string desc = describe("send", count, dtype) + " to peer " + std::to_string(peer) +
                       " tag " + std::to_string(tag);
    DS_RETURN_IF_ERROR(checkPointToPoint(desc, buffer, count, peer, tag));
    return issue(std::move(desc), CollectiveKind::Send, count * dtypeSize(dtype), count,
                 [&](ncclComm_t comm, cudaStream_t s) {
                   return ncclSend(buffer, static_cast<size_t>(count), ncclType(dtype), peer,
                                   comm, s);
                 });
  }

  StatusOr<CommHandle> recv(void *buffer, int64_t count, DType dtype, int peer,
                            int tag) override {
    std::string desc = describe("recv", count, dtype) + " from peer " + std::to_string(peer) +
                       " tag " + std::to_string(tag);
    DS_RETURN_IF_ERROR(checkPointToPoint(desc, buffer, count, peer, tag));
    return issue(std::move(desc), CollectiveKind::Recv, count * dtypeSize(dtype), count,
                 [&](ncclComm_t comm, cudaStream_t s) {
                   return ncclRecv(buffer, static_cast<size_t>(count), ncclType(dtype), peer,
                                   comm, s);
                 });
  }

  StatusOr<std::unique_ptr<Communicator>>
  subGroup(const MeshShape &mesh, const std::vector<std::string> &axes) override {
    int64_t total = 1;
    for (const MeshAxis &a : mesh)
      total *= a.size;
    if (total != size_)
      return Status::error("sub-group of group '" + name_ + "': the mesh has " +
                           std::to_string(total) + " ranks but the group has " +
                           std::to_string(size_));
    StatusOr<MeshGroup> group = meshGroup(mesh, axes, rank_);
    if (!group)
      return group.status().withContext("sub-group of group '" + name_ + "'");
    ncclComm_t split = nullptr;
    // config nullptr: the child inherits the parent's (blocking) configuration.
    ncclResult_t rc = ncclCommSplit(comm_->get(), static_cast<int>(group->color),
                                    static_cast<int>(group->key), &split, nullptr);
    if (rc != ncclSuccess)
      return Status::error("sub-group of group '" + name_ +
                           "': " + ncclMessage("ncclCommSplit", rc, comm_->get()));
    if (!split)
      return Status::error("sub-group of group '" + name_ +
                           "': ncclCommSplit gave no communicator");
    auto child = std::make_shared<NcclComm>(split);
    int childRank = 0, childSize = 0;
    rc = ncclCommUserRank(split, &childRank);
    if (rc == ncclSuccess)
      rc = ncclCommCount(split, &childSize);
    if (rc != ncclSuccess)
      return Status::error("sub-group of group '" + name_ +
                           "': " + ncclMessage("ncclCommUserRank/Count", rc, split));
    if (childRank != group->key || childSize != static_cast<int>(group->members.size()))
      return Status::error("sub-group of group '" + name_ + "': ncclCommSplit made rank " +
                           std::to_string(childRank) + " of " + std::to_string(childSize) +
                           ", expected rank " + std::to_string(group->key) + " of " +
                           std::to_string(group->members.size()));
    std::string name;
    for (const std::string &a : axes)
      name += (name.empty() ? "" : ",") + a;
    return std::unique_ptr<Communicator>(
        new NcclCommunicator(stream_, std::move(child), name.empty() ? std::string("self") : name,
                             childRank, childSize, worldRank_));
  }

private:
  std::string describe(const char *op, int64_t count, DType dtype,
                       const ReduceOp *reduce = nullptr) const {
    return comm::describeCall(op, count, dtype, reduce, name_, rank_, size_, worldRank_);
  }

  static Status checkCount(const std::string &desc, int64_t count) {
    return comm::checkCount(desc, count);
  }

  static Status checkBuffers(const std::string &desc, const void *a, const void *b,
                             int64_t count) {
    return comm::checkBuffers(desc, a, b, count);
  }

  Status checkPeer(const std::string &desc, int peer, const char *what) const {
    return comm::checkPeer(desc, peer, what, size_);
  }

  Status checkPointToPoint(const std::string &desc, const void *buffer, int64_t count, int peer,
                           int tag) const {
    DS_RETURN_IF_ERROR(checkCount(desc, count));
    DS_RETURN_IF_ERROR(checkBuffers(desc, buffer, buffer, count));
    DS_RETURN_IF_ERROR(checkPeer(desc, peer, "peer"));
    if (tag < 0)
      return Status::error(desc + ": tag must be >= 0");
    // A lone NCCL send to this rank would wait forever for a receive queued behind it.
    if (peer == rank_)
      return Status::error(desc + ": NCCL cannot send from a rank to itself outside a group");
    return Status::ok();
  }

  // The rules of every backend (CommSupport.h), so a plan that reduces on one reduces here.
  static Status checkReduction(const std::string &desc, DType dtype, ReduceOp op) {
    return comm::checkReduction(desc, dtype, op);
  }

  // Orders the communication stream after the compute stream's work so far, enqueues the NCCL
  // call (none for an empty message, which every member skips alike), and records the event the
  // request polls.
  StatusOr<CommHandle>
  issue(std::string desc, CollectiveKind kind, int64_t messageBytes, int64_t count,
        const std::function<ncclResult_t(ncclComm_t, cudaStream_t)> &enqueue) {
    StatusOr<cudaEvent_t> ready = stream_->takeEvent();
    if (!ready)
      return ready.status().withContext(desc + " could not start");
    cudaError_t err = cudaEventRecord(*ready, stream_->compute());
    if (err == cudaSuccess)
      err = cudaStreamWaitEvent(stream_->stream(), *ready, 0);
    // The wait captured the event's current work; the event itself is free again.
    stream_->giveEvent(*ready);
    if (err != cudaSuccess)
      return Status::error(desc + " could not start: " +
                           cudaMessage("ordering after the compute stream", err));
    StatusOr<cudaEvent_t> done = stream_->takeEvent();
    if (!done)
      return done.status().withContext(desc + " could not start");
    if (count > 0) {
      ncclResult_t rc = enqueue(comm_->get(), stream_->stream());
      if (rc != ncclSuccess) {
        stream_->giveEvent(*done);
        return Status::error(desc + " could not start: " +
                             ncclMessage("NCCL", rc, comm_->get()));
      }
    }
    err = cudaEventRecord(*done, stream_->stream());
    if (err != cudaSuccess) {
      // Issued but unobservable: the communicator cannot be finished gracefully any more.
      stream_->giveEvent(*done);
      comm_->markTroubled();
      return Status::error(desc + ": " + cudaMessage("cudaEventRecord", err));
    }
    countIssued(kind, static_cast<uint64_t>(messageBytes));
    return CommHandle(new NcclRequest(stream_, comm_, *done, std::move(desc)));
  }

  std::shared_ptr<CommStream> stream_;
  std::shared_ptr<NcclComm> comm_;
  std::string name_;
  int rank_, size_, worldRank_;
};

} // namespace

StatusOr<std::unique_ptr<Communicator>> createNcclCommunicator(Communicator &bootstrap,
                                                               const NcclOptions &options) {
  const std::string what = "NCCL communicator (rank " + std::to_string(bootstrap.rank()) + " of " +
                           std::to_string(bootstrap.size()) + ")";
  int device = -1;
  cudaError_t err = cudaGetDevice(&device);
  if (err != cudaSuccess)
    return Status::error(what + ": no CUDA device: " + cudaGetErrorString(err));
  StatusOr<std::shared_ptr<CommStream>> stream =
      CommStream::create(device, static_cast<cudaStream_t>(options.computeStream));
  if (!stream)
    return stream.status().withContext(what);

  // Rank 0 broadcasts even when it could not make an id (as zeros), so the other ranks fail
  // instead of waiting for a broadcast that never comes.
  ncclUniqueId id;
  std::memset(&id, 0, sizeof id);
  std::string idError;
  if (bootstrap.rank() == 0) {
    ncclResult_t rc = ncclGetUniqueId(&id);
    if (rc != ncclSuccess) {
      idError = std::string("ncclGetUniqueId failed: ") + ncclGetErrorString(rc);
      std::memset(&id, 0, sizeof id);
    }
  }
  StatusOr<CommHandle> sent =
      bootstrap.broadcast(&id, static_cast<int64_t>(sizeof id), DType::U8, /*root=*/0);
  if (!sent)
    return sent.status().withContext(what + ": sending the NCCL id");
  DS_RETURN_IF_ERROR((*sent)->wait(options.bootstrapTimeoutSeconds)
                         .withContext(what + ": sending the NCCL id"));
  if (!idError.empty())
    return Status::error(what + ": " + idError);
  static const ncclUniqueId zero = [] {
    ncclUniqueId z;
    std::memset(&z, 0, sizeof z);
    return z;
  }();
  if (std::memcmp(&id, &zero, sizeof id) == 0)
    return Status::error(what + ": rank 0 could not make an NCCL id");

  ncclComm_t comm = nullptr;
  ncclResult_t rc = ncclCommInitRank(&comm, bootstrap.size(), id, bootstrap.rank());
  if (rc != ncclSuccess)
    return Status::error(what + ": " + ncclMessage("ncclCommInitRank", rc, nullptr) +
                         " on CUDA device " + std::to_string(device));
  return std::unique_ptr<Communicator>(
      new NcclCommunicator(std::move(*stream), std::make_shared<NcclComm>(comm), "world",
                           bootstrap.rank(), bootstrap.size(), bootstrap.rank()));
}

} // namespace ds::rt
