//===- PatternUtils.h - matching helpers for the fusion passes ---*- C++ -*-===//
//
// What the layer_norm, gelu and causal-mask fusions share: reading splat constants the way the
// ONNX importer emits them (any broadcastable shape, tensor<f32> or tensor<1xf32>) and trying
// both operand orders of commutative ops.
//
//===----------------------------------------------------------------------===//

#ifndef DS_LIB_TRANSFORMS_PATTERNUTILS_H
#define DS_LIB_TRANSFORMS_PATTERNUTILS_H

#include "mlir/IR/Operation.h"
#include "mlir/IR/Value.h"
#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include <optional>

namespace mlir::ds::fusion {

/// The value of a float ds.constant whose elements are all equal, whatever its shape.
std::optional<llvm::APFloat> getSplatFloat(Value value);

/// Whether `value` is a float splat constant within `relTolerance` of `expected`, or equal to
/// `expected` rounded to the constant's own type (an f16 or bf16 constant cannot get within
/// 1e-6 of sqrt(2), yet it is the closest the model could write).
bool isSplatNear(Value value, double expected, double relTolerance = 1e-6);

/// Whether `value` is a float splat constant exactly equal to `expected`.
bool isSplatExactly(Value value, double expected);

/// Calls `match(lhs, rhs)` on the two operands of `op`, and again with them swapped when `op`
/// is commutative; true as soon as one call is. `match` must not keep bindings from a failed
/// call, since the second call starts over.
bool matchOperands(Operation *op, llvm::function_ref<bool(Value, Value)> match);

/// Whether `value` is a ranked tensor of a floating-point element type.
bool isFloatTensor(Value value);

/// `axis` in [0, rank), accepting negative axes; nullopt when out of range.
std::optional<int64_t> normalizeAxis(int64_t axis, int64_t rank);

} // namespace mlir::ds::fusion

#endif // DS_LIB_TRANSFORMS_PATTERNUTILS_H
