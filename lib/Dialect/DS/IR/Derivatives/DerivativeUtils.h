//===- DerivativeUtils.h - building blocks of derivative rules -*- C++ -*-===//
//
// What most rules need: zeros of a type, scalar constants, and summing a broadcast gradient back
// to the shape of the operand that was broadcast.
//
//===----------------------------------------------------------------------===//

#ifndef DS_LIB_DIALECT_DS_IR_DERIVATIVES_DERIVATIVEUTILS_H
#define DS_LIB_DIALECT_DS_IR_DERIVATIVES_DERIVATIVEUTILS_H

#include "ds/Dialect/DS/IR/DSDerivatives.h"
#include "ds/Dialect/DS/IR/DSOps.h"

#include <optional>

namespace mlir::ds::derivatives {

/// True when values of `type` carry gradients (float tensors).
bool isDifferentiable(Type type);
/// True when `value` is a float tensor that is not a constant: a constant operand's gradient
/// would be thrown away, so rules need not build it.
bool needsGradient(Value value);
/// The value of a splat float constant, if `value` is one.
std::optional<double> splatValue(Value value);

/// A `ds.constant` splat of `value` with `type`.
Value splatConstant(OpBuilder &builder, Location loc, RankedTensorType type, double value);
/// A scalar (`tensor<elem>`) constant with the element type of `like`.
Value scalarConstant(OpBuilder &builder, Location loc, Type like, double value);
Value zerosLike(OpBuilder &builder, Location loc, Type type);

/// Sums `grad` (shaped like a broadcast result) over the dimensions along which an operand of
/// type `target` was broadcast, and reshapes it to `target`. Returns `grad` when the shapes
/// already agree.
Value sumToShape(OpBuilder &builder, Location loc, Value grad, RankedTensorType target);

/// `grad` or, when null (no gradient flows into that result), zeros of `type`.
Value gradOrZeros(OpBuilder &builder, Location loc, Value grad, Type type);

/// Elementwise shorthands producing the (broadcast) result type of their operands.
Value add(OpBuilder &builder, Location loc, Value lhs, Value rhs);
Value sub(OpBuilder &builder, Location loc, Value lhs, Value rhs);
Value mul(OpBuilder &builder, Location loc, Value lhs, Value rhs);
Value div(OpBuilder &builder, Location loc, Value lhs, Value rhs);
Value pow(OpBuilder &builder, Location loc, Value lhs, Value rhs);
Value neg(OpBuilder &builder, Location loc, Value value);
/// A unary `OpTy` (same type in and out).
template <typename OpTy> Value unary(OpBuilder &builder, Location loc, Value value) {
  return builder.create<OpTy>(loc, value.getType(), value);
}
/// `ds.compare` of `lhs` and `rhs` (broadcast), producing i1.
Value compare(OpBuilder &builder, Location loc, ComparePredicate predicate, Value lhs, Value rhs);
/// `ds.select` with broadcasting; the result takes `trueValue`'s element type.
Value select(OpBuilder &builder, Location loc, Value condition, Value trueValue, Value falseValue);
/// An i1 `mask` as 1.0 / 0.0 of the element type of `like`.
Value maskToFloat(OpBuilder &builder, Location loc, Value mask, Type like);
/// `ds.matmul` with its result type inferred (batch dimensions broadcast).
Value matmul(OpBuilder &builder, Location loc, Value lhs, Value rhs, bool transposeLhs,
             bool transposeRhs);

/// The rule of op type `OpTy`; each family file specializes it for its ops.
template <typename OpTy>
LogicalResult gradients(OpTy op, OpBuilder &builder, ArrayRef<Value> resultGradients,
                        MutableArrayRef<Value> operandGradients);

/// Routes the interface to `gradients<OpTy>`.
template <typename OpTy>
struct RuleModel : DerivativeOpInterface::ExternalModel<RuleModel<OpTy>, OpTy> {
  LogicalResult buildGradients(Operation *op, OpBuilder &builder, ArrayRef<Value> resultGradients,
                               MutableArrayRef<Value> operandGradients) const {
    return gradients(cast<OpTy>(op), builder, resultGradients, operandGradients);
  }
};

template <typename... Ops> void attachRules(MLIRContext *context) {
  (Ops::template attachInterface<RuleModel<Ops>>(*context), ...);
}

/// One per family file.
void attachElementwiseDerivatives(MLIRContext *context);
void attachContractionDerivatives(MLIRContext *context);
void attachShapeDerivatives(MLIRContext *context);
void attachReductionDerivatives(MLIRContext *context);
void attachUnaryDerivatives(MLIRContext *context);
void attachSoftmaxDerivatives(MLIRContext *context);
void attachNormDerivatives(MLIRContext *context);
void attachLossDerivatives(MLIRContext *context);

} // namespace mlir::ds::derivatives

#endif // DS_LIB_DIALECT_DS_IR_DERIVATIVES_DERIVATIVEUTILS_H
