//===- ComputePrecision.h - run a function's float math in bf16 or fp16 -===//

#ifndef DS_LIB_TRANSFORMS_COMPUTEPRECISION_H
#define DS_LIB_TRANSFORMS_COMPUTEPRECISION_H

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace mlir::ds {

/// Rewrites every f32 value computed in `func` to `computeType`: loads of f32 parameters (frozen
/// ones; trained weights are already stored in 16 bits) and f32 arguments are cast on entry, f32
/// constants are rounded, and every op result typed f32 becomes `computeType`. Returned values
/// are cast back to f32 so the function's signature is unchanged.
LogicalResult convertComputePrecision(func::FuncOp func, FloatType computeType);

/// `attr` (float elements) rounded to `element`, to nearest with ties to even as the runtime's
/// cast kernels round.
DenseElementsAttr roundElements(DenseElementsAttr attr, FloatType element);

} // namespace mlir::ds

#endif // DS_LIB_TRANSFORMS_COMPUTEPRECISION_H
