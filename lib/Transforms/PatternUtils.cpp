//===- PatternUtils.cpp - matching helpers for the fusion passes ----------===//

#include "PatternUtils.h"

#include "ds/Dialect/DS/IR/DSOps.h"

#include <cmath>

using namespace mlir;
using namespace mlir::ds;
using namespace mlir::ds::fusion;

std::optional<APFloat> mlir::ds::fusion::getSplatFloat(Value value) {
  auto constant = value.getDefiningOp<ConstantOp>();
  if (!constant)
    return std::nullopt;
  auto elements = dyn_cast<DenseElementsAttr>(constant.getValue());
  if (!elements || !elements.isSplat() ||
      !isa<FloatType>(elements.getElementType()))
    return std::nullopt;
  return elements.getSplatValue<APFloat>();
}

bool mlir::ds::fusion::isSplatNear(Value value, double expected,
                                   double relTolerance) {
  std::optional<APFloat> actual = getSplatFloat(value);
  if (!actual)
    return false;
  APFloat rounded(expected);
  bool losesInfo = false;
  rounded.convert(actual->getSemantics(), APFloat::rmNearestTiesToEven,
                  &losesInfo);
  if (actual->bitwiseIsEqual(rounded))
    return true;
  double got = actual->convertToDouble();
  return std::fabs(got - expected) <= relTolerance * std::fabs(expected);
}

bool mlir::ds::fusion::isSplatExactly(Value value, double expected) {
  std::optional<APFloat> actual = getSplatFloat(value);
  return actual && actual->convertToDouble() == expected;
}

bool mlir::ds::fusion::matchOperands(
    Operation *op, llvm::function_ref<bool(Value, Value)> match) {
  if (op->getNumOperands() != 2)
    return false;
  Value lhs = op->getOperand(0), rhs = op->getOperand(1);
  if (match(lhs, rhs))
    return true;
  return op->hasTrait<OpTrait::IsCommutative>() && match(rhs, lhs);
}

bool mlir::ds::fusion::isFloatTensor(Value value) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  return type && isa<FloatType>(type.getElementType());
}

std::optional<int64_t> mlir::ds::fusion::normalizeAxis(int64_t axis,
                                                       int64_t rank) {
  if (axis < -rank || axis >= rank)
    return std::nullopt;
  return axis < 0 ? axis + rank : axis;
}
