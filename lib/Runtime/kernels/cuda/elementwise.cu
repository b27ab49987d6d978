// GELU forward and backward in both torch forms, and the f32 <-> bf16/f16 casts.
#include "ds/Runtime/Kernels/CUDA/Elementwise.h"

#include "Common.cuh"

namespace ds::rt::cuda {

namespace {

using namespace detail;

// The constants and the order of operations of the CPU kernels (unary.cpp, gradients.cpp).
__device__ __forceinline__ float geluExact(float v) {
  return 0.5f * v * (1.0f + erff(v * 0.70710678118654752440f));
}
__device__ __forceinline__ float geluTanh(float v) {
  const float k = 0.79788456080286535588f, c = 0.044715f;
  return 0.5f * v * (1.0f + tanhf(k * (v + c * v * v * v)));
}
__device__ __forceinline__ float geluGradExact(float x) {
  const float cdf = 0.5f * (1.0f + erff(x * 0.70710678118654752440f));
  const float pdf = 0.39894228040143267794f * expf(-0.5f * x * x);
  return cdf + x * pdf;
}
__device__ __forceinline__ float geluGradTanh(float x) {
  const float k = 0.79788456080286535588f, c = 0.044715f;
  const float t = tanhf(k * (x + c * x * x * x));
  return 0.5f * (1.0f + t) + 0.5f * x * (1.0f - t * t) * k * (1.0f + 3.0f * c * x * x);
}

template <typename T>
__global__ void geluKernel(const T *x, T *y, int64_t n, bool tanhApprox) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x) {
    const float v = load(x, i);
    store(y, i, tanhApprox ? geluTanh(v) : geluExact(v));
  }
}

template <typename T>
__global__ void geluGradKernel(const T *x, const T *dy, T *dx, int64_t n, bool tanhApprox) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x) {
    const float v = load(x, i);
    store(dx, i, load(dy, i) * (tanhApprox ? geluGradTanh(v) : geluGradExact(v)));
  }
}

// Which 16-bit format a cast reads or writes.
enum class Narrow { BF16, F16 };

__global__ void narrowKernel(const float *x, uint16_t *y, int64_t n, Narrow to) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x)
    y[i] = to == Narrow::BF16 ? bf16Bits(x[i]) : halfBits(x[i]);
}

__global__ void widenKernel(const uint16_t *x, float *y, int64_t n, Narrow from) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x)
    y[i] = from == Narrow::BF16 ? __uint_as_float(static_cast<uint32_t>(x[i]) << 16)
                                : halfToFloat(x[i]);
}

constexpr int kThreads = 256;

} // namespace

Status gelu(DType dtype, const void *x, void *y, int64_t n, bool tanhApprox, void *stream) {
  const char *kernel = "cuda gelu";
  DS_RETURN_IF_ERROR(checkFloatType(dtype, kernel));
  DS_RETURN_IF_ERROR(checkSizes(n, 0, kernel));
  if (n == 0)
    return Status::ok();
  return dispatchFloat(dtype, [&](auto zero) {
    using T = decltype(zero);
    geluKernel<T><<<gridFor(n, kThreads), kThreads, 0, asStream(stream)>>>(
        static_cast<const T *>(x), static_cast<T *>(y), n, tanhApprox);
    return launched(kernel);
  });
}

Status geluGrad(DType dtype, const void *x, const void *dy, void *dx, int64_t n, bool tanhApprox,
                void *stream) {
  const char *kernel = "cuda gelu_grad";
  DS_RETURN_IF_ERROR(checkFloatType(dtype, kernel));
  DS_RETURN_IF_ERROR(checkSizes(n, 0, kernel));
  if (n == 0)
    return Status::ok();
  return dispatchFloat(dtype, [&](auto zero) {
    using T = decltype(zero);
    geluGradKernel<T><<<gridFor(n, kThreads), kThreads, 0, asStream(stream)>>>(
        static_cast<const T *>(x), static_cast<const T *>(dy), static_cast<T *>(dx), n,
        tanhApprox);
    return launched(kernel);
  });
}

Status cast(DType from, const void *x, DType to, void *y, int64_t n, void *stream) {
  const char *kernel = "cuda cast";
  DS_RETURN_IF_ERROR(checkSizes(n, 0, kernel));
  cudaStream_t s = asStream(stream);
  if (from == to) {
    if (n == 0 || x == y)
      return Status::ok();
    return fromCuda(cudaMemcpyAsync(y, x, n * dtypeSize(from), cudaMemcpyDeviceToDevice, s),
                    kernel);
  }
  const bool narrow = from == DType::F32 && (to == DType::BF16 || to == DType::F16);
  const bool widen = to == DType::F32 && (from == DType::BF16 || from == DType::F16);
  if (!narrow && !widen)
    return Status::error(std::string(kernel) + ": only f32 <-> bf16/f16 is supported, got " +
                         dtypeName(from) + " -> " + dtypeName(to));
  if (n == 0)
    return Status::ok();
  if (narrow)
    narrowKernel<<<gridFor(n, kThreads), kThreads, 0, s>>>(
        static_cast<const float *>(x), static_cast<uint16_t *>(y), n,
        to == DType::BF16 ? Narrow::BF16 : Narrow::F16);
  else
    widenKernel<<<gridFor(n, kThreads), kThreads, 0, s>>>(
        static_cast<const uint16_t *>(x), static_cast<float *>(y), n,
        from == DType::BF16 ? Narrow::BF16 : Narrow::F16);
  return launched(kernel);
}

} // namespace ds::rt::cuda
