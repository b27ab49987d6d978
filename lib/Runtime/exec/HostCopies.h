// Host copies of the buffers one instruction names, for running its CPU kernel on a rank whose
// buffers live on a GPU: the host fallback (HostFallback.cpp) and the kernel check
// (KernelCheck.cpp) both take them. Each buffer is copied once, so an in-place result that is also
// an operand stays one buffer.
#ifndef DS_LIB_RUNTIME_EXEC_HOSTCOPIES_H
#define DS_LIB_RUNTIME_EXEC_HOSTCOPIES_H

#include "InstructionContext.h"

#include <cstdlib>
#include <memory>
#include <vector>

namespace ds::rt {

class HostCopies {
public:
  // Every operand and result of c's instruction as it is on the device now; a buffer not yet
  // written is copied as zeros, as a fresh allocation starts on the host.
  static StatusOr<HostCopies> capture(InstructionContext &c);

  // Runs the CPU kernel `fn` of `op` (through runCompute, so 16-bit operands are widened) on the
  // copies: the slots point at them for the run and back at the device buffers after, whatever
  // happens.
  Status runCpuKernel(const std::string &op, const ComputeFn &fn);
  // Writes the results' copies over their device buffers.
  Status copyResultsBack();
  // The copy of buffer `id`, or null when the instruction does not name it.
  const void *copyOf(uint32_t id) const;

private:
  struct Copy {
    uint32_t id = 0;
    std::unique_ptr<void, decltype(&std::free)> bytes{nullptr, &std::free};
    bool result = false;
  };
  explicit HostCopies(InstructionContext &c) : c_(&c) {}

  InstructionContext *c_;
  std::vector<Copy> copies_;
};

} // namespace ds::rt

#endif // DS_LIB_RUNTIME_EXEC_HOSTCOPIES_H
