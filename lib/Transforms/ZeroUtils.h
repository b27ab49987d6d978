//===- ZeroUtils.h - how ZeRO lays a tensor out over ranks ------*- C++ -*-===//
//
// ZeRO shards a tensor by flattening it, padding it with zeros to a multiple of the group size
// and giving member i the i-th contiguous piece. Every ZeRO pass lays tensors out the same way,
// so a gradient shard, an optimizer-state shard and a parameter shard line up element by element.
//
//===----------------------------------------------------------------------===//

#ifndef DS_LIB_TRANSFORMS_ZEROUTILS_H
#define DS_LIB_TRANSFORMS_ZEROUTILS_H

#include "ds/Dialect/DS/IR/DSOps.h"

#include "mlir/IR/Builders.h"

namespace mlir::ds {

/// A tensor of `numel` elements cut into `groupSize` flat pieces of `shardSize` elements.
struct ShardLayout {
  int64_t numel = 0;
  int64_t groupSize = 1;
  int64_t shardSize = 0; // ceil(numel / groupSize)

  int64_t getPaddedSize() const { return groupSize * shardSize; }
  int64_t getPadding() const { return getPaddedSize() - numel; }
};

ShardLayout computeShardLayout(RankedTensorType type, int64_t groupSize);

/// `value` flattened and zero-padded to layout.getPaddedSize() elements.
Value buildPaddedFlat(OpBuilder &builder, Location loc, Value value, const ShardLayout &layout);

/// The inverse of buildPaddedFlat: the first elements of `paddedFlat`, shaped as `type`.
Value buildUnpadded(OpBuilder &builder, Location loc, Value paddedFlat, RankedTensorType type);

/// Turns `param` into this rank's shard (a flat tensor of layout.shardSize elements) and records
/// the layout as `ds.shard = {mesh, axis, numel, padded, shape}` (shape: the whole tensor's) so
/// later passes and readers of the plan can tell a shard from a whole tensor. An initial value
/// or initializer is kept: it describes the whole tensor.
void makeShardParam(ParamOp param, const ShardLayout &layout, StringRef mesh, StringRef axis);

} // namespace mlir::ds

#endif // DS_LIB_TRANSFORMS_ZEROUTILS_H
