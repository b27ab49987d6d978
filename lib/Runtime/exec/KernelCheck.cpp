// The kernel check of a GPU rank (ds-run --check-kernels): each compute instruction runs on the
// device as usual, and its CPU kernel runs again on host copies of the operands as they were
// before, so that a loss curve that drifts from the CPU's can be traced to the first instruction
// whose kernel disagrees. Slow by design (every operand and result crosses to the host); meant for
// small models.
#include "HostCopies.h"
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
  // The operands as they are before the device runs: an in-place kernel overwrites some of them.
  // Results too, where they hold something already (a constant uploaded at start-up, a parameter
  // stored into); the others start zeroed, as on the host.
  DS_ASSIGN_OR_RETURN(copies, HostCopies::capture(c));
  DS_RETURN_IF_ERROR(runOnDevice());
  DS_RETURN_IF_ERROR(
      copies.runCpuKernel(op, fn->second).withContext("the CPU kernel of the check"));

  double worst = 0;
  for (uint32_t id : c.inst.results()) {
    const Executor::Slot &slot = executor.slot(id);
    HostBytes fromDevice = hostAlloc(slot.bytes);
    if (!fromDevice)
      return c.error("out of host memory for the kernel check");
    DS_RETURN_IF_ERROR(executor.device().copyToHost(fromDevice.get(), slot.data, slot.bytes));
    worst = std::max(worst, kernelCheckError(TensorView(fromDevice.get(), slot.shape, slot.dtype),
                                             TensorView(copies.copyOf(id), slot.shape, slot.dtype)));
  }
  return worst;
}

} // namespace ds::rt
