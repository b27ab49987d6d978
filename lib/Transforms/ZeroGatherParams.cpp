//===- ZeroGatherParams.cpp - ZeRO stage 3: gather parameters around their uses -===//
//
// A partitioned parameter lives only as this rank's shard; a function that reads the whole
// weight gets it from an all_gather placed before its first use and loses it after its last
// (the plan frees a value at its last use). In micro_step the forward pass and the backward pass
// gather separately, so no whole weight stays live from one to the other. Weights reach their
// consumers through layout ops (a transpose before a matmul, a cast to the compute type); such a
// chain is recomputed from the second gather instead of keeping its result across the loss.
//
// Gathers are issued ahead of their first use, so they run on the communication stream while
// compute goes on: each is issued at the first use of the earliest pending gather such that the
// gathers in flight, or gathered and not yet used, hold at most `prefetch` elements (at least the
// one about to be used).
//
//===----------------------------------------------------------------------===//

#include "ZeroUtils.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/SetVector.h"

using namespace mlir;
using namespace mlir::ds;

namespace {

/// Ops that only relayout one tensor: recomputing them from a fresh gather is cheaper than
/// keeping their result alive.
bool isLayoutOp(Operation *op) {
  return isa<TransposeOp, ReshapeOp, CastOp>(op) && op->getNumOperands() == 1 &&
         op->getNumResults() == 1;
}

/// One whole copy of a parameter that a phase of the function needs.
struct GatherEvent {
  const PartitionedWeight *weight;
  unsigned phase;
  unsigned firstUse;           // position of the first op that needs the whole weight
  SmallVector<OpOperand *> uses; // consumers outside the layout chain, in position order
};

class ParamGatherer {
public:
  ParamGatherer(func::FuncOp func, StringRef mesh, StringRef axis)
      : func(func), body(func.getBody().front()), mesh(mesh), axis(axis) {}

  LogicalResult run(ArrayRef<PartitionedWeight> weights, Operation *phaseBoundary,
                    int64_t prefetch);

private:
  unsigned positionOf(Operation *op) {
    return position.lookup(body.findAncestorOpInBlock(*op));
  }
  Value emitGather(OpBuilder &builder, const PartitionedWeight &weight, Location loc);
  Value cloneChain(OpBuilder &builder, Value value, IRMapping &mapping);

  func::FuncOp func;
  Block &body;
  StringRef mesh, axis;
  DenseMap<Operation *, unsigned> position;
  SmallVector<Operation *> ops;
};

Value ParamGatherer::emitGather(OpBuilder &builder, const PartitionedWeight &weight,
                                Location loc) {
  ParamOp param = weight.param;
  Value shard = builder.create<LoadParamOp>(loc, param.getTensorType(), param.getSymName());
  auto paddedType = RankedTensorType::get({weight.layout.getPaddedSize()},
                                          weight.wholeType.getElementType());
  return builder.create<AllGatherOp>(loc, paddedType, shard, mesh, axis, /*dim=*/0);
}

/// `value` (a load of the weight or a layout op of one) recomputed on top of what `mapping`
/// maps the loads to, each op cloned once, right where the builder stands.
Value ParamGatherer::cloneChain(OpBuilder &builder, Value value, IRMapping &mapping) {
  if (Value mapped = mapping.lookupOrNull(value))
    return mapped;
  Operation *def = value.getDefiningOp();
  assert(def && isLayoutOp(def) && "a weight's layout chain starts at a mapped load");
  cloneChain(builder, def->getOperand(0), mapping);
  Operation *clone = builder.clone(*def, mapping);
  return clone->getResult(cast<OpResult>(value).getResultNumber());
}

LogicalResult ParamGatherer::run(ArrayRef<PartitionedWeight> weights, Operation *phaseBoundary,
                                 int64_t prefetch) {
  // A dead use would still cost a gather (collectives are never dead), so drop dead code first.
  for (Operation &op : llvm::make_early_inc_range(llvm::reverse(body)))
    if (isOpTriviallyDead(&op))
      op.erase();
  for (auto [index, op] : llvm::enumerate(body)) {
    position[&op] = index;
    ops.push_back(&op);
  }
  unsigned boundary = phaseBoundary ? positionOf(phaseBoundary) : ops.size();

  // Per weight: its loads, the layout chain hanging off them, and the consumers of either.
  struct WeightUses {
    SmallVector<LoadParamOp> loads;
    llvm::SetVector<Operation *> chain; // in def-before-use order
    SmallVector<OpOperand *> consumers[2];
  };
  SmallVector<WeightUses> usesOf(weights.size());
  SmallVector<Value> forwardWhole(weights.size());
  SmallVector<GatherEvent> events;
  for (auto [index, weight] : llvm::enumerate(weights)) {
    WeightUses &uses = usesOf[index];
    ParamOp param = weight.param;
    func.walk([&](LoadParamOp load) {
      if (load.getParam() == param.getSymName())
        uses.loads.push_back(load);
    });
    if (uses.loads.empty())
      continue;
    for (LoadParamOp load : uses.loads) {
      if (load->getBlock() != &body)
        return load.emitError("ds-zero: stage 3 gathers @")
               << param.getSymName() << " only where it is loaded at the top level of @"
               << func.getSymName();
      if (load.getType() != weight.wholeType)
        return load.emitError("ds-zero: @")
               << param.getSymName() << " loaded as " << load.getType() << ", expected "
               << weight.wholeType;
    }
    SmallVector<Value> worklist;
    for (LoadParamOp load : uses.loads)
      worklist.push_back(load);
    while (!worklist.empty()) {
      Value value = worklist.pop_back_val();
      for (OpOperand &use : value.getUses()) {
        Operation *user = use.getOwner();
        if (isLayoutOp(user) && user->getBlock() == &body) {
          if (uses.chain.insert(user))
            worklist.push_back(user->getResult(0));
          continue;
        }
        unsigned phase = positionOf(user) > boundary ? 1 : 0;
        uses.consumers[phase].push_back(&use);
      }
    }
    for (unsigned phase = 0; phase < 2; ++phase) {
      auto &consumers = uses.consumers[phase];
      if (consumers.empty())
        continue;
      llvm::stable_sort(consumers, [&](OpOperand *a, OpOperand *b) {
        return positionOf(a->getOwner()) < positionOf(b->getOwner());
      });
      unsigned first = positionOf(consumers.front()->getOwner());
      if (phase == 0) {
        // The forward keeps its own layout ops, which may come before the first consumer.
        for (Operation *op : uses.chain)
          first = std::min(first, positionOf(op));
      }
      events.push_back({&weight, phase, first, SmallVector<OpOperand *>(consumers)});
    }
  }
  llvm::stable_sort(events, [](const GatherEvent &a, const GatherEvent &b) {
    return a.firstUse < b.firstUse;
  });

  // Where each gather is issued: the first use of the earliest event whose window still fits.
  SmallVector<unsigned> issueAt(events.size());
  unsigned windowStart = 0;
  int64_t windowElements = 0;
  for (unsigned i = 0; i < events.size(); ++i) {
    windowElements += events[i].weight->layout.getPaddedSize();
    while (windowStart < i && windowElements > prefetch) {
      windowElements -= events[windowStart].weight->layout.getPaddedSize();
      ++windowStart;
    }
    issueAt[i] = events[windowStart].firstUse;
  }

  OpBuilder builder(func.getContext());
  for (auto [index, event] : llvm::enumerate(events)) {
    const PartitionedWeight &weight = *event.weight;
    Location loc = ParamOp(weight.param).getLoc();
    builder.setInsertionPoint(ops[issueAt[index]]);
    Value gathered = emitGather(builder, weight, loc);
    builder.setInsertionPoint(ops[event.firstUse]);
    Value whole = buildUnpadded(builder, loc, gathered, weight.wholeType);

    WeightUses &uses = usesOf[event.weight - weights.data()];
    if (event.phase == 0) {
      forwardWhole[event.weight - weights.data()] = whole;
      // The forward's consumers and layout ops read the loads: they now read this gather.
      for (LoadParamOp load : uses.loads)
        for (OpOperand &use : llvm::make_early_inc_range(load->getUses()))
          if (llvm::is_contained(uses.consumers[0], &use) || uses.chain.contains(use.getOwner()))
            use.set(whole);
      continue;
    }
    // The backward recomputes the layout chain from its own gather, each op right before the
    // first consumer that needs it.
    IRMapping mapping;
    for (LoadParamOp load : uses.loads)
      mapping.map(load.getResult(), whole);
    if (Value forward = forwardWhole[event.weight - weights.data()])
      mapping.map(forward, whole); // the forward's layout ops now start from its gather
    for (OpOperand *use : event.uses) {
      builder.setInsertionPoint(body.findAncestorOpInBlock(*use->getOwner()));
      use->set(cloneChain(builder, use->get(), mapping));
    }
  }

  // What the forward no longer reads: layout ops only the backward needed, and the loads.
  for (WeightUses &uses : usesOf) {
    for (Operation *op : llvm::reverse(uses.chain))
      if (op->use_empty())
        op->erase();
    for (LoadParamOp load : uses.loads) {
      if (!load->use_empty())
        return load.emitError("ds-zero: a use of @") << load.getParam() << " was not gathered";
      load.erase();
    }
  }
  return success();
}

} // namespace

LogicalResult mlir::ds::gatherPartitionedWeights(func::FuncOp func,
                                                 ArrayRef<PartitionedWeight> weights,
                                                 Operation *phaseBoundary, int64_t prefetch,
                                                 StringRef mesh, StringRef axis) {
  return ParamGatherer(func, mesh, axis).run(weights, phaseBoundary, prefetch);
}
