// The broadcast iteration plan of Common.h.
#include "Common.h"

namespace ds::rt::cpu::detail {

BroadcastLoop planBroadcast(const Shape &out, const std::vector<Shape> &inputs) {
  const size_t rank = out.size();
  const size_t numInputs = inputs.size();
  // Strides of each input over the output's dims, aligned from the right.
  std::vector<std::vector<int64_t>> full(numInputs, std::vector<int64_t>(rank, 0));
  for (size_t k = 0; k < numInputs; ++k) {
    const Shape &in = inputs[k];
    std::vector<int64_t> st = contiguousStrides(in);
    size_t lead = rank - in.size();
    for (size_t i = 0; i < in.size(); ++i)
      full[k][lead + i] = in[i] == 1 ? 0 : st[i];
  }

  BroadcastLoop loop;
  loop.strides.assign(numInputs, {});
  for (size_t i = 0; i < rank; ++i) {
    if (out[i] == 1)
      continue;
    bool merge = !loop.dims.empty();
    for (size_t k = 0; k < numInputs && merge; ++k)
      merge = loop.strides[k].back() == full[k][i] * out[i];
    if (merge) {
      loop.dims.back() *= out[i];
      for (size_t k = 0; k < numInputs; ++k)
        loop.strides[k].back() = full[k][i];
      continue;
    }
    loop.dims.push_back(out[i]);
    for (size_t k = 0; k < numInputs; ++k)
      loop.strides[k].push_back(full[k][i]);
  }
  if (loop.dims.empty()) {
    loop.dims.push_back(1);
    for (size_t k = 0; k < numInputs; ++k)
      loop.strides[k].push_back(0);
  }
  return loop;
}

} // namespace ds::rt::cpu::detail
