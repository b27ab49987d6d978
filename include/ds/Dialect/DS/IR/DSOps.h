//===- DSOps.h - ds operations ----------------------------------*- C++ -*-===//

#ifndef DS_DIALECT_DS_IR_DSOPS_H
#define DS_DIALECT_DS_IR_DSOPS_H

#include "ds/Dialect/DS/IR/DSDialect.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace mlir::ds {

/// Shared by the broadcasting binary ops, whose parse/print/verify come from one place.
ParseResult parseBinaryOp(OpAsmParser &parser, OperationState &result);
void printBinaryOp(OpAsmPrinter &printer, Operation *op);
/// Checks that the operands broadcast (numpy rules) to the result shape; with
/// `sameElementType`, also that all element types agree.
LogicalResult verifyBroadcastingOp(Operation *op, bool sameElementType);
/// Checks the axes and the result shape of a reduction.
LogicalResult verifyReduction(Operation *op, ArrayRef<int64_t> axes, bool keepdim);
/// Checks logits [..., V], targets [...] and a loss-shaped value `loss` (named `lossName` in
/// messages: cross_entropy's result, cross_entropy_grad's incoming gradient) for `reduction`.
LogicalResult verifyLossShapes(Operation *op, RankedTensorType logits,
                               RankedTensorType targets, RankedTensorType loss,
                               StringRef lossName, LossReduction reduction);

/// The type list of ds.adam_update and ds.sgd_update: `: T` when the tensor
/// operands and results all have type T and the scalars are tensor<f32>, else
/// the functional type of all operands and results.
ParseResult parseOptimizerTypes(OpAsmParser &parser, Type &param, Type &grad,
                                Type &expAvg, Type &expAvgSq, Type &lr,
                                Type &step, Type &gradScale, Type &newParam,
                                Type &newExpAvg, Type &newExpAvgSq);
ParseResult parseOptimizerTypes(OpAsmParser &parser, Type &param, Type &grad,
                                Type &momentumBuffer, Type &lr, Type &step,
                                Type &gradScale, Type &newParam,
                                Type &newMomentumBuffer);
void printOptimizerTypes(OpAsmPrinter &printer, Operation *op, Type param,
                         Type grad, Type expAvg, Type expAvgSq, Type lr,
                         Type step, Type gradScale, Type newParam,
                         Type newExpAvg, Type newExpAvgSq);
void printOptimizerTypes(OpAsmPrinter &printer, Operation *op, Type param,
                         Type grad, Type momentumBuffer, Type lr, Type step,
                         Type gradScale, Type newParam,
                         Type newMomentumBuffer);

} // namespace mlir::ds

#define GET_OP_CLASSES
#include "ds/Dialect/DS/IR/DSOps.h.inc"

#endif // DS_DIALECT_DS_IR_DSOPS_H
