//===- CollectiveCheck.cpp - every rank issues matching collectives -------===//
//
// Ranks in different groups of an axis never talk on it, so each group is checked on its own:
// the members' lists of collectives on that axis must match entry by entry.
//
//===----------------------------------------------------------------------===//

#include "ds/Target/CollectiveCheck.h"

#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/Twine.h"

#include <map>
#include <string>
#include <vector>

namespace ds {

namespace {

const llvm::StringSet<> &getCollectiveOps() {
  static const llvm::StringSet<> ops = {"all_gather", "reduce_scatter", "all_reduce",
                                        "all_to_all", "broadcast",      "send",
                                        "recv"};
  return ops;
}

int64_t getElementBytes(plan::DType dtype) {
  switch (dtype) {
  case plan::F64:
  case plan::I64:
    return 8;
  case plan::F32:
  case plan::I32:
    return 4;
  case plan::F16:
  case plan::BF16:
    return 2;
  default:
    return 1;
  }
}

int64_t getBufferBytes(const plan::Plan &plan, uint32_t id) {
  if (id >= static_cast<uint32_t>(plan.buffers_size()))
    return -1;
  const plan::Buffer &buffer = plan.buffers(id);
  int64_t bytes = getElementBytes(buffer.dtype());
  for (int64_t dim : buffer.shape())
    bytes *= dim;
  return bytes;
}

/// One collective as its group sees it: everything that must agree across members.
struct CollectiveEntry {
  int64_t rank = 0;
  int64_t index = 0; // in the rank's instruction list
  const plan::Instruction *instruction = nullptr;
  std::string signature;
  std::string description;
};

CollectiveEntry describe(const plan::Plan &plan, int64_t rank, int64_t index,
                         const plan::Instruction &instruction) {
  CollectiveEntry entry{rank, index, &instruction, "", ""};
  std::string sizes;
  for (uint32_t id : instruction.operands())
    sizes += " in " + std::to_string(getBufferBytes(plan, id)) + " B";
  for (uint32_t id : instruction.results())
    sizes += " out " + std::to_string(getBufferBytes(plan, id)) + " B";
  // Attributes in key order (the map's own order is unspecified); the axis is the group's.
  std::map<std::string, std::string> attrs;
  for (const auto &[key, value] : instruction.attrs())
    if (key != "axis")
      attrs[key] = value.ShortDebugString();
  std::string attrText;
  for (const auto &[key, value] : attrs)
    attrText += " " + key + "={" + value + "}";
  entry.signature = instruction.op() + sizes + attrText;
  entry.description = "rank " + std::to_string(rank) + " instruction " + std::to_string(index) +
                      " (" + instruction.op() + sizes + attrText +
                      (instruction.loc().empty() ? "" : " at " + instruction.loc()) + ")";
  return entry;
}

std::string getAxis(const plan::Instruction &instruction) {
  auto it = instruction.attrs().find("axis");
  if (it == instruction.attrs().end() || it->second.value_case() != plan::Attr::kS)
    return "";
  return it->second.s();
}

} // namespace

llvm::Error checkCollectiveOrder(const plan::Plan &plan) {
  const plan::Mesh &mesh = plan.mesh();
  std::vector<int64_t> sizes(mesh.axis_sizes().begin(), mesh.axis_sizes().end());
  for (int axis = 0; axis < mesh.axis_names_size(); ++axis) {
    const std::string &axisName = mesh.axis_names(axis);
    // Row-major: the stride of this axis, and each rank's group key (its rank with this
    // axis's coordinate zeroed).
    int64_t stride = 1;
    for (size_t later = axis + 1; later < sizes.size(); ++later)
      stride *= sizes[later];
    // Per group: each member's rank and its collectives on this axis, in program order.
    std::map<int64_t, std::vector<std::pair<int64_t, std::vector<CollectiveEntry>>>> groups;
    for (const plan::RankProgram &program : plan.programs()) {
      int64_t rank = program.rank();
      int64_t coordinate = (rank / stride) % sizes[axis];
      std::vector<CollectiveEntry> entries;
      for (int64_t i = 0; i < program.instructions_size(); ++i) {
        const plan::Instruction &instruction = program.instructions(i);
        if (getCollectiveOps().contains(instruction.op()) && getAxis(instruction) == axisName)
          entries.push_back(describe(plan, rank, i, instruction));
      }
      groups[rank - coordinate * stride].push_back({rank, std::move(entries)});
    }
    for (auto &[key, members] : groups) {
      const auto &[firstRank, first] = members.front();
      for (size_t m = 1; m < members.size(); ++m) {
        const auto &[otherRank, other] = members[m];
        size_t common = std::min(first.size(), other.size());
        for (size_t k = 0; k < common; ++k)
          if (first[k].signature != other[k].signature)
            return llvm::createStringError(
                "collective " + std::to_string(k) + " on mesh axis '" + axisName +
                "' differs between group members: " + first[k].description + " vs " +
                other[k].description);
        if (first.size() != other.size()) {
          const CollectiveEntry &extra = first.size() > other.size() ? first[common] : other[common];
          int64_t shortRank = first.size() > other.size() ? otherRank : firstRank;
          return llvm::createStringError("mesh axis '" + axisName + "': " + extra.description +
                                         " has no counterpart on rank " +
                                         std::to_string(shortRank) + ", which issues only " +
                                         std::to_string(common) + " collectives on that axis");
        }
      }
    }
  }
  return llvm::Error::success();
}

} // namespace ds
