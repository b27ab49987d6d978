//===- PlanEmitter.h - ds step function -> plan -----------------*- C++ -*-===//
//
// The last compiler stage: turns a module's step function into the plan that
// ds-run executes.
//
//===----------------------------------------------------------------------===//

#ifndef DS_TARGET_PLANEMITTER_H
#define DS_TARGET_PLANEMITTER_H

#include "ds/Plan/Plan.pb.h"
#include "ds/Target/PlanFile.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LogicalResult.h"

#include <cstdint>

namespace ds {

/// Builds the plan of `module`'s step function for `worldSize` ranks. The step
/// function is the module's only public func.func, or the one named
/// `train_step` or `forward`; it must be one block (run --ds-insert-releases
/// first so the plan frees what it no longer needs). Every problem is reported
/// through the module's diagnostic engine, located at its cause, and the result
/// is failure.
mlir::FailureOr<plan::Plan> buildPlan(mlir::ModuleOp module, int64_t worldSize);

} // namespace ds

#endif // DS_TARGET_PLANEMITTER_H
