// DeepSpeed's WarmupLR, WarmupDecayLR and WarmupCosineLR as closed forms of
// last_batch_iteration. Each expression keeps DeepSpeed's order of operations so the results
// agree to the last bit, not just to a tolerance.
#include "ds/Runtime/Train/LRSchedule.h"

#include <algorithm>
#include <cmath>

namespace ds::rt {
namespace {

constexpr double kPi = 3.14159265358979323846; // Python's math.pi

// WarmupLR._get_gamma / WarmupCosineLR.get_lr_ratio during warmup: 0 at iteration 0.
double warmupFraction(const plan::LRSchedule &s, int64_t warmupSteps, int64_t iteration) {
  if (s.warmup_type() == plan::LRSchedule::LINEAR)
    return static_cast<double>(iteration) / static_cast<double>(warmupSteps);
  const double inverseLogWarmUp = 1.0 / std::log(static_cast<double>(warmupSteps));
  return inverseLogWarmUp * std::log(static_cast<double>(iteration + 1));
}

double warmupGamma(const plan::LRSchedule &s, int64_t warmupSteps, int64_t iteration) {
  if (iteration < warmupSteps)
    return warmupFraction(s, warmupSteps, iteration);
  if (s.type() == plan::LRSchedule::WARMUP_LR)
    return 1.0;
  // WarmupDecayLR: linear decay to 0 at total_num_steps.
  const double total = static_cast<double>(s.total_num_steps());
  return std::max(0.0, (total - static_cast<double>(iteration)) /
                           std::max(1.0, total - static_cast<double>(warmupSteps)));
}

double cosineRatio(const plan::LRSchedule &s, int64_t warmupSteps, int64_t iteration) {
  if (iteration < warmupSteps) {
    double ratio = warmupFraction(s, warmupSteps, iteration);
    double ratioDelta = 1.0 - s.warmup_min_ratio();
    return s.warmup_min_ratio() + ratio * ratioDelta;
  }
  const int64_t realLastStep = iteration - warmupSteps + 1;
  const int64_t realTotalSteps = std::max<int64_t>(1, s.total_num_steps() - warmupSteps);
  // Clamped so the ratio stays at cos_min_ratio past the end instead of rising again.
  const double progress =
      std::min(1.0, static_cast<double>(realLastStep) / static_cast<double>(realTotalSteps));
  const double ratioDelta = 1.0 - s.cos_min_ratio();
  const double ratio = (1.0 + std::cos(kPi * progress)) / 2.0;
  return std::max(0.0, s.cos_min_ratio() + ratioDelta * ratio);
}

} // namespace

double learningRate(const plan::LRSchedule &s, int64_t step) {
  if (s.type() == plan::LRSchedule::CONSTANT)
    return s.base_lr();
  const int64_t iteration = step - 1; // DeepSpeed's last_batch_iteration
  // DeepSpeed clamps warmup_num_steps to at least 2 (log(1) would divide by zero).
  const int64_t warmupSteps = std::max<int64_t>(2, s.warmup_num_steps());
  if (s.type() == plan::LRSchedule::WARMUP_COSINE_LR) {
    if (iteration < 0)
      return 0.0; // get_lr() before the first scheduler step
    return s.base_lr() * cosineRatio(s, warmupSteps, iteration);
  }
  if (iteration < 0)
    return s.warmup_min_lr();
  const double delta = s.warmup_max_lr() - s.warmup_min_lr();
  return s.warmup_min_lr() + delta * warmupGamma(s, warmupSteps, iteration);
}

} // namespace ds::rt
