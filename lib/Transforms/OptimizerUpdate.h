//===- OptimizerUpdate.h - the fused update of one parameter ----*- C++ -*-===//

#ifndef DS_LIB_TRANSFORMS_OPTIMIZERUPDATE_H
#define DS_LIB_TRANSFORMS_OPTIMIZERUPDATE_H

#include "mlir/IR/Builders.h"

namespace mlir::ds {

enum class OptimizerKind { AdamW, Adam, SGD };

struct OptimizerConfig {
  OptimizerKind kind;
  double beta1, beta2, epsilon, weightDecay;
  double momentum, dampening;
  bool nesterov;
};

/// The per-step scalars the runtime feeds apply_update.
struct UpdateScalars {
  Value learningRate, step, gradScale;
};

/// Names of the state tensors `config`'s optimizer keeps per parameter ("exp_avg", ...), in the
/// order buildOptimizerUpdate takes them; as torch names them in its state_dict.
SmallVector<StringRef> optimizerStateNames(const OptimizerConfig &config);

/// Loads the weight (the fp32 master under mixed precision) and its state, applies the fused
/// update with `gradient` (a value of the weight's type) and stores the results. Returns the
/// updated weight, for a caller that keeps a 16-bit copy of it.
Value buildOptimizerUpdate(OpBuilder &builder, Location loc, const OptimizerConfig &config,
                           StringRef weight, RankedTensorType type, Value gradient,
                           ArrayRef<StringRef> state, const UpdateScalars &scalars);

} // namespace mlir::ds

#endif // DS_LIB_TRANSFORMS_OPTIMIZERUPDATE_H
