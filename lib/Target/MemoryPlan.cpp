//===- MemoryPlan.cpp - per-rank memory and traffic of a compiled step ----===//
//
// The runtime's allocator, as this analysis models it and plans it (lib/Runtime/exec/Executor.cpp):
//  - parameters (weights and the state training adds), constants (buffers with initial data,
//    except splats) and every function's inputs are allocated once, before the first step, and
//    never freed;
//  - ds.load_param results are the parameter's own buffer: no bytes;
//  - every other op result that the function releases (a `free` instruction), splat constants
//    included, is a transient: it lives from the op that writes it to its ds.release, and this
//    analysis gives it an offset in the rank's one arena (ArenaPlan.h: best fit at the moment
//    it is written, 64-byte aligned). The runtime allocates the arena once, before the first
//    step, places each transient at its offset when it is first written and frees nothing;
//  - functions run one at a time and all their transients die inside them, so each function's
//    placement starts from an empty arena and the arena is the largest extent over functions;
//  - a result never released (a function's output) keeps its own buffer: the next call writes
//    the same buffer again, so from the first call on it is live for the rest of the run;
//  - the reported peak is never reset, and 16-bit staging copies and collective scratch are
//    not from this allocator.
// So the peak is the persistent bytes (state, constants, inputs, kept outputs) plus the arena.
// The most transient bytes live at once in a function is a lower bound on its extent; what the
// arena holds above the largest such bound is fragmentation.
//
//===----------------------------------------------------------------------===//

#include "ds/Target/MemoryPlan.h"
#include "ds/Target/ArenaPlan.h"

#include "ModuleState.h"

#include "ds/Dialect/DS/IR/DSOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/DenseSet.h"

using namespace mlir;
using namespace mlir::ds;

namespace ds {

namespace {

/// Bytes of a static tensor as the plan stores it (i1 takes a byte); 0 for anything else.
int64_t getTensorBytes(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor || !tensor.hasStaticShape() || !tensor.getElementType().isIntOrFloat())
    return 0;
  int64_t elementBytes = (tensor.getElementType().getIntOrFloatBitWidth() + 7) / 8;
  return tensor.getNumElements() * elementBytes;
}

/// Bytes a collective puts on the bus per rank, as the runtime's busBytes() counts them
/// (nccl-tests' bus bandwidth): (n-1)/n of the message for all_gather, reduce_scatter and
/// all_to_all, 2(n-1)/n for all_reduce, the message for broadcast and send, nothing for recv.
int64_t getBusBytes(StringRef kind, int64_t message, int64_t n) {
  if (kind == "all_reduce")
    return 2 * message * (n - 1) / n;
  if (kind == "all_gather" || kind == "reduce_scatter" || kind == "all_to_all")
    return message * (n - 1) / n;
  if (kind == "recv")
    return 0;
  return message;
}

/// The full message of a collective, as the runtime passes it to busBytes(): the gathered
/// output for all_gather, the whole input for the others.
int64_t getMessageBytes(Operation *op) {
  if (isa<AllGatherOp, RecvOp>(op))
    return getTensorBytes(op->getResult(0).getType());
  return getTensorBytes(op->getOperand(0).getType());
}

bool isCollective(Operation *op) {
  return isa<AllGatherOp, ReduceScatterOp, AllReduceOp, AllToAllOp, BroadcastOp, SendOp,
             RecvOp>(op);
}

/// The size of the group a collective runs on: its axis of its mesh, or every rank when the
/// module declares no mesh (the emitter then makes one `dp` axis of the world).
int64_t getGroupSize(Operation *op, int64_t worldSize) {
  auto meshRef = op->getAttrOfType<FlatSymbolRefAttr>("mesh");
  auto axis = op->getAttrOfType<StringAttr>("axis");
  if (!meshRef || !axis)
    return worldSize;
  auto mesh = SymbolTable::lookupNearestSymbolFrom<MeshOp>(op, meshRef);
  if (!mesh)
    return worldSize;
  return mesh.getAxisSize(axis.getValue()).value_or(worldSize);
}

/// Whether the emitter writes `constant` as one element that fills its buffer when its
/// instruction runs (plan.proto, Buffer.splat).
bool isSplatConstant(ConstantOp constant) {
  auto dense = dyn_cast<DenseElementsAttr>(constant.getValue());
  return dense && dense.isSplat() && dense.getNumElements() > 1;
}

/// Walks one function in program order: what it allocates, keeps and sends.
void analyseFunction(func::FuncOp func, int64_t worldSize, MemoryPlan &plan,
                     FunctionMemory &memory) {
  Block &body = func.getBody().front();
  for (BlockArgument argument : body.getArguments())
    plan.inputBytes += getTensorBytes(argument.getType());

  // Buffers of their own: op results other than parameter loads and constants.
  auto isTransient = [](Value value) {
    Operation *def = value.getDefiningOp();
    if (auto constant = dyn_cast_or_null<ConstantOp>(def))
      return isSplatConstant(constant);
    return def && !isa<LoadParamOp>(def);
  };
  llvm::DenseSet<Value> released;
  for (Operation &op : body)
    if (auto release = dyn_cast<ReleaseOp>(op))
      released.insert(release.getValue());

  int64_t live = 0;
  ArenaPlanner arena;
  for (Operation &op : body) {
    if (auto constant = dyn_cast<ConstantOp>(op)) {
      // A splat is made at its instruction and freed at its release like any value (the
      // emitter stores one element); other constants stay resident from start-up.
      if (!isSplatConstant(constant)) {
        plan.constantBytes += getTensorBytes(constant.getType());
        continue;
      }
    }
    if (auto release = dyn_cast<ReleaseOp>(op)) {
      if (isTransient(release.getValue())) {
        live -= getTensorBytes(release.getValue().getType());
        // Program order is the runtime's order, so the bytes are free for every later op.
        arena.free(plan.arenaOffsets.lookup(release.getValue()));
      }
      continue;
    }
    if (isCollective(&op)) {
      CollectiveVolume &volume = plan.collectives[op.getName().stripDialect().str()];
      int64_t message = getMessageBytes(&op);
      volume.calls += memory.callsPerStep;
      volume.messageBytes += memory.callsPerStep * message;
      volume.busBytes += memory.callsPerStep * getBusBytes(op.getName().stripDialect(), message,
                                                           getGroupSize(&op, worldSize));
    }
    if (isa<LoadParamOp>(op))
      continue;
    // An op's results are all allocated before any operand is freed (the releases after it
    // are instructions of their own), so the peak is taken here.
    for (Value result : op.getResults()) {
      int64_t bytes = getTensorBytes(result.getType());
      if (released.contains(result)) {
        live += bytes;
        plan.arenaOffsets[result] = arena.allocate(bytes);
      } else
        memory.retainedBytes += bytes;
    }
    memory.transientPeakBytes = std::max(memory.transientPeakBytes, live);
  }
  memory.arenaBytes = arena.getExtentBytes();
}

} // namespace

int64_t MemoryPlan::retainedBytes() const {
  int64_t total = 0;
  for (const FunctionMemory &function : functions)
    total += function.retainedBytes;
  return total;
}

int64_t MemoryPlan::persistentBytes() const {
  return modelStateBytes() + constantBytes + inputBytes + retainedBytes();
}

const FunctionMemory *MemoryPlan::peakFunction() const {
  const FunctionMemory *peak = nullptr;
  for (const FunctionMemory &function : functions)
    if (!peak || function.arenaBytes > peak->arenaBytes)
      peak = &function;
  return peak;
}

int64_t MemoryPlan::arenaBytes() const {
  const FunctionMemory *peak = peakFunction();
  return peak ? peak->arenaBytes : 0;
}

int64_t MemoryPlan::transientPeakBytes() const {
  int64_t most = 0;
  for (const FunctionMemory &function : functions)
    most = std::max(most, function.transientPeakBytes);
  return most;
}

int64_t MemoryPlan::predictedPeakBytes() const { return persistentBytes() + arenaBytes(); }

FailureOr<MemoryPlan> computeMemoryPlan(ModuleOp module, int64_t worldSize,
                                        int64_t microStepsPerStep) {
  MemoryPlan plan;
  plan.worldSize = worldSize;
  for (ParamOp param : module.getOps<ParamOp>()) {
    int64_t bytes = getTensorBytes(param.getTensorType());
    auto role = param->getAttrOfType<StringAttr>("ds.role");
    if (!role) {
      plan.weightBytes += bytes;
      // A ZeRO-3 shard counts the whole parameter it is a piece of.
      auto shard = param->getAttrOfType<DictionaryAttr>("ds.shard");
      auto numel = shard ? shard.getAs<IntegerAttr>("numel") : IntegerAttr();
      if (param.isTrainable())
        plan.trainableElements +=
            numel ? numel.getInt() : param.getTensorType().getNumElements();
    } else if (role.getValue() == "gradient") {
      plan.gradientBytes += bytes;
    } else if (role.getValue() == "optimizer_state") {
      plan.optimizerStateBytes += bytes;
    } else {
      return param.emitError("unknown ds.role '") << role.getValue() << "'";
    }
  }

  // The functions the runtime calls, in its order (the emitter's choice, see PlanEmitter.cpp).
  SmallVector<std::pair<func::FuncOp, int64_t>> calls;
  if (module.lookupSymbol<func::FuncOp>("micro_step")) {
    for (StringRef name : {"micro_step", "reduce_gradients", "apply_update", "zero_gradients"}) {
      auto func = module.lookupSymbol<func::FuncOp>(name);
      if (!func)
        return module.emitError("training module without function @") << name;
      calls.push_back({func, name == "micro_step" ? microStepsPerStep : 1});
    }
  } else {
    FailureOr<func::FuncOp> step = findStepFunction(module);
    if (failed(step))
      return failure();
    calls.push_back({*step, 1});
  }
  for (auto [func, callsPerStep] : calls) {
    if (!llvm::hasSingleElement(func.getBody()))
      return func.emitError("function @")
             << func.getSymName() << " is not one straight-line block";
    FunctionMemory &memory = plan.functions.emplace_back();
    memory.name = func.getSymName().str();
    memory.callsPerStep = callsPerStep;
    analyseFunction(func, worldSize, plan, memory);
  }
  return plan;
}

} // namespace ds
