// Mixed precision on the CPU, done once for every kernel: bf16 and f16 are storage types, compute
// is f32. An instruction with 16-bit float operands or results runs its f32 kernel on f32 copies of
// those operands, into f32 results that are then rounded (to nearest even) into the 16-bit
// buffers, as torch's CPU autocast does. Integer and bool operands pass through untouched.
#include "InstructionContext.h"

#include "ds/Runtime/Kernels/CPU/Cast.h"

#include <memory>
#include <set>

namespace ds::rt {

namespace {

// Ops whose kernels move or convert elements of any dtype without arithmetic on them: staging
// their 16-bit operands through f32 would change nothing but the cost.
bool isDTypeGeneric(const std::string &op) {
  static const std::set<std::string> ops = {
      "constant", "load_param", "store_param", "reshape", "cast",  "select",
      "transpose", "expand",   "slice",       "concat",  "split", "gather"};
  return ops.count(op) != 0;
}

bool touchesHalfFloats(InstructionContext &c) {
  for (uint32_t id : c.inst.operands())
    if (isHalfFloat(c.executor.slot(id).dtype))
      return true;
  for (uint32_t id : c.inst.results())
    if (isHalfFloat(c.executor.slot(id).dtype))
      return true;
  return false;
}

// f32 scratch for one instruction. Not from the executor's allocator: its peak is the plan's
// own buffers, which is what the memory planner predicts.
class Staging {
public:
  MutableTensorView f32Like(const Shape &shape) {
    const int64_t n = numElements(shape);
    buffers_.push_back(std::unique_ptr<float[]>(new float[n > 0 ? n : 1]));
    return MutableTensorView(buffers_.back().get(), shape);
  }

private:
  std::vector<std::unique_ptr<float[]>> buffers_;
};

} // namespace

Status runCompute(const std::string &op, const ComputeFn &fn, InstructionContext &c) {
  if (isDTypeGeneric(op) || !touchesHalfFloats(c))
    return fn(c);

  Staging staging;
  c.inputOverrides.assign(c.numOperands(), std::nullopt);
  for (int i = 0; i < c.numOperands(); ++i) {
    TensorView in = c.in(i);
    if (!isHalfFloat(in.dtype))
      continue;
    MutableTensorView wide = staging.f32Like(in.shape);
    DS_RETURN_IF_ERROR(cpu::cast(in, wide).withContext("widening operand " + std::to_string(i) +
                                                        " to f32"));
    c.inputOverrides[i] = wide;
  }
  c.outputOverrides.assign(c.numResults(), std::nullopt);
  for (int j = 0; j < c.numResults(); ++j) {
    const Executor::Slot &slot = c.executor.slot(c.inst.results(j));
    if (isHalfFloat(slot.dtype))
      c.outputOverrides[j] = staging.f32Like(slot.shape);
  }

  Status ran = fn(c);
  c.inputOverrides.clear();
  std::vector<std::optional<MutableTensorView>> wideResults = std::move(c.outputOverrides);
  c.outputOverrides.clear();
  DS_RETURN_IF_ERROR(ran);

  for (int j = 0; j < c.numResults(); ++j) {
    if (!wideResults[j])
      continue;
    DS_ASSIGN_OR_RETURN(out, c.out(j));
    DS_RETURN_IF_ERROR(cpu::cast(*wideResults[j], out)
                           .withContext("rounding result " + std::to_string(j) + " to " +
                                        dtypeName(out.dtype)));
  }
  return Status::ok();
}

} // namespace ds::rt
