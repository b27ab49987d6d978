//===- TensorKinds.h - what a value's tensor type says it is ----*- C++ -*-===//
//
// The type tests the training passes share: what can carry a gradient, what is a loss, what is
// a token id; and the scalar type of the step's per-step values.
//
//===----------------------------------------------------------------------===//

#ifndef DS_LIB_TRANSFORMS_TENSORKINDS_H
#define DS_LIB_TRANSFORMS_TENSORKINDS_H

#include "mlir/IR/BuiltinTypes.h"

namespace mlir::ds {

/// A ranked tensor of floats: it can carry a gradient.
inline bool isFloatTensorType(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  return tensor && isa<FloatType>(tensor.getElementType());
}

/// A rank-0 float tensor: a loss.
inline bool isFloatScalarType(Type type) {
  return isFloatTensorType(type) && cast<RankedTensorType>(type).getRank() == 0;
}

/// tensor<f32>: the training step's scalars (loss scale, lr, norms).
inline RankedTensorType scalarF32(MLIRContext *context) {
  return RankedTensorType::get({}, Float32Type::get(context));
}

/// A tensor of signless integers other than i1: token ids, targets, indices.
inline bool isIntegerTensorType(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  return tensor && tensor.getElementType().isSignlessInteger() &&
         !tensor.getElementType().isInteger(1);
}

} // namespace mlir::ds

#endif // DS_LIB_TRANSFORMS_TENSORKINDS_H
