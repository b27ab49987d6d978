//===- OptimizerOps.cpp - fused Adam/AdamW and SGD updates ----------------===//
//
// Verifiers and the shared type syntax of ds.adam_update and ds.sgd_update. Both take tensor
// operands of the parameter's type (param, grad, optimizer state) followed by three tensor<f32>
// scalars (lr, step, grad_scale), and return new values of the parameter's type.
//
//===----------------------------------------------------------------------===//

#include "DSOpsUtils.h"
#include "ds/Dialect/DS/IR/DSOps.h"

#include "mlir/IR/OpImplementation.h"

#include <cmath>

using namespace mlir;
using namespace mlir::ds;

namespace {

constexpr unsigned kNumScalars = 3;
constexpr const char *kScalarNames[kNumScalars] = {"lr", "step", "grad_scale"};

Type getScalarType(MLIRContext *context) {
  return RankedTensorType::get({}, Float32Type::get(context));
}

/// Parses either `T` (the param-typed `tensors` and `results` get T, the scalars tensor<f32>) or
/// the functional type of every operand (tensors, then scalars) and result.
ParseResult parseTypes(OpAsmParser &parser, ArrayRef<Type *> tensors,
                       ArrayRef<Type *> scalars, ArrayRef<Type *> results) {
  SMLoc loc = parser.getCurrentLocation();
  Type type;
  if (parser.parseType(type))
    return failure();
  if (auto function = dyn_cast<FunctionType>(type)) {
    size_t numInputs = tensors.size() + scalars.size();
    if (function.getNumInputs() != numInputs ||
        function.getNumResults() != results.size())
      return parser.emitError(loc, "expected a function type with ")
             << numInputs << " inputs and " << results.size() << " results";
    for (auto [i, slot] : llvm::enumerate(tensors))
      *slot = function.getInput(i);
    for (auto [i, slot] : llvm::enumerate(scalars))
      *slot = function.getInput(tensors.size() + i);
    for (auto [i, slot] : llvm::enumerate(results))
      *slot = function.getResult(i);
    return success();
  }
  for (Type *slot : tensors)
    *slot = type;
  for (Type *slot : scalars)
    *slot = getScalarType(parser.getContext());
  for (Type *slot : results)
    *slot = type;
  return success();
}

void printTypes(OpAsmPrinter &printer, Operation *op) {
  Type param = op->getOperand(0).getType();
  Type scalar = getScalarType(op->getContext());
  unsigned numTensors = op->getNumOperands() - kNumScalars;
  bool uniform = llvm::all_of(op->getResultTypes(),
                              [&](Type t) { return t == param; });
  for (auto [i, type] : llvm::enumerate(op->getOperandTypes()))
    uniform &= type == (i < numTensors ? param : scalar);
  if (uniform)
    printer << param;
  else
    printer.printFunctionalType(op);
}

/// The operand and result types: tensor operands and results all have the parameter's type,
/// an f32 tensor; the scalars are tensor<f32>.
LogicalResult verifyOptimizerTypes(Operation *op,
                                   ArrayRef<StringRef> tensorNames) {
  auto param = cast<RankedTensorType>(op->getOperand(0).getType());
  if (!param.getElementType().isF32())
    return op->emitOpError("param must be an f32 tensor (the master copy), got ")
           << param;
  for (auto [i, name] : llvm::enumerate(tensorNames)) {
    Type type = op->getOperand(i).getType();
    if (type != param)
      return op->emitOpError() << name << " must have the param's type " << param
                               << ", got " << type;
  }
  Type scalar = getScalarType(op->getContext());
  for (unsigned i = 0; i < kNumScalars; ++i) {
    Type type = op->getOperand(tensorNames.size() + i).getType();
    if (type != scalar)
      return op->emitOpError() << kScalarNames[i] << " must be a " << scalar
                               << " scalar, got " << type;
  }
  for (auto [i, type] : llvm::enumerate(op->getResultTypes()))
    if (type != param)
      return op->emitOpError("result #")
             << i << " must have the param's type " << param << ", got " << type;
  return success();
}

/// "`name` must be in `range`, got `value`" unless `ok`.
LogicalResult checkHyperparameter(Operation *op, bool ok, StringRef name,
                                  StringRef range, double value) {
  if (ok)
    return success();
  return op->emitOpError() << name << " must be " << range << ", got "
                           << formatDouble(value);
}

} // namespace

ParseResult mlir::ds::parseOptimizerTypes(
    OpAsmParser &parser, Type &param, Type &grad, Type &expAvg, Type &expAvgSq,
    Type &lr, Type &step, Type &gradScale, Type &newParam, Type &newExpAvg,
    Type &newExpAvgSq) {
  return parseTypes(parser, {&param, &grad, &expAvg, &expAvgSq},
                    {&lr, &step, &gradScale},
                    {&newParam, &newExpAvg, &newExpAvgSq});
}

ParseResult mlir::ds::parseOptimizerTypes(OpAsmParser &parser, Type &param,
                                          Type &grad, Type &momentumBuffer,
                                          Type &lr, Type &step, Type &gradScale,
                                          Type &newParam,
                                          Type &newMomentumBuffer) {
  return parseTypes(parser, {&param, &grad, &momentumBuffer},
                    {&lr, &step, &gradScale}, {&newParam, &newMomentumBuffer});
}

void mlir::ds::printOptimizerTypes(OpAsmPrinter &printer, Operation *op, Type,
                                   Type, Type, Type, Type, Type, Type, Type,
                                   Type, Type) {
  printTypes(printer, op);
}

void mlir::ds::printOptimizerTypes(OpAsmPrinter &printer, Operation *op, Type,
                                   Type, Type, Type, Type, Type, Type, Type) {
  printTypes(printer, op);
}

LogicalResult AdamUpdateOp::verify() {
  if (failed(verifyOptimizerTypes(
          *this, {"param", "grad", "exp_avg", "exp_avg_sq"})))
    return failure();
  double beta1 = getBeta1().convertToDouble();
  double beta2 = getBeta2().convertToDouble();
  double epsilon = getEpsilon().convertToDouble();
  double weightDecay = getWeightDecay().convertToDouble();
  // The same bounds torch.optim.Adam checks in its constructor.
  if (failed(checkHyperparameter(*this, beta1 >= 0 && beta1 < 1, "beta1",
                                 "in [0, 1)", beta1)) ||
      failed(checkHyperparameter(*this, beta2 >= 0 && beta2 < 1, "beta2",
                                 "in [0, 1)", beta2)) ||
      failed(checkHyperparameter(*this, epsilon > 0 && std::isfinite(epsilon),
                                 "epsilon", "finite and > 0", epsilon)) ||
      failed(checkHyperparameter(*this,
                                 weightDecay >= 0 && std::isfinite(weightDecay),
                                 "weight_decay", "finite and >= 0",
                                 weightDecay)))
    return failure();
  return success();
}

LogicalResult SGDUpdateOp::verify() {
  if (failed(verifyOptimizerTypes(*this,
                                  {"param", "grad", "momentum_buffer"})))
    return failure();
  double momentum = getMomentum().convertToDouble();
  double dampening = getDampening().convertToDouble();
  double weightDecay = getWeightDecay().convertToDouble();
  if (failed(checkHyperparameter(*this, momentum >= 0 && std::isfinite(momentum),
                                 "momentum", "finite and >= 0", momentum)) ||
      failed(checkHyperparameter(*this, dampening >= 0 && dampening <= 1,
                                 "dampening", "in [0, 1]", dampening)) ||
      failed(checkHyperparameter(*this,
                                 weightDecay >= 0 && std::isfinite(weightDecay),
                                 "weight_decay", "finite and >= 0",
                                 weightDecay)))
    return failure();
  // torch.optim.SGD refuses this combination too: Nesterov needs a momentum to look ahead with,
  // and its formula assumes the undampened buffer.
  if (getNesterov() && (momentum <= 0 || dampening != 0))
    return emitOpError("nesterov needs momentum > 0 and dampening = 0, got "
                       "momentum = ")
           << formatDouble(momentum)
           << " and dampening = " << formatDouble(dampening);
  return success();
}
