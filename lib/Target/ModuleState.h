//===- ModuleState.h - what a module declares beside its ops --------------===//
//
// The parts of a plan that come from the module rather than the step's body:
// which function is the step, the device mesh, and the parameters.
//
//===----------------------------------------------------------------------===//

#ifndef DS_LIB_TARGET_MODULESTATE_H
#define DS_LIB_TARGET_MODULESTATE_H

#include "ds/Plan/Plan.pb.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LogicalResult.h"
#include "llvm/ADT/StringMap.h"

#include <cstdint>

namespace ds {

/// The module's only public func.func with a body, or among several the one
/// named `train_step` (then `forward`); otherwise an error naming them.
mlir::FailureOr<mlir::func::FuncOp> findStepFunction(mlir::ModuleOp module);

/// Sets `plan`'s mesh from the module's ds.mesh, or to `dp = worldSize` when
/// it has none. Fails when it has several, or one of another size.
mlir::LogicalResult addMesh(mlir::ModuleOp module, int64_t worldSize,
                            plan::Plan &plan);

/// Adds a buffer and a Param entry for every ds.param, in module order, and
/// returns the buffer ids by parameter name. Fails on a parameter the runtime
/// could not fill: one with neither a value nor an initializer.
mlir::FailureOr<llvm::StringMap<uint32_t>> addParams(mlir::ModuleOp module,
                                                     plan::Plan &plan);

} // namespace ds

#endif // DS_LIB_TARGET_MODULESTATE_H
