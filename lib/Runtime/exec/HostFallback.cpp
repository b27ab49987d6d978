// The host fallback of a GPU rank: an instruction whose op has no kernel on the device runs the
// CPU kernel on host copies of its buffers (HostCopies), and its results are copied back.
#include "HostCopies.h"
#include "InstructionContext.h"

namespace ds::rt {

Status runOnHost(const std::string &op, InstructionContext &c) {
  const auto &table = computeTable();
  auto fn = table.find(op);
  if (fn == table.end())
    return c.error("neither the CUDA nor the CPU backend has a kernel for '" + op + "'");
  c.executor.noteHostFallback(op);
  // The results get their device buffers first: they are where the copies go back to.
  for (uint32_t id : c.inst.results())
    DS_RETURN_IF_ERROR(c.executor.ensureAllocated(id).status());
  DS_ASSIGN_OR_RETURN(copies, HostCopies::capture(c));
  DS_RETURN_IF_ERROR(copies.runCpuKernel(op, fn->second));
  return copies.copyResultsBack();
}

} // namespace ds::rt
