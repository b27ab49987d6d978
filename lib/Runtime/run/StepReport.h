// What a run tells its user each step: a progress line, one JSON object per step in --log, and
// at the end a Chrome trace with one track per rank and stream. Rank 0 writes; every rank
// contributes its numbers through MPI.
#ifndef DS_LIB_RUNTIME_RUN_STEPREPORT_H
#define DS_LIB_RUNTIME_RUN_STEPREPORT_H

#include "ds/Runtime/Exec/Executor.h"
#include "ds/Runtime/Run/RunOptions.h"

#include <fstream>
#include <optional>

namespace ds::rt {

// What a training step adds to its report (every rank holds the same values).
struct TrainingStats {
  double learningRate = 0;
  double gradNorm = 0;  // global L2 norm of the gradients before clipping, unscaled
  double lossScale = 1; // fp16 loss scale used by this step
  bool lossScaling = false;
  bool skipped = false; // fp16 overflow: no update
};

class StepReporter {
public:
  // Without `useMPI` the run is one rank and nothing is exchanged.
  StepReporter(const RunOptions &options, const plan::Plan &plan, int rank, int size, bool useMPI)
      : options_(options), plan_(plan), rank_(rank), size_(size), useMPI_(useMPI) {}

  Status open();
  // Collective: every rank calls it after each step.
  Status report(int64_t step, std::optional<double> loss, double seconds, int64_t tokensPerStep,
                const Executor &executor, const std::optional<TrainingStats> &training = {});
  // Collective: gathers every rank's events and writes options.tracePath on rank 0.
  Status writeTrace(const std::vector<TraceEvent> &events);

private:
  const RunOptions &options_;
  const plan::Plan &plan_;
  int rank_, size_;
  bool useMPI_;
  std::ofstream log_;
  CommCounters previous_;
};

} // namespace ds::rt

#endif // DS_LIB_RUNTIME_RUN_STEPREPORT_H
