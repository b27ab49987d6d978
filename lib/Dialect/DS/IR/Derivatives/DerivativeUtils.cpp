//===- DerivativeUtils.cpp - building blocks of derivative rules ----------===//

#include "DerivativeUtils.h"
#include "../DSOpsUtils.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace mlir::ds;

bool derivatives::isDifferentiable(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  return tensor && isa<FloatType>(tensor.getElementType());
}

bool derivatives::needsGradient(Value value) {
  return isDifferentiable(value.getType()) && !matchPattern(value, m_Constant());
}

std::optional<double> derivatives::splatValue(Value value) {
  SplatElementsAttr splat;
  if (!matchPattern(value, m_Constant(&splat)) || !isa<FloatType>(splat.getElementType()))
    return std::nullopt;
  return splat.getSplatValue<APFloat>().convertToDouble();
}

Value derivatives::splatConstant(OpBuilder &builder, Location loc, RankedTensorType type,
                                 double value) {
  auto element = cast<FloatType>(type.getElementType());
  auto attr = DenseElementsAttr::get(type, builder.getFloatAttr(element, value));
  return builder.create<ConstantOp>(loc, attr);
}

Value derivatives::scalarConstant(OpBuilder &builder, Location loc, Type like, double value) {
  Type element = cast<RankedTensorType>(like).getElementType();
  return splatConstant(builder, loc, RankedTensorType::get({}, element), value);
}

Value derivatives::zerosLike(OpBuilder &builder, Location loc, Type type) {
  return splatConstant(builder, loc, cast<RankedTensorType>(type), 0.0);
}

Value derivatives::gradOrZeros(OpBuilder &builder, Location loc, Value grad, Type type) {
  return grad ? grad : zerosLike(builder, loc, type);
}

Value derivatives::sumToShape(OpBuilder &builder, Location loc, Value grad,
                              RankedTensorType target) {
  auto gradType = cast<RankedTensorType>(grad.getType());
  if (gradType.getShape() == target.getShape())
    return grad;
  // Numpy broadcasting aligns trailing dimensions: the leading extra dimensions and every
  // dimension where the target has size 1 were broadcast.
  int64_t offset = gradType.getRank() - target.getRank();
  SmallVector<int64_t> axes;
  for (int64_t d = 0; d < gradType.getRank(); ++d) {
    int64_t targetDim = d - offset;
    if (targetDim < 0 || (target.getDimSize(targetDim) == 1 && gradType.getDimSize(d) != 1))
      axes.push_back(d);
  }
  Value summed = grad;
  if (!axes.empty()) {
    SmallVector<int64_t> shape;
    for (int64_t d = 0; d < gradType.getRank(); ++d)
      if (!llvm::is_contained(axes, d))
        shape.push_back(gradType.getDimSize(d));
    auto type = RankedTensorType::get(shape, gradType.getElementType());
    summed = builder.create<ReduceSumOp>(loc, type, grad, builder.getDenseI64ArrayAttr(axes),
                                         /*keepdim=*/false);
  }
  if (cast<RankedTensorType>(summed.getType()).getShape() != target.getShape())
    summed = builder.create<ReshapeOp>(loc, target, summed);
  return summed;
}

namespace {
template <typename OpTy> Value binary(OpBuilder &builder, Location loc, Value lhs, Value rhs) {
  auto lhsType = cast<RankedTensorType>(lhs.getType());
  auto rhsType = cast<RankedTensorType>(rhs.getType());
  // The operands come from verified ops, so they broadcast.
  auto shape = broadcastShapes({lhsType.getShape(), rhsType.getShape()});
  auto type = RankedTensorType::get(*shape, lhsType.getElementType());
  return builder.create<OpTy>(loc, type, lhs, rhs);
}
} // namespace

Value derivatives::add(OpBuilder &b, Location loc, Value lhs, Value rhs) {
  return binary<AddOp>(b, loc, lhs, rhs);
}
Value derivatives::sub(OpBuilder &b, Location loc, Value lhs, Value rhs) {
  return binary<SubOp>(b, loc, lhs, rhs);
}
Value derivatives::mul(OpBuilder &b, Location loc, Value lhs, Value rhs) {
  return binary<MulOp>(b, loc, lhs, rhs);
}
Value derivatives::div(OpBuilder &b, Location loc, Value lhs, Value rhs) {
  return binary<DivOp>(b, loc, lhs, rhs);
}
Value derivatives::pow(OpBuilder &b, Location loc, Value lhs, Value rhs) {
  return binary<PowOp>(b, loc, lhs, rhs);
}
Value derivatives::neg(OpBuilder &b, Location loc, Value value) {
  return b.create<NegOp>(loc, value.getType(), value);
}

Value derivatives::compare(OpBuilder &b, Location loc, ComparePredicate predicate, Value lhs,
                           Value rhs) {
  auto shape = broadcastShapes({cast<RankedTensorType>(lhs.getType()).getShape(),
                                cast<RankedTensorType>(rhs.getType()).getShape()});
  auto type = RankedTensorType::get(*shape, b.getI1Type());
  return b.create<CompareOp>(loc, type, predicate, lhs, rhs);
}

Value derivatives::select(OpBuilder &b, Location loc, Value condition, Value trueValue,
                          Value falseValue) {
  auto trueType = cast<RankedTensorType>(trueValue.getType());
  auto shape =
      broadcastShapes({cast<RankedTensorType>(condition.getType()).getShape(), trueType.getShape(),
                       cast<RankedTensorType>(falseValue.getType()).getShape()});
  auto type = RankedTensorType::get(*shape, trueType.getElementType());
  return b.create<SelectOp>(loc, type, condition, trueValue, falseValue);
}

Value derivatives::maskToFloat(OpBuilder &b, Location loc, Value mask, Type like) {
  return select(b, loc, mask, scalarConstant(b, loc, like, 1.0), scalarConstant(b, loc, like, 0.0));
}

Value derivatives::matmul(OpBuilder &b, Location loc, Value lhs, Value rhs, bool transposeLhs,
                          bool transposeRhs) {
  auto lhsType = cast<RankedTensorType>(lhs.getType());
  auto rhsType = cast<RankedTensorType>(rhs.getType());
  ArrayRef<int64_t> l = lhsType.getShape(), r = rhsType.getShape();
  auto batch = broadcastShapes({l.drop_back(2), r.drop_back(2)});
  SmallVector<int64_t> shape(*batch);
  shape.push_back(transposeLhs ? l.back() : l[l.size() - 2]);
  shape.push_back(transposeRhs ? r[r.size() - 2] : r.back());
  auto type = RankedTensorType::get(shape, lhsType.getElementType());
  return b.create<MatmulOp>(loc, type, lhs, rhs, transposeLhs, transposeRhs);
}
