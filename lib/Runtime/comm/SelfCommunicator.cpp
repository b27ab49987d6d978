// Collectives over a group of one rank: they complete at once, as copies.
#include "ds/Runtime/SelfCommunicator.h"

#include <cstring>

namespace ds::rt {

namespace {

class DoneRequest final : public CommRequest {
public:
  explicit DoneRequest(std::string description) : description_(std::move(description)) {}
  StatusOr<bool> test() override { return true; }
  Status wait(double) override { return Status::ok(); }
  const std::string &description() const override { return description_; }

private:
  std::string description_;
};

class SelfCommunicator final : public Communicator {
public:
  explicit SelfCommunicator(std::string name) : name_(std::move(name)) {}

  int rank() const override { return 0; }
  int size() const override { return 1; }
  const std::string &name() const override { return name_; }

  StatusOr<CommHandle> allGather(const void *send, void *recv, int64_t sendCount,
                                 DType dtype) override {
    return copy(CollectiveKind::AllGather, "all_gather", send, recv, sendCount, dtype);
  }
  StatusOr<CommHandle> reduceScatter(const void *send, void *recv, int64_t recvCount, DType dtype,
                                     ReduceOp) override {
    return copy(CollectiveKind::ReduceScatter, "reduce_scatter", send, recv, recvCount, dtype);
  }
  StatusOr<CommHandle> allReduce(const void *send, void *recv, int64_t count, DType dtype,
                                 ReduceOp) override {
    // sum, avg, max and min of one contribution are that contribution.
    return copy(CollectiveKind::AllReduce, "all_reduce", send, recv, count, dtype);
  }
  StatusOr<CommHandle> allToAll(const void *send, void *recv, int64_t chunkCount,
                                DType dtype) override {
    return copy(CollectiveKind::AllToAll, "all_to_all", send, recv, chunkCount, dtype);
  }
  StatusOr<CommHandle> broadcast(void *buffer, int64_t count, DType dtype, int root) override {
    if (root != 0)
      return Status::error("broadcast on group '" + name_ + "': root " + std::to_string(root) +
                           " is not a member of a group of 1");
    return copy(CollectiveKind::Broadcast, "broadcast", buffer, buffer, count, dtype);
  }
  StatusOr<CommHandle> send(const void *, int64_t, DType, int peer, int) override {
    return Status::error("send on group '" + name_ + "' of one rank: no peer " +
                         std::to_string(peer) + " to send to");
  }
  StatusOr<CommHandle> recv(void *, int64_t, DType, int peer, int) override {
    return Status::error("recv on group '" + name_ + "' of one rank: no peer " +
                         std::to_string(peer) + " to receive from");
  }
  StatusOr<std::unique_ptr<Communicator>>
  subGroup(const MeshShape &mesh, const std::vector<std::string> &axes) override {
    int64_t total = 1;
    for (const MeshAxis &a : mesh)
      total *= a.size;
    if (total != 1)
      return Status::error("sub-group of group '" + name_ + "': the mesh has " +
                           std::to_string(total) + " ranks but the group has 1");
    std::string name;
    for (const std::string &a : axes)
      name += (name.empty() ? "" : ",") + a;
    return std::unique_ptr<Communicator>(new SelfCommunicator(name.empty() ? "self" : name));
  }

private:
  StatusOr<CommHandle> copy(CollectiveKind kind, const char *op, const void *from, void *to,
                            int64_t count, DType dtype) {
    if (count < 0)
      return Status::error(std::string(op) + " on group '" + name_ + "': negative element count");
    int64_t bytes = count * dtypeSize(dtype);
    if (from != to && bytes > 0)
      std::memmove(to, from, static_cast<size_t>(bytes));
    countIssued(kind, static_cast<uint64_t>(bytes)); // a group of one moves no bytes on the bus
    return CommHandle(new DoneRequest(std::string(op) + " on group '" + name_ + "' (rank 0 of 1)"));
  }

  std::string name_;
};

} // namespace

std::unique_ptr<Communicator> createSelfCommunicator() {
  return std::unique_ptr<Communicator>(new SelfCommunicator("world"));
}

} // namespace ds::rt
