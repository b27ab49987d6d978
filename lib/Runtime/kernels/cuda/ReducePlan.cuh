// How the CUDA reduce walks its input (reduce.cu), apart from the kernels so it can be checked
// on the host: the dims coalesced into alternating runs of kept and reduced dims, as reduce.cpp.
#ifndef DS_LIB_RUNTIME_KERNELS_CUDA_REDUCEPLAN_CUH
#define DS_LIB_RUNTIME_KERNELS_CUDA_REDUCEPLAN_CUH

#include "TensorCommon.cuh"

#include <string>
#include <vector>

namespace ds::rt::cuda::detail {

inline IndexMap<1> dimMap(const std::vector<int64_t> &dims, const std::vector<int64_t> &strides) {
  IndexMap<1> m;
  m.rank = static_cast<int>(dims.size());
  int64_t count = 1;
  for (int64_t d : dims)
    count *= d;
  m.index32 = count <= static_cast<int64_t>(UINT32_MAX);
  for (size_t i = 0; i < dims.size(); ++i) {
    m.dims[i] = dims[i];
    m.strides[0][i] = strides[i];
  }
  return m;
}

// How a reduction walks its input: the dims coalesced into runs of kept and reduced dims; the
// last run (len contiguous elements) is either reduced (one block per output) or kept (outputs
// in rows of len). `kept` and `reduced` map the other runs to input offsets.
struct ReducePlan {
  bool copy = false; // only size-1 dims are reduced
  bool lastReduced = false;
  int64_t len = 1;
  IndexMap<1> kept, reduced;
};

inline Status planReduce(const Shape &shape, const std::vector<bool> &reduced, ReducePlan &plan,
                         const char *kernel) {
  // Runs of kept / reduced dims (size-1 dims dropped: they change no offset).
  std::vector<int64_t> strides = contiguousStrides(shape);
  std::vector<int64_t> runDims, runStrides;
  std::vector<bool> runReduced;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == 1)
      continue;
    if (!runDims.empty() && runReduced.back() == reduced[i]) {
      runDims.back() *= shape[i];
      runStrides.back() = strides[i];
      continue;
    }
    runDims.push_back(shape[i]);
    runStrides.push_back(strides[i]);
    runReduced.push_back(reduced[i]);
  }
  if (runDims.empty() || (!runReduced.back() && runDims.size() == 1)) {
    plan.copy = true;
    return Status::ok();
  }
  std::vector<int64_t> keptDims, keptStrides, redDims, redStrides;
  for (size_t i = 0; i + 1 < runDims.size(); ++i) {
    (runReduced[i] ? redDims : keptDims).push_back(runDims[i]);
    (runReduced[i] ? redStrides : keptStrides).push_back(runStrides[i]);
  }
  if (keptDims.size() > static_cast<size_t>(kMaxDims) ||
      redDims.size() > static_cast<size_t>(kMaxDims))
    return Status::error(std::string(kernel) + ": too many alternating kept and reduced dims in " +
                         shapeToString(shape));
  plan.kept = dimMap(keptDims, keptStrides);
  plan.reduced = dimMap(redDims, redStrides);
  plan.len = runDims.back();
  plan.lastReduced = runReduced.back();
  return Status::ok();
}

} // namespace ds::rt::cuda::detail

#endif // DS_LIB_RUNTIME_KERNELS_CUDA_REDUCEPLAN_CUH
