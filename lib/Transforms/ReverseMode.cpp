//===- ReverseMode.cpp - reverse-mode differentiation of a block ----------===//

#include "ds/Transforms/ReverseMode.h"
#include "TensorKinds.h"

#include "ds/Dialect/DS/IR/DSDerivatives.h"
#include "ds/Dialect/DS/IR/DSOps.h"

#include "llvm/ADT/SetVector.h"

using namespace mlir;
using namespace mlir::ds;

namespace {
Value zerosOf(OpBuilder &builder, Location loc, Type type) {
  auto tensor = cast<RankedTensorType>(type);
  auto zero = builder.getFloatAttr(tensor.getElementType(), 0.0);
  return builder.create<ConstantOp>(loc, DenseElementsAttr::get(tensor, zero));
}
} // namespace

FailureOr<SmallVector<Value>> mlir::ds::buildReverseGradients(OpBuilder &builder, Value loss,
                                                              Value seed, ArrayRef<Value> wrt) {
  Operation *lossOp = loss.getDefiningOp();
  Block *block = lossOp ? lossOp->getBlock() : cast<BlockArgument>(loss).getOwner();

  // Active ops: those on a path from a `wrt` value to the loss. Forward from wrt, in block
  // order (the block is straight-line SSA, so one sweep sees every definition before its uses).
  DenseSet<Value> varied(wrt.begin(), wrt.end());
  SmallVector<Operation *> forward;
  for (Operation &op : *block) {
    bool touched = llvm::any_of(op.getOperands(), [&](Value v) { return varied.contains(v); });
    if (!touched)
      continue;
    for (Value result : op.getResults())
      if (isFloatTensorType(result.getType()))
        varied.insert(result);
    forward.push_back(&op);
    if (&op == lossOp)
      break;
  }
  // Backward from the loss: only ops whose results reach it need their rule.
  DenseSet<Value> useful{loss};
  SmallVector<Operation *> active;
  for (Operation *op : llvm::reverse(forward)) {
    bool feedsLoss = llvm::any_of(op->getResults(), [&](Value v) { return useful.contains(v); });
    if (!feedsLoss)
      continue;
    active.push_back(op); // reverse order
    for (Value operand : op->getOperands())
      if (varied.contains(operand) && isFloatTensorType(operand.getType()))
        useful.insert(operand);
  }

  DenseMap<Value, Value> gradient;
  auto accumulate = [&](Value value, Value grad, Location loc) {
    auto [it, inserted] = gradient.try_emplace(value, grad);
    if (!inserted)
      it->second = builder.create<AddOp>(loc, value.getType(), it->second, grad);
  };
  gradient[loss] = seed;
  for (Operation *op : active) {
    SmallVector<Value> resultGradients;
    for (Value result : op->getResults())
      resultGradients.push_back(gradient.lookup(result));
    if (llvm::all_of(resultGradients, [](Value g) { return !g; }))
      continue;
    auto rule = dyn_cast<DerivativeOpInterface>(op);
    if (!rule)
      return op->emitError("cannot differentiate '")
             << op->getName() << "': it has no derivative rule";
    SmallVector<Value> operandGradients(op->getNumOperands());
    if (failed(rule.buildGradients(builder, resultGradients, operandGradients)))
      return op->emitError("the derivative rule of '") << op->getName() << "' failed";
    for (auto [operand, grad] : llvm::zip(op->getOperands(), operandGradients)) {
      if (!grad || !useful.contains(operand))
        continue;
      if (grad.getType() != operand.getType())
        return op->emitError("the derivative rule of '")
               << op->getName() << "' built a gradient of type " << grad.getType()
               << " for an operand of type " << operand.getType();
      accumulate(operand, grad, op->getLoc());
    }
  }

  SmallVector<Value> result;
  for (Value value : wrt) {
    Value grad = gradient.lookup(value);
    result.push_back(grad ? grad : zerosOf(builder, value.getLoc(), value.getType()));
  }
  return result;
}
