// The MPI backend of Communicator (CPU runs): nonblocking MPI collectives on a private
// duplicate of MPI_COMM_WORLD, errors returned rather than aborting.
#ifndef DS_RUNTIME_MPICOMMUNICATOR_H
#define DS_RUNTIME_MPICOMMUNICATOR_H

#include "ds/Runtime/Communicator.h"

namespace ds::rt {

// The world communicator. MPI must be initialized (MPI_Init or MPI_Init_thread) by the caller
// and finalized after every communicator is destroyed. Collective over MPI_COMM_WORLD.
StatusOr<std::unique_ptr<Communicator>> createMPIWorldCommunicator();

} // namespace ds::rt

#endif // DS_RUNTIME_MPICOMMUNICATOR_H
