//===- Autodiff.cpp - gradients of functions that return a scalar loss ----===//

#include "ds/Dialect/DS/IR/DSOps.h"
#include "ds/Transforms/Passes.h"
#include "ds/Transforms/ReverseMode.h"
#include "TensorKinds.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/MapVector.h"

namespace mlir::ds {
#define GEN_PASS_DEF_AUTODIFF
#include "ds/Transforms/Passes.h.inc"
} // namespace mlir::ds

using namespace mlir;
using namespace mlir::ds;

namespace {
LogicalResult differentiate(func::FuncOp func, SymbolTable &symbols) {
  Block &body = func.getBody().front();
  auto ret = cast<func::ReturnOp>(body.getTerminator());
  Value loss = ret.getOperand(0);

  SmallVector<Value> wrt;
  for (BlockArgument argument : body.getArguments())
    if (isFloatTensorType(argument.getType()))
      wrt.push_back(argument);
  size_t numArguments = wrt.size();
  // Each trainable parameter with all its loads; their gradients are summed below.
  llvm::MapVector<StringRef, SmallVector<Value>> loadsOf;
  func.walk([&](LoadParamOp load) {
    auto param = symbols.lookup<ParamOp>(load.getParam());
    if (param && param.isTrainable() && isFloatTensorType(load.getType()))
      loadsOf[load.getParam()].push_back(load.getResult());
  });
  for (auto &entry : loadsOf)
    wrt.append(entry.second.begin(), entry.second.end());

  OpBuilder builder(ret);
  auto seedType = cast<RankedTensorType>(loss.getType());
  Value seed = builder.create<ConstantOp>(
      ret.getLoc(), DenseElementsAttr::get(seedType, builder.getFloatAttr(
                                                         seedType.getElementType(), 1.0)));
  FailureOr<SmallVector<Value>> grads = buildReverseGradients(builder, loss, seed, wrt);
  if (failed(grads))
    return failure();

  SmallVector<Value> results{loss};
  results.append(grads->begin(), grads->begin() + numArguments);
  size_t next = numArguments;
  for (auto &entry : loadsOf) {
    Value sum = (*grads)[next++];
    for (size_t i = 1; i < entry.second.size(); ++i)
      sum = builder.create<AddOp>(ret.getLoc(), sum.getType(), sum, (*grads)[next++]);
    results.push_back(sum);
  }
  ret->setOperands(results);
  SmallVector<Type> resultTypes;
  for (Value v : results)
    resultTypes.push_back(v.getType());
  func.setFunctionType(builder.getFunctionType(func.getArgumentTypes(), resultTypes));
  return success();
}

struct AutodiffPass : public ds::impl::AutodiffBase<AutodiffPass> {
  using AutodiffBase::AutodiffBase;

  void runOnOperation() override {
    SymbolTable symbols(getOperation());
    for (auto func : llvm::to_vector(getOperation().getOps<func::FuncOp>())) {
      if (func.isExternal() || func.getNumResults() != 1 ||
          !isFloatScalarType(func.getResultTypes()[0]) || !func.getBody().hasOneBlock())
        continue;
      if (failed(differentiate(func, symbols)))
        return signalPassFailure();
    }
  }
};
} // namespace
