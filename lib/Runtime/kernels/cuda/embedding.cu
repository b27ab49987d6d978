// Embedding gather and its scatter-add gradient (f32 atomics; see Embedding.h on determinism).
#include "ds/Runtime/Kernels/CUDA/Embedding.h"

#include "Common.cuh"

namespace ds::rt::cuda {

namespace {

using namespace detail;

// Rows are copied as 16-bit or 32-bit words, whatever the float type; a bad index writes NaN.
template <typename Word>
__global__ void embeddingKernel(const Word *table, const int64_t *indices, int64_t numIndices,
                                int64_t vocab, int64_t dim, Word nan, Word *out) {
  const int64_t total = numIndices * dim;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total;
       i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t q = i / dim, c = i - q * dim;
    int64_t v = indices[q];
    if (v < 0)
      v += vocab;
    out[i] = v >= 0 && v < vocab ? table[v * dim + c] : nan;
  }
}

template <typename T>
__global__ void embeddingGradKernel(const int64_t *indices, const T *dy, int64_t numIndices,
                                    int64_t vocab, int64_t dim, float *dtable) {
  const int64_t total = numIndices * dim;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total;
       i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t q = i / dim, c = i - q * dim;
    int64_t v = indices[q];
    if (v < 0)
      v += vocab;
    if (v >= 0 && v < vocab)
      atomicAdd(dtable + v * dim + c, load(dy, i));
  }
}

constexpr int kThreads = 256;

} // namespace

Status embedding(DType dtype, const void *table, const int64_t *indices, int64_t numIndices,
                 int64_t vocab, int64_t dim, void *out, void *stream) {
  const char *kernel = "cuda embedding";
  DS_RETURN_IF_ERROR(checkFloatType(dtype, kernel));
  DS_RETURN_IF_ERROR(checkSizes(numIndices, dim, kernel));
  if (numIndices == 0 || dim == 0)
    return Status::ok();
  const int64_t total = numIndices * dim;
  cudaStream_t s = asStream(stream);
  if (dtype == DType::BF16)
    embeddingKernel<uint16_t><<<gridFor(total, kThreads), kThreads, 0, s>>>(
        static_cast<const uint16_t *>(table), indices, numIndices, vocab, dim, uint16_t(0x7fc0),
        static_cast<uint16_t *>(out));
  else
    embeddingKernel<uint32_t><<<gridFor(total, kThreads), kThreads, 0, s>>>(
        static_cast<const uint32_t *>(table), indices, numIndices, vocab, dim, 0x7fc00000u,
        static_cast<uint32_t *>(out));
  return launched(kernel);
}

Status embeddingGrad(DType dtype, const int64_t *indices, const void *dy, int64_t numIndices,
                     int64_t vocab, int64_t dim, float *dtable, void *stream) {
  const char *kernel = "cuda embedding_grad";
  DS_RETURN_IF_ERROR(checkFloatType(dtype, kernel));
  DS_RETURN_IF_ERROR(checkSizes(numIndices, dim, kernel));
  DS_RETURN_IF_ERROR(checkSizes(vocab, 0, kernel));
  cudaStream_t s = asStream(stream);
  DS_RETURN_IF_ERROR(
      fromCuda(cudaMemsetAsync(dtable, 0, sizeof(float) * vocab * dim, s), kernel));
  const int64_t total = numIndices * dim;
  if (total == 0)
    return Status::ok();
  return dispatchFloat(dtype, [&](auto zero) {
    using T = decltype(zero);
    embeddingGradKernel<T><<<gridFor(total, kThreads), kThreads, 0, s>>>(
        indices, static_cast<const T *>(dy), numIndices, vocab, dim, dtable);
    return launched(kernel);
  });
}

} // namespace ds::rt::cuda
