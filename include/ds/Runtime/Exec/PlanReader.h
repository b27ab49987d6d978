// Reading a plan file and checking it before anything runs: the version, the mesh against the
// launched world, and that every instruction names buffers that exist.
#ifndef DS_RUNTIME_EXEC_PLANREADER_H
#define DS_RUNTIME_EXEC_PLANREADER_H

#include "ds/Plan/Plan.pb.h"
#include "ds/Runtime/Status.h"

#include <string>

namespace ds::rt {

StatusOr<plan::Plan> readPlan(const std::string &path);

// The number of ranks the plan's mesh describes.
int64_t planWorldSize(const plan::Plan &plan);

// Checks internal consistency; `path` only names the plan in messages.
Status validatePlan(const plan::Plan &plan, const std::string &path);

} // namespace ds::rt

#endif // DS_RUNTIME_EXEC_PLANREADER_H
