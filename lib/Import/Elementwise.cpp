//===- Elementwise.cpp - arithmetic, unary math, Max/Min, Cast, Identity --===//
//
// Every op here is evaluated while importing when its inputs are known (shape arithmetic such
// as seq_len / num_heads), and otherwise becomes the matching broadcasting ds op.
//
//===----------------------------------------------------------------------===//

#include "Importer.h"
#include "OpRegistry.h"
#include "TensorProto.h"

#include <cmath>
#include <limits>

using namespace mlir;
using llvm::Error;
using llvm::Expected;
using namespace ::ds::importer;

namespace {

//===----------------------------------------------------------------------===//
// Add, Sub, Mul, Div, Pow
//===----------------------------------------------------------------------===//

enum class Arithmetic { Add, Sub, Mul, Div, Pow };

double evaluateFloat(Arithmetic kind, double a, double b) {
  switch (kind) {
  case Arithmetic::Add:
    return a + b;
  case Arithmetic::Sub:
    return a - b;
  case Arithmetic::Mul:
    return a * b;
  case Arithmetic::Div:
    return a / b;
  case Arithmetic::Pow:
    return std::pow(a, b);
  }
  return 0;
}

bool evaluateInt(Arithmetic kind, int64_t a, int64_t b, int64_t &result) {
  // Wrap-around, not undefined behaviour, on overflow: compute unsigned.
  uint64_t ua = static_cast<uint64_t>(a), ub = static_cast<uint64_t>(b);
  switch (kind) {
  case Arithmetic::Add:
    result = static_cast<int64_t>(ua + ub);
    return true;
  case Arithmetic::Sub:
    result = static_cast<int64_t>(ua - ub);
    return true;
  case Arithmetic::Mul:
    result = static_cast<int64_t>(ua * ub);
    return true;
  case Arithmetic::Div: // truncating, as ONNX integer Div
    if (b == 0)
      return false;
    result = (a == std::numeric_limits<int64_t>::min() && b == -1) ? a : a / b;
    return true;
  case Arithmetic::Pow: {
    if (b < 0) {
      result = a == 1 ? 1 : a == -1 ? (b % 2 ? -1 : 1) : 0;
      return true;
    }
    uint64_t r = 1;
    for (int64_t i = 0; i < b && i < 64; ++i)
      r *= ua;
    result = static_cast<int64_t>(r);
    return true;
  }
  }
  return false;
}

Value createArithmetic(NodeImporter &node, Arithmetic kind, RankedTensorType type, Value lhs,
                       Value rhs) {
  switch (kind) {
  case Arithmetic::Add:
    return node.create<mlir::ds::AddOp>(type, lhs, rhs);
  case Arithmetic::Sub:
    return node.create<mlir::ds::SubOp>(type, lhs, rhs);
  case Arithmetic::Mul:
    return node.create<mlir::ds::MulOp>(type, lhs, rhs);
  case Arithmetic::Div:
    return node.create<mlir::ds::DivOp>(type, lhs, rhs);
  case Arithmetic::Pow:
    return node.create<mlir::ds::PowOp>(type, lhs, rhs);
  }
  return {};
}

template <Arithmetic kind> LogicalResult importArithmetic(NodeImporter &node) {
  Type element = node.getInputElementType(0), other = node.getInputElementType(1);
  // Only Pow may mix types: its result has the base's type.
  if (kind != Arithmetic::Pow && element != other)
    return node.fail("operand element types differ: " + formatType(element) + " and " +
                     formatType(other));
  FailureOr<RankedTensorType> type = node.getBroadcastType(element);
  if (failed(type))
    return failure();
  if (node.allInputsConstant() && isFoldable(*type)) {
    Expected<ConstTensor> result = evaluateBinary(
        *node.getInputConstant(0), *node.getInputConstant(1), element,
        [](double a, double b) { return evaluateFloat(kind, a, b); },
        [](int64_t a, int64_t b, int64_t &r) { return evaluateInt(kind, a, b, r); });
    if (!result)
      return node.fail(llvm::toString(result.takeError()));
    node.setOutput(0, std::move(*result));
    return success();
  }
  Value lhs = node.getInput(0), rhs = node.getInput(1);
  if (!lhs || !rhs)
    return failure();
  if (kind == Arithmetic::Pow && element != other) {
    if (!isa<FloatType>(element) && isa<FloatType>(other)) {
      // pow(int, float): compute in the exponent's float type, then truncate as numpy's astype.
      RankedTensorType floatType = RankedTensorType::get(type->getShape(), other);
      Value power = node.create<mlir::ds::PowOp>(floatType, node.createCast(lhs, other), rhs);
      node.setOutput(0, node.createCast(power, element));
      return success();
    }
    rhs = node.createCast(rhs, element);
  }
  node.setOutput(0, createArithmetic(node, kind, *type, lhs, rhs));
  return success();
}

//===----------------------------------------------------------------------===//
// Unary math
//===----------------------------------------------------------------------===//

enum class Unary { Sqrt, Reciprocal, Neg, Exp, Log, Tanh, Erf, Relu, Sigmoid, Abs };

double evaluateUnary(Unary kind, double x) {
  switch (kind) {
  case Unary::Sqrt:
    return std::sqrt(x);
  case Unary::Reciprocal:
    return 1.0 / x;
  case Unary::Neg:
    return -x;
  case Unary::Exp:
    return std::exp(x);
  case Unary::Log:
    return std::log(x);
  case Unary::Tanh:
    return std::tanh(x);
  case Unary::Erf:
    return std::erf(x);
  case Unary::Relu:
    return x > 0 ? x : 0.0;
  case Unary::Sigmoid:
    return 1.0 / (1.0 + std::exp(-x));
  case Unary::Abs:
    return std::fabs(x);
  }
  return 0;
}

template <Unary kind, typename OpTy> LogicalResult importUnary(NodeImporter &node) {
  RankedTensorType type = node.getInputType(0);
  if (const ConstTensor *input = node.getInputConstant(0); input && isFoldable(type)) {
    ConstTensor result(input->getElementType(), input->getShape());
    for (int64_t i = 0; i < result.getNumElements(); ++i) {
      if (input->isFloat())
        result.setDouble(i, evaluateUnary(kind, input->getDouble(i)));
      else // integer Neg, Relu, Abs (the others are float-only in ONNX)
        result.setInt(
            i, static_cast<int64_t>(evaluateUnary(kind, static_cast<double>(input->getInt(i)))));
    }
    node.setOutput(0, std::move(result));
    return success();
  }
  Value input = node.getInput(0);
  if (!input)
    return failure();
  if (!isa<FloatType>(type.getElementType())) {
    // ds's unary ops are float-only; the integer ones ONNX allows are binary ops on a zero.
    Value zero = node.createScalar(type.getElementType(), 0);
    if (kind == Unary::Neg) {
      node.setOutput(0, node.create<mlir::ds::SubOp>(type, zero, input));
      return success();
    }
    if (kind == Unary::Relu) {
      node.setOutput(0, node.create<mlir::ds::MaxOp>(type, input, zero));
      return success();
    }
    if (kind == Unary::Abs) {
      Value negated = node.create<mlir::ds::SubOp>(type, zero, input);
      node.setOutput(0, node.create<mlir::ds::MaxOp>(type, input, negated));
      return success();
    }
    return node.requireFloatInput(0);
  }
  node.setOutput(0, node.create<OpTy>(type, input));
  return success();
}

//===----------------------------------------------------------------------===//
// Max, Min (variadic)
//===----------------------------------------------------------------------===//

template <bool isMax> LogicalResult importExtremum(NodeImporter &node) {
  Type element = node.getInputElementType(0);
  if (node.allInputsConstant()) {
    ConstTensor result = *node.getInputConstant(0);
    for (int64_t i = 1; i < node.getNumInputs(); ++i) {
      Expected<ConstTensor> next = evaluateBinary(
          result, *node.getInputConstant(i), element,
          [](double a, double b) { return isMax ? std::max(a, b) : std::min(a, b); },
          [](int64_t a, int64_t b, int64_t &r) {
            r = isMax ? std::max(a, b) : std::min(a, b);
            return true;
          });
      if (!next)
        return node.fail(llvm::toString(next.takeError()));
      result = std::move(*next);
    }
    node.setOutput(0, std::move(result));
    return success();
  }
  Value result = node.getInput(0);
  if (!result)
    return failure();
  for (int64_t i = 1; i < node.getNumInputs(); ++i) {
    Value next = node.getInput(i);
    if (!next)
      return failure();
    auto a = cast<RankedTensorType>(result.getType());
    std::optional<SmallVector<int64_t>> shape =
        broadcastShapes(a.getShape(), node.getInputShape(i));
    if (!shape)
      return node.fail("operand shapes do not broadcast");
    auto type = RankedTensorType::get(*shape, element);
    result = isMax ? node.create<mlir::ds::MaxOp>(type, result, next)
                   : node.create<mlir::ds::MinOp>(type, result, next);
  }
  node.setOutput(0, result);
  return success();
}

//===----------------------------------------------------------------------===//
// Cast, Identity
//===----------------------------------------------------------------------===//

LogicalResult importCast(NodeImporter &node) {
  const onnx::AttributeProto *to = node.getAttr("to");
  if (!to)
    return node.fail("has no 'to' attribute");
  Expected<Type> element = convertElementType(to->i(), node.getContext());
  if (!element)
    return node.fail("cannot cast to " + llvm::toString(element.takeError()));
  if (const ConstTensor *input = node.getInputConstant(0); input && isFoldable(input->getType())) {
    node.setOutput(0, input->castTo(*element));
    return success();
  }
  Value input = node.getInput(0);
  if (!input)
    return failure();
  if (!isDSElementType(*element))
    return node.fail("casts to " + formatType(*element) + ", which ds has no tensors of");
  node.setOutput(0, node.createCast(input, *element));
  return success();
}

LogicalResult importIdentity(NodeImporter &node) { return node.forwardInput(0, 0); }

} // namespace

void ::ds::importer::registerElementwiseOps(OpRegistry &r) {
  int64_t lo = kMinONNXOpset, hi = kMaxONNXOpset;
  r.add("Add", lo, hi, importArithmetic<Arithmetic::Add>);
  r.add("Sub", lo, hi, importArithmetic<Arithmetic::Sub>);
  r.add("Mul", lo, hi, importArithmetic<Arithmetic::Mul>);
  r.add("Div", lo, hi, importArithmetic<Arithmetic::Div>);
  r.add("Pow", lo, hi, importArithmetic<Arithmetic::Pow>);
  r.add("Sqrt", lo, hi, importUnary<Unary::Sqrt, mlir::ds::SqrtOp>);
  r.add("Reciprocal", lo, hi, importUnary<Unary::Reciprocal, mlir::ds::ReciprocalOp>);
  r.add("Neg", lo, hi, importUnary<Unary::Neg, mlir::ds::NegOp>);
  r.add("Exp", lo, hi, importUnary<Unary::Exp, mlir::ds::ExpOp>);
  r.add("Log", lo, hi, importUnary<Unary::Log, mlir::ds::LogOp>);
  r.add("Tanh", lo, hi, importUnary<Unary::Tanh, mlir::ds::TanhOp>);
  r.add("Erf", lo, hi, importUnary<Unary::Erf, mlir::ds::ErfOp>);
  r.add("Relu", lo, hi, importUnary<Unary::Relu, mlir::ds::ReluOp>);
  r.add("Sigmoid", lo, hi, importUnary<Unary::Sigmoid, mlir::ds::SigmoidOp>);
  r.add("Abs", lo, hi, importUnary<Unary::Abs, mlir::ds::AbsOp>);
  r.add("Max", lo, hi, importExtremum<true>);
  r.add("Min", lo, hi, importExtremum<false>);
  r.add("Cast", lo, hi, importCast);
  r.add("Identity", lo, hi, importIdentity);
}
