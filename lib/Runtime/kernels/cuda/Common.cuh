// What the CUDA kernels share: Status from CUDA errors, f32/bf16 loads and stores, the
// round-to-nearest-even conversions of ds::rt::toBFloat16/toHalf on the device, and block sums.
#ifndef DS_LIB_RUNTIME_KERNELS_CUDA_COMMON_CUH
#define DS_LIB_RUNTIME_KERNELS_CUDA_COMMON_CUH

#include "ds/Runtime/DType.h"
#include "ds/Runtime/Status.h"

#include <cuda_runtime.h>

#include <cstdint>
#include <string>

namespace ds::rt::cuda::detail {

inline cudaStream_t asStream(void *stream) { return static_cast<cudaStream_t>(stream); }

inline Status fromCuda(cudaError_t err, const char *kernel) {
  if (err == cudaSuccess)
    return Status::ok();
  return Status::error(std::string(kernel) + ": CUDA error: " + cudaGetErrorString(err));
}

// After a launch: the launch's own error (bad configuration, no device) as a Status.
inline Status launched(const char *kernel) { return fromCuda(cudaGetLastError(), kernel); }

inline Status checkFloatType(DType dtype, const char *kernel) {
  if (dtype == DType::F32 || dtype == DType::BF16)
    return Status::ok();
  return Status::error(std::string(kernel) + ": element type must be f32 or bf16, got " +
                       dtypeName(dtype));
}

inline Status checkSizes(int64_t rows, int64_t cols, const char *kernel) {
  if (rows < 0 || cols < 0)
    return Status::error(std::string(kernel) + ": negative size");
  return Status::ok();
}

// bf16 as raw bits, so the kernels need no cuda_bf16.h arithmetic.
struct Bf16 {
  uint16_t bits;
};

__device__ __forceinline__ float load(const float *p, int64_t i) { return p[i]; }
__device__ __forceinline__ float load(const Bf16 *p, int64_t i) {
  return __uint_as_float(static_cast<uint32_t>(p[i].bits) << 16);
}

__device__ __forceinline__ uint16_t bf16Bits(float f) {
  uint32_t x = __float_as_uint(f);
  if ((x & 0x7fffffffu) > 0x7f800000u)
    return static_cast<uint16_t>((x >> 16) | 0x0040u);
  x += 0x7fffu + ((x >> 16) & 1u);
  return static_cast<uint16_t>(x >> 16);
}

__device__ __forceinline__ uint16_t halfBits(float f) {
  uint32_t x = __float_as_uint(f);
  uint32_t sign = (x >> 16) & 0x8000u;
  uint32_t absx = x & 0x7fffffffu;
  if (absx >= 0x7f800000u) {
    if (absx > 0x7f800000u)
      return static_cast<uint16_t>(sign | 0x7e00u | ((absx >> 13) & 0x3ffu));
    return static_cast<uint16_t>(sign | 0x7c00u);
  }
  if (absx >= 0x477ff000u)
    return static_cast<uint16_t>(sign | 0x7c00u);
  int32_t exp = static_cast<int32_t>(absx >> 23) - 127;
  if (exp >= -14) {
    uint32_t h = (static_cast<uint32_t>(exp + 15) << 10) | ((absx >> 13) & 0x3ffu);
    uint32_t rem = absx & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (h & 1u)))
      ++h;
    return static_cast<uint16_t>(sign | h);
  }
  if (exp < -25)
    return static_cast<uint16_t>(sign);
  uint32_t mant = (absx & 0x7fffffu) | 0x800000u;
  int shift = -exp - 1;
  uint32_t h = mant >> shift;
  uint32_t rem = mant & ((1u << shift) - 1u);
  uint32_t halfway = 1u << (shift - 1);
  if (rem > halfway || (rem == halfway && (h & 1u)))
    ++h;
  return static_cast<uint16_t>(sign | h);
}

__device__ __forceinline__ float halfToFloat(uint16_t bits) {
  uint32_t sign = static_cast<uint32_t>(bits & 0x8000u) << 16;
  uint32_t exp = (bits >> 10) & 0x1fu;
  uint32_t mant = bits & 0x3ffu;
  if (exp == 0)
    return __uint_as_float(sign | __float_as_uint(static_cast<float>(mant) * (1.0f / 16777216.0f)));
  if (exp == 31)
    return __uint_as_float(sign | 0x7f800000u | (mant << 13));
  return __uint_as_float(sign | ((exp - 15 + 127) << 23) | (mant << 13));
}

__device__ __forceinline__ void store(float *p, int64_t i, float v) { p[i] = v; }
__device__ __forceinline__ void store(Bf16 *p, int64_t i, float v) { p[i].bits = bf16Bits(v); }

// Sum (or max) of one value per thread over the block; every thread gets the result. blockDim.x
// is a multiple of 32 and at most 1024. `scratch` holds 32 floats; the call syncs before reuse.
template <bool Max> __device__ __forceinline__ float blockReduce(float v, float *scratch) {
  for (int o = 16; o > 0; o >>= 1) {
    float other = __shfl_xor_sync(0xffffffffu, v, o);
    v = Max ? fmaxf(v, other) : v + other;
  }
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
  __syncthreads(); // scratch may still be read by a previous reduction
  if (lane == 0)
    scratch[warp] = v;
  __syncthreads();
  v = lane < warps ? scratch[lane] : (Max ? -INFINITY : 0.0f);
  for (int o = 16; o > 0; o >>= 1) {
    float other = __shfl_xor_sync(0xffffffffu, v, o);
    v = Max ? fmaxf(v, other) : v + other;
  }
  return v;
}
__device__ __forceinline__ float blockSum(float v, float *scratch) {
  return blockReduce<false>(v, scratch);
}
__device__ __forceinline__ float blockMax(float v, float *scratch) {
  return blockReduce<true>(v, scratch);
}

// Threads per block for a row-wise kernel over `cols` elements.
inline int rowThreads(int64_t cols) {
  int t = 32;
  while (t < 1024 && t < cols)
    t <<= 1;
  return t > 256 && cols < 4096 ? 256 : t;
}

// Grid size for a grid-stride loop over n elements.
inline unsigned gridFor(int64_t n, int threads) {
  int64_t blocks = (n + threads - 1) / threads;
  if (blocks > 65535LL * 16)
    blocks = 65535LL * 16;
  return static_cast<unsigned>(blocks < 1 ? 1 : blocks);
}

// Calls fn(T{}) with T = float or Bf16 for a checked float dtype.
template <typename Fn> Status dispatchFloat(DType dtype, const Fn &fn) {
  if (dtype == DType::BF16)
    return fn(Bf16{});
  return fn(float{});
}

// The host side every one-block-per-row kernel shares: check the float dtype and the
// [rows, cols] sizes, do nothing for an empty tensor, else call launch(T{}) (which enqueues the
// kernel) and report whether the launch failed.
template <typename Fn>
Status launchPerRow(DType dtype, int64_t rows, int64_t cols, const char *kernel,
                    const Fn &launch) {
  DS_RETURN_IF_ERROR(checkFloatType(dtype, kernel));
  DS_RETURN_IF_ERROR(checkSizes(rows, cols, kernel));
  if (rows == 0 || cols == 0)
    return Status::ok();
  return dispatchFloat(dtype, [&](auto zero) {
    launch(zero);
    return launched(kernel);
  });
}

} // namespace ds::rt::cuda::detail

#endif // DS_LIB_RUNTIME_KERNELS_CUDA_COMMON_CUH
