//===- PlanTensors.h - tensor types and values as the plan stores them ----===//

#ifndef DS_LIB_TARGET_PLANTENSORS_H
#define DS_LIB_TARGET_PLANTENSORS_H

#include "ds/Plan/Plan.pb.h"

#include "mlir/IR/BuiltinAttributeInterfaces.h"
#include "mlir/IR/Location.h"
#include "mlir/Support/LogicalResult.h"
#include "llvm/ADT/StringRef.h"

#include <string>

namespace ds {

/// The plan dtype of a tensor element type, or failure for one a plan cannot
/// hold.
mlir::FailureOr<plan::DType> getPlanDType(mlir::Type elementType);

/// Every element of `value`, raw little-endian, in row-major order: splats are
/// expanded and i1 takes one byte (0 or 1) per element, as the plan's BOOL
/// dtype does. Fails with an error at `loc` when the data is not in memory (an
/// elided dense_resource) or of a kind it cannot read.
mlir::FailureOr<std::string> getTensorBytes(mlir::ElementsAttr value,
                                            mlir::Location loc);

/// Appends a buffer for a tensor of `type` (in device memory) to `plan` and
/// returns its id, or failure when a plan cannot hold it: only static tensors
/// of the dtypes above can be.
mlir::FailureOr<uint32_t> appendBuffer(plan::Plan &plan, mlir::Type type,
                                       llvm::StringRef name);

} // namespace ds

#endif // DS_LIB_TARGET_PLANTENSORS_H
