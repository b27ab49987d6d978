//===- ComputePrecision.cpp - run a function's float math in bf16 or fp16 -===//

#include "ComputePrecision.h"

#include "ds/Dialect/DS/IR/DSOps.h"

#include "llvm/ADT/SmallPtrSet.h"

using namespace mlir;
using namespace mlir::ds;

namespace {
bool isF32Tensor(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  return tensor && tensor.getElementType().isF32();
}

RankedTensorType withElement(Type type, Type element) {
  return cast<RankedTensorType>(type).clone(element);
}

} // namespace

DenseElementsAttr mlir::ds::roundElements(DenseElementsAttr attr, FloatType element) {
  auto type = withElement(attr.getType(), element);
  const llvm::fltSemantics &semantics = element.getFloatSemantics();
  return attr.mapValues(element, [&](const APFloat &value) {
    APFloat rounded = value;
    bool lost;
    rounded.convert(semantics, APFloat::rmNearestTiesToEven, &lost);
    return rounded.bitcastToAPInt();
  }).reshape(type);
}

LogicalResult mlir::ds::convertComputePrecision(func::FuncOp func, FloatType computeType) {
  Block &body = func.getBody().front();
  OpBuilder builder(func.getContext());
  llvm::SmallPtrSet<Operation *, 32> madeHere;
  auto castTo = [&](Value value, Type type) -> Value {
    auto cast = builder.create<CastOp>(value.getLoc(), type, value);
    madeHere.insert(cast);
    return cast;
  };

  // Arguments: cast once at entry; every user reads the cast.
  builder.setInsertionPointToStart(&body);
  for (BlockArgument argument : body.getArguments()) {
    if (!isF32Tensor(argument.getType()) || argument.use_empty())
      continue;
    Value cast = castTo(argument, withElement(argument.getType(), computeType));
    argument.replaceAllUsesExcept(cast, cast.getDefiningOp());
  }

  for (Operation &op : llvm::make_early_inc_range(body.without_terminator())) {
    if (madeHere.contains(&op))
      continue;
    if (auto load = dyn_cast<LoadParamOp>(op)) {
      if (!isF32Tensor(load.getType()))
        continue;
      builder.setInsertionPointAfter(load);
      Value cast = castTo(load.getResult(), withElement(load.getType(), computeType));
      load.getResult().replaceAllUsesExcept(cast, cast.getDefiningOp());
      continue;
    }
    if (auto constant = dyn_cast<ConstantOp>(op)) {
      auto dense = dyn_cast<DenseElementsAttr>(constant.getValue());
      if (!dense || !isF32Tensor(dense.getType()))
        continue;
      builder.setInsertionPoint(constant);
      auto rounded = builder.create<ConstantOp>(constant.getLoc(), roundElements(dense, computeType));
      constant.getResult().replaceAllUsesWith(rounded.getResult());
      constant.erase();
      continue;
    }
    if (isa<StoreParamOp>(op))
      continue;
    for (Value result : op.getResults())
      if (isF32Tensor(result.getType()))
        result.setType(withElement(result.getType(), computeType));
  }

  // The signature stays fp32.
  Operation *terminator = body.getTerminator();
  builder.setInsertionPoint(terminator);
  for (OpOperand &operand : terminator->getOpOperands()) {
    Type expected = func.getFunctionType().getResult(operand.getOperandNumber());
    if (operand.get().getType() != expected)
      operand.set(castTo(operand.get(), expected));
  }
  return success();
}
