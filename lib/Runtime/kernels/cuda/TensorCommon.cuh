// What the view-based CUDA kernels (the twins of the cpu:: kernels) share: index maps that turn an
// output's linear index into input offsets (broadcasting, transposes, slices), integer loads and
// stores next to Common.cuh's float ones, and dispatch on element size or arithmetic type.
#ifndef DS_LIB_RUNTIME_KERNELS_CUDA_TENSORCOMMON_CUH
#define DS_LIB_RUNTIME_KERNELS_CUDA_TENSORCOMMON_CUH

#include "Common.cuh"

#include "ds/Runtime/Tensor.h"

#include <string>
#include <vector>

namespace ds::rt::cuda::detail {

// Dims an index map holds after merging; more is an error (the executor then uses the CPU).
constexpr int kMaxDims = 8;

// For output linear index i over `dims` (row-major), input k reads element
// sum_d index_d * strides[k][d]. Passed to kernels by value.
template <int N> struct IndexMap {
  int rank = 0;
  int64_t dims[kMaxDims] = {};
  int64_t strides[N][kMaxDims] = {};

  // Every output index fits in 32 bits: the divisions take the (much cheaper) 32-bit path.
  bool index32 = false;

  __host__ __device__ __forceinline__ void offsets(int64_t i, int64_t (&off)[N]) const {
    for (int k = 0; k < N; ++k)
      off[k] = 0;
    if (index32) {
      uint32_t j = static_cast<uint32_t>(i);
      for (int d = rank - 1; d >= 0; --d) {
        const uint32_t dim = static_cast<uint32_t>(dims[d]);
        const uint32_t q = j / dim;
        const int64_t r = j - q * dim;
        for (int k = 0; k < N; ++k)
          off[k] += r * strides[k][d];
        j = q;
      }
      return;
    }
    for (int d = rank - 1; d >= 0; --d) {
      const int64_t q = i / dims[d];
      const int64_t r = i - q * dims[d];
      for (int k = 0; k < N; ++k)
        off[k] += r * strides[k][d];
      i = q;
    }
  }
  // One dim that every input walks with stride 1: offset == i for all inputs.
  bool isFlat() const {
    if (rank != 1)
      return false;
    for (int k = 0; k < N; ++k)
      if (strides[k][0] != 1)
        return false;
    return true;
  }
};

// Input strides over the output's dims for numpy broadcasting of `in` to `out` (aligned on the
// right; broadcast dims get stride 0).
inline std::vector<int64_t> broadcastStrides(const Shape &in, const Shape &out) {
  std::vector<int64_t> inStrides = contiguousStrides(in), strides(out.size(), 0);
  const size_t lead = out.size() - in.size();
  for (size_t i = 0; i < in.size(); ++i)
    strides[lead + i] = in[i] == 1 ? 0 : inStrides[i];
  return strides;
}

// Builds the map for an output of shape `out` whose input k has strides[k] (one per output dim):
// size-1 dims are dropped and neighbours merged where every input is contiguous across them.
template <int N>
Status planIndexMap(const Shape &out, const std::vector<int64_t> (&strides)[N], IndexMap<N> &map,
                    const char *kernel) {
  std::vector<int64_t> dims;
  std::vector<int64_t> merged[N];
  for (size_t d = 0; d < out.size(); ++d) {
    if (out[d] == 1)
      continue;
    bool mergeable = !dims.empty();
    for (int k = 0; k < N && mergeable; ++k)
      mergeable = merged[k].back() == strides[k][d] * out[d];
    if (mergeable) {
      dims.back() *= out[d];
      for (int k = 0; k < N; ++k)
        merged[k].back() = strides[k][d];
      continue;
    }
    dims.push_back(out[d]);
    for (int k = 0; k < N; ++k)
      merged[k].push_back(strides[k][d]);
  }
  if (dims.empty()) {
    dims.push_back(1);
    for (int k = 0; k < N; ++k)
      merged[k].push_back(1);
  }
  if (dims.size() > static_cast<size_t>(kMaxDims))
    return Status::error(std::string(kernel) + ": more than " + std::to_string(kMaxDims) +
                         " dims remain after merging " + shapeToString(out));
  map.rank = static_cast<int>(dims.size());
  map.index32 = numElements(out) <= static_cast<int64_t>(UINT32_MAX);
  for (int d = 0; d < map.rank; ++d) {
    map.dims[d] = dims[d];
    for (int k = 0; k < N; ++k)
      map.strides[k][d] = merged[k][d];
  }
  return Status::ok();
}

// a / b and a % b for 0 <= a, 0 < b, in 32 bits when the caller knows both fit (a uniform flag,
// so the branch costs nothing while a 64-bit division costs dozens of instructions).
struct DivMod {
  int64_t q, r;
};
__device__ __forceinline__ DivMod divMod(int64_t a, int64_t b, bool index32) {
  if (index32) {
    const uint32_t q = static_cast<uint32_t>(a) / static_cast<uint32_t>(b);
    return {q, a - static_cast<int64_t>(q) * b};
  }
  const int64_t q = a / b;
  return {q, a - q * b};
}
inline bool fitsIndex32(int64_t n) { return n <= static_cast<int64_t>(UINT32_MAX); }

// Loads and stores of the integer and byte types; floats are in Common.cuh.
__device__ __forceinline__ int64_t load(const int64_t *p, int64_t i) { return p[i]; }
__device__ __forceinline__ int32_t load(const int32_t *p, int64_t i) { return p[i]; }
__device__ __forceinline__ void store(int64_t *p, int64_t i, int64_t v) { p[i] = v; }
__device__ __forceinline__ void store(int32_t *p, int64_t i, int32_t v) { p[i] = v; }
__device__ __forceinline__ void store(uint8_t *p, int64_t i, uint8_t v) { p[i] = v; }

// Element loops: i over [0, n) with 64-bit indices.
#define DS_CUDA_GRID_LOOP(i, n)                                                                    \
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < (n);                        \
       i += int64_t(gridDim.x) * blockDim.x)

constexpr int kElemThreads = 256;

// Calls fn(W{}) with W the unsigned word of `bytes` bytes (1, 2, 4 or 8).
template <typename Fn> Status dispatchWord(int64_t bytes, const char *kernel, const Fn &fn) {
  switch (bytes) {
  case 1:
    return fn(uint8_t{});
  case 2:
    return fn(uint16_t{});
  case 4:
    return fn(uint32_t{});
  case 8:
    return fn(uint64_t{});
  }
  return Status::error(std::string(kernel) + ": elements of " + std::to_string(bytes) +
                       " bytes are not supported");
}

// The error for a dtype a CUDA kernel leaves to the CPU.
inline Status unsupportedType(const char *kernel, DType dtype) {
  return Status::error(std::string(kernel) + ": " + dtypeName(dtype) + " is not supported");
}

// Calls fn(T{}) with T = float or Bf16; other dtypes are an error naming the kernel.
template <typename Fn> Status dispatchFloatView(DType dtype, const char *kernel, const Fn &fn) {
  if (dtype == DType::F32)
    return fn(float{});
  if (dtype == DType::BF16)
    return fn(Bf16{});
  return unsupportedType(kernel, dtype);
}

// Rows x cols of a tensor split at `axis` (outer = dims before, len = the axis, inner = after).
struct AxisSplit {
  int64_t outer = 1, len = 1, inner = 1;
};
inline AxisSplit splitAt(const Shape &shape, int64_t axis) {
  AxisSplit s;
  for (int64_t i = 0; i < axis; ++i)
    s.outer *= shape[i];
  s.len = shape[axis];
  for (size_t i = axis + 1; i < shape.size(); ++i)
    s.inner *= shape[i];
  return s;
}

} // namespace ds::rt::cuda::detail

#endif // DS_LIB_RUNTIME_KERNELS_CUDA_TENSORCOMMON_CUH
