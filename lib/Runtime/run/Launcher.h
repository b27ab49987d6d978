// Starting ranks the way DeepSpeed's launcher does: `ds-run --np N` re-executes itself under
// mpirun, so `ds-run --np N ...` and `mpirun -np N ds-run ...` are the same run.
#ifndef DS_LIB_RUNTIME_RUN_LAUNCHER_H
#define DS_LIB_RUNTIME_RUN_LAUNCHER_H

#include "ds/Runtime/Run/RunOptions.h"

#include <string>
#include <vector>

namespace ds::rt {

// True when this process is one rank of an MPI launch.
bool launchedByMPI();

// Replaces this process by mpirun running `args` (ds-run's own arguments less --np/--hostfile)
// on `options.np` ranks. Returns only on failure, with the reason.
Status execUnderMPI(const RunOptions &options, const std::vector<std::string> &args);

} // namespace ds::rt

#endif // DS_LIB_RUNTIME_RUN_LAUNCHER_H
