// Starting ranks the way DeepSpeed's launcher does: `ds-run --np N` runs itself under
// mpirun, so `ds-run --np N ...` and `mpirun -np N ds-run ...` are the same run.
#ifndef DS_LIB_RUNTIME_RUN_LAUNCHER_H
#define DS_LIB_RUNTIME_RUN_LAUNCHER_H

#include "ds/Runtime/Run/RunOptions.h"

#include <string>
#include <vector>

namespace ds::rt {

// True when this process is one rank of an MPI launch.
bool launchedByMPI();

// Runs mpirun with `args` (ds-run's own arguments less --np/--hostfile) on `options.np` ranks
// and waits for it; returns its exit code (128 + signal when killed). INT and TERM are passed on
// to mpirun meanwhile.
StatusOr<int> runUnderMPI(const RunOptions &options, const std::vector<std::string> &args);

} // namespace ds::rt

#endif // DS_LIB_RUNTIME_RUN_LAUNCHER_H
