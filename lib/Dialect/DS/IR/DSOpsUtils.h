//===- DSOpsUtils.h - shape helpers shared by the op implementations ------===//

#ifndef DS_LIB_DIALECT_DS_IR_DSOPSUTILS_H
#define DS_LIB_DIALECT_DS_IR_DSOPSUTILS_H

#include "mlir/IR/Operation.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/SmallVector.h"
#include <optional>
#include <string>

namespace mlir::ds {

/// The numpy broadcast of `shapes`, or nullopt when two dimensions conflict.
std::optional<SmallVector<int64_t>>
broadcastShapes(ArrayRef<ArrayRef<int64_t>> shapes);

/// `axis` in [0, rank), accepting Python-style negative axes; nullopt when out of range.
std::optional<int64_t> normalizeAxis(int64_t axis, int64_t rank);

/// The shortest decimal that reads back as `value` ("1", "0.02"), for diagnostics.
std::string formatDouble(double value);

/// "[2, 3, 4]", for diagnostics.
std::string shapeToString(ArrayRef<int64_t> shape);

/// The shape ds.slice takes out of `whole` with these bounds; emits an error at `op` (and
/// fails) when a bound does not fit. Shared by ds.slice and ds.slice_grad so both read the
/// attributes the same way.
FailureOr<SmallVector<int64_t>> getSliceShape(Operation *op,
                                              ArrayRef<int64_t> whole,
                                              ArrayRef<int64_t> starts,
                                              ArrayRef<int64_t> ends,
                                              ArrayRef<int64_t> steps);

} // namespace mlir::ds

#endif // DS_LIB_DIALECT_DS_IR_DSOPSUTILS_H
