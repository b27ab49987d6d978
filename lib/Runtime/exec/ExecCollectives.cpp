// The collective table: each ds collective as a call on the communicator of its mesh axis.
// Communicators move flat buffers split along the leading dimension; a collective along another
// dimension stages its data through a temporary and reorders it once the transfer completes.
// Buffers may live on the host or a GPU: bytes move only through the rank's Device.
#include "InstructionContext.h"

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

// A staging buffer in the device's memory that lives until the collective's finish step has
// run, then goes back to the executor's pool for the next collective of its size.
using Staging = std::shared_ptr<char>;
StatusOr<Staging> staging(InstructionContext &c, int64_t bytes) {
  auto block = c.executor.stagingBlock(bytes);
  if (!block)
    return block.status().withContext(c.executor.describe(c.index));
  return *block;
}

// n pieces of `pieceShape` laid one after another in `pieces` <-> the tensor they make when
// concatenated along `dim`. A piece is `outer` rows (the product of the dims before `dim`) of
// `row` bytes, and row r of piece i sits at r * n * row + i * row in the whole.
struct PieceLayout {
  int64_t outer = 1, row = 0, pieceBytes = 0;
  PieceLayout(const Shape &pieceShape, DType dtype, int64_t dim) {
    row = dtypeSize(dtype);
    for (int64_t d = 0; d < static_cast<int64_t>(pieceShape.size()); ++d)
      (d < dim ? outer : row) *= pieceShape[d];
    pieceBytes = outer * row;
  }
};
Status concatPieces(Device &device, const char *pieces, const PieceLayout &l, int n, void *whole) {
  for (int i = 0; i < n; ++i)
    DS_RETURN_IF_ERROR(device.copy2D(static_cast<char *>(whole) + i * l.row, n * l.row,
                                     pieces + i * l.pieceBytes, l.row, l.row, l.outer));
  return Status::ok();
}
Status splitPieces(Device &device, const void *whole, const PieceLayout &l, int n, char *pieces) {
  for (int i = 0; i < n; ++i)
    DS_RETURN_IF_ERROR(device.copy2D(pieces + i * l.pieceBytes, l.row,
                                     static_cast<const char *>(whole) + i * l.row, n * l.row,
                                     l.row, l.outer));
  return Status::ok();
}

StatusOr<IssuedCollective> allGather(InstructionContext &c) {
  DS_ASSIGN_OR_RETURN(group, groupOf(c));
  DS_ASSIGN_OR_RETURN(dimAttr, c.i("dim"));
  TensorView in = c.in(0);
  DS_ASSIGN_OR_RETURN(out, c.out(0));
  DS_ASSIGN_OR_RETURN(dim, normalizeAxis(dimAttr, in.rank(), "all_gather dim"));
  int n = group->size();
  if (out.numel() != in.numel() * n)
    return c.error("gathers " + std::to_string(n) + " pieces of " + std::to_string(in.numel()) +
                   " elements into " + std::to_string(out.numel()));
  if (leadingSplit(in.shape, dim)) {
    DS_ASSIGN_OR_RETURN(handle, group->allGather(in.data, out.data, in.numel(), in.dtype));
    return IssuedCollective{std::move(handle), nullptr};
  }
  DS_ASSIGN_OR_RETURN(buffer, staging(c, in.bytes() * n));
  DS_ASSIGN_OR_RETURN(handle, group->allGather(in.data, buffer.get(), in.numel(), in.dtype));
  PieceLayout layout(in.shape, in.dtype, dim);
  Device *device = &c.executor.device();
  void *whole = out.data;
  auto finish = [buffer, layout, n, device, whole]() -> Status {
    return concatPieces(*device, buffer.get(), layout, n, whole);
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
  if (in.numel() != out.numel() * n)
    return c.error("scatters " + std::to_string(in.numel()) + " elements into " +
                   std::to_string(n) + " pieces of " + std::to_string(out.numel()));
  if (leadingSplit(in.shape, dim)) {
    DS_ASSIGN_OR_RETURN(handle, group->reduceScatter(in.data, out.data, out.numel(), in.dtype, op));
    return IssuedCollective{std::move(handle), nullptr};
  }
  // Lay the n chunks along `dim` out one after another, then scatter the flat buffer.
  DS_ASSIGN_OR_RETURN(buffer, staging(c, in.bytes()));
  DS_RETURN_IF_ERROR(
      splitPieces(c.executor.device(), in.data, PieceLayout(out.shape, in.dtype, dim), n, buffer.get()));
  DS_ASSIGN_OR_RETURN(handle, group->reduceScatter(buffer.get(), out.data, out.numel(), in.dtype, op));
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
  if (in.shape[splitDim] % n != 0 || out.numel() != in.numel())
    return c.error("cannot split dimension " + std::to_string(splitDim) + " of " +
                   shapeToString(in.shape) + " into " + std::to_string(n) + " chunks for " +
                   shapeToString(out.shape));
  Shape chunkShape = in.shape;
  chunkShape[splitDim] /= n;
  int64_t chunkCount = numElements(chunkShape);
  Device *device = &c.executor.device();
  DS_ASSIGN_OR_RETURN(sendBuffer, staging(c, in.bytes()));
  DS_ASSIGN_OR_RETURN(recvBuffer, staging(c, in.bytes()));
  DS_RETURN_IF_ERROR(splitPieces(*device, in.data, PieceLayout(chunkShape, in.dtype, splitDim), n,
                                 sendBuffer.get()));
  DS_ASSIGN_OR_RETURN(handle,
                      group->allToAll(sendBuffer.get(), recvBuffer.get(), chunkCount, in.dtype));
  // The chunk from rank i, chunkShape with split_dim's size, goes to place i along concat_dim.
  PieceLayout layout(chunkShape, in.dtype, concatDim);
  void *whole = out.data;
  auto finish = [sendBuffer, recvBuffer, layout, n, device, whole]() -> Status {
    return concatPieces(*device, recvBuffer.get(), layout, n, whole);
  };
  return IssuedCollective{std::move(handle), finish};
}

StatusOr<IssuedCollective> broadcast(InstructionContext &c) {
  DS_ASSIGN_OR_RETURN(group, groupOf(c));
  DS_ASSIGN_OR_RETURN(root, c.i("root"));
  TensorView in = c.in(0);
  DS_ASSIGN_OR_RETURN(out, c.out(0));
  if (out.data != in.data)
    DS_RETURN_IF_ERROR(c.executor.device().copy(out.data, in.data, in.bytes()));
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
