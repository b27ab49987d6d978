// Host copies of an instruction's buffers, and its CPU kernel run on them.
#include "HostCopies.h"

#include <algorithm>
#include <cstring>

namespace ds::rt {

StatusOr<HostCopies> HostCopies::capture(InstructionContext &c) {
  Executor &executor = c.executor;
  HostCopies copies(c);
  std::vector<uint32_t> ids(c.inst.operands().begin(), c.inst.operands().end());
  ids.insert(ids.end(), c.inst.results().begin(), c.inst.results().end());
  for (uint32_t id : ids) {
    if (copies.copyOf(id))
      continue;
    const Executor::Slot &slot = executor.slot(id);
    size_t rounded = (static_cast<size_t>(std::max<int64_t>(slot.bytes, 1)) + 63) / 64 * 64;
    Copy copy;
    copy.id = id;
    copy.bytes.reset(std::aligned_alloc(64, rounded));
    if (!copy.bytes)
      return c.error("out of host memory copying " + std::to_string(slot.bytes) + " bytes of " +
                     executor.plan().buffers(id).name());
    std::memset(copy.bytes.get(), 0, rounded);
    if (slot.data)
      DS_RETURN_IF_ERROR(executor.device()
                             .copyToHost(copy.bytes.get(), slot.data, slot.bytes)
                             .withContext("copying " + executor.plan().buffers(id).name() +
                                          " to the host"));
    copies.copies_.push_back(std::move(copy));
  }
  for (uint32_t id : c.inst.results())
    for (Copy &copy : copies.copies_)
      copy.result = copy.result || copy.id == id;
  return copies;
}

Status HostCopies::runCpuKernel(const std::string &op, const ComputeFn &fn) {
  Executor &executor = c_->executor;
  std::vector<void *> deviceData;
  for (Copy &copy : copies_) {
    deviceData.push_back(executor.slot(copy.id).data);
    executor.slot(copy.id).data = copy.bytes.get();
  }
  InstructionContext host(executor, c_->inst, c_->index);
  Status ran = runCompute(op, fn, host);
  for (size_t i = 0; i < copies_.size(); ++i)
    executor.slot(copies_[i].id).data = deviceData[i];
  return ran;
}

Status HostCopies::copyResultsBack() {
  Executor &executor = c_->executor;
  for (Copy &copy : copies_) {
    if (!copy.result)
      continue;
    const Executor::Slot &slot = executor.slot(copy.id);
    DS_RETURN_IF_ERROR(executor.device()
                           .copyFromHost(slot.data, copy.bytes.get(), slot.bytes)
                           .withContext("copying " + executor.plan().buffers(copy.id).name() +
                                        " back to the device"));
  }
  return Status::ok();
}

const void *HostCopies::copyOf(uint32_t id) const {
  for (const Copy &copy : copies_)
    if (copy.id == id)
      return copy.bytes.get();
  return nullptr;
}

} // namespace ds::rt
