// DeepSpeed's DynamicLossScaler.update_scale, step for step.
#include "ds/Runtime/Train/LossScaler.h"

#include <algorithm>
#include <string>

namespace ds::rt {

namespace {
constexpr double kScaleFactor = 2.0; // DeepSpeed's scale_factor, fixed
}

LossScaler::LossScaler(double scale) { state_.scale = scale; }

LossScaler::LossScaler(double initialScale, int64_t window, double minScale, int64_t hysteresis,
                       bool consecutiveHysteresis)
    : dynamic_(true), window_(window), minScale_(minScale), delayedShift_(hysteresis),
      consecutiveHysteresis_(consecutiveHysteresis) {
  state_.scale = initialScale;
  state_.hysteresis = hysteresis;
  state_.lastOverflowIter = -1;
  state_.iteration = 0;
}

LossScaler LossScaler::fromPlan(const plan::LossScaling &config) {
  if (!config.enabled())
    return LossScaler(1.0);
  if (!config.dynamic())
    return LossScaler(config.initial_scale());
  return LossScaler(config.initial_scale(), config.window(), config.min_scale(),
                    config.hysteresis(), config.consecutive_hysteresis());
}

Status LossScaler::update(bool overflow) {
  // The static LossScaler's update_scale only logs; its iteration does not advance either.
  if (!dynamic_)
    return Status::ok();
  LossScalerState &s = state_;
  if (overflow) {
    if (delayedShift_ == 1 || s.hysteresis == 1) {
      if (s.scale == minScale_)
        return Status::error("fp16 loss scale overflow at the minimum scale " +
                             std::to_string(minScale_) +
                             " (min_loss_scale): it cannot be lowered further");
      s.scale = std::max(s.scale / kScaleFactor, minScale_);
    } else {
      --s.hysteresis;
    }
    s.lastOverflowIter = s.iteration;
  } else {
    if (consecutiveHysteresis_)
      s.hysteresis = delayedShift_;
    // Clean iterations since the last overflow (or since the start).
    const int64_t stableInterval = (s.iteration - s.lastOverflowIter) - 1;
    if (stableInterval > 0 && stableInterval % window_ == 0) {
      if (!consecutiveHysteresis_)
        s.hysteresis = delayedShift_;
      s.scale *= kScaleFactor;
    }
  }
  ++s.iteration;
  return Status::ok();
}

} // namespace ds::rt
