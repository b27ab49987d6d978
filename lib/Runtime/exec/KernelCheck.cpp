// The kernel check of a GPU rank (ds-run --check-kernels): each compute instruction runs on the
// device as usual, and its CPU kernel runs again on host copies of the operands as they were
// before, so that a loss curve that drifts from the CPU's can be traced to the first instruction
// whose kernel disagrees. Slow by design (every operand and result crosses to the host); meant for
// small models.
#include "InstructionContext.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace ds::rt {

namespace {

using HostBytes = std::unique_ptr<void, decltype(&std::free)>;

HostBytes hostAlloc(int64_t bytes) {
  size_t rounded = (static_cast<size_t>(std::max<int64_t>(bytes, 1)) + 63) / 64 * 64;
  HostBytes p(std::aligned_alloc(64, rounded), &std::free);
  if (p)
    std::memset(p.get(), 0, rounded);
  return p;
}

double elementAsDouble(const void *data, DType dtype, int64_t i) {
  switch (dtype) {
  case DType::F32: return static_cast<const float *>(data)[i];
  case DType::F64: return static_cast<const double *>(data)[i];
  case DType::BF16: return toFloat(static_cast<const BFloat16 *>(data)[i]);
  case DType::F16: return toFloat(static_cast<const Half *>(data)[i]);
  case DType::I64: return static_cast<double>(static_cast<const int64_t *>(data)[i]);
  case DType::I32: return static_cast<double>(static_cast<const int32_t *>(data)[i]);
  case DType::U8: return static_cast<const uint8_t *>(data)[i];
  }
  return 0;
}

} // namespace

double kernelCheckError(const TensorView &device, const TensorView &host) {
  const int64_t n = host.numel();
  if (device.numel() != n || device.dtype != host.dtype)
    return INFINITY;
  double scale = 0, worst = 0;
  for (int64_t i = 0; i < n; ++i)
    scale = std::max(scale, std::fabs(elementAsDouble(host.data, host.dtype, i)));
  for (int64_t i = 0; i < n; ++i) {
    double a = elementAsDouble(device.data, device.dtype, i);
    double b = elementAsDouble(host.data, host.dtype, i);
    if (std::isnan(a) != std::isnan(b) || (std::isinf(b) && a != b))
      return INFINITY;
    if (std::isnan(b) || std::isinf(b))
      continue;
    worst = std::max(worst, std::fabs(a - b));
  }
  return scale > 0 ? worst / scale : worst;
}

StatusOr<double> checkAgainstHost(const std::string &op, InstructionContext &c,
                                  const std::function<Status()> &runOnDevice) {
  const auto &table = computeTable();
  auto fn = table.find(op);
  if (fn == table.end()) {
    DS_RETURN_IF_ERROR(runOnDevice());
    return 0.0; // nothing to compare with
  }
  Executor &executor = c.executor;
  Device &device = executor.device();

  // The operands as they are now: an in-place kernel overwrites some of them.
  struct Copy {
    uint32_t id;
    HostBytes bytes{nullptr, &std::free};
    bool result = false;
  };
  std::vector<Copy> copies;
  auto copyOf = [&](uint32_t id) -> Copy * {
    for (Copy &copy : copies)
      if (copy.id == id)
        return &copy;
    return nullptr;
  };
  // Results too, where they hold something already (a constant uploaded at start-up, a parameter
  // stored into); the others start zeroed, as on the host.
  std::vector<uint32_t> ids(c.inst.operands().begin(), c.inst.operands().end());
  ids.insert(ids.end(), c.inst.results().begin(), c.inst.results().end());
  for (uint32_t id : ids) {
    if (copyOf(id))
      continue;
    const Executor::Slot &slot = executor.slot(id);
    Copy copy{id, hostAlloc(slot.bytes)};
    if (!copy.bytes)
      return c.error("out of host memory for the kernel check");
    if (slot.data)
      DS_RETURN_IF_ERROR(device.copyToHost(copy.bytes.get(), slot.data, slot.bytes));
    copies.push_back(std::move(copy));
  }

  DS_RETURN_IF_ERROR(runOnDevice());

  // The CPU kernel on the copies.
  for (uint32_t id : c.inst.results())
    copyOf(id)->result = true;
  std::vector<void *> deviceData;
  for (Copy &copy : copies) {
    deviceData.push_back(executor.slot(copy.id).data);
    executor.slot(copy.id).data = copy.bytes.get();
  }
  InstructionContext host(executor, c.inst, c.index);
  Status ran = runCompute(op, fn->second, host);
  for (size_t i = 0; i < copies.size(); ++i)
    executor.slot(copies[i].id).data = deviceData[i];
  DS_RETURN_IF_ERROR(ran.withContext("the CPU kernel of the check"));

  double worst = 0;
  for (Copy &copy : copies) {
    if (!copy.result)
      continue;
    const Executor::Slot &slot = executor.slot(copy.id);
    HostBytes fromDevice = hostAlloc(slot.bytes);
    if (!fromDevice)
      return c.error("out of host memory for the kernel check");
    DS_RETURN_IF_ERROR(device.copyToHost(fromDevice.get(), slot.data, slot.bytes));
    worst = std::max(worst, kernelCheckError(TensorView(fromDevice.get(), slot.shape, slot.dtype),
                                             TensorView(copy.bytes.get(), slot.shape, slot.dtype)));
  }
  return worst;
}

} // namespace ds::rt
