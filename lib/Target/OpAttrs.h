//===- OpAttrs.h - an op's attributes as plan instruction attributes ------===//

#ifndef DS_LIB_TARGET_OPATTRS_H
#define DS_LIB_TARGET_OPATTRS_H

#include "ds/Plan/Plan.pb.h"

#include "mlir/IR/Operation.h"
#include "mlir/Support/LogicalResult.h"

namespace ds {

/// Adds every inherent attribute of `op` that is set to `instruction`'s attrs,
/// by name: integers (and bools) as i, floats as f, strings and enums (by
/// keyword: "tanh", "sum") as s, integer arrays as ints, unit attributes as i =
/// 1, symbol references as s without the '@'. Unset optional and unit
/// attributes are left out. Fails with an error at the op on an attribute a
/// plan cannot express.
mlir::LogicalResult addInherentAttrs(mlir::Operation *op,
                                     plan::Instruction &instruction);

} // namespace ds

#endif // DS_LIB_TARGET_OPATTRS_H
