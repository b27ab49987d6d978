// The learning rate of each optimizer step, reproducing DeepSpeed's schedules
// (deepspeed/runtime/lr_schedules.py, checked against DeepSpeed 0.19.8).
#ifndef DS_RUNTIME_TRAIN_LRSCHEDULE_H
#define DS_RUNTIME_TRAIN_LRSCHEDULE_H

#include "ds/Plan/Plan.pb.h"

#include <cstdint>

namespace ds::rt {

// The lr of the update made after `step` earlier scheduler steps (0 for the first update).
//
// DeepSpeed builds the scheduler with last_batch_iteration = -1 and sets the optimizer's lr from
// that state; its engine calls scheduler.step() after each applied optimizer step. So update
// `step` runs with last_batch_iteration = step - 1, and the first update gets WarmupLR's
// warmup_min_lr and WarmupCosineLR's 0 (not base_lr * warmup_min_ratio). A step skipped for an
// fp16 overflow does not advance the scheduler: pass the number of applied updates so far.
double learningRate(const plan::LRSchedule &schedule, int64_t step);

} // namespace ds::rt

#endif // DS_RUNTIME_TRAIN_LRSCHEDULE_H
