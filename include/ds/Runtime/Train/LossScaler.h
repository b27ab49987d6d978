// fp16 loss scaling as DeepSpeed's ZeRO optimizers do it: DynamicLossScaler and the static
// LossScaler of deepspeed/runtime/fp16/loss_scaler.py (DeepSpeed 0.19.8).
//
// DeepSpeed's non-ZeRO FP16_Optimizer keeps its own copy of this logic without hysteresis and
// without the error at the minimum scale: hysteresis = 1 gives its scale sequence up to an
// overflow at the minimum, where it stays at the minimum instead of failing.
#ifndef DS_RUNTIME_TRAIN_LOSSSCALER_H
#define DS_RUNTIME_TRAIN_LOSSSCALER_H

#include "ds/Plan/Plan.pb.h"
#include "ds/Runtime/Status.h"

#include <cstdint>

namespace ds::rt {

// Everything a checkpoint must hold to continue the scale sequence exactly.
struct LossScalerState {
  double scale = 1.0;
  int64_t hysteresis = 0;          // DeepSpeed's cur_hysteresis: overflows left before a cut
  int64_t lastOverflowIter = -1;   // the iteration of the last overflow, -1 for none
  int64_t iteration = 0;           // DeepSpeed's cur_iter: updates seen so far
};

class LossScaler {
public:
  // A static scale (fp16 with loss_scale > 0); scale 1 is "no scaling" (fp32, bf16).
  explicit LossScaler(double scale = 1.0);
  LossScaler(double initialScale, int64_t window, double minScale, int64_t hysteresis,
             bool consecutiveHysteresis);
  // From the plan's block: dynamic, static, or unscaled when loss scaling is disabled.
  static LossScaler fromPlan(const plan::LossScaling &config);

  // The factor the loss is multiplied by in this step's backward.
  double scale() const { return state_.scale; }
  bool isDynamic() const { return dynamic_; }

  // After each step: `overflow` is whether the scaled gradients had an inf or nan (the step
  // was skipped). A dynamic scaler halves the scale once its hysteresis is used up and doubles
  // it after `window` clean iterations. Fails, changing nothing, when an overflow needs a cut
  // but the scale already sits at the minimum: DeepSpeed ends the run there.
  Status update(bool overflow);

  LossScalerState state() const { return state_; }
  void restore(const LossScalerState &state) { state_ = state; }

private:
  bool dynamic_ = false;
  int64_t window_ = 1000;
  double minScale_ = 1.0;
  int64_t delayedShift_ = 1; // the configured hysteresis
  bool consecutiveHysteresis_ = false;
  LossScalerState state_;
};

} // namespace ds::rt

#endif // DS_RUNTIME_TRAIN_LOSSSCALER_H
