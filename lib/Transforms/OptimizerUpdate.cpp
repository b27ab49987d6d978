//===- OptimizerUpdate.cpp - the fused update of one parameter ------------===//

#include "OptimizerUpdate.h"

#include "ds/Dialect/DS/IR/DSOps.h"

using namespace mlir;
using namespace mlir::ds;

SmallVector<StringRef> mlir::ds::optimizerStateNames(const OptimizerConfig &config) {
  switch (config.kind) {
  case OptimizerKind::AdamW:
  case OptimizerKind::Adam:
    return {"exp_avg", "exp_avg_sq"};
  case OptimizerKind::SGD:
    return {"momentum_buffer"};
  }
  llvm_unreachable("unknown optimizer");
}

Value mlir::ds::buildOptimizerUpdate(OpBuilder &builder, Location loc,
                                     const OptimizerConfig &config, StringRef weight,
                                     RankedTensorType type, Value gradient,
                                     ArrayRef<StringRef> state, const UpdateScalars &scalars) {
  auto load = [&](StringRef name) -> Value {
    return builder.create<LoadParamOp>(loc, type, name);
  };
  SmallVector<Value> operands{load(weight), gradient};
  for (StringRef name : state)
    operands.push_back(load(name));
  bool isSGD = config.kind == OptimizerKind::SGD;
  operands.append({scalars.learningRate, scalars.step, scalars.gradScale});

  SmallVector<NamedAttribute> attrs;
  auto f64 = [&](StringRef name, double value) {
    attrs.push_back(builder.getNamedAttr(name, builder.getF64FloatAttr(value)));
  };
  f64("weight_decay", config.weightDecay);
  SmallVector<Type> resultTypes(1 + state.size(), type);
  Operation *update;
  if (isSGD) {
    f64("momentum", config.momentum);
    f64("dampening", config.dampening);
    attrs.push_back(builder.getNamedAttr("nesterov", builder.getBoolAttr(config.nesterov)));
    update = builder.create<SGDUpdateOp>(loc, resultTypes, operands, attrs);
  } else {
    f64("beta1", config.beta1);
    f64("beta2", config.beta2);
    f64("epsilon", config.epsilon);
    attrs.push_back(builder.getNamedAttr(
        "adam_w_mode", builder.getBoolAttr(config.kind == OptimizerKind::AdamW)));
    update = builder.create<AdamUpdateOp>(loc, resultTypes, operands, attrs);
  }
  // Stores come after the update has read everything (the emitter rejects reads of a
  // parameter's old value after a store).
  builder.create<StoreParamOp>(loc, update->getResult(0), weight);
  for (auto [index, name] : llvm::enumerate(state))
    builder.create<StoreParamOp>(loc, update->getResult(index + 1), name);
  return update->getResult(0);
}
