// Layer norm over the last axis: forward (one block per row), input gradient (one block per row)
// and the weight/bias gradients (column sums over fixed row chunks, then a fixed-order sum of the
// chunks, so they are deterministic).
#include "ds/Runtime/Kernels/CUDA/Norm.h"

#include "Common.cuh"

#include <algorithm>

namespace ds::rt::cuda {

namespace {

using namespace detail;

// Two passes over the row (mean, then squared deviations), as the CPU kernel, so a large mean does
// not cost precision. Every thread of the block gets mean and rstd.
template <typename T>
__device__ void rowStats(const T *x, int64_t cols, float eps, float *scratch, float &mean,
                         float &rstd) {
  float sum = 0.0f;
  for (int64_t c = threadIdx.x; c < cols; c += blockDim.x)
    sum += load(x, c);
  sum = blockSum(sum, scratch);
  mean = static_cast<float>(static_cast<double>(sum) / static_cast<double>(cols));
  float sq = 0.0f;
  for (int64_t c = threadIdx.x; c < cols; c += blockDim.x) {
    const float d = load(x, c) - mean;
    sq += d * d;
  }
  sq = blockSum(sq, scratch);
  rstd = static_cast<float>(1.0 / sqrt(static_cast<double>(sq) / static_cast<double>(cols) +
                                       static_cast<double>(eps)));
}

template <typename T>
__global__ void layerNormKernel(const T *x, const T *w, const T *b, int64_t cols, float eps,
                                T *out, float *meanOut, float *rstdOut) {
  __shared__ float scratch[32];
  const int64_t r = blockIdx.x;
  const T *xr = x + r * cols;
  T *yr = out + r * cols;
  float mean, rstd;
  rowStats(xr, cols, eps, scratch, mean, rstd);
  if (threadIdx.x == 0) {
    if (meanOut)
      meanOut[r] = mean;
    if (rstdOut)
      rstdOut[r] = rstd;
  }
  for (int64_t c = threadIdx.x; c < cols; c += blockDim.x) {
    float v = (load(xr, c) - mean) * rstd;
    if (w)
      v *= load(w, c);
    if (b)
      v += load(b, c);
    store(yr, c, v);
  }
}

template <typename T>
__global__ void layerNormGradKernel(const T *x, const T *dy, const T *w, int64_t cols, float eps,
                                    T *dx) {
  __shared__ float scratch[32];
  const int64_t r = blockIdx.x;
  const T *xr = x + r * cols, *gr = dy + r * cols;
  T *o = dx + r * cols;
  float mean, rstd;
  rowStats(xr, cols, eps, scratch, mean, rstd);
  float sumG = 0.0f, sumGX = 0.0f;
  for (int64_t c = threadIdx.x; c < cols; c += blockDim.x) {
    const float g = w ? load(gr, c) * load(w, c) : load(gr, c);
    sumG += g;
    sumGX += g * ((load(xr, c) - mean) * rstd);
  }
  sumG = blockSum(sumG, scratch);
  sumGX = blockSum(sumGX, scratch);
  const float meanG = sumG / static_cast<float>(cols);
  const float meanGX = sumGX / static_cast<float>(cols);
  for (int64_t c = threadIdx.x; c < cols; c += blockDim.x) {
    const float g = w ? load(gr, c) * load(w, c) : load(gr, c);
    const float xhat = (load(xr, c) - mean) * rstd;
    store(o, c, rstd * (g - meanG - xhat * meanGX));
  }
}

template <typename T>
__global__ void rowStatsKernel(const T *x, int64_t cols, float eps, float *mean, float *rstd) {
  __shared__ float scratch[32];
  float m, rs;
  rowStats(x + blockIdx.x * cols, cols, eps, scratch, m, rs);
  if (threadIdx.x == 0) {
    mean[blockIdx.x] = m;
    rstd[blockIdx.x] = rs;
  }
}

constexpr int kColTile = 32, kRowLanes = 8;

// Block (kColTile x kRowLanes) sums columns [blockIdx.x * 32, +32) over row chunk blockIdx.y into
// partial[chunk][col]; the lanes' sums combine in a fixed order.
template <typename T>
__global__ void paramGradPartialKernel(const T *x, const T *dy, const float *mean,
                                       const float *rstd, int64_t rows, int64_t cols,
                                       int64_t rowsPerChunk, float *partialW, float *partialB) {
  __shared__ float sw[kRowLanes][kColTile + 1], sb[kRowLanes][kColTile + 1];
  const int64_t col = blockIdx.x * int64_t(kColTile) + threadIdx.x;
  const int64_t r0 = blockIdx.y * rowsPerChunk;
  const int64_t r1 = r0 + rowsPerChunk < rows ? r0 + rowsPerChunk : rows;
  float accW = 0.0f, accB = 0.0f;
  if (col < cols)
    for (int64_t r = r0 + threadIdx.y; r < r1; r += kRowLanes) {
      const float g = load(dy, r * cols + col);
      accW += g * ((load(x, r * cols + col) - mean[r]) * rstd[r]);
      accB += g;
    }
  sw[threadIdx.y][threadIdx.x] = accW;
  sb[threadIdx.y][threadIdx.x] = accB;
  __syncthreads();
  if (threadIdx.y == 0 && col < cols) {
    float w = 0.0f, b = 0.0f;
    for (int k = 0; k < kRowLanes; ++k) {
      w += sw[k][threadIdx.x];
      b += sb[k][threadIdx.x];
    }
    partialW[blockIdx.y * cols + col] = w;
    partialB[blockIdx.y * cols + col] = b;
  }
}

template <typename T>
__global__ void paramGradFinalKernel(const float *partialW, const float *partialB, int64_t chunks,
                                     int64_t cols, T *dweight, T *dbias) {
  const int64_t col = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  if (col >= cols)
    return;
  float w = 0.0f, b = 0.0f;
  for (int64_t k = 0; k < chunks; ++k) {
    w += partialW[k * cols + col];
    b += partialB[k * cols + col];
  }
  store(dweight, col, w);
  if (dbias)
    store(dbias, col, b);
}

// Row chunks of the parameter gradient: enough blocks to fill the GPU for few columns, and a
// bounded workspace.
int64_t paramGradChunks(int64_t rows) {
  return std::max<int64_t>(1, std::min<int64_t>((rows + 31) / 32, 256));
}

} // namespace

Status layerNorm(DType dtype, const void *x, const void *weight, const void *bias, int64_t rows,
                 int64_t cols, double eps, void *out, float *mean, float *rstd, void *stream) {
  const char *kernel = "cuda layer_norm";
  return launchPerRow(dtype, rows, cols, kernel, [&](auto zero) {
    using T = decltype(zero);
    layerNormKernel<T><<<rows, rowThreads(cols), 0, asStream(stream)>>>(
        static_cast<const T *>(x), static_cast<const T *>(weight), static_cast<const T *>(bias),
        cols, static_cast<float>(eps), static_cast<T *>(out), mean, rstd);
  });
}

Status layerNormGrad(DType dtype, const void *x, const void *dy, const void *weight, int64_t rows,
                     int64_t cols, double eps, void *dx, void *stream) {
  const char *kernel = "cuda layer_norm_grad";
  return launchPerRow(dtype, rows, cols, kernel, [&](auto zero) {
    using T = decltype(zero);
    layerNormGradKernel<T><<<rows, rowThreads(cols), 0, asStream(stream)>>>(
        static_cast<const T *>(x), static_cast<const T *>(dy), static_cast<const T *>(weight),
        cols, static_cast<float>(eps), static_cast<T *>(dx));
  });
}

int64_t layerNormParamGradWorkspaceBytes(int64_t rows, int64_t cols) {
  return static_cast<int64_t>(sizeof(float)) * (2 * rows + 2 * paramGradChunks(rows) * cols);
}

Status layerNormParamGrad(DType dtype, const void *x, const void *dy, int64_t rows, int64_t cols,
                          double eps, void *dweight, void *dbias, void *workspace, void *stream) {
  const char *kernel = "cuda layer_norm_param_grad";
  DS_RETURN_IF_ERROR(checkFloatType(dtype, kernel));
  DS_RETURN_IF_ERROR(checkSizes(rows, cols, kernel));
  if (cols == 0)
    return Status::ok();
  cudaStream_t s = asStream(stream);
  if (rows == 0) {
    DS_RETURN_IF_ERROR(fromCuda(cudaMemsetAsync(dweight, 0, cols * dtypeSize(dtype), s), kernel));
    return dbias ? fromCuda(cudaMemsetAsync(dbias, 0, cols * dtypeSize(dtype), s), kernel)
                 : Status::ok();
  }
  const int64_t chunks = paramGradChunks(rows);
  const int64_t rowsPerChunk = (rows + chunks - 1) / chunks;
  float *mean = static_cast<float *>(workspace);
  float *rstd = mean + rows;
  float *partialW = rstd + rows;
  float *partialB = partialW + chunks * cols;
  return dispatchFloat(dtype, [&](auto zero) -> Status {
    using T = decltype(zero);
    const T *xt = static_cast<const T *>(x), *dyt = static_cast<const T *>(dy);
    rowStatsKernel<T><<<rows, rowThreads(cols), 0, s>>>(xt, cols, static_cast<float>(eps), mean,
                                                        rstd);
    DS_RETURN_IF_ERROR(launched(kernel));
    dim3 grid(static_cast<unsigned>((cols + kColTile - 1) / kColTile),
              static_cast<unsigned>(chunks));
    paramGradPartialKernel<T><<<grid, dim3(kColTile, kRowLanes), 0, s>>>(
        xt, dyt, mean, rstd, rows, cols, rowsPerChunk, partialW, partialB);
    DS_RETURN_IF_ERROR(launched(kernel));
    paramGradFinalKernel<T><<<static_cast<unsigned>((cols + 255) / 256), 256, 0, s>>>(
        partialW, partialB, chunks, cols, static_cast<T *>(dweight), static_cast<T *>(dbias));
    return launched(kernel);
  });
}

} // namespace ds::rt::cuda
