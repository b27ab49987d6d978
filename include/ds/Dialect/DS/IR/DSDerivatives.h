//===- DSDerivatives.h - reverse-mode derivative rules of ds ops -*- C++ -*-===//

#ifndef DS_DIALECT_DS_IR_DSDERIVATIVES_H
#define DS_DIALECT_DS_IR_DSDERIVATIVES_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpDefinition.h"

#include "ds/Dialect/DS/IR/DSDerivativeInterface.h.inc"

namespace mlir {
class DialectRegistry;
namespace ds {

/// Attaches the derivative rules to the ds ops (called by the dialect itself, so every context
/// that loads ds can differentiate).
void attachDerivativeInterfaces(MLIRContext *context);

} // namespace ds
} // namespace mlir

#endif // DS_DIALECT_DS_IR_DSDERIVATIVES_H
