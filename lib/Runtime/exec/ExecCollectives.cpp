// The collective table: each ds collective as a call on the communicator of its mesh axis.
// Communicators move flat buffers split along the leading dimension; a collective along another
// dimension stages its data through a temporary and reorders it once the transfer completes.
#include "InstructionContext.h"

#include "ds/Runtime/Kernels/CPU.h"

#include <cstring>
#include <memory>

namespace ds::rt {

namespace {

StatusOr<Communicator *> groupOf(InstructionContext &c) {
  DS_ASSIGN_OR_RETURN(axis, c.s("axis"));
  Communicator *group = c.executor.group(axis);
  if (!group)
    return c.error("the mesh has no axis '" + axis + "'");
  return group;
}

StatusOr<ReduceOp> reduceOpOf(InstructionContext &c) {
  DS_ASSIGN_OR_RETURN(kind, c.s("kind"));
  if (kind == "sum") return ReduceOp::Sum;
  if (kind == "avg") return ReduceOp::Avg;
  if (kind == "max") return ReduceOp::Max;
  if (kind == "min") return ReduceOp::Min;
  return c.error("unknown reduction '" + kind + "'");
}

// True when splitting `shape` along `dim` gives contiguous row-major pieces.
bool leadingSplit(const Shape &shape, int64_t dim) {
  for (int64_t d = 0; d < dim; ++d)
    if (shape[d] != 1)
      return false;
  return true;
}

// A staging buffer that lives until the collective's finish step has run.
std::shared_ptr<std::vector<char>> staging(int64_t bytes) {
  return std::make_shared<std::vector<char>>(static_cast<size_t>(bytes));
}

// `n` views of `pieceShape` laid one after another in `base`.
std::vector<MutableTensorView> pieces(char *base, const Shape &pieceShape, DType dtype, int n) {
  std::vector<MutableTensorView> views;
  int64_t bytes = numElements(pieceShape) * dtypeSize(dtype);
  for (int i = 0; i < n; ++i)
    views.emplace_back(base + i * bytes, pieceShape, dtype);
  return views;
}

StatusOr<IssuedCollective> allGather(InstructionContext &c) {
  DS_ASSIGN_OR_RETURN(group, groupOf(c));
  DS_ASSIGN_OR_RETURN(dimAttr, c.i("dim"));
  TensorView in = c.in(0);
  DS_ASSIGN_OR_RETURN(out, c.out(0));
  DS_ASSIGN_OR_RETURN(dim, normalizeAxis(dimAttr, in.rank(), "all_gather dim"));
  int n = group->size();
  if (leadingSplit(in.shape, dim)) {
    DS_ASSIGN_OR_RETURN(handle, group->allGather(in.data, out.data, in.numel(), in.dtype));
    return IssuedCollective{std::move(handle), nullptr};
  }
  auto buffer = staging(in.bytes() * n);
  DS_ASSIGN_OR_RETURN(handle, group->allGather(in.data, buffer->data(), in.numel(), in.dtype));
  Shape pieceShape = in.shape;
  DType dtype = in.dtype;
  auto finish = [buffer, pieceShape, dtype, n, dim, out]() -> Status {
    std::vector<TensorView> views;
    for (auto &v : pieces(buffer->data(), pieceShape, dtype, n))
      views.push_back(v);
    return cpu::concat(views, dim, out);
  };
  return IssuedCollective{std::move(handle), finish};
}

StatusOr<IssuedCollective> reduceScatter(InstructionContext &c) {
  DS_ASSIGN_OR_RETURN(group, groupOf(c));
  DS_ASSIGN_OR_RETURN(op, reduceOpOf(c));
  DS_ASSIGN_OR_RETURN(dimAttr, c.i("dim"));
  TensorView in = c.in(0);
  DS_ASSIGN_OR_RETURN(out, c.out(0));
  DS_ASSIGN_OR_RETURN(dim, normalizeAxis(dimAttr, in.rank(), "reduce_scatter dim"));
  int n = group->size();
  if (leadingSplit(in.shape, dim)) {
    DS_ASSIGN_OR_RETURN(handle, group->reduceScatter(in.data, out.data, out.numel(), in.dtype, op));
    return IssuedCollective{std::move(handle), nullptr};
  }
  // Lay the n chunks along `dim` out one after another, then scatter the flat buffer.
  auto buffer = staging(in.bytes());
  auto views = pieces(buffer->data(), out.shape, in.dtype, n);
  DS_RETURN_IF_ERROR(cpu::split(in, dim, std::vector<int64_t>(n, out.shape[dim]), views));
  DS_ASSIGN_OR_RETURN(handle, group->reduceScatter(buffer->data(), out.data, out.numel(), in.dtype, op));
  return IssuedCollective{std::move(handle), [buffer]() { return Status::ok(); }};
}

StatusOr<IssuedCollective> allReduce(InstructionContext &c) {
  DS_ASSIGN_OR_RETURN(group, groupOf(c));
  DS_ASSIGN_OR_RETURN(op, reduceOpOf(c));
  TensorView in = c.in(0);
  DS_ASSIGN_OR_RETURN(out, c.out(0));
  DS_ASSIGN_OR_RETURN(handle, group->allReduce(in.data, out.data, in.numel(), in.dtype, op));
  return IssuedCollective{std::move(handle), nullptr};
}

StatusOr<IssuedCollective> allToAll(InstructionContext &c) {
  DS_ASSIGN_OR_RETURN(group, groupOf(c));
  DS_ASSIGN_OR_RETURN(splitAttr, c.i("split_dim"));
  DS_ASSIGN_OR_RETURN(concatAttr, c.i("concat_dim"));
  TensorView in = c.in(0);
  DS_ASSIGN_OR_RETURN(out, c.out(0));
  DS_ASSIGN_OR_RETURN(splitDim, normalizeAxis(splitAttr, in.rank(), "all_to_all split_dim"));
  DS_ASSIGN_OR_RETURN(concatDim, normalizeAxis(concatAttr, in.rank(), "all_to_all concat_dim"));
  int n = group->size();
  Shape chunkShape = in.shape;
  chunkShape[splitDim] /= n;
  int64_t chunkCount = numElements(chunkShape);
  auto sendBuffer = staging(in.bytes());
  auto recvBuffer = staging(in.bytes());
  auto sendViews = pieces(sendBuffer->data(), chunkShape, in.dtype, n);
  DS_RETURN_IF_ERROR(cpu::split(in, splitDim, std::vector<int64_t>(n, chunkShape[splitDim]), sendViews));
  DS_ASSIGN_OR_RETURN(handle,
                      group->allToAll(sendBuffer->data(), recvBuffer->data(), chunkCount, in.dtype));
  DType dtype = in.dtype;
  auto finish = [sendBuffer, recvBuffer, chunkShape, dtype, n, concatDim, out]() -> Status {
    std::vector<TensorView> views;
    for (auto &v : pieces(recvBuffer->data(), chunkShape, dtype, n))
      views.push_back(v);
    return cpu::concat(views, concatDim, out);
  };
  return IssuedCollective{std::move(handle), finish};
}

StatusOr<IssuedCollective> broadcast(InstructionContext &c) {
  DS_ASSIGN_OR_RETURN(group, groupOf(c));
  DS_ASSIGN_OR_RETURN(root, c.i("root"));
  TensorView in = c.in(0);
  DS_ASSIGN_OR_RETURN(out, c.out(0));
  std::memcpy(out.data, in.data, in.bytes());
  DS_ASSIGN_OR_RETURN(handle, group->broadcast(out.data, out.numel(), out.dtype, static_cast<int>(root)));
  return IssuedCollective{std::move(handle), nullptr};
}

// The member `shift` places from this one along the group, cyclically.
int shifted(Communicator *group, int64_t shift) {
  int64_t n = group->size();
  return static_cast<int>(((group->rank() + shift) % n + n) % n);
}

StatusOr<IssuedCollective> send(InstructionContext &c) {
  DS_ASSIGN_OR_RETURN(group, groupOf(c));
  DS_ASSIGN_OR_RETURN(shift, c.i("shift"));
  TensorView in = c.in(0);
  DS_ASSIGN_OR_RETURN(handle, group->send(in.data, in.numel(), in.dtype, shifted(group, shift),
                                          static_cast<int>(c.iOr("tag", 0))));
  return IssuedCollective{std::move(handle), nullptr};
}

StatusOr<IssuedCollective> recv(InstructionContext &c) {
  DS_ASSIGN_OR_RETURN(group, groupOf(c));
  DS_ASSIGN_OR_RETURN(shift, c.i("shift"));
  DS_ASSIGN_OR_RETURN(out, c.out(0));
  DS_ASSIGN_OR_RETURN(handle, group->recv(out.data, out.numel(), out.dtype, shifted(group, -shift),
                                          static_cast<int>(c.iOr("tag", 0))));
  return IssuedCollective{std::move(handle), nullptr};
}

} // namespace

const std::map<std::string, CollectiveFn> &collectiveTable() {
  static const std::map<std::string, CollectiveFn> table = {
      {"all_gather", allGather}, {"reduce_scatter", reduceScatter},
      {"all_reduce", allReduce}, {"all_to_all", allToAll},
      {"broadcast", broadcast},  {"send", send},
      {"recv", recv},
  };
  return table;
}

} // namespace ds::rt
