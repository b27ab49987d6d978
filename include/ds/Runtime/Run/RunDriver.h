// ds-run's body: launch ranks (or be one), run the plan's steps, report.
#ifndef DS_RUNTIME_RUN_RUNDRIVER_H
#define DS_RUNTIME_RUN_RUNDRIVER_H

namespace ds::rt {

// Returns the process exit code; never throws or aborts on bad input.
int runMain(int argc, char **argv);

} // namespace ds::rt

#endif // DS_RUNTIME_RUN_RUNDRIVER_H
