//===- ComputePrecision.h - run a function's float math in bf16 or fp16 -===//

#ifndef DS_LIB_TRANSFORMS_COMPUTEPRECISION_H
#define DS_LIB_TRANSFORMS_COMPUTEPRECISION_H

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace mlir::ds {

/// Rewrites every f32 value computed in `func` to `computeType`: loaded parameters and f32
/// arguments are cast on entry (so the stored parameters stay fp32 master weights), f32
/// constants are rounded, and every op result typed f32 becomes `computeType`. Returned values
/// are cast back to f32 so the function's signature is unchanged.
LogicalResult convertComputePrecision(func::FuncOp func, FloatType computeType);

} // namespace mlir::ds

#endif // DS_LIB_TRANSFORMS_COMPUTEPRECISION_H
