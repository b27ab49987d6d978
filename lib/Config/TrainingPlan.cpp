// Filling plan::Training from a DSConfig.
#include "ds/Config/TrainingPlan.h"

#include <cmath>

using namespace llvm;

namespace ds::config {

plan::LRSchedule buildSchedule(const std::optional<SchedulerConfig> &scheduler,
                               const OptimizerConfig &optimizer) {
  plan::LRSchedule schedule;
  schedule.set_base_lr(optimizer.lr);
  if (!scheduler) {
    schedule.set_type(plan::LRSchedule::CONSTANT);
    return schedule;
  }
  switch (scheduler->kind) {
  case SchedulerConfig::Kind::WarmupLR:
    schedule.set_type(plan::LRSchedule::WARMUP_LR);
    break;
  case SchedulerConfig::Kind::WarmupDecayLR:
    schedule.set_type(plan::LRSchedule::WARMUP_DECAY_LR);
    break;
  case SchedulerConfig::Kind::WarmupCosineLR:
    schedule.set_type(plan::LRSchedule::WARMUP_COSINE_LR);
    break;
  }
  schedule.set_warmup_min_lr(scheduler->warmupMinLR);
  schedule.set_warmup_max_lr(scheduler->resolvedWarmupMaxLR(optimizer.lr));
  // As written: the runtime applies DeepSpeed's max(2, n) itself, so a plan written by hand
  // behaves the same.
  schedule.set_warmup_num_steps(scheduler->warmupNumSteps);
  schedule.set_warmup_type(scheduler->warmupType == SchedulerConfig::WarmupType::Linear
                               ? plan::LRSchedule::LINEAR
                               : plan::LRSchedule::LOG);
  schedule.set_total_num_steps(scheduler->totalNumSteps.value_or(0));
  schedule.set_warmup_min_ratio(scheduler->warmupMinRatio);
  schedule.set_cos_min_ratio(scheduler->cosMinRatio);
  return schedule;
}

plan::LossScaling buildLossScaling(const FP16Config &fp16) {
  plan::LossScaling scaling;
  // bf16 and fp32 train unscaled (DeepSpeed's CreateLossScaler gives them a static scale of 1).
  if (!fp16.enabled)
    return scaling;
  scaling.set_enabled(true);
  scaling.set_dynamic(fp16.dynamic());
  scaling.set_initial_scale(fp16.dynamic() ? std::ldexp(1.0, static_cast<int>(fp16.initialScalePower))
                                           : fp16.lossScale);
  scaling.set_window(fp16.lossScaleWindow);
  scaling.set_hysteresis(fp16.hysteresis);
  scaling.set_min_scale(static_cast<double>(fp16.minLossScale));
  scaling.set_consecutive_hysteresis(fp16.consecutiveHysteresis);
  return scaling;
}

Expected<plan::Training> buildTraining(const DSConfig &config, int64_t dataParallelSize) {
  if (!config.optimizer)
    return createStringError(
        inconvertibleErrorCode(),
        config.fileName + ": error: 'optimizer': missing; training needs an optimizer block "
                          "(DeepSpeed would take a client optimizer from Python, which ds has "
                          "not)");
  Expected<BatchSizes> batch = resolveBatchSizes(config, dataParallelSize);
  if (!batch)
    return batch.takeError();

  plan::Training training;
  training.set_train_batch_size(batch->trainBatchSize);
  training.set_micro_batch_size(batch->microBatchSizePerGPU);
  training.set_gradient_accumulation_steps(batch->gradientAccumulationSteps);
  training.set_data_parallel_size(dataParallelSize);
  training.set_gradient_clipping(config.gradientClipping);
  *training.mutable_schedule() = buildSchedule(config.scheduler, *config.optimizer);
  *training.mutable_loss_scaling() = buildLossScaling(config.fp16);
  training.set_precision(config.precision().str());
  training.set_optimizer(config.optimizer->updateRule().str());
  training.set_zero_stage(config.zero.stage);
  return training;
}

} // namespace ds::config
