// The training loop of a training plan (plan.proto, message Training): per optimizer step,
// gradient accumulation over micro-steps, gradient reduction, clipping, the fp16 overflow skip,
// the lr schedule, the update, checkpoints and the step report.
#ifndef DS_LIB_RUNTIME_RUN_TRAININGLOOP_H
#define DS_LIB_RUNTIME_RUN_TRAININGLOOP_H

#include "DataFeed.h"
#include "StepReport.h"

#include "ds/Runtime/Communicator.h"
#include "ds/Runtime/Exec/Executor.h"
#include "ds/Runtime/Run/RunOptions.h"

namespace ds::rt {

struct TrainingRun {
  const RunOptions &options;
  Executor &executor;
  const DataFeed *feed;
  StepReporter &reporter;
  Communicator &world;
  bool useMPI;
  int64_t dpSize, dpRank;
  int64_t tokensPerMicroStep; // per rank
};

// Collective: every rank runs it.
Status runTraining(TrainingRun &run);

} // namespace ds::rt

#endif // DS_LIB_RUNTIME_RUN_TRAININGLOOP_H
