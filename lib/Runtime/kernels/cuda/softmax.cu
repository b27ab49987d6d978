// Row-wise softmax (optionally causal) and its gradient, and softmax cross-entropy forward and
// backward: one block per row, statistics in f32 with block-wide reductions.
#include "ds/Runtime/Kernels/CUDA/Loss.h"
#include "ds/Runtime/Kernels/CUDA/Softmax.h"

#include "Common.cuh"

namespace ds::rt::cuda {

namespace {

using namespace detail;

// Max and sum of exp(x - max) over the first n entries of a row; every thread gets both.
template <typename T>
__device__ void rowMaxSumExp(const T *x, int64_t n, float *scratch, float &mx, float &sum) {
  float m = -INFINITY;
  for (int64_t c = threadIdx.x; c < n; c += blockDim.x)
    m = fmaxf(m, load(x, c));
  mx = blockMax(m, scratch);
  float s = 0.0f;
  for (int64_t c = threadIdx.x; c < n; c += blockDim.x)
    s += expf(load(x, c) - mx);
  sum = blockSum(s, scratch);
}

template <typename T>
__global__ void softmaxKernel(const T *x, T *y, int64_t cols, bool causal) {
  __shared__ float scratch[32];
  const int64_t r = blockIdx.x;
  const T *xr = x + r * cols;
  T *yr = y + r * cols;
  // Row i of a causal [T, T] matrix sees columns 0..i; the rest is exactly 0.
  const int64_t len = causal ? r % cols + 1 : cols;
  float mx, sum;
  rowMaxSumExp(xr, len, scratch, mx, sum);
  const float inv = 1.0f / sum;
  for (int64_t c = threadIdx.x; c < cols; c += blockDim.x)
    store(yr, c, c < len ? expf(load(xr, c) - mx) * inv : 0.0f);
}

template <typename T>
__global__ void softmaxGradKernel(const T *y, const T *dy, T *dx, int64_t cols) {
  __shared__ float scratch[32];
  const int64_t r = blockIdx.x;
  const T *yr = y + r * cols, *gr = dy + r * cols;
  T *o = dx + r * cols;
  float s = 0.0f;
  for (int64_t c = threadIdx.x; c < cols; c += blockDim.x)
    s += load(gr, c) * load(yr, c);
  s = blockSum(s, scratch);
  for (int64_t c = threadIdx.x; c < cols; c += blockDim.x)
    store(o, c, load(yr, c) * (load(gr, c) - s));
}

__device__ __forceinline__ bool targetValid(int64_t t, int64_t classes) {
  return t >= 0 && t < classes;
}

template <typename T>
__global__ void crossEntropyRowKernel(const T *logits, const int64_t *targets, int64_t classes,
                                      int64_t ignoreIndex, float *rowLoss) {
  __shared__ float scratch[32];
  const int64_t r = blockIdx.x;
  const int64_t t = targets[r];
  if (t == ignoreIndex || !targetValid(t, classes)) {
    if (threadIdx.x == 0)
      rowLoss[r] = t == ignoreIndex ? 0.0f : NAN;
    return;
  }
  const T *row = logits + r * classes;
  float mx, sum;
  rowMaxSumExp(row, classes, scratch, mx, sum);
  if (threadIdx.x == 0)
    rowLoss[r] = static_cast<float>(static_cast<double>(mx) + log(static_cast<double>(sum)) -
                                    static_cast<double>(load(row, t)));
}

constexpr int kReduceThreads = 1024;

// Sums rowLoss (and counts the targets that are not ignored) in one block, in a fixed order.
__global__ void crossEntropyReduceKernel(const float *rowLoss, const int64_t *targets,
                                         int64_t rows, int64_t ignoreIndex, bool mean,
                                         float *out) {
  __shared__ double sums[kReduceThreads];
  __shared__ long long counts[kReduceThreads];
  double s = 0.0;
  long long n = 0;
  for (int64_t r = threadIdx.x; r < rows; r += blockDim.x) {
    s += rowLoss[r];
    n += targets[r] != ignoreIndex;
  }
  sums[threadIdx.x] = s;
  counts[threadIdx.x] = n;
  __syncthreads();
  for (int stride = blockDim.x / 2; stride > 0; stride >>= 1) {
    if (threadIdx.x < stride) {
      sums[threadIdx.x] += sums[threadIdx.x + stride];
      counts[threadIdx.x] += counts[threadIdx.x + stride];
    }
    __syncthreads();
  }
  if (threadIdx.x == 0) {
    const double total = sums[0];
    out[0] = static_cast<float>(!mean ? total : counts[0] ? total / counts[0] : NAN);
  }
}

// The factor every row's gradient is scaled by for Mean and Sum (Mean over no targets: 0).
__global__ void crossEntropyScaleKernel(const int64_t *targets, const float *dloss, int64_t rows,
                                        int64_t ignoreIndex, bool mean, float *scale) {
  __shared__ long long counts[kReduceThreads];
  long long n = 0;
  for (int64_t r = threadIdx.x; r < rows; r += blockDim.x)
    n += targets[r] != ignoreIndex;
  counts[threadIdx.x] = n;
  __syncthreads();
  for (int stride = blockDim.x / 2; stride > 0; stride >>= 1) {
    if (threadIdx.x < stride)
      counts[threadIdx.x] += counts[threadIdx.x + stride];
    __syncthreads();
  }
  if (threadIdx.x == 0)
    scale[0] = !mean ? dloss[0]
                     : counts[0] ? static_cast<float>(static_cast<double>(dloss[0]) / counts[0])
                                 : 0.0f;
}

template <typename T>
__global__ void crossEntropyGradKernel(const T *logits, const int64_t *targets,
                                       const float *rowScale, bool perRow, int64_t classes,
                                       int64_t ignoreIndex, T *dlogits) {
  __shared__ float scratch[32];
  const int64_t r = blockIdx.x;
  const int64_t t = targets[r];
  const T *row = logits + r * classes;
  T *o = dlogits + r * classes;
  if (t == ignoreIndex || !targetValid(t, classes)) {
    for (int64_t c = threadIdx.x; c < classes; c += blockDim.x)
      store(o, c, 0.0f);
    return;
  }
  const float g = perRow ? rowScale[r] : rowScale[0];
  float mx, sum;
  rowMaxSumExp(row, classes, scratch, mx, sum);
  const float factor = g / sum;
  for (int64_t c = threadIdx.x; c < classes; c += blockDim.x) {
    float v = expf(load(row, c) - mx) * factor;
    if (c == t)
      v -= g;
    store(o, c, v);
  }
}

} // namespace

Status softmax(DType dtype, const void *x, void *y, int64_t rows, int64_t cols, bool causal,
               void *stream) {
  const char *kernel = causal ? "cuda causal_softmax" : "cuda softmax";
  return launchPerRow(dtype, rows, cols, kernel, [&](auto zero) {
    using T = decltype(zero);
    softmaxKernel<T><<<rows, rowThreads(cols), 0, asStream(stream)>>>(
        static_cast<const T *>(x), static_cast<T *>(y), cols, causal);
  });
}

Status softmaxGrad(DType dtype, const void *y, const void *dy, void *dx, int64_t rows,
                   int64_t cols, void *stream) {
  const char *kernel = "cuda softmax_grad";
  return launchPerRow(dtype, rows, cols, kernel, [&](auto zero) {
    using T = decltype(zero);
    softmaxGradKernel<T><<<rows, rowThreads(cols), 0, asStream(stream)>>>(
        static_cast<const T *>(y), static_cast<const T *>(dy), static_cast<T *>(dx), cols);
  });
}

int64_t crossEntropyWorkspaceBytes(int64_t rows) {
  return static_cast<int64_t>(sizeof(float)) * (rows > 1 ? rows : 1);
}

Status crossEntropy(DType dtype, const void *logits, const int64_t *targets, int64_t rows,
                    int64_t classes, int64_t ignoreIndex, LossReduction reduction, float *out,
                    void *workspace, void *stream) {
  const char *kernel = "cuda cross_entropy";
  DS_RETURN_IF_ERROR(checkFloatType(dtype, kernel));
  DS_RETURN_IF_ERROR(checkSizes(rows, classes, kernel));
  if (classes == 0)
    return Status::error(std::string(kernel) + ": logits have no classes");
  cudaStream_t s = asStream(stream);
  float *rowLoss = reduction == LossReduction::None ? out : static_cast<float *>(workspace);
  return dispatchFloat(dtype, [&](auto zero) -> Status {
    using T = decltype(zero);
    if (rows > 0) {
      crossEntropyRowKernel<T><<<rows, rowThreads(classes), 0, s>>>(
          static_cast<const T *>(logits), targets, classes, ignoreIndex, rowLoss);
      DS_RETURN_IF_ERROR(launched(kernel));
    }
    if (reduction == LossReduction::None)
      return Status::ok();
    crossEntropyReduceKernel<<<1, kReduceThreads, 0, s>>>(
        rowLoss, targets, rows, ignoreIndex, reduction == LossReduction::Mean, out);
    return launched(kernel);
  });
}

Status crossEntropyGrad(DType dtype, const void *logits, const int64_t *targets,
                        const float *dloss, int64_t rows, int64_t classes, int64_t ignoreIndex,
                        LossReduction reduction, void *dlogits, void *workspace, void *stream) {
  const char *kernel = "cuda cross_entropy_grad";
  DS_RETURN_IF_ERROR(checkFloatType(dtype, kernel));
  DS_RETURN_IF_ERROR(checkSizes(rows, classes, kernel));
  if (classes == 0)
    return Status::error(std::string(kernel) + ": logits have no classes");
  if (rows == 0)
    return Status::ok();
  cudaStream_t s = asStream(stream);
  const bool perRow = reduction == LossReduction::None;
  const float *rowScale = dloss;
  if (!perRow) {
    float *scale = static_cast<float *>(workspace);
    crossEntropyScaleKernel<<<1, kReduceThreads, 0, s>>>(targets, dloss, rows, ignoreIndex,
                                                        reduction == LossReduction::Mean, scale);
    DS_RETURN_IF_ERROR(launched(kernel));
    rowScale = scale;
  }
  return dispatchFloat(dtype, [&](auto zero) {
    using T = decltype(zero);
    crossEntropyGradKernel<T><<<rows, rowThreads(classes), 0, s>>>(
        static_cast<const T *>(logits), targets, rowScale, perRow, classes, ignoreIndex,
        static_cast<T *>(dlogits));
    return launched(kernel);
  });
}

} // namespace ds::rt::cuda
