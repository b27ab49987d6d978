//===- ZeroPartition.cpp - ZeRO stages 1, 2 and 3 on the training step ----===//
//
// Rewrites the four functions of ds-build-training so each data-parallel rank keeps and updates
// only its shard of the optimizer state (stage 1), of the gradients (stage 2) and of the weights
// (stage 3, whose gathers ZeroGatherParams.cpp places); see the pass description. The runtime's
// training loop is unchanged: only what the functions do differs.
//
//===----------------------------------------------------------------------===//

#include "ZeroUtils.h"

#include "ds/Dialect/DS/IR/DSOps.h"
#include "TensorKinds.h"
#include "ds/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/SetVector.h"

namespace mlir::ds {
#define GEN_PASS_DEF_ZEROPARTITION
#include "ds/Transforms/Passes.h.inc"
} // namespace mlir::ds

using namespace mlir;
using namespace mlir::ds;

namespace {

/// A trainable parameter and the state ZeRO shards for it.
struct ShardedParam {
  ParamOp weight;
  // Where micro_step accumulates: stage 1, the whole gradient flattened and zero-padded, whose
  // first S elements then hold the reduced shard; stages 2 and 3, the shard itself.
  ParamOp accumulator;
  ParamOp gradShard; // stages 2 and 3: the reduced gradient shard (the accumulator)
  ParamOp master;      // mixed precision: the fp32 weight, sharded like the state
  SmallVector<ParamOp> state;
  ShardLayout layout;
  RankedTensorType wholeType; // the weight's own type
  bool partitioned = false;   // stage 3: the weight itself is sharded
};

/// A gradient value in micro_step, finished by the backward pass, that stage 2 reduce-scatters.
struct FinishedGradient {
  ShardedParam *param;
  Value gradient;
};

struct ZeroPartitionPass : public ds::impl::ZeroPartitionBase<ZeroPartitionPass> {
  using ZeroPartitionBase::ZeroPartitionBase;

  void runOnOperation() override;

private:
  LogicalResult collectParams(int64_t groupSize);
  LogicalResult shardParams(OpBuilder &builder);
  void choosePartitionedWeights();
  FailureOr<Value> takeAccumulation(func::FuncOp micro, ShardedParam &param);
  LogicalResult flattenAccumulation(func::FuncOp micro);
  LogicalResult partitionMicroStep(func::FuncOp micro);
  Value loadGradientShard(OpBuilder &builder, Location loc, const ShardedParam &param);
  LogicalResult gatherWeights(ArrayRef<func::FuncOp> functions);
  void buildBucket(OpBuilder &builder, Location loc, ArrayRef<FinishedGradient> bucket,
                   bool accumulate);
  template <typename BuildFn>
  void forEachBucket(ArrayRef<FinishedGradient> gradients, BuildFn build);
  void rebuildReduceGradients(func::FuncOp func);
  LogicalResult rewriteApplyUpdate(func::FuncOp func);
  void rebuildZeroGradients(func::FuncOp func);

  Value reduceScatter(OpBuilder &builder, Location loc, Value input, RankedTensorType type);

  SmallVector<ShardedParam> params;
  llvm::StringMap<ShardedParam *> byWeight;
};

/// Erases `op`, every op that uses its results (transitively), and then whatever fed it that is
/// left unused and free of side effects (loads, casts).
void eraseWithUsers(Operation *op) {
  llvm::SetVector<Operation *> dead;
  dead.insert(op);
  for (size_t i = 0; i < dead.size(); ++i)
    for (Operation *user : dead[i]->getUsers())
      dead.insert(user);
  llvm::SetVector<Operation *> feeders;
  for (Value operand : op->getOperands())
    if (Operation *def = operand.getDefiningOp())
      feeders.insert(def);
  // Users follow their definitions in the block: erase the last first.
  SmallVector<Operation *> order(dead.begin(), dead.end());
  llvm::sort(order, [](Operation *a, Operation *b) { return b->isBeforeInBlock(a); });
  for (Operation *d : order)
    d->erase();
  for (Operation *def : feeders)
    if (def->use_empty() && isa<LoadParamOp, CastOp>(def))
      eraseWithUsers(def);
}

/// Removes every op of `func`'s body, leaving an empty entry block to rebuild into.
Block &clearBody(func::FuncOp func) {
  Block &body = func.getBody().front();
  for (Operation &op : llvm::make_early_inc_range(llvm::reverse(body)))
    op.erase();
  return body;
}

LogicalResult ZeroPartitionPass::collectParams(int64_t groupSize) {
  ModuleOp module = getOperation();
  // Weights own gradients and state through ds.owner, as ds-build-training declares them.
  llvm::MapVector<StringRef, ShardedParam> found;
  for (auto param : module.getOps<ParamOp>()) {
    auto role = param->getAttrOfType<StringAttr>("ds.role");
    auto owner = param->getAttrOfType<StringAttr>("ds.owner");
    if (!role || !owner)
      continue;
    if (param->hasAttr("ds.shard"))
      return param.emitError("ds-zero: @") << param.getSymName() << " is already a shard";
    auto weight = module.lookupSymbol<ParamOp>(owner.getValue());
    if (!weight)
      return param.emitError("ds-zero: ds.owner of @")
             << param.getSymName() << " names no ds.param @" << owner.getValue();
    ShardedParam &entry = found[weight.getSymName()];
    entry.weight = weight;
    if (role.getValue() == "gradient") {
      entry.accumulator = param;
    } else if (role.getValue() == "optimizer_state") {
      // Any initial value works (a shard's value describes the whole tensor), but the state
      // is cut as its weight is, so their shapes must agree.
      if (param.getTensorType().getShape() != weight.getTensorType().getShape())
        return param.emitError("ds-zero: optimizer state @")
               << param.getSymName() << " of type " << param.getTensorType()
               << " is not shaped like its weight @" << weight.getSymName();
      // The mixed-precision master is sharded like the state but updated as the weight.
      auto state = param->getAttrOfType<StringAttr>("ds.state");
      if (state && state.getValue() == "master") {
        entry.master = param;
        continue;
      }
      entry.state.push_back(param);
    }
  }
  for (auto &[name, entry] : found) {
    if (!entry.accumulator)
      return entry.weight.emitError("ds-zero: @") << name << " has optimizer state but no gradient";
    entry.wholeType = entry.weight.getTensorType();
    entry.layout = computeShardLayout(entry.wholeType, groupSize);
    params.push_back(entry);
  }
  if (params.empty())
    return module.emitError("ds-zero: no gradient accumulators (ds.role = \"gradient\"); run "
                            "ds-build-training first");
  for (ShardedParam &param : params) {
    byWeight[param.weight.getSymName()] = &param;
    if (param.master)
      byWeight[param.master.getSymName()] = &param;
  }
  return success();
}

/// DeepSpeed's rule: a parameter of at most `param-persistence-threshold` elements stays whole
/// (it is gathered once per step after the update instead of around every use) while the
/// persistent elements stay within `model-persistence-threshold`.
void ZeroPartitionPass::choosePartitionedWeights() {
  int64_t persistent = 0;
  for (ShardedParam &param : params) {
    int64_t numel = param.layout.numel;
    bool persists = numel <= paramPersistenceThreshold &&
                    persistent + numel <= modelPersistenceThreshold;
    if (persists)
      persistent += numel;
    param.partitioned = !persists;
  }
}

LogicalResult ZeroPartitionPass::shardParams(OpBuilder &builder) {
  for (ShardedParam &param : params) {
    if (param.partitioned)
      makeShardParam(param.weight, param.layout, meshName, axisName);
    for (ParamOp state : param.state)
      makeShardParam(state, param.layout, meshName, axisName);
    if (param.master)
      makeShardParam(param.master, param.layout, meshName, axisName);
    if (stage == 1) {
      // The whole accumulator stays: each rank accumulates its own micro-batches into it, and
      // reduce_gradients scatters the sum into its first S elements, which nothing needs any
      // more, rather than into a shard of its own (the ZeRO paper's 2 Psi of gradients).
      Type element = param.accumulator.getTensorType().getElementType();
      param.accumulator.setTypeAttr(
          TypeAttr::get(RankedTensorType::get({param.layout.getPaddedSize()}, element)));
    } else {
      makeShardParam(param.accumulator, param.layout, meshName, axisName);
      param.gradShard = param.accumulator;
    }
  }
  return success();
}

Value ZeroPartitionPass::reduceScatter(OpBuilder &builder, Location loc, Value input,
                                       RankedTensorType type) {
  return builder.create<ReduceScatterOp>(loc, type, ReduceKind::Sum, input, meshName, axisName,
                                         /*dim=*/0);
}

/// Finds micro_step's `acc = load @p.grad; store acc + g, @p.grad`, erases it and returns g
/// (null when the forward does not read the weight).
FailureOr<Value> ZeroPartitionPass::takeAccumulation(func::FuncOp micro, ShardedParam &param) {
  StringRef accumulator = param.accumulator.getSymName();
  SmallVector<StoreParamOp> stores;
  micro.walk([&](StoreParamOp store) {
    if (store.getParam() == accumulator)
      stores.push_back(store);
  });
  if (stores.empty())
    return Value();
  auto add = stores.size() == 1 ? stores[0].getValue().getDefiningOp<AddOp>() : AddOp();
  LoadParamOp load;
  Value gradient;
  if (add) {
    for (unsigned i = 0; i < 2; ++i) {
      auto candidate = add->getOperand(i).getDefiningOp<LoadParamOp>();
      if (candidate && candidate.getParam() == accumulator) {
        load = candidate;
        gradient = add->getOperand(1 - i);
      }
    }
  }
  if (!load || !add->hasOneUse() || !load->hasOneUse() || gradient.getType() != param.wholeType)
    return micro.emitError("ds-zero: @micro_step must accumulate @")
           << accumulator << " once, as load + add of a gradient of @"
           << param.weight.getSymName() << "'s type + store";
  stores[0].erase();
  add.erase();
  load.erase();
  return gradient;
}

/// Stage 1: micro_step adds each gradient, flattened and zero-padded, into the flat accumulator.
LogicalResult ZeroPartitionPass::flattenAccumulation(func::FuncOp micro) {
  OpBuilder builder(&getContext());
  for (ShardedParam &param : params) {
    FailureOr<Value> gradient = takeAccumulation(micro, param);
    if (failed(gradient))
      return failure();
    if (!*gradient)
      continue;
    if (Operation *def = gradient->getDefiningOp())
      builder.setInsertionPointAfter(def);
    else
      builder.setInsertionPointToStart(&micro.getBody().front());
    Location loc = micro.getLoc();
    ParamOp accumulator = param.accumulator;
    auto type = accumulator.getTensorType();
    Value padded = buildPaddedFlat(builder, loc, *gradient, param.layout);
    Value sum = builder.create<AddOp>(
        loc, type, builder.create<LoadParamOp>(loc, type, accumulator.getSymName()), padded);
    builder.create<StoreParamOp>(loc, sum, accumulator.getSymName());
  }
  return success();
}

/// Stage 2: micro_step's accumulation becomes a reduce_scatter of g (with others in its bucket)
/// right where g is final, added into the shard.
LogicalResult ZeroPartitionPass::partitionMicroStep(func::FuncOp micro) {
  Block &body = micro.getBody().front();
  SmallVector<FinishedGradient> finished;
  for (ShardedParam &param : params) {
    FailureOr<Value> gradient = takeAccumulation(micro, param);
    if (failed(gradient))
      return failure();
    if (*gradient)
      finished.push_back({&param, *gradient});
  }

  // Program order of the ops that finish each gradient: buckets fill in the order the backward
  // pass produces gradients, so each reduce_scatter can start while backward goes on.
  DenseMap<Operation *, unsigned> position;
  for (auto [index, op] : llvm::enumerate(body))
    position[&op] = index + 1;
  auto positionOf = [&](Value value) {
    Operation *def = value.getDefiningOp();
    return def ? position.lookup(def) : 0u;
  };
  llvm::stable_sort(finished, [&](const FinishedGradient &a, const FinishedGradient &b) {
    return positionOf(a.gradient) < positionOf(b.gradient);
  });

  OpBuilder builder(&getContext());
  forEachBucket(finished, [&](ArrayRef<FinishedGradient> bucket) {
    Value last = bucket.back().gradient;
    if (Operation *def = last.getDefiningOp())
      builder.setInsertionPointAfter(def);
    else
      builder.setInsertionPointToStart(&body);
    buildBucket(builder, micro.getLoc(), bucket, /*accumulate=*/true);
  });
  return success();
}

/// Cuts `gradients` into consecutive buckets of at most `reduce-bucket-size` padded elements (a
/// larger gradient gets a bucket of its own) and calls `build` on each.
template <typename BuildFn>
void ZeroPartitionPass::forEachBucket(ArrayRef<FinishedGradient> gradients, BuildFn build) {
  size_t begin = 0;
  int64_t elements = 0;
  for (size_t i = 0; i < gradients.size(); ++i) {
    int64_t size = gradients[i].param->layout.getPaddedSize();
    if (i > begin && elements + size > reduceBucketSize) {
      build(gradients.slice(begin, i - begin));
      begin = i;
      elements = 0;
    }
    elements += size;
  }
  if (begin < gradients.size())
    build(gradients.drop_front(begin));
}

/// Stage 3: every function but the update reads partitioned weights through gathers; in
/// micro_step the loss separates the forward's gathers from the backward's.
LogicalResult ZeroPartitionPass::gatherWeights(ArrayRef<func::FuncOp> functions) {
  SmallVector<PartitionedWeight> weights;
  for (ShardedParam &param : params)
    if (param.partitioned)
      weights.push_back({param.weight, param.layout, param.wholeType});
  if (weights.empty())
    return success();
  for (func::FuncOp func : functions) {
    if (func.isExternal())
      continue;
    Operation *boundary = nullptr;
    if (func.getSymName() == "micro_step") {
      auto ret = cast<func::ReturnOp>(func.getBody().front().getTerminator());
      if (ret.getNumOperands() > 0)
        boundary = ret.getOperand(0).getDefiningOp();
    }
    if (failed(gatherPartitionedWeights(func, weights, boundary,
                                        overlapComm ? prefetchBucketSize : 0, meshName,
                                        axisName)))
      return failure();
  }
  return success();
}

/// One reduce_scatter for the bucket. Each gradient is padded and viewed as [N, S_p]; side by
/// side they make [N, sum S_p], whose row i is member i's shard of every gradient in the bucket,
/// so the scattered row splits into shards aligned with the optimizer state's.
void ZeroPartitionPass::buildBucket(OpBuilder &builder, Location loc,
                                    ArrayRef<FinishedGradient> bucket, bool accumulate) {
  // Gradients are scattered in their own type: 16-bit under mixed precision, as DeepSpeed does.
  Type f32 = bucket[0].param->accumulator.getTensorType().getElementType();
  SmallVector<Value> pieces;
  if (bucket.size() == 1) {
    const ShardLayout &layout = bucket[0].param->layout;
    Value padded = buildPaddedFlat(builder, loc, bucket[0].gradient, layout);
    pieces.push_back(
        reduceScatter(builder, loc, padded, RankedTensorType::get({layout.shardSize}, f32)));
  } else {
    int64_t groupSize = bucket[0].param->layout.groupSize;
    SmallVector<Value> rows;
    SmallVector<Type> shardTypes;
    int64_t width = 0;
    for (const FinishedGradient &gradient : bucket) {
      const ShardLayout &layout = gradient.param->layout;
      Value padded = buildPaddedFlat(builder, loc, gradient.gradient, layout);
      rows.push_back(builder.create<ReshapeOp>(
          loc, RankedTensorType::get({groupSize, layout.shardSize}, f32), padded));
      shardTypes.push_back(RankedTensorType::get({layout.shardSize}, f32));
      width += layout.shardSize;
    }
    Value side = builder.create<ConcatOp>(
        loc, RankedTensorType::get({groupSize, width}, f32), rows, /*axis=*/1);
    Value mine = reduceScatter(builder, loc, side, RankedTensorType::get({1, width}, f32));
    Value flat = builder.create<ReshapeOp>(loc, RankedTensorType::get({width}, f32), mine);
    auto split = builder.create<SplitOp>(loc, shardTypes, flat, /*axis=*/0);
    llvm::append_range(pieces, split.getResults());
  }
  for (auto [gradient, piece] : llvm::zip(bucket, pieces)) {
    if (!accumulate) {
      // Stage 1: the reduced shard goes into the accumulator's first S elements.
      builder.create<StoreParamOp>(loc, piece, gradient.param->accumulator.getSymName(),
                                   builder.getI64IntegerAttr(0));
      continue;
    }
    ParamOp shard = gradient.param->gradShard;
    Value accumulated = builder.create<LoadParamOp>(loc, shard.getTensorType(), shard.getSymName());
    Value sum = builder.create<AddOp>(loc, shard.getTensorType(), accumulated, piece);
    builder.create<StoreParamOp>(loc, sum, shard.getSymName());
  }
}

/// This rank's reduced gradient shard: the accumulator's first S elements in stage 1, the
/// accumulator itself in stages 2 and 3.
Value ZeroPartitionPass::loadGradientShard(OpBuilder &builder, Location loc,
                                           const ShardedParam &param) {
  ParamOp accumulator = param.accumulator;
  auto type = accumulator.getTensorType();
  Value loaded = builder.create<LoadParamOp>(loc, type, accumulator.getSymName());
  int64_t shardSize = param.layout.shardSize;
  if (stage != 1 || type.getDimSize(0) == shardSize)
    return loaded;
  return builder.create<SliceOp>(loc, RankedTensorType::get({shardSize}, type.getElementType()),
                                 loaded, ArrayRef<int64_t>{0}, ArrayRef<int64_t>{shardSize},
                                 ArrayRef<int64_t>{1});
}

/// Stage 1 scatters the whole accumulators here, in buckets of `reduce-bucket-size`; every
/// stage then sums the squares of this rank's shards and all-reduces that scalar (padding adds
/// zeros).
void ZeroPartitionPass::rebuildReduceGradients(func::FuncOp func) {
  MLIRContext *context = &getContext();
  Location loc = func.getLoc();
  OpBuilder builder = OpBuilder::atBlockEnd(&clearBody(func));
  if (stage == 1) {
    SmallVector<FinishedGradient> accumulated;
    for (ShardedParam &param : params) {
      Value whole = builder.create<LoadParamOp>(loc, param.accumulator.getTensorType(),
                                                param.accumulator.getSymName());
      accumulated.push_back({&param, whole});
    }
    forEachBucket(accumulated, [&](ArrayRef<FinishedGradient> bucket) {
      buildBucket(builder, loc, bucket, /*accumulate=*/false);
    });
  }
  Value sumOfSquares;
  for (ShardedParam &param : params) {
    Value shard = loadGradientShard(builder, loc, param);
    auto shardType = cast<RankedTensorType>(shard.getType());
    if (!shardType.getElementType().isF32()) {
      shardType = shardType.clone(builder.getF32Type());
      shard = builder.create<CastOp>(loc, shardType, shard);
    }
    Value squares = builder.create<MulOp>(loc, shardType, shard, shard);
    Value sum = builder.create<ReduceSumOp>(loc, scalarF32(context), squares,
                                            ArrayRef<int64_t>{0}, false);
    sumOfSquares = sumOfSquares
                       ? builder.create<AddOp>(loc, scalarF32(context), sumOfSquares, sum)
                       : sum;
  }
  Value total = builder.create<AllReduceOp>(loc, scalarF32(context), ReduceKind::Sum,
                                            sumOfSquares, meshName, axisName);
  builder.create<func::ReturnOp>(loc, total);
}

/// Each fused update runs on this rank's shards; the updated weight shard is all-gathered back
/// into the whole weight every rank's forward reads.
LogicalResult ZeroPartitionPass::rewriteApplyUpdate(func::FuncOp func) {
  SmallVector<Operation *> updates;
  func.walk([&](Operation *op) {
    if (isa<AdamUpdateOp, SGDUpdateOp>(op))
      updates.push_back(op);
  });
  for (Operation *update : updates) {
    auto weightLoad = update->getOperand(0).getDefiningOp<LoadParamOp>();
    ShardedParam *param = weightLoad ? byWeight.lookup(weightLoad.getParam()) : nullptr;
    unsigned numState = update->getNumResults() - 1;
    if (!param || param->state.size() != numState)
      return update->emitError("ds-zero: expected the update of a trained parameter, loaded "
                               "with ds.load_param, with its ")
             << numState << " optimizer state tensors";
    Location loc = update->getLoc();
    OpBuilder builder(update);
    // The update reads the fp32 master's shard under mixed precision, a partitioned weight's
    // shard, or else this rank's slice of the whole weight; the 16-bit gradient shard is cast
    // to fp32.
    auto shardType =
        param->master
            ? param->master.getTensorType()
            : RankedTensorType::get({param->layout.shardSize},
                                    param->accumulator.getTensorType().getElementType());
    Value weightShard;
    if (param->master)
      weightShard = builder.create<LoadParamOp>(loc, shardType, param->master.getSymName());
    else if (param->partitioned)
      weightShard = builder.create<LoadParamOp>(loc, shardType, param->weight.getSymName());
    else
      weightShard = builder.create<ShardSliceOp>(
          loc, shardType, buildPaddedFlat(builder, loc, weightLoad, param->layout), meshName,
          axisName, /*dim=*/0);
    SmallVector<Value> operands{weightShard};
    Value gradShard = loadGradientShard(builder, loc, *param);
    if (gradShard.getType() != shardType)
      gradShard = builder.create<CastOp>(loc, shardType, gradShard);
    operands.push_back(gradShard);
    for (ParamOp state : param->state)
      operands.push_back(builder.create<LoadParamOp>(loc, shardType, state.getSymName()));
    // The per-step scalars follow the tensors.
    llvm::append_range(operands, update->getOperands().drop_front(2 + numState));

    // A clone keeps the optimizer's attributes (stored as properties) as they are.
    IRMapping mapping;
    mapping.map(update->getOperands(), operands);
    Operation *sharded = builder.clone(*update, mapping);
    for (Value result : sharded->getResults())
      result.setType(shardType);

    // The old stores (and the master's cast to 16 bits) and the old loads (and the gradient's
    // cast to fp32) go; the new stores come after the update has read everything.
    eraseWithUsers(update);

    // Only now: "after sharded" means "before the op that followed it", which was the old update.
    builder.setInsertionPointAfter(sharded);
    Value newWeight = sharded->getResult(0);
    if (param->master)
      builder.create<StoreParamOp>(loc, newWeight, param->master.getSymName());
    for (auto [index, stateParam] : llvm::enumerate(param->state))
      builder.create<StoreParamOp>(loc, sharded->getResult(index + 1), stateParam.getSymName());
    // DeepSpeed all-gathers the weights in the type the forward reads: 16-bit with a master.
    // A partitioned weight keeps just its (cast) shard.
    RankedTensorType weightType = param->wholeType;
    if (param->master)
      newWeight = builder.create<CastOp>(
          loc, RankedTensorType::get({param->layout.shardSize}, weightType.getElementType()),
          newWeight);
    if (param->partitioned) {
      builder.create<StoreParamOp>(loc, newWeight, param->weight.getSymName());
      continue;
    }
    Value gathered = builder.create<AllGatherOp>(
        loc, RankedTensorType::get({param->layout.getPaddedSize()}, weightType.getElementType()),
        newWeight, meshName, axisName, /*dim=*/0);
    builder.create<StoreParamOp>(loc, buildUnpadded(builder, loc, gathered, weightType),
                                 param->weight.getSymName());
  }
  return success();
}

void ZeroPartitionPass::rebuildZeroGradients(func::FuncOp func) {
  Location loc = func.getLoc();
  OpBuilder builder = OpBuilder::atBlockEnd(&clearBody(func));
  for (ShardedParam &param : params) {
    auto type = param.accumulator.getTensorType();
    Value zeros = builder.create<ConstantOp>(
        loc, DenseElementsAttr::get(type, builder.getZeroAttr(type.getElementType())));
    builder.create<StoreParamOp>(loc, zeros, param.accumulator.getSymName());
  }
  builder.create<func::ReturnOp>(loc);
}

void ZeroPartitionPass::runOnOperation() {
  ModuleOp module = getOperation();
  params.clear(); // a pass instance may run on several modules
  byWeight.clear();
  if (stage < 1 || stage > 3) {
    module.emitError("ds-zero: stage ") << static_cast<int64_t>(stage) << " does not exist (expected 1, 2 or 3)";
    return signalPassFailure();
  }
  if (reduceBucketSize < 1) {
    module.emitError("ds-zero: reduce-bucket-size must be positive, got ")
        << static_cast<int64_t>(reduceBucketSize);
    return signalPassFailure();
  }
  auto mesh = module.lookupSymbol<MeshOp>(meshName);
  std::optional<int64_t> groupSize = mesh ? mesh.getAxisSize(axisName) : std::nullopt;
  if (!groupSize) {
    module.emitError("ds-zero: no ds.mesh @")
        << meshName << " with an axis '" << axisName
        << "' to shard over (ds-build-training declares it with dp-size > 1 or dp-mesh)";
    return signalPassFailure();
  }
  func::FuncOp functions[4];
  const char *names[] = {"micro_step", "reduce_gradients", "apply_update", "zero_gradients"};
  for (unsigned i = 0; i < 4; ++i) {
    functions[i] = module.lookupSymbol<func::FuncOp>(names[i]);
    if (!functions[i] || functions[i].isExternal()) {
      module.emitError("ds-zero: no function @") << names[i] << " (run ds-build-training first)";
      return signalPassFailure();
    }
  }
  if (failed(collectParams(*groupSize)))
    return signalPassFailure();

  if (stage == 3)
    choosePartitionedWeights();

  OpBuilder builder(&getContext());
  if (failed(shardParams(builder)))
    return signalPassFailure();
  if (failed(stage == 1 ? flattenAccumulation(functions[0]) : partitionMicroStep(functions[0])))
    return signalPassFailure();
  rebuildReduceGradients(functions[1]);
  if (failed(rewriteApplyUpdate(functions[2])))
    return signalPassFailure();
  rebuildZeroGradients(functions[3]);
  if (stage == 3) {
    SmallVector<func::FuncOp> readers;
    for (auto func : module.getOps<func::FuncOp>())
      if (func != functions[2])
        readers.push_back(func);
    if (failed(gatherWeights(readers)))
      return signalPassFailure();
  }
}

} // namespace
