//===- BuildTraining.cpp - forward function -> training-step functions ----===//
//
// The runtime sequences four straight-line functions per optimizer step (see the pass
// description and plan.proto's Training): keeping control flow (accumulation, the fp16 overflow
// skip) in the runtime keeps every function a plain list that the emitter and the memory
// planner can see whole.
//
//===----------------------------------------------------------------------===//

#include "ComputePrecision.h"
#include "OptimizerUpdate.h"
#include "TensorKinds.h"

#include "ds/Dialect/DS/IR/DSOps.h"
#include "ds/Transforms/Passes.h"
#include "ds/Transforms/ReverseMode.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/StringSet.h"

namespace mlir::ds {
#define GEN_PASS_DEF_BUILDTRAINING
#include "ds/Transforms/Passes.h.inc"
} // namespace mlir::ds

using namespace mlir;
using namespace mlir::ds;

namespace {

/// A trainable parameter and the state the step keeps for it.
struct TrainedParam {
  ParamOp weight;             // 16-bit under mixed precision: what the forward reads
  ParamOp gradient;           // in the weight's type
  ParamOp master;             // mixed precision only: the fp32 weight the optimizer updates
  SmallVector<ParamOp> state; // in OptimizerUpdate's order, fp32
};

struct BuildTrainingPass : public ds::impl::BuildTrainingBase<BuildTrainingPass> {
  using BuildTrainingBase::BuildTrainingBase;

  void runOnOperation() override;

private:
  FailureOr<func::FuncOp> findForward();
  LogicalResult checkOptions(OptimizerKind &kind);
  FloatType getHalfType();
  ParamOp addStateParam(OpBuilder &builder, ParamOp weight, RankedTensorType type,
                        StringRef suffix, StringRef role, StringRef stateName);
  ParamOp addMasterParam(OpBuilder &builder, ParamOp weight);
  LogicalResult buildMicroStep(func::FuncOp micro, ArrayRef<TrainedParam> params);
  void buildReduceGradients(OpBuilder &builder, ArrayRef<TrainedParam> params, StringRef mesh);
  LogicalResult buildApplyUpdate(OpBuilder &builder, ArrayRef<TrainedParam> params,
                                 const OptimizerConfig &config);
  void buildZeroGradients(OpBuilder &builder, ArrayRef<TrainedParam> params);
};

FailureOr<func::FuncOp> BuildTrainingPass::findForward() {
  ModuleOp module = getOperation();
  SmallVector<func::FuncOp> candidates;
  for (auto func : module.getOps<func::FuncOp>())
    if (!func.isExternal() && (forwardName.empty() || func.getSymName() == forwardName))
      candidates.push_back(func);
  if (candidates.size() == 1)
    return candidates.front();
  if (!forwardName.empty())
    return module.emitError("ds-build-training: no function named '") << forwardName << "'";
  return module.emitError("ds-build-training: expected one forward function, found ")
         << candidates.size() << " (name it with forward=NAME)";
}

LogicalResult BuildTrainingPass::checkOptions(OptimizerKind &kind) {
  ModuleOp module = getOperation();
  if (optimizer == "adamw")
    kind = OptimizerKind::AdamW;
  else if (optimizer == "adam")
    kind = adamWMode ? OptimizerKind::AdamW : OptimizerKind::Adam;
  else if (optimizer == "sgd")
    kind = OptimizerKind::SGD;
  else
    return module.emitError("ds-build-training: unknown optimizer '")
           << optimizer << "' (expected adamw, adam or sgd)";
  if (precision != "fp32" && precision != "bf16" && precision != "fp16")
    return module.emitError("ds-build-training: unknown precision '")
           << precision << "' (expected fp32, bf16 or fp16)";
  if (microBatches < 1 || dpSize < 1 || microBatches % dpSize != 0)
    return module.emitError("ds-build-training: micro-batches (")
           << microBatches << ") must be a positive multiple of dp-size (" << dpSize << ")";
  return success();
}

/// The 16-bit type of mixed-precision training, or null for fp32.
FloatType BuildTrainingPass::getHalfType() {
  Builder builder(&getContext());
  if (precision == "bf16")
    return builder.getBF16Type();
  if (precision == "fp16")
    return builder.getF16Type();
  return nullptr;
}

ParamOp BuildTrainingPass::addStateParam(OpBuilder &builder, ParamOp weight,
                                         RankedTensorType type, StringRef suffix, StringRef role,
                                         StringRef stateName) {
  MLIRContext *context = &getContext();
  auto zeros = InitializerAttr::get(context, InitDistribution::Zeros, APFloat(0.0), APFloat(0.0),
                                    /*seed=*/0);
  auto param = builder.create<ParamOp>(weight.getLoc(),
                                       builder.getStringAttr(weight.getSymName() + suffix),
                                       TypeAttr::get(type), /*initial_value=*/nullptr, zeros,
                                       /*frozen=*/nullptr);
  param->setAttr("ds.role", builder.getStringAttr(role));
  param->setAttr("ds.owner", builder.getStringAttr(weight.getSymName()));
  if (!stateName.empty())
    param->setAttr("ds.state", builder.getStringAttr(stateName));
  return param;
}

/// Mixed precision: `@w.master` takes `weight`'s exact fp32 value (or its initializer, which the
/// runtime draws the same in both types) and `weight` becomes the 16-bit copy, its value rounded.
ParamOp BuildTrainingPass::addMasterParam(OpBuilder &builder, ParamOp weight) {
  auto master = builder.create<ParamOp>(
      weight.getLoc(), builder.getStringAttr(weight.getSymName() + ".master"),
      TypeAttr::get(weight.getTensorType()), weight.getInitialValueAttr(),
      weight.getInitializerAttr(), /*frozen=*/nullptr);
  master->setAttr("ds.role", builder.getStringAttr("optimizer_state"));
  master->setAttr("ds.owner", builder.getStringAttr(weight.getSymName()));
  master->setAttr("ds.state", builder.getStringAttr("master"));

  FloatType half = getHalfType();
  weight.setTypeAttr(TypeAttr::get(weight.getTensorType().clone(half)));
  if (std::optional<ElementsAttr> value = weight.getInitialValue()) {
    auto dense = dyn_cast<DenseElementsAttr>(*value);
    if (!dense) {
      weight.emitError("ds-build-training: cannot round the initial value of @")
          << weight.getSymName() << " to " << half << " (not a dense attribute)";
      return nullptr;
    }
    weight.setInitialValueAttr(roundElements(dense, half));
  }
  return master;
}

LogicalResult BuildTrainingPass::buildMicroStep(func::FuncOp micro, ArrayRef<TrainedParam> params) {
  MLIRContext *context = &getContext();
  Block &body = micro.getBody().front();
  auto ret = cast<func::ReturnOp>(body.getTerminator());
  OpBuilder builder(ret);
  Location loc = micro.getLoc();

  // The loss: the model's own float scalar, or cross-entropy of its logits (its first result)
  // against the targets: the second integer argument, added when the model has none.
  Value loss;
  if (micro.getNumResults() >= 1 && isFloatScalarType(micro.getResultTypes()[0])) {
    loss = ret.getOperand(0);
  } else {
    if (micro.getNumResults() < 1)
      return micro.emitError("ds-build-training: the forward function returns nothing to train");
    auto logitsType = dyn_cast<RankedTensorType>(micro.getResultTypes()[0]);
    if (!logitsType || !isa<FloatType>(logitsType.getElementType()) || logitsType.getRank() < 2)
      return micro.emitError("ds-build-training: the forward function's first result must be a "
                             "float scalar loss or logits [..., vocab], not ")
             << micro.getResultTypes()[0];
    SmallVector<BlockArgument> integers;
    for (BlockArgument argument : body.getArguments())
      if (isIntegerTensorType(argument.getType()))
        integers.push_back(argument);
    if (integers.empty())
      return micro.emitError("ds-build-training: logits need integer token inputs to train on");
    Value targets;
    if (integers.size() >= 2) {
      targets = integers[1];
    } else {
      auto targetType = RankedTensorType::get(logitsType.getShape().drop_back(),
                                              cast<RankedTensorType>(integers[0].getType())
                                                  .getElementType());
      unsigned index = micro.getNumArguments();
      micro.insertArgument(index, targetType,
                           builder.getDictionaryAttr(
                               builder.getNamedAttr("ds.name", builder.getStringAttr("targets"))),
                           loc);
      targets = body.getArgument(index);
    }
    loss = builder.create<CrossEntropyOp>(loc, RankedTensorType::get({}, logitsType.getElementType()),
                                          ret.getOperand(0), targets, LossReduction::Mean,
                                          /*ignore_index=*/-100);
  }
  // Only the loss is returned; the rest of the forward's outputs are dead now.
  ret->setOperands(loss);
  micro.setFunctionType(FunctionType::get(context, micro.getArgumentTypes(), {loss.getType()}));
  micro.setResultAttr(0, "ds.name", builder.getStringAttr("loss"));
  if (!cast<RankedTensorType>(loss.getType()).getElementType().isF32())
    return micro.emitError("ds-build-training: the loss must be f32, not ") << loss.getType();

  if (FloatType compute = getHalfType()) {
    // Trained weights are stored in 16 bits: their loads need no cast.
    llvm::StringMap<RankedTensorType> halfWeights;
    for (TrainedParam param : params)
      halfWeights[param.weight.getSymName()] = param.weight.getTensorType();
    micro.walk([&](LoadParamOp load) {
      auto it = halfWeights.find(load.getParam());
      if (it != halfWeights.end())
        load.getResult().setType(it->second);
    });
    if (failed(convertComputePrecision(micro, compute)))
      return failure();
    loss = ret.getOperand(0);
  }

  // The gradient seed: d(global-batch loss)/d(this micro-batch's loss) times the loss scale.
  unsigned scaleIndex = micro.getNumArguments();
  micro.insertArgument(scaleIndex, scalarF32(context),
                       builder.getDictionaryAttr(
                           builder.getNamedAttr("ds.name", builder.getStringAttr("loss_scale"))),
                       loc);
  builder.setInsertionPoint(ret);
  Value lossScale = body.getArgument(scaleIndex);
  Value share = builder.create<ConstantOp>(
      loc, DenseElementsAttr::get(scalarF32(context),
                                  builder.getF32FloatAttr(1.0f / static_cast<float>(microBatches))));
  Value seed = builder.create<MulOp>(loc, scalarF32(context), lossScale, share);

  // Every load of each trainable parameter is a gradient target; loads of one parameter sum.
  llvm::MapVector<StringRef, SmallVector<Value>> loadsOf;
  micro.walk([&](LoadParamOp load) { loadsOf[load.getParam()].push_back(load.getResult()); });
  SmallVector<Value> wrt;
  for (TrainedParam param : params)
    for (Value load : loadsOf.lookup(param.weight.getSymName()))
      wrt.push_back(load);
  FailureOr<SmallVector<Value>> grads = buildReverseGradients(builder, loss, seed, wrt);
  if (failed(grads))
    return failure();
  size_t next = 0;
  for (TrainedParam param : params) {
    size_t loads = loadsOf.lookup(param.weight.getSymName()).size();
    if (loads == 0)
      continue;
    Value sum = (*grads)[next++];
    for (size_t i = 1; i < loads; ++i)
      sum = builder.create<AddOp>(loc, sum.getType(), sum, (*grads)[next++]);
    auto gradType = param.gradient.getTensorType();
    Value accumulated = builder.create<LoadParamOp>(loc, gradType, param.gradient.getSymName());
    Value updated = builder.create<AddOp>(loc, gradType, accumulated, sum);
    builder.create<StoreParamOp>(loc, updated, param.gradient.getSymName());
  }
  return success();
}

void BuildTrainingPass::buildReduceGradients(OpBuilder &builder, ArrayRef<TrainedParam> params,
                                             StringRef mesh) {
  MLIRContext *context = &getContext();
  Location loc = getOperation().getLoc();
  auto func = builder.create<func::FuncOp>(
      loc, "reduce_gradients", FunctionType::get(context, {}, {scalarF32(context)}));
  func.setResultAttr(0, "ds.name", builder.getStringAttr("grad_norm_sq"));
  OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPointToStart(func.addEntryBlock());
  Value sumOfSquares;
  for (TrainedParam param : params) {
    auto type = param.gradient.getTensorType();
    Value grad = builder.create<LoadParamOp>(loc, type, param.gradient.getSymName());
    if (dpSize > 1) {
      // In the gradient's own type: DeepSpeed communicates 16-bit gradients.
      grad = builder.create<AllReduceOp>(loc, type, ReduceKind::Sum, grad, mesh, "dp");
      builder.create<StoreParamOp>(loc, grad, param.gradient.getSymName());
    }
    // Squares of 16-bit gradients overflow or lose the norm; sum them in fp32.
    if (!type.getElementType().isF32()) {
      type = type.clone(builder.getF32Type());
      grad = builder.create<CastOp>(loc, type, grad);
    }
    SmallVector<int64_t> axes = llvm::to_vector(llvm::seq<int64_t>(0, type.getRank()));
    Value squares = builder.create<MulOp>(loc, type, grad, grad);
    Value sum = builder.create<ReduceSumOp>(loc, scalarF32(context), squares,
                                            builder.getDenseI64ArrayAttr(axes), false);
    sumOfSquares = sumOfSquares
                       ? builder.create<AddOp>(loc, scalarF32(context), sumOfSquares, sum)
                       : sum;
  }
  builder.create<func::ReturnOp>(loc, sumOfSquares);
}

LogicalResult BuildTrainingPass::buildApplyUpdate(OpBuilder &builder,
                                                  ArrayRef<TrainedParam> params,
                                                  const OptimizerConfig &config) {
  MLIRContext *context = &getContext();
  Location loc = getOperation().getLoc();
  Type scalar = scalarF32(context);
  auto func = builder.create<func::FuncOp>(
      loc, "apply_update", FunctionType::get(context, {scalar, scalar, scalar}, {}));
  const char *names[] = {"learning_rate", "optimizer_step", "grad_scale"};
  for (unsigned i = 0; i < 3; ++i)
    func.setArgAttr(i, "ds.name", builder.getStringAttr(names[i]));
  OpBuilder::InsertionGuard guard(builder);
  Block *body = func.addEntryBlock();
  builder.setInsertionPointToStart(body);
  UpdateScalars scalars{body->getArgument(0), body->getArgument(1), body->getArgument(2)};
  for (TrainedParam param : params) {
    SmallVector<StringRef> state;
    for (ParamOp s : param.state)
      state.push_back(s.getSymName());
    // The optimizer updates the fp32 master where there is one, from the gradient cast to fp32.
    ParamOp updated = param.master ? param.master : param.weight;
    auto type = updated.getTensorType();
    Value gradient = builder.create<LoadParamOp>(loc, param.gradient.getTensorType(),
                                                 param.gradient.getSymName());
    if (gradient.getType() != type)
      gradient = builder.create<CastOp>(loc, type, gradient);
    Value newWeight = buildOptimizerUpdate(builder, loc, config, updated.getSymName(), type,
                                           gradient, state, scalars);
    if (param.master) {
      Value half = builder.create<CastOp>(loc, param.weight.getTensorType(), newWeight);
      builder.create<StoreParamOp>(loc, half, param.weight.getSymName());
    }
  }
  builder.create<func::ReturnOp>(loc);
  return success();
}

void BuildTrainingPass::buildZeroGradients(OpBuilder &builder, ArrayRef<TrainedParam> params) {
  MLIRContext *context = &getContext();
  Location loc = getOperation().getLoc();
  auto func = builder.create<func::FuncOp>(loc, "zero_gradients", FunctionType::get(context, {}, {}));
  OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPointToStart(func.addEntryBlock());
  for (TrainedParam param : params) {
    auto type = param.gradient.getTensorType();
    Value zeros = builder.create<ConstantOp>(
        loc, DenseElementsAttr::get(type, builder.getFloatAttr(type.getElementType(), 0.0)));
    builder.create<StoreParamOp>(loc, zeros, param.gradient.getSymName());
  }
  builder.create<func::ReturnOp>(loc);
}

void BuildTrainingPass::runOnOperation() {
  ModuleOp module = getOperation();
  OptimizerKind kind;
  if (failed(checkOptions(kind)))
    return signalPassFailure();
  FailureOr<func::FuncOp> forward = findForward();
  if (failed(forward))
    return signalPassFailure();
  OptimizerConfig config{kind, beta1, beta2, epsilon, weightDecay, momentum, dampening, nesterov};

  // Trainable parameters the forward reads, in declaration order.
  llvm::StringSet<llvm::MallocAllocator> loaded;
  forward->walk([&](LoadParamOp load) { loaded.insert(load.getParam()); });
  SmallVector<ParamOp> weights;
  ParamOp lastParam;
  for (auto param : module.getOps<ParamOp>()) {
    lastParam = param;
    if (param.isTrainable() && loaded.contains(param.getSymName()) &&
        isa<FloatType>(param.getTensorType().getElementType()))
      weights.push_back(param);
  }
  if (weights.empty()) {
    forward->emitError("ds-build-training: the forward function loads no trainable parameter");
    return signalPassFailure();
  }
  for (ParamOp weight : weights)
    if (!weight.getTensorType().getElementType().isF32()) {
      weight.emitError("ds-build-training: trainable parameters must be f32 (the master "
                       "weights); @")
          << weight.getSymName() << " is " << weight.getTensorType();
      return signalPassFailure();
    }

  OpBuilder builder(module.getBodyRegion());
  builder.setInsertionPointAfter(lastParam);
  SmallVector<TrainedParam> params;
  for (ParamOp weight : weights) {
    TrainedParam param{weight, nullptr, nullptr, {}};
    auto fp32 = weight.getTensorType();
    if (getHalfType()) {
      param.master = addMasterParam(builder, weight);
      if (!param.master)
        return signalPassFailure();
    }
    param.gradient =
        addStateParam(builder, weight, weight.getTensorType(), ".grad", "gradient", "");
    for (StringRef stateName : optimizerStateNames(config))
      param.state.push_back(addStateParam(builder, weight, fp32, ("." + stateName).str(),
                                          "optimizer_state", stateName));
    params.push_back(param);
  }
  std::string mesh;
  if (dpSize > 1 || declareMesh) {
    mesh = "dp_mesh";
    builder.create<MeshOp>(module.getLoc(), builder.getStringAttr(mesh),
                           builder.getStrArrayAttr({"dp"}),
                           builder.getDenseI64ArrayAttr({dpSize}));
  }

  forward->setSymName("micro_step");
  if (failed(buildMicroStep(*forward, params)))
    return signalPassFailure();
  builder.setInsertionPointToEnd(module.getBody());
  buildReduceGradients(builder, params, mesh);
  if (failed(buildApplyUpdate(builder, params, config)))
    return signalPassFailure();
  buildZeroGradients(builder, params);
}

} // namespace
