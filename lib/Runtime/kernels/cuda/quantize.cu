// Blockwise symmetric int8/int4 quantization (format in Quantize.h): one CUDA block per
// quantization block finds the absmax, then its threads quantize their elements.
#include "ds/Runtime/Kernels/CUDA/Quantize.h"

#include "Common.cuh"

namespace ds::rt::cuda {

namespace {

using namespace detail;

template <typename T>
__global__ void quantizeKernel(const T *x, int64_t n, int64_t blockSize, int qmax, bool int4,
                               uint8_t *q, float *scales) {
  __shared__ float scratch[32];
  const int64_t b0 = blockIdx.x * blockSize;
  const int64_t len = b0 + blockSize < n ? blockSize : n - b0;
  float amax = 0.0f;
  for (int64_t i = threadIdx.x; i < len; i += blockDim.x)
    amax = fmaxf(amax, fabsf(load(x, b0 + i)));
  amax = blockMax(amax, scratch);
  const float scale = amax / static_cast<float>(qmax);
  if (threadIdx.x == 0)
    scales[blockIdx.x] = scale;
  auto quant = [&](int64_t i) -> int {
    if (scale == 0.0f)
      return 0;
    float r = rintf(load(x, b0 + i) / scale); // rint rounds half to even
    r = fminf(fmaxf(r, -static_cast<float>(qmax)), static_cast<float>(qmax));
    return static_cast<int>(r);
  };
  if (!int4) {
    for (int64_t i = threadIdx.x; i < len; i += blockDim.x)
      q[b0 + i] = static_cast<uint8_t>(static_cast<int8_t>(quant(i)));
    return;
  }
  // blockSize is even, so element pairs (2k, 2k + 1) never straddle two blocks.
  for (int64_t k = threadIdx.x; 2 * k < len; k += blockDim.x) {
    const int lo = quant(2 * k);
    const int hi = 2 * k + 1 < len ? quant(2 * k + 1) : 0;
    q[(b0 >> 1) + k] = static_cast<uint8_t>((lo & 0xf) | ((hi & 0xf) << 4));
  }
}

template <typename T>
__global__ void dequantizeKernel(const uint8_t *q, const float *scales, int64_t n,
                                 int64_t blockSize, bool int4, T *y) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x) {
    int v;
    if (int4) {
      const int nibble = (q[i >> 1] >> ((i & 1) * 4)) & 0xf;
      v = nibble >= 8 ? nibble - 16 : nibble;
    } else {
      v = static_cast<int8_t>(q[i]);
    }
    store(y, i, static_cast<float>(v) * scales[i / blockSize]);
  }
}

Status checkQuant(QuantBits bits, DType dtype, int64_t n, int64_t blockSize, const char *kernel) {
  DS_RETURN_IF_ERROR(checkFloatType(dtype, kernel));
  DS_RETURN_IF_ERROR(checkSizes(n, 0, kernel));
  if (blockSize <= 0)
    return Status::error(std::string(kernel) + ": block size must be positive, got " +
                         std::to_string(blockSize));
  if (bits == QuantBits::Int4 && blockSize % 2 != 0)
    return Status::error(std::string(kernel) + ": int4 needs an even block size, got " +
                         std::to_string(blockSize));
  if (bits != QuantBits::Int8 && bits != QuantBits::Int4)
    return Status::error(std::string(kernel) + ": bits must be 8 or 4");
  return Status::ok();
}

} // namespace

Status quantize(QuantBits bits, DType dtype, const void *x, int64_t n, int64_t blockSize,
                void *q, float *scales, void *stream) {
  const char *kernel = "cuda quantize";
  DS_RETURN_IF_ERROR(checkQuant(bits, dtype, n, blockSize, kernel));
  if (n == 0)
    return Status::ok();
  const int64_t blocks = quantScaleCount(n, blockSize);
  const bool int4 = bits == QuantBits::Int4;
  const int threads = rowThreads(int4 ? blockSize / 2 : blockSize);
  return dispatchFloat(dtype, [&](auto zero) {
    using T = decltype(zero);
    quantizeKernel<T><<<blocks, threads, 0, asStream(stream)>>>(
        static_cast<const T *>(x), n, blockSize, int4 ? 7 : 127, int4, static_cast<uint8_t *>(q),
        scales);
    return launched(kernel);
  });
}

Status dequantize(QuantBits bits, const void *q, const float *scales, int64_t n,
                  int64_t blockSize, DType dtype, void *y, void *stream) {
  const char *kernel = "cuda dequantize";
  DS_RETURN_IF_ERROR(checkQuant(bits, dtype, n, blockSize, kernel));
  if (n == 0)
    return Status::ok();
  constexpr int kThreads = 256;
  return dispatchFloat(dtype, [&](auto zero) {
    using T = decltype(zero);
    dequantizeKernel<T><<<gridFor(n, kThreads), kThreads, 0, asStream(stream)>>>(
        static_cast<const uint8_t *>(q), scales, n, blockSize, bits == QuantBits::Int4,
        static_cast<T *>(y));
    return launched(kernel);
  });
}

} // namespace ds::rt::cuda
