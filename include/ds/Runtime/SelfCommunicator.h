// The communicator of a one-rank run: every collective over a group of one is a copy. It lets
// ds-run run one rank with no MPI at all (no mpirun, no MPI start-up, no session directory).
#ifndef DS_RUNTIME_SELFCOMMUNICATOR_H
#define DS_RUNTIME_SELFCOMMUNICATOR_H

#include "ds/Runtime/Communicator.h"

namespace ds::rt {

std::unique_ptr<Communicator> createSelfCommunicator();

} // namespace ds::rt

#endif // DS_RUNTIME_SELFCOMMUNICATOR_H
