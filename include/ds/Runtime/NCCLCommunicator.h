// The NCCL backend of Communicator (GPU runs): collectives on device buffers, issued on a
// per-rank communication stream ordered after the caller's compute stream. The header needs no
// CUDA or NCCL headers; streams travel as `void *` (a cudaStream_t).
#ifndef DS_RUNTIME_NCCLCOMMUNICATOR_H
#define DS_RUNTIME_NCCLCOMMUNICATOR_H

#include "ds/Runtime/Communicator.h"

namespace ds::rt {

struct NcclOptions {
  // The cudaStream_t whose earlier work produces the send buffers and whose later work consumes
  // the results; nullptr is the legacy default stream. Each call makes the communication stream
  // wait for the work issued on the compute stream so far; a request seen complete (test or wait)
  // makes the compute stream wait for the operation.
  void *computeStream = nullptr;
  // How long rank 0's ncclUniqueId may take to reach every rank over the bootstrap.
  double bootstrapTimeoutSeconds = 300.0;
};

// The world communicator over NCCL, on the CUDA device current at the call, which must stay
// current for every later call on it and its sub-groups. Collective over `bootstrap` (an MPI
// world, or a SelfCommunicator for one rank): rank 0 makes an ncclUniqueId, broadcasts it over
// bootstrap in host memory as u8 bytes, and every rank joins with ncclCommInitRank. The NCCL
// communicator has bootstrap's size and ranks; bootstrap is not used afterwards.
//
// All buffers given to the result are device memory (or memory NCCL can address). Differences
// from the MPI backend: send and recv ignore `tag` (NCCL matches point-to-point messages per peer
// in issue order, so members must issue them in matching order), a rank cannot send to itself,
// and a recv of a message with another element count is not detected. All communicators of a
// rank (the world and its sub-groups) issue on one communication stream, so operations run in
// issue order: members must issue collectives of different groups in the same order, and two
// ranks exchanging point to point must not both send first unless NCCL can buffer the message.
// An abandoned request (destroyed before completion) leaves its operation running, and its
// communicator is then aborted (ncclCommAbort) rather than finalized when destroyed.
StatusOr<std::unique_ptr<Communicator>> createNcclCommunicator(Communicator &bootstrap,
                                                               const NcclOptions &options);

} // namespace ds::rt

#endif // DS_RUNTIME_NCCLCOMMUNICATOR_H
