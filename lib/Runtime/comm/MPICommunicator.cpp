// Communicator over MPI nonblocking collectives. Each communicator owns a private MPI communicator
// (a dup of the world, or a split of it by mesh axes) with MPI_ERRORS_RETURN, so MPI failures
// come back as Status values, and waits poll with a deadline so a missing peer cannot hang a rank.
#include "ds/Runtime/MPICommunicator.h"

#include "CommSupport.h"

#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdio>
#include <functional>
#include <thread>
#include <type_traits>

namespace ds::rt {

namespace {

std::string mpiErrorString(int code) {
  char buf[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(code, buf, &len);
  return std::string(buf, len);
}

// Data movement sends any dtype as words of its size; only reductions need the real type.
MPI_Datatype movementType(DType dtype) {
  switch (dtype) {
  case DType::F32:
    return MPI_FLOAT;
  case DType::F64:
    return MPI_DOUBLE;
  case DType::BF16:
  case DType::F16:
    return MPI_UINT16_T;
  case DType::I64:
    return MPI_INT64_T;
  case DType::I32:
    return MPI_INT32_T;
  case DType::U8:
    return MPI_UINT8_T;
  }
  return MPI_DATATYPE_NULL;
}

MPI_Op mpiOp(ReduceOp op) {
  switch (op) {
  case ReduceOp::Sum:
  case ReduceOp::Avg: // summed, then divided by the group size on completion
    return MPI_SUM;
  case ReduceOp::Max:
    return MPI_MAX;
  case ReduceOp::Min:
    return MPI_MIN;
  }
  return MPI_OP_NULL;
}

// 16-bit sums, which MPI has no type for: each pair is added in fp32 and rounded back to
// nearest even, as the cast kernels round (mixed-precision training reduces 16-bit gradients).
template <typename T> void sumHalves(void *in, void *inout, int *len, MPI_Datatype *) {
  const T *a = static_cast<const T *>(in);
  T *b = static_cast<T *>(inout);
  for (int i = 0; i < *len; ++i) {
    if constexpr (std::is_same_v<T, BFloat16>)
      b[i] = toBFloat16(toFloat(a[i]) + toFloat(b[i]));
    else
      b[i] = toHalf(toFloat(a[i]) + toFloat(b[i]));
  }
}

// Created on first use (after MPI_Init) and kept until MPI_Finalize.
MPI_Op halfSumOp(DType dtype) {
  static MPI_Op bf16 = [] {
    MPI_Op op;
    MPI_Op_create(&sumHalves<BFloat16>, /*commute=*/1, &op);
    return op;
  }();
  static MPI_Op f16 = [] {
    MPI_Op op;
    MPI_Op_create(&sumHalves<Half>, /*commute=*/1, &op);
    return op;
  }();
  return dtype == DType::BF16 ? bf16 : f16;
}

bool isHalf(DType dtype) { return dtype == DType::BF16 || dtype == DType::F16; }

MPI_Op reductionOp(ReduceOp op, DType dtype) {
  return isHalf(dtype) ? halfSumOp(dtype) : mpiOp(op);
}

enum class RequestKind { Collective, Send, Recv };

class MPIRequest final : public CommRequest {
public:
  MPIRequest(MPI_Request request, RequestKind kind, std::string description,
             std::function<void()> onComplete, int expectedCount, MPI_Datatype type)
      : request_(request), kind_(kind), description_(std::move(description)),
        onComplete_(std::move(onComplete)), expectedCount_(expectedCount), type_(type) {}

  ~MPIRequest() override {
    if (done_ || request_ == MPI_REQUEST_NULL)
      return;
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (finalized)
      return;
    if (kind_ == RequestKind::Recv) {
      // An unmatched receive can be withdrawn; a matched one completes into its buffer.
      MPI_Cancel(&request_);
      MPI_Wait(&request_, MPI_STATUS_IGNORE);
    } else if (kind_ == RequestKind::Send) {
      // The send finishes in the background; the caller keeps the buffer alive.
      MPI_Request_free(&request_);
    }
    // MPI forbids cancelling or freeing a nonblocking collective (MPI 3.1, 5.12), so a
    // collective abandoned after a timeout stays pending; the executor treats that as fatal.
  }

  StatusOr<bool> test() override {
    if (done_) {
      if (!result_.isOk())
        return result_;
      return true;
    }
    int flag = 0;
    MPI_Status status;
    int rc = MPI_Test(&request_, &flag, &status);
    if (rc != MPI_SUCCESS) {
      done_ = true;
      result_ = Status::error(description_ + " failed: " + mpiErrorString(rc));
      return result_;
    }
    if (!flag)
      return false;
    done_ = true;
    result_ = finish(status);
    if (!result_.isOk())
      return result_;
    return true;
  }

  Status wait(double timeoutSeconds) override {
    return comm::pollUntilComplete(*this, timeoutSeconds);
  }

  const std::string &description() const override { return description_; }

private:
  Status finish(const MPI_Status &status) {
    if (kind_ == RequestKind::Recv) {
      int got = 0;
      MPI_Status copy = status;
      MPI_Get_count(&copy, type_, &got);
      if (got != expectedCount_)
        return Status::error(description_ + " received " + std::to_string(got) +
                             " elements, expected " + std::to_string(expectedCount_));
    }
    if (onComplete_)
      onComplete_();
    return Status::ok();
  }

  MPI_Request request_;
  RequestKind kind_;
  std::string description_;
  std::function<void()> onComplete_;
  int expectedCount_;
  MPI_Datatype type_;
  bool done_ = false;
  Status result_;
};

class MPICommunicator final : public Communicator {
public:
  MPICommunicator(MPI_Comm comm, std::string name) : comm_(comm), name_(std::move(name)) {
    MPI_Comm_rank(comm_, &rank_);
    MPI_Comm_size(comm_, &size_);
    MPI_Comm_rank(MPI_COMM_WORLD, &worldRank_);
    int *tagUpperBound = nullptr;
    int found = 0;
    MPI_Comm_get_attr(MPI_COMM_WORLD, MPI_TAG_UB, &tagUpperBound, &found);
    tagUpperBound_ = found && tagUpperBound ? *tagUpperBound : 32767;
  }

  ~MPICommunicator() override {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (!finalized && comm_ != MPI_COMM_NULL)
      MPI_Comm_free(&comm_);
  }

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  const std::string &name() const override { return name_; }

  StatusOr<CommHandle> allGather(const void *send, void *recv, int64_t sendCount,
                                 DType dtype) override {
    const char *op = "all_gather";
    std::string desc = describe(op, sendCount, dtype);
    DS_RETURN_IF_ERROR(checkCount(desc, sendCount, size_));
    DS_RETURN_IF_ERROR(checkBuffers(desc, send, recv, sendCount));
    MPI_Datatype type = movementType(dtype);
    const int64_t esize = dtypeSize(dtype);
    const void *sendBuf = send;
    if (send == static_cast<const char *>(recv) + rank_ * sendCount * esize)
      sendBuf = MPI_IN_PLACE;
    MPI_Request req;
    int rc = MPI_Iallgather(sendBuf, static_cast<int>(sendCount), type, recv,
                            static_cast<int>(sendCount), type, comm_, &req);
    return issue(rc, req, RequestKind::Collective, std::move(desc), nullptr, 0, type,
                 CollectiveKind::AllGather, sendCount * size_ * esize);
  }

  StatusOr<CommHandle> reduceScatter(const void *send, void *recv, int64_t recvCount, DType dtype,
                                     ReduceOp op) override {
    std::string desc = describe("reduce_scatter", recvCount, dtype, &op);
    DS_RETURN_IF_ERROR(checkCount(desc, recvCount, size_));
    DS_RETURN_IF_ERROR(checkBuffers(desc, send, recv, recvCount));
    StatusOr<MPI_Datatype> type = reductionType(desc, dtype, op);
    if (!type)
      return type.status();
    MPI_Request req;
    int rc = MPI_Ireduce_scatter_block(send, recv, static_cast<int>(recvCount), *type,
                                       reductionOp(op, dtype),
                                       comm_, &req);
    return issue(rc, req, RequestKind::Collective, std::move(desc),
                 averager(op, recv, recvCount, dtype), 0, *type, CollectiveKind::ReduceScatter,
                 recvCount * size_ * dtypeSize(dtype));
  }

  StatusOr<CommHandle> allReduce(const void *send, void *recv, int64_t count, DType dtype,
                                 ReduceOp op) override {
    std::string desc = describe("all_reduce", count, dtype, &op);
    DS_RETURN_IF_ERROR(checkCount(desc, count, 1));
    DS_RETURN_IF_ERROR(checkBuffers(desc, send, recv, count));
    StatusOr<MPI_Datatype> type = reductionType(desc, dtype, op);
    if (!type)
      return type.status();
    MPI_Request req;
    int rc = MPI_Iallreduce(send == recv ? MPI_IN_PLACE : send, recv, static_cast<int>(count),
                            *type, reductionOp(op, dtype), comm_, &req);
    return issue(rc, req, RequestKind::Collective, std::move(desc), averager(op, recv, count, dtype), 0,
                 *type, CollectiveKind::AllReduce, count * dtypeSize(dtype));
  }

  StatusOr<CommHandle> allToAll(const void *send, void *recv, int64_t chunkCount,
                                DType dtype) override {
    std::string desc = describe("all_to_all", chunkCount, dtype);
    DS_RETURN_IF_ERROR(checkCount(desc, chunkCount, size_));
    DS_RETURN_IF_ERROR(checkBuffers(desc, send, recv, chunkCount));
    if (send == recv && chunkCount > 0)
      return Status::error(desc + ": send and recv must be different buffers");
    MPI_Datatype type = movementType(dtype);
    MPI_Request req;
    int rc = MPI_Ialltoall(send, static_cast<int>(chunkCount), type, recv,
                           static_cast<int>(chunkCount), type, comm_, &req);
    return issue(rc, req, RequestKind::Collective, std::move(desc), nullptr, 0, type,
                 CollectiveKind::AllToAll, chunkCount * size_ * dtypeSize(dtype));
  }

  StatusOr<CommHandle> broadcast(void *buffer, int64_t count, DType dtype, int root) override {
    std::string desc = describe("broadcast", count, dtype) + " from root " + std::to_string(root);
    DS_RETURN_IF_ERROR(checkCount(desc, count, 1));
    DS_RETURN_IF_ERROR(checkBuffers(desc, buffer, buffer, count));
    DS_RETURN_IF_ERROR(checkPeer(desc, root, "root"));
    MPI_Datatype type = movementType(dtype);
    MPI_Request req;
    int rc = MPI_Ibcast(buffer, static_cast<int>(count), type, root, comm_, &req);
    return issue(rc, req, RequestKind::Collective, std::move(desc), nullptr, 0, type,
                 CollectiveKind::Broadcast, count * dtypeSize(dtype));
  }

  StatusOr<CommHandle> send(const void *buffer, int64_t count, DType dtype, int peer,
                            int tag) override {
    std::string desc = describe("send", count, dtype) + " to peer " + std::to_string(peer) +
                       " tag " + std::to_string(tag);
    DS_RETURN_IF_ERROR(checkPointToPoint(desc, buffer, count, peer, tag));
    MPI_Datatype type = movementType(dtype);
    MPI_Request req;
    int rc = MPI_Isend(buffer, static_cast<int>(count), type, peer, tag, comm_, &req);
    return issue(rc, req, RequestKind::Send, std::move(desc), nullptr, 0, type,
                 CollectiveKind::Send, count * dtypeSize(dtype));
  }

  StatusOr<CommHandle> recv(void *buffer, int64_t count, DType dtype, int peer,
                            int tag) override {
    std::string desc = describe("recv", count, dtype) + " from peer " + std::to_string(peer) +
                       " tag " + std::to_string(tag);
    DS_RETURN_IF_ERROR(checkPointToPoint(desc, buffer, count, peer, tag));
    MPI_Datatype type = movementType(dtype);
    MPI_Request req;
    int rc = MPI_Irecv(buffer, static_cast<int>(count), type, peer, tag, comm_, &req);
    return issue(rc, req, RequestKind::Recv, std::move(desc), nullptr, static_cast<int>(count),
                 type, CollectiveKind::Recv, count * dtypeSize(dtype));
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
    MPI_Comm split = MPI_COMM_NULL;
    int rc = MPI_Comm_split(comm_, static_cast<int>(group->color), static_cast<int>(group->key),
                            &split);
    if (rc != MPI_SUCCESS)
      return Status::error("sub-group of group '" + name_ + "': MPI_Comm_split failed: " +
                           mpiErrorString(rc));
    MPI_Comm_set_errhandler(split, MPI_ERRORS_RETURN);
    std::string name;
    for (const std::string &a : axes)
      name += (name.empty() ? "" : ",") + a;
    return std::unique_ptr<Communicator>(
        new MPICommunicator(split, name.empty() ? std::string("self") : name));
  }

private:
  std::string describe(const char *op, int64_t count, DType dtype,
                       const ReduceOp *reduce = nullptr) const {
    return comm::describeCall(op, count, dtype, reduce, name_, rank_, size_, worldRank_);
  }

  // MPI counts are int; `multiple` is how many counts one buffer holds.
  static Status checkCount(const std::string &desc, int64_t count, int64_t multiple) {
    DS_RETURN_IF_ERROR(comm::checkCount(desc, count));
    if (count * multiple > INT_MAX)
      return Status::error(desc + ": more elements than MPI's int counts allow");
    return Status::ok();
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
    DS_RETURN_IF_ERROR(checkCount(desc, count, 1));
    DS_RETURN_IF_ERROR(checkBuffers(desc, buffer, buffer, count));
    DS_RETURN_IF_ERROR(checkPeer(desc, peer, "peer"));
    if (tag < 0 || tag > tagUpperBound_)
      return Status::error(desc + ": tag must be in [0, " + std::to_string(tagUpperBound_) + "]");
    return Status::ok();
  }

  static StatusOr<MPI_Datatype> reductionType(const std::string &desc, DType dtype,
                                              ReduceOp op) {
    DS_RETURN_IF_ERROR(comm::checkReduction(desc, dtype, op));
    return movementType(dtype);
  }

  std::function<void()> averager(ReduceOp op, void *recv, int64_t count, DType dtype) const {
    if (op != ReduceOp::Avg)
      return nullptr;
    if (dtype == DType::F64) {
      const double scale = 1.0 / static_cast<double>(size_);
      double *data = static_cast<double *>(recv);
      return [data, count, scale] {
        for (int64_t i = 0; i < count; ++i)
          data[i] *= scale;
      };
    }
    const float scale = 1.0f / static_cast<float>(size_);
    float *data = static_cast<float *>(recv);
    return [data, count, scale] {
      for (int64_t i = 0; i < count; ++i)
        data[i] *= scale;
    };
  }

  StatusOr<CommHandle> issue(int rc, MPI_Request req, RequestKind kind, std::string desc,
                             std::function<void()> onComplete, int expectedCount,
                             MPI_Datatype type, CollectiveKind counted, int64_t messageBytes) {
    if (rc != MPI_SUCCESS)
      return Status::error(desc + " could not start: " + mpiErrorString(rc));
    countIssued(counted, static_cast<uint64_t>(messageBytes));
    return CommHandle(new MPIRequest(req, kind, std::move(desc), std::move(onComplete),
                                     expectedCount, type));
  }

  MPI_Comm comm_;
  std::string name_;
  int rank_ = 0, size_ = 1, worldRank_ = 0;
  int tagUpperBound_ = 32767;
};

} // namespace

StatusOr<std::unique_ptr<Communicator>> createMPIWorldCommunicator() {
  int initialized = 0, finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  if (!initialized || finalized)
    return Status::error("MPI communicator: MPI is not initialized (call MPI_Init first)");
  MPI_Comm comm = MPI_COMM_NULL;
  // A private duplicate keeps our traffic apart from any other MPI use in the process.
  int rc = MPI_Comm_dup(MPI_COMM_WORLD, &comm);
  if (rc != MPI_SUCCESS)
    return Status::error("MPI communicator: MPI_Comm_dup failed: " + mpiErrorString(rc));
  MPI_Comm_set_errhandler(comm, MPI_ERRORS_RETURN);
  return std::unique_ptr<Communicator>(new MPICommunicator(comm, "world"));
}

} // namespace ds::rt
