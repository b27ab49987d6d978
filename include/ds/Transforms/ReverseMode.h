//===- ReverseMode.h - reverse-mode differentiation of a block -*- C++ -*-===//
//
// The one generic walk behind ds-autodiff and the training-step builder: every op between the
// inputs and the loss contributes through its DerivativeOpInterface rule.
//
//===----------------------------------------------------------------------===//

#ifndef DS_TRANSFORMS_REVERSEMODE_H
#define DS_TRANSFORMS_REVERSEMODE_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/Value.h"
#include "llvm/ADT/DenseMap.h"

namespace mlir::ds {

/// Builds, at `builder`'s insertion point (after every op the loss depends on, in the same
/// block), the gradients of the scalar `loss` with respect to each value of `wrt`, seeding the
/// loss's gradient with `seed` (a scalar of the loss's type). A value that does not influence
/// the loss gets a zero gradient. Gradients reaching a value along several uses are summed. Fails,
/// naming the op, when a gradient must flow through an op without a derivative rule.
FailureOr<SmallVector<Value>> buildReverseGradients(OpBuilder &builder, Value loss, Value seed,
                                                    ArrayRef<Value> wrt);

} // namespace mlir::ds

#endif // DS_TRANSFORMS_REVERSEMODE_H
