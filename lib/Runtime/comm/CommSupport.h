// What every Communicator backend shares beyond the interface: the description a call and its
// errors carry, the argument checks made before anything is issued, the reduction rules (so a
// plan that reduces on one backend reduces on the others) and the polling wait of a request.
// Private to lib/Runtime/comm; defined in Communicator.cpp.
#ifndef DS_LIB_RUNTIME_COMM_COMMSUPPORT_H
#define DS_LIB_RUNTIME_COMM_COMMSUPPORT_H

#include "ds/Runtime/Communicator.h"

#include <string>

namespace ds::rt::comm {

// "all_reduce(sum, 1024 x f32) on group 'dp' (rank 1 of 2, world rank 3)"; reduce may be null.
std::string describeCall(const char *op, int64_t count, DType dtype, const ReduceOp *reduce,
                         const std::string &group, int rank, int size, int worldRank);

Status checkCount(const std::string &desc, int64_t count);
// Null buffers are an error unless the message is empty.
Status checkBuffers(const std::string &desc, const void *a, const void *b, int64_t count);
// `peer` (named `what`: "root", "peer") is a rank of a group of `groupSize`.
Status checkPeer(const std::string &desc, int peer, const char *what, int groupSize);
// Sum takes f32, f64, i32, i64 and the 16-bit floats (mixed-precision gradients); max and min
// the same but the 16-bit floats; avg f32 and f64.
Status checkReduction(const std::string &desc, DType dtype, ReduceOp op);

// CommRequest::wait for a request that can only be polled: test() until it completes, fails or
// `timeoutSeconds` pass (then an error naming the request; it stays pending). Spins briefly for
// latency, then backs off so the host thread (or an oversubscribed rank) gives up its core.
Status pollUntilComplete(CommRequest &request, double timeoutSeconds);

} // namespace ds::rt::comm

#endif // DS_LIB_RUNTIME_COMM_COMMSUPPORT_H
