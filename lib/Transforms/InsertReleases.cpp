//===- InsertReleases.cpp - end each tensor's lifetime after its last use -===//
//
// Liveness for straight-line step functions: a value dies at its last use, so a
// ds.release there lets the runtime reuse its storage for the rest of the step.
//
//===----------------------------------------------------------------------===//

#include "ds/Dialect/DS/IR/DSOps.h"
#include "ds/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/MapVector.h"

namespace mlir::ds {
#define GEN_PASS_DEF_INSERTRELEASES
#include "ds/Transforms/Passes.h.inc"
} // namespace mlir::ds

using namespace mlir;
using namespace mlir::ds;

namespace {

/// Whether ds.release accepts a value of this type (the op's operand
/// constraint).
bool isReleasableType(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor || !tensor.hasStaticShape())
    return false;
  Type element = tensor.getElementType();
  if (isa<Float16Type, BFloat16Type, Float32Type, Float64Type>(element))
    return true;
  auto integer = dyn_cast<IntegerType>(element);
  if (!integer || !integer.isSignless())
    return false;
  unsigned width = integer.getWidth();
  return width == 1 || width == 8 || width == 32 || width == 64;
}

/// Where a value's lifetime ends, as far as this pass is concerned.
struct LastUse {
  /// The op in the function's block after which the value is dead; null when it
  /// has no use.
  Operation *op = nullptr;
  /// Returned values outlive the function; released ones have already been
  /// taken care of.
  bool escapesOrReleased = false;
};

LastUse findLastUse(Value value, Block &block) {
  LastUse last;
  for (Operation *user : value.getUsers()) {
    // A use inside a nested region keeps the value alive until its enclosing op
    // in the block.
    Operation *inBlock = block.findAncestorOpInBlock(*user);
    if (!inBlock || isa<ReleaseOp>(inBlock) ||
        inBlock->hasTrait<OpTrait::IsTerminator>()) {
      last.escapesOrReleased = true;
      return last;
    }
    if (!last.op || last.op->isBeforeInBlock(inBlock))
      last.op = inBlock;
  }
  return last;
}

struct InsertReleasesPass
    : public ds::impl::InsertReleasesBase<InsertReleasesPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal())
      return;
    Region &body = func.getBody();
    // Without branches the last use in block order is the last use in time;
    // with them it is not, and a release on one path would free a value another
    // path still reads.
    if (!llvm::hasSingleElement(body)) {
      func.emitError("cannot insert releases into function @")
          << func.getSymName() << ": it has " << body.getBlocks().size()
          << " blocks, and only single-block functions are supported";
      return signalPassFailure();
    }
    Block &block = body.front();

    // Releases grouped by the op they follow (null: the start of the block).
    // Values are visited in definition order, so several releases after one op
    // come out in that order.
    llvm::MapVector<Operation *, SmallVector<Value>> releasesAfter;
    auto planRelease = [&](Value value) {
      if (!isReleasableType(value.getType()))
        return;
      // A load_param result is the parameter's own storage, not a copy: freeing
      // it would free the model's weights, which must survive into the next
      // step.
      if (value.getDefiningOp<LoadParamOp>())
        return;
      LastUse last = findLastUse(value, block);
      if (last.escapesOrReleased)
        return;
      // An unused value dies where it is born.
      Operation *anchor = last.op ? last.op : value.getDefiningOp();
      releasesAfter[anchor].push_back(value);
    };
    for (BlockArgument argument : block.getArguments())
      planRelease(argument);
    for (Operation &op : block)
      for (Value result : op.getResults())
        planRelease(result);

    OpBuilder builder(func.getContext());
    for (auto &[anchor, values] : releasesAfter) {
      if (anchor)
        builder.setInsertionPointAfter(anchor);
      else
        builder.setInsertionPointToStart(&block);
      for (Value value : values)
        builder.create<ReleaseOp>(value.getLoc(), value);
    }
  }
};

} // namespace
