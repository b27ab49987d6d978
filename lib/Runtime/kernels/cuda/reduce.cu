// Sum, mean and max over a set of axes on f32 or bf16, accumulating in f32. As reduce.cpp, the
// input's dims are coalesced into alternating kept and reduced runs; when the last run is reduced
// one block folds each output element, otherwise each thread column owns one output and the
// block's rows split the reduced extent. Every sum runs in a fixed order (no atomics).
#include "ds/Runtime/Kernels/CUDA/Tensor.h"

#include "ReducePlan.cuh"
#include "TensorCommon.cuh"

#include <algorithm>
#include <limits>

namespace ds::rt::cuda {

namespace {

using namespace detail;
using cpu::ReduceKind;

// As reduce.cpp's accumulators; for max, NaN once seen stays.
template <bool Max> __device__ __forceinline__ float combine(float acc, float v) {
  if (Max)
    return (v > acc || v != v) ? v : acc;
  return acc + v;
}

template <bool Max> __device__ __forceinline__ float identity() { return Max ? -INFINITY : 0.0f; }

// Combines one value per thread of a block whose size is a power of two (<= 1024); every thread
// gets the result.
template <bool Max> __device__ float blockCombine(float v, float *smem) {
  smem[threadIdx.x] = v;
  __syncthreads();
  for (unsigned s = blockDim.x / 2; s > 0; s >>= 1) {
    if (threadIdx.x < s)
      smem[threadIdx.x] = combine<Max>(smem[threadIdx.x], smem[threadIdx.x + s]);
    __syncthreads();
  }
  const float r = smem[0];
  __syncthreads(); // smem is reused by the next output
  return r;
}

// Last run reduced: output o folds `count` = blocks * len elements, block b of len contiguous
// ones starting at kept(o) + reduced(b).
template <typename T, bool Max>
__global__ void __launch_bounds__(1024)
    reduceInnerKernel(const T *in, T *out, int64_t outCount, IndexMap<1> kept, IndexMap<1> reduced,
                      int64_t len, int64_t count, float scale) {
  __shared__ float smem[1024];
  for (int64_t o = blockIdx.x; o < outCount; o += gridDim.x) {
    int64_t base[1];
    kept.offsets(o, base);
    float acc = identity<Max>();
    for (int64_t r = threadIdx.x; r < count; r += blockDim.x) {
      const int64_t b = r / len, j = r - b * len;
      int64_t off[1];
      reduced.offsets(b, off);
      acc = combine<Max>(acc, load(in, base[0] + off[0] + j));
    }
    acc = blockCombine<Max>(acc, smem);
    if (threadIdx.x == 0)
      store(out, o, Max ? acc : acc * scale);
  }
}

constexpr int kColumns = 32, kSplit = 32;

// Last run kept: output row `row` of len contiguous elements; thread (x, y) of a 32 x 32 block
// takes column j = chunk * 32 + x and reduced indices y, y + 32, ...; row y = 0 then adds the 32
// partial results in order.
template <typename T, bool Max>
__global__ void __launch_bounds__(1024)
    reduceOuterKernel(const T *in, T *out, int64_t rows, IndexMap<1> kept, IndexMap<1> reduced,
                      int64_t len, int64_t count, float scale) {
  __shared__ float part[kSplit][kColumns + 1];
  const int64_t chunks = (len + kColumns - 1) / kColumns;
  for (int64_t t = blockIdx.x; t < rows * chunks; t += gridDim.x) {
    const int64_t row = t / chunks;
    const int64_t j = (t - row * chunks) * kColumns + threadIdx.x;
    int64_t base[1];
    kept.offsets(row, base);
    float acc = identity<Max>();
    if (j < len)
      for (int64_t r = threadIdx.y; r < count; r += kSplit) {
        int64_t off[1];
        reduced.offsets(r, off);
        acc = combine<Max>(acc, load(in, base[0] + off[0] + j));
      }
    part[threadIdx.y][threadIdx.x] = acc;
    __syncthreads();
    if (threadIdx.y == 0 && j < len) {
      float total = part[0][threadIdx.x];
      for (int y = 1; y < kSplit; ++y)
        total = combine<Max>(total, part[y][threadIdx.x]);
      store(out, row * len + j, Max ? total : total * scale);
    }
    __syncthreads(); // part is rewritten for the next task
  }
}

} // namespace

Status reduce(cpu::ReduceKind kind, const TensorView &x, const std::vector<int64_t> &axes,
              bool keepDim, const MutableTensorView &out, void *stream) {
  const std::string name = std::string("cuda ") + cpu::reduceKindName(kind);
  const char *kernel = name.c_str();
  const DType type = x.dtype == DType::BF16 || x.dtype == DType::F64 ? x.dtype : DType::F32;
  DS_RETURN_IF_ERROR(checkTensor(x, type, kernel, "input"));
  StatusOr<Shape> outShape = cpu::reduceShape(x.shape, axes, keepDim);
  if (!outShape)
    return outShape.status().withContext(kernel);
  DS_RETURN_IF_ERROR(checkOutput(out, type, *outShape, kernel));
  if (type == DType::F64)
    return unsupportedType(kernel, type);
  // reduceShape accepted the axes: normalize them into flags.
  const int64_t rank = x.rank();
  std::vector<bool> reduced(rank, axes.empty());
  for (int64_t a : axes)
    reduced[a < 0 ? a + rank : a] = true;
  int64_t reducedCount = 1;
  for (int64_t i = 0; i < rank; ++i)
    if (reduced[i])
      reducedCount *= x.shape[i];
  const int64_t outCount = out.numel();
  if (outCount == 0)
    return Status::ok();
  const int64_t elem = dtypeSize(type);
  if (reducedCount == 0) {
    if (kind == ReduceKind::Max)
      return Status::error(name + ": max over an empty extent of " + shapeToString(x.shape));
    // The sum of nothing is 0 and its mean NaN (bf16's quiet NaN is 0x7fc0).
    const float f32Nan = std::numeric_limits<float>::quiet_NaN();
    const uint16_t bf16Nan = 0x7fc0u, zero16 = 0;
    const float zero32 = 0.0f;
    const void *pattern = kind == ReduceKind::Sum
                              ? (elem == 2 ? static_cast<const void *>(&zero16) : &zero32)
                              : (elem == 2 ? static_cast<const void *>(&bf16Nan) : &f32Nan);
    return fill(out.data, pattern, elem, outCount, stream);
  }

  ReducePlan plan;
  DS_RETURN_IF_ERROR(planReduce(x.shape, reduced, plan, kernel));
  if (plan.copy) {
    // Only size-1 axes are reduced: the output is a copy.
    if (out.data == x.data)
      return Status::ok();
    return fromCuda(cudaMemcpyAsync(out.data, x.data, outCount * elem, cudaMemcpyDeviceToDevice,
                                    asStream(stream)),
                    kernel);
  }
  const IndexMap<1> &keptMap = plan.kept, &redMap = plan.reduced;
  const int64_t len = plan.len;
  const float scale =
      kind == ReduceKind::Mean ? static_cast<float>(1.0 / static_cast<double>(reducedCount)) : 1.0f;
  const bool isMax = kind == ReduceKind::Max;
  cudaStream_t s = asStream(stream);
  return dispatchFloatView(type, kernel, [&](auto zero) {
    using T = decltype(zero);
    const T *in = static_cast<const T *>(x.data);
    T *o = static_cast<T *>(out.data);
    if (plan.lastReduced) {
      const int threads = rowThreads(reducedCount);
      const unsigned grid = static_cast<unsigned>(std::min<int64_t>(outCount, 65535LL * 16));
      if (isMax)
        reduceInnerKernel<T, true>
            <<<grid, threads, 0, s>>>(in, o, outCount, keptMap, redMap, len, reducedCount, scale);
      else
        reduceInnerKernel<T, false>
            <<<grid, threads, 0, s>>>(in, o, outCount, keptMap, redMap, len, reducedCount, scale);
    } else {
      const int64_t rows = outCount / len;
      const int64_t tasks = rows * ((len + kColumns - 1) / kColumns);
      const unsigned grid = static_cast<unsigned>(std::min<int64_t>(tasks, 65535LL * 16));
      const dim3 block(kColumns, kSplit);
      if (isMax)
        reduceOuterKernel<T, true>
            <<<grid, block, 0, s>>>(in, o, rows, keptMap, redMap, len, reducedCount, scale);
      else
        reduceOuterKernel<T, false>
            <<<grid, block, 0, s>>>(in, o, rows, keptMap, redMap, len, reducedCount, scale);
    }
    return launched(kernel);
  });
}

} // namespace ds::rt::cuda
