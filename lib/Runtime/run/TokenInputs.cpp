// Feeding token windows and targets into the plan's token inputs.
#include "TokenInputs.h"

namespace ds::rt {

bool givenByFlag(const RunOptions &options, const std::string &name) {
  for (const auto &[flagName, path] : options.inputs)
    if (flagName == name)
      return true;
  return false;
}

Status feedTokens(Executor &executor, const RunOptions &options, const DataFeed *feed,
                  const std::string &function, int64_t firstSample) {
  for (const plan::Input &in : executor.plan().inputs()) {
    if (in.function() != function || givenByFlag(options, in.name()))
      continue;
    if (in.source() != plan::Input::TOKENS && in.source() != plan::Input::TARGETS)
      continue;
    if (!feed)
      return Status::error("the plan reads tokens (input '" + in.name() +
                           "'): pass --data FILE or --input " + in.name() + "=FILE.npy");
    const plan::Buffer &buffer = executor.plan().buffers(in.buffer());
    if (buffer.shape_size() != 2)
      return Status::error("token input '" + in.name() + "' must be [batch, sequence], got rank " +
                           std::to_string(buffer.shape_size()));
    int64_t mb = buffer.shape(0), seqLen = buffer.shape(1);
    std::vector<int64_t> ids;
    DS_RETURN_IF_ERROR(
        feed->windows(firstSample, mb, seqLen, in.source() == plan::Input::TARGETS, ids));
    if (buffer.dtype() == plan::I64) {
      DS_RETURN_IF_ERROR(executor.setInput(in.name(), DType::I64, {mb, seqLen}, ids.data()));
    } else if (buffer.dtype() == plan::I32) {
      std::vector<int32_t> narrow(ids.begin(), ids.end());
      DS_RETURN_IF_ERROR(executor.setInput(in.name(), DType::I32, {mb, seqLen}, narrow.data()));
    } else {
      return Status::error("token input '" + in.name() + "' must hold i64 or i32 ids");
    }
  }
  return Status::ok();
}

} // namespace ds::rt
