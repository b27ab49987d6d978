// The host fallback of a GPU rank: an instruction whose op has no kernel on the device runs the
// CPU kernel on host copies of its buffers. Every buffer the instruction names is copied once
// (an in-place result that is also an operand stays one buffer), its slot pointed at the copy
// for the kernel's run, and the results copied back.
#include "InstructionContext.h"

#include <cstdlib>
#include <memory>

namespace ds::rt {

namespace {

struct HostShadow {
  uint32_t id = 0;
  void *deviceData = nullptr;
  std::unique_ptr<void, decltype(&std::free)> host{nullptr, &std::free};
  bool result = false;
};

} // namespace

Status runOnHost(const std::string &op, InstructionContext &c) {
  const auto &table = computeTable();
  auto fn = table.find(op);
  if (fn == table.end())
    return c.error("neither the CUDA nor the CPU backend has a kernel for '" + op + "'");
  Executor &executor = c.executor;
  Device &device = executor.device();
  executor.noteHostFallback(op);

  std::vector<HostShadow> shadows;
  auto shadowOf = [&](uint32_t id) -> HostShadow * {
    for (HostShadow &s : shadows)
      if (s.id == id)
        return &s;
    return nullptr;
  };
  for (uint32_t id : c.inst.results()) {
    DS_RETURN_IF_ERROR(executor.ensureAllocated(id).status());
    if (!shadowOf(id))
      shadows.push_back(HostShadow{id});
    shadowOf(id)->result = true;
  }
  for (uint32_t id : c.inst.operands())
    if (!shadowOf(id))
      shadows.push_back(HostShadow{id});

  // Swap every slot to its host copy; whatever happens, swap back.
  struct Restore {
    std::vector<HostShadow> &shadows;
    Executor &executor;
    ~Restore() {
      for (HostShadow &s : shadows)
        if (s.deviceData)
          executor.slot(s.id).data = s.deviceData;
    }
  } restore{shadows, executor};
  for (HostShadow &s : shadows) {
    Executor::Slot &slot = executor.slot(s.id);
    if (!slot.data)
      continue; // never written: the CPU kernel sees what it would see on the host
    size_t rounded = (static_cast<size_t>(std::max<int64_t>(slot.bytes, 1)) + 63) / 64 * 64;
    s.host.reset(std::aligned_alloc(64, rounded));
    if (!s.host)
      return c.error("out of host memory staging " + std::to_string(slot.bytes) + " bytes of " +
                     executor.plan().buffers(s.id).name());
    DS_RETURN_IF_ERROR(device.copyToHost(s.host.get(), slot.data, slot.bytes)
                           .withContext("copying " + executor.plan().buffers(s.id).name() +
                                        " to the host"));
    s.deviceData = slot.data;
    slot.data = s.host.get();
  }

  DS_RETURN_IF_ERROR(runCompute(op, fn->second, c));

  for (HostShadow &s : shadows)
    if (s.result && s.deviceData)
      DS_RETURN_IF_ERROR(device.copyFromHost(s.deviceData, s.host.get(), executor.slot(s.id).bytes)
                             .withContext("copying " + executor.plan().buffers(s.id).name() +
                                          " back to the device"));
  return Status::ok();
}

} // namespace ds::rt
