// Backend-independent parts of communication: names, bus-byte accounting and mesh groups.
#include "ds/Runtime/Communicator.h"

#include <algorithm>

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

} // namespace ds::rt
