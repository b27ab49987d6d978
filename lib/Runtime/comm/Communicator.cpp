// Backend-independent parts of communication: names, bus-byte accounting and mesh groups.
#include "ds/Runtime/Communicator.h"
#include "CommSupport.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <thread>

namespace ds::rt {

const char *collectiveKindName(CollectiveKind kind) {
  switch (kind) {
  case CollectiveKind::AllGather:
    return "all_gather";
  case CollectiveKind::ReduceScatter:
    return "reduce_scatter";
  case CollectiveKind::AllReduce:
    return "all_reduce";
  case CollectiveKind::AllToAll:
    return "all_to_all";
  case CollectiveKind::Broadcast:
    return "broadcast";
  case CollectiveKind::Send:
    return "send";
  case CollectiveKind::Recv:
    return "recv";
  }
  return "?";
}

const char *reduceOpName(ReduceOp op) {
  switch (op) {
  case ReduceOp::Sum:
    return "sum";
  case ReduceOp::Avg:
    return "avg";
  case ReduceOp::Max:
    return "max";
  case ReduceOp::Min:
    return "min";
  }
  return "?";
}

uint64_t busBytes(CollectiveKind kind, uint64_t messageBytes, int groupSize) {
  const uint64_t n = groupSize > 0 ? static_cast<uint64_t>(groupSize) : 1;
  switch (kind) {
  case CollectiveKind::AllGather:
  case CollectiveKind::ReduceScatter:
  case CollectiveKind::AllToAll:
    return messageBytes * (n - 1) / n;
  case CollectiveKind::AllReduce:
    return 2 * messageBytes * (n - 1) / n;
  case CollectiveKind::Broadcast:
  case CollectiveKind::Send:
    return messageBytes;
  case CollectiveKind::Recv:
    return 0;
  }
  return 0;
}

uint64_t CommCounters::totalBytes() const {
  uint64_t total = 0;
  for (uint64_t b : bytes)
    total += b;
  return total;
}

static Status checkMesh(const MeshShape &mesh) {
  for (size_t i = 0; i < mesh.size(); ++i) {
    if (mesh[i].size < 1)
      return Status::error("mesh axis '" + mesh[i].name + "' has size " +
                           std::to_string(mesh[i].size));
    for (size_t j = 0; j < i; ++j)
      if (mesh[j].name == mesh[i].name)
        return Status::error("mesh axis '" + mesh[i].name + "' appears twice");
  }
  return Status::ok();
}

StatusOr<std::vector<int64_t>> meshCoordinates(const MeshShape &mesh, int64_t rank) {
  DS_RETURN_IF_ERROR(checkMesh(mesh));
  int64_t total = 1;
  for (const MeshAxis &a : mesh)
    total *= a.size;
  if (rank < 0 || rank >= total)
    return Status::error("rank " + std::to_string(rank) + " is outside a mesh of " +
                         std::to_string(total) + " ranks");
  std::vector<int64_t> coords(mesh.size());
  for (size_t i = mesh.size(); i-- > 0;) {
    coords[i] = rank % mesh[i].size;
    rank /= mesh[i].size;
  }
  return coords;
}

StatusOr<MeshGroup> meshGroup(const MeshShape &mesh, const std::vector<std::string> &axes,
                              int64_t rank) {
  StatusOr<std::vector<int64_t>> coordsOr = meshCoordinates(mesh, rank);
  if (!coordsOr)
    return coordsOr.status();
  const std::vector<int64_t> &coords = *coordsOr;
  std::vector<bool> inGroup(mesh.size(), false);
  for (const std::string &name : axes) {
    auto it = std::find_if(mesh.begin(), mesh.end(),
                           [&](const MeshAxis &a) { return a.name == name; });
    if (it == mesh.end()) {
      std::string known;
      for (const MeshAxis &a : mesh)
        known += (known.empty() ? "" : ", ") + a.name;
      return Status::error("mesh has no axis '" + name + "' (axes: " + known + ")");
    }
    size_t i = static_cast<size_t>(it - mesh.begin());
    if (inGroup[i])
      return Status::error("mesh axis '" + name + "' is listed twice");
    inGroup[i] = true;
  }
  MeshGroup g;
  int64_t groupSize = 1;
  for (size_t i = 0; i < mesh.size(); ++i) {
    if (inGroup[i]) {
      g.key = g.key * mesh[i].size + coords[i];
      groupSize *= mesh[i].size;
    } else {
      g.color = g.color * mesh[i].size + coords[i];
    }
  }
  for (int64_t k = 0; k < groupSize; ++k) {
    // Member k: rank's coordinates with the group axes replaced by k's digits.
    std::vector<int64_t> c = coords;
    int64_t rest = k;
    for (size_t i = mesh.size(); i-- > 0;) {
      if (!inGroup[i])
        continue;
      c[i] = rest % mesh[i].size;
      rest /= mesh[i].size;
    }
    int64_t member = 0;
    for (size_t i = 0; i < mesh.size(); ++i)
      member = member * mesh[i].size + c[i];
    g.members.push_back(member);
  }
  return g;
}

//===----------------------------------------------------------------------===//
// What the backends share (CommSupport.h)
//===----------------------------------------------------------------------===//

namespace comm {

std::string describeCall(const char *op, int64_t count, DType dtype, const ReduceOp *reduce,
                         const std::string &group, int rank, int size, int worldRank) {
  std::string s = std::string(op) + "(";
  if (reduce)
    s += std::string(reduceOpName(*reduce)) + ", ";
  s += std::to_string(count) + " x " + dtypeName(dtype) + ") on group '" + group + "' (rank " +
       std::to_string(rank) + " of " + std::to_string(size) + ", world rank " +
       std::to_string(worldRank) + ")";
  return s;
}

Status checkCount(const std::string &desc, int64_t count) {
  if (count < 0)
    return Status::error(desc + ": negative element count");
  return Status::ok();
}

Status checkBuffers(const std::string &desc, const void *a, const void *b, int64_t count) {
  if (count > 0 && (!a || !b))
    return Status::error(desc + ": null buffer");
  return Status::ok();
}

Status checkPeer(const std::string &desc, int peer, const char *what, int groupSize) {
  if (peer < 0 || peer >= groupSize)
    return Status::error(desc + ": " + what + " " + std::to_string(peer) +
                         " is not a rank of the group");
  return Status::ok();
}

Status checkReduction(const std::string &desc, DType dtype, ReduceOp op) {
  const bool isFloat = dtype == DType::F32 || dtype == DType::F64;
  const bool isHalf = dtype == DType::BF16 || dtype == DType::F16;
  if (isHalf && op != ReduceOp::Sum)
    return Status::error(desc + ": 16-bit reductions only sum, got " + dtypeName(dtype));
  if (op == ReduceOp::Avg && !isFloat && !isHalf)
    return Status::error(desc + ": avg needs f32 or f64, got " + dtypeName(dtype));
  if (!isFloat && !isHalf && dtype != DType::I32 && dtype != DType::I64)
    return Status::error(desc + ": reductions take f32, f64, bf16, f16, i32 or i64, got " +
                         dtypeName(dtype));
  return Status::ok();
}

Status pollUntilComplete(CommRequest &request, double timeoutSeconds) {
  if (!(timeoutSeconds >= 0.0))
    return Status::error(request.description() + ": wait timeout must be >= 0 seconds");
  using Clock = std::chrono::steady_clock;
  const Clock::time_point start = Clock::now();
  std::chrono::microseconds nap(20);
  for (int spins = 0;; ++spins) {
    StatusOr<bool> complete = request.test();
    if (!complete)
      return complete.status();
    if (*complete)
      return Status::ok();
    double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    if (elapsed >= timeoutSeconds) {
      char secs[32];
      std::snprintf(secs, sizeof secs, "%g", timeoutSeconds);
      return Status::error(request.description() + " did not complete within " + secs + " s");
    }
    if (spins < 100) {
      std::this_thread::yield();
    } else {
      std::this_thread::sleep_for(nap);
      nap = std::min(nap * 2, std::chrono::microseconds(1000));
    }
  }
}

} // namespace comm

} // namespace ds::rt
