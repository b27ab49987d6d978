//===- CollectiveOps.cpp - verifiers of the collectives -------------------===//
//
// A collective's shapes depend on its group size, which only the mesh it names knows; so the
// checks run as symbol-use verification, once the mesh can be looked up.
//
//===----------------------------------------------------------------------===//

#include "DSOpsUtils.h"
#include "ds/Dialect/DS/IR/DSOps.h"

using namespace mlir;
using namespace mlir::ds;

/// The number of ranks along `axis` of the mesh `mesh`, or an error naming what is missing.
static FailureOr<int64_t> lookupGroupSize(Operation *op,
                                          SymbolTableCollection &symbolTable,
                                          FlatSymbolRefAttr mesh,
                                          StringRef axis) {
  auto meshOp = symbolTable.lookupNearestSymbolFrom<MeshOp>(op, mesh);
  if (!meshOp)
    return op->emitOpError("'") << mesh << "' does not name a ds.mesh";
  std::optional<int64_t> size = meshOp.getAxisSize(axis);
  if (!size) {
    InFlightDiagnostic diag = op->emitOpError("mesh ")
                              << mesh << " has no axis '" << axis
                              << "' (its axes: ";
    llvm::interleaveComma(meshOp.getAxisNames().getAsValueRange<StringAttr>(),
                          diag);
    return diag << ")";
  }
  return *size;
}

/// `dim` normalized for `type`, or an error.
static FailureOr<int64_t> checkDim(Operation *op, StringRef what, int64_t dim,
                                   RankedTensorType type) {
  std::optional<int64_t> normalized = normalizeAxis(dim, type.getRank());
  if (!normalized)
    return op->emitOpError() << what << " " << dim
                             << " is out of range for rank " << type.getRank();
  return *normalized;
}

/// Checks `out` is `in` with dimension `dim` multiplied by `num` and divided by `den`.
static LogicalResult checkScaledDim(Operation *op, RankedTensorType in,
                                    RankedTensorType out, int64_t dim,
                                    int64_t num, int64_t den) {
  if (in.getElementType() != out.getElementType())
    return op->emitOpError("element types differ: ")
           << in.getElementType() << " vs " << out.getElementType();
  if (in.getDimSize(dim) * num % den != 0)
    return op->emitOpError("dimension ")
           << dim << " of size " << in.getDimSize(dim)
           << " does not divide evenly over " << den << " ranks";
  SmallVector<int64_t> expected(in.getShape());
  expected[dim] = expected[dim] * num / den;
  if (out.getShape() != ArrayRef<int64_t>(expected))
    return op->emitOpError("result shape ")
           << shapeToString(out.getShape()) << " should be "
           << shapeToString(expected) << " for a group of "
           << std::max(num, den) << " ranks";
  return success();
}

static LogicalResult checkMember(Operation *op, StringRef what, int64_t index,
                                 int64_t groupSize) {
  if (index < 0 || index >= groupSize)
    return op->emitOpError() << what << " " << index
                             << " is not a member of a group of " << groupSize;
  return success();
}

/// A point-to-point shift must reach another member: |shift| < n and not 0.
static LogicalResult checkShift(Operation *op, int64_t shift,
                                int64_t groupSize) {
  if (shift == 0 || shift <= -groupSize || shift >= groupSize)
    return op->emitOpError("shift ")
           << shift << " must be non-zero and within (-" << groupSize << ", "
           << groupSize << ") for a group of " << groupSize;
  return success();
}

LogicalResult
AllGatherOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  FailureOr<int64_t> n =
      lookupGroupSize(*this, symbolTable, getMeshAttr(), getAxis());
  if (failed(n))
    return failure();
  auto in = cast<RankedTensorType>(getInput().getType());
  FailureOr<int64_t> dim = checkDim(*this, "dim", getDim(), in);
  if (failed(dim))
    return failure();
  return checkScaledDim(*this, in, cast<RankedTensorType>(getType()), *dim, *n,
                        1);
}

/// Each member of the group keeps one of n equal pieces of `input` along `dim`
/// (reduce_scatter, shard_slice).
static LogicalResult checkPieceOfGroup(Operation *op,
                                       SymbolTableCollection &symbolTable,
                                       FlatSymbolRefAttr mesh, StringRef axis,
                                       int64_t dimAttr, Value input,
                                       Type result) {
  FailureOr<int64_t> n = lookupGroupSize(op, symbolTable, mesh, axis);
  if (failed(n))
    return failure();
  auto in = cast<RankedTensorType>(input.getType());
  FailureOr<int64_t> dim = checkDim(op, "dim", dimAttr, in);
  if (failed(dim))
    return failure();
  return checkScaledDim(op, in, cast<RankedTensorType>(result), *dim, 1, *n);
}

LogicalResult
ReduceScatterOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  return checkPieceOfGroup(*this, symbolTable, getMeshAttr(), getAxis(),
                           getDim(), getInput(), getType());
}

LogicalResult
AllReduceOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  return lookupGroupSize(*this, symbolTable, getMeshAttr(), getAxis());
}

LogicalResult
AllToAllOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  FailureOr<int64_t> n =
      lookupGroupSize(*this, symbolTable, getMeshAttr(), getAxis());
  if (failed(n))
    return failure();
  auto in = cast<RankedTensorType>(getInput().getType());
  auto out = cast<RankedTensorType>(getType());
  FailureOr<int64_t> split = checkDim(*this, "split_dim", getSplitDim(), in);
  FailureOr<int64_t> concat = checkDim(*this, "concat_dim", getConcatDim(), in);
  if (failed(split) || failed(concat))
    return failure();
  if (in.getDimSize(*split) % *n != 0)
    return emitOpError("split_dim ")
           << *split << " of size " << in.getDimSize(*split)
           << " does not divide evenly over " << *n << " ranks";
  SmallVector<int64_t> expected(in.getShape());
  expected[*split] /= *n;
  expected[*concat] *= *n;
  if (out.getShape() != ArrayRef<int64_t>(expected) ||
      out.getElementType() != in.getElementType())
    return emitOpError("result type ")
           << out << " should have shape " << shapeToString(expected)
           << " and element type " << in.getElementType();
  return success();
}

LogicalResult
BroadcastOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  FailureOr<int64_t> n =
      lookupGroupSize(*this, symbolTable, getMeshAttr(), getAxis());
  if (failed(n))
    return failure();
  return checkMember(*this, "root", getRoot(), *n);
}

LogicalResult SendOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  FailureOr<int64_t> n =
      lookupGroupSize(*this, symbolTable, getMeshAttr(), getAxis());
  if (failed(n))
    return failure();
  return checkShift(*this, getShift(), *n);
}

LogicalResult RecvOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  FailureOr<int64_t> n =
      lookupGroupSize(*this, symbolTable, getMeshAttr(), getAxis());
  if (failed(n))
    return failure();
  return checkShift(*this, getShift(), *n);
}

LogicalResult
ShardSliceOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  // The same shape rule as reduce_scatter: it leaves each member the same piece.
  return checkPieceOfGroup(*this, symbolTable, getMeshAttr(), getAxis(),
                           getDim(), getInput(), getType());
}
