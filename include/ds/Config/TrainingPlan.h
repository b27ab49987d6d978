// From a parsed ds_config.json to the plan's Training block: what the runtime needs each step
// (batch sizes, clipping, the lr schedule, fp16 loss scaling) and what it logs.
#ifndef DS_CONFIG_TRAININGPLAN_H
#define DS_CONFIG_TRAININGPLAN_H

#include "ds/Config/DSConfig.h"
#include "ds/Plan/Plan.pb.h"

namespace ds::config {

// `dataParallelSize` is the number of data-parallel ranks (the world size while ds has no
// tensor or pipeline parallelism). Fails when the batch keys do not resolve or the config has
// no optimizer block.
llvm::Expected<plan::Training> buildTraining(const DSConfig &config, int64_t dataParallelSize);

// The schedule alone; `optimizer` supplies base_lr and WarmupLR's default peak.
plan::LRSchedule buildSchedule(const std::optional<SchedulerConfig> &scheduler,
                               const OptimizerConfig &optimizer);
plan::LossScaling buildLossScaling(const FP16Config &fp16);

} // namespace ds::config

#endif // DS_CONFIG_TRAININGPLAN_H
