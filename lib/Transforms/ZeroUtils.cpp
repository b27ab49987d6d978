//===- ZeroUtils.cpp - how ZeRO lays a tensor out over ranks --------------===//

#include "ZeroUtils.h"

using namespace mlir;
using namespace mlir::ds;

ShardLayout mlir::ds::computeShardLayout(RankedTensorType type, int64_t groupSize) {
  ShardLayout layout;
  layout.numel = type.getNumElements();
  layout.groupSize = groupSize;
  layout.shardSize = (layout.numel + groupSize - 1) / groupSize;
  return layout;
}

Value mlir::ds::buildPaddedFlat(OpBuilder &builder, Location loc, Value value,
                                const ShardLayout &layout) {
  auto type = cast<RankedTensorType>(value.getType());
  Type element = type.getElementType();
  if (type.getRank() == 1 && type.getDimSize(0) == layout.getPaddedSize())
    return value; // flat and padded already (a stage-1 accumulator)
  if (type.getRank() != 1)
    value = builder.create<ReshapeOp>(loc, RankedTensorType::get({layout.numel}, element), value);
  if (layout.getPadding() == 0)
    return value;
  auto padType = RankedTensorType::get({layout.getPadding()}, element);
  Value zeros = builder.create<ConstantOp>(
      loc, DenseElementsAttr::get(padType, builder.getZeroAttr(element)));
  return builder.create<ConcatOp>(
      loc, RankedTensorType::get({layout.getPaddedSize()}, element), ValueRange{value, zeros},
      /*axis=*/0);
}

Value mlir::ds::buildUnpadded(OpBuilder &builder, Location loc, Value paddedFlat,
                              RankedTensorType type) {
  int64_t numel = type.getNumElements();
  auto flatType = RankedTensorType::get({numel}, type.getElementType());
  if (cast<RankedTensorType>(paddedFlat.getType()).getDimSize(0) != numel)
    paddedFlat = builder.create<SliceOp>(loc, flatType, paddedFlat, ArrayRef<int64_t>{0},
                                         ArrayRef<int64_t>{numel}, ArrayRef<int64_t>{1});
  if (type.getRank() == 1)
    return paddedFlat;
  return builder.create<ReshapeOp>(loc, type, paddedFlat);
}

void mlir::ds::makeShardParam(ParamOp param, const ShardLayout &layout, StringRef mesh,
                              StringRef axis) {
  MLIRContext *context = param.getContext();
  Builder builder(context);
  RankedTensorType whole = param.getTensorType();
  Type element = whole.getElementType();
  // The initial value or initializer stays as it is: it describes the whole tensor, and each
  // rank's runtime takes its piece of it.
  param.setTypeAttr(TypeAttr::get(RankedTensorType::get({layout.shardSize}, element)));
  param->setAttr("ds.shard",
                 builder.getDictionaryAttr({
                     builder.getNamedAttr("mesh", FlatSymbolRefAttr::get(context, mesh)),
                     builder.getNamedAttr("axis", builder.getStringAttr(axis)),
                     builder.getNamedAttr("numel", builder.getI64IntegerAttr(layout.numel)),
                     builder.getNamedAttr("padded",
                                          builder.getI64IntegerAttr(layout.getPaddedSize())),
                     builder.getNamedAttr("shape", builder.getDenseI64ArrayAttr(whole.getShape())),
                 }));
}
