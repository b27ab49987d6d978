// RMS normalization over the trailing dims, forward and backward, on device views: one block per
// row with f32 block sums; the weight gradient first stores each row's rstd in the workspace,
// then sums every column over the rows in a fixed order.
#include "ds/Runtime/Kernels/CUDA/Norm.h"

#include "TensorCommon.cuh"

#include <algorithm>

namespace ds::rt::cuda {

namespace {

using namespace detail;

// 1 / sqrt(mean(x^2) + eps) of a row, for every thread of the block.
template <typename T>
__device__ float rowRstd(const T *xr, int64_t cols, float eps, float *scratch) {
  float sq = 0.0f;
  for (int64_t c = threadIdx.x; c < cols; c += blockDim.x) {
    const float v = load(xr, c);
    sq += v * v;
  }
  sq = blockSum(sq, scratch);
  return 1.0f / sqrtf(sq / static_cast<float>(cols) + eps);
}

template <typename T>
__global__ void __launch_bounds__(1024)
    rmsNormKernel(const T *x, const T *w, T *y, float *rstdF, T *rstdT, int64_t rows, int64_t cols,
                  float eps) {
  __shared__ float scratch[32];
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const T *xr = x + r * cols;
    T *yr = y + r * cols;
    const float rs = rowRstd(xr, cols, eps, scratch);
    if (threadIdx.x == 0) {
      if (rstdF)
        rstdF[r] = rs;
      if (rstdT)
        store(rstdT, r, rs);
    }
    for (int64_t c = threadIdx.x; c < cols; c += blockDim.x) {
      const float v = load(xr, c) * rs;
      store(yr, c, w ? v * load(w, c) : v);
    }
  }
}

// As norm_grad.cpp with mu = 0: dx = rstd * (g - xhat * mean(g * xhat)).
template <typename T>
__global__ void __launch_bounds__(1024)
    rmsNormGradKernel(const T *x, const T *dy, const T *w, T *dx, int64_t rows, int64_t cols,
                      float eps) {
  __shared__ float scratch[32];
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const T *xr = x + r * cols, *gr = dy + r * cols;
    T *o = dx + r * cols;
    const float rs = rowRstd(xr, cols, eps, scratch);
    float sumGX = 0.0f;
    for (int64_t c = threadIdx.x; c < cols; c += blockDim.x) {
      const float g = w ? load(gr, c) * load(w, c) : load(gr, c);
      sumGX += g * load(xr, c) * rs;
    }
    const float meanGX = blockSum(sumGX, scratch) / static_cast<float>(cols);
    for (int64_t c = threadIdx.x; c < cols; c += blockDim.x) {
      const float g = w ? load(gr, c) * load(w, c) : load(gr, c);
      const float xhat = load(xr, c) * rs;
      store(o, c, rs * (g - xhat * meanGX));
    }
  }
}

template <typename T>
__global__ void __launch_bounds__(1024)
    rowRstdKernel(const T *x, float *rstd, int64_t rows, int64_t cols, float eps) {
  __shared__ float scratch[32];
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const float rs = rowRstd(x + r * cols, cols, eps, scratch);
    if (threadIdx.x == 0)
      rstd[r] = rs;
  }
}

constexpr int kColumns = 32, kSplit = 32;

// dweight[c] = sum_r dy[r, c] * x[r, c] * rstd[r]: a 32 x 32 block takes 32 columns, its thread
// rows split the rows, and thread row 0 adds the 32 partial sums in order.
template <typename T>
__global__ void __launch_bounds__(1024)
    rmsParamGradKernel(const T *x, const T *dy, const float *rstd, T *dweight, int64_t rows,
                       int64_t cols) {
  __shared__ float part[kSplit][kColumns + 1];
  const int64_t chunks = (cols + kColumns - 1) / kColumns;
  for (int64_t t = blockIdx.x; t < chunks; t += gridDim.x) {
    const int64_t c = t * kColumns + threadIdx.x;
    float acc = 0.0f;
    if (c < cols)
      for (int64_t r = threadIdx.y; r < rows; r += kSplit)
        acc += load(dy, r * cols + c) * (load(x, r * cols + c) * rstd[r]);
    part[threadIdx.y][threadIdx.x] = acc;
    __syncthreads();
    if (threadIdx.y == 0 && c < cols) {
      float total = part[0][threadIdx.x];
      for (int y = 1; y < kSplit; ++y)
        total += part[y][threadIdx.x];
      store(dweight, c, total);
    }
    __syncthreads();
  }
}

// x split at `axis` into rows x cols; the checks norm.cpp / norm_grad.cpp make.
struct RowLayout {
  int64_t rows = 1, cols = 1;
  Shape rowShape, colShape;
};

StatusOr<RowLayout> rowLayout(const TensorView &x, int64_t axis, const char *kernel) {
  StatusOr<int64_t> ax = normalizeAxis(axis, x.rank(), "axis");
  if (!ax)
    return ax.status().withContext(kernel);
  RowLayout l;
  l.rowShape.assign(x.shape.begin(), x.shape.begin() + *ax);
  l.colShape.assign(x.shape.begin() + *ax, x.shape.end());
  l.rows = numElements(l.rowShape);
  l.cols = numElements(l.colShape);
  return l;
}

Status checkWeight(const TensorView *w, DType type, const RowLayout &l, const char *kernel) {
  if (!w)
    return Status::ok();
  DS_RETURN_IF_ERROR(checkTensor(*w, type, kernel, "weight"));
  if (w->shape != l.colShape)
    return Status::error(std::string(kernel) + ": weight shape " + shapeToString(w->shape) +
                         " must equal the normalized shape " + shapeToString(l.colShape));
  return Status::ok();
}

DType normType(const TensorView &x) {
  return x.dtype == DType::BF16 || x.dtype == DType::F64 ? x.dtype : DType::F32;
}

unsigned rowGrid(int64_t rows) {
  return static_cast<unsigned>(std::max<int64_t>(1, std::min<int64_t>(rows, 65535LL * 16)));
}

// The checks of the two backward kernels: x, dy (x's shape) and eps >= 0.
StatusOr<RowLayout> gradLayout(const TensorView &x, const TensorView &dy, int64_t axis, double eps,
                               const char *kernel) {
  const DType type = normType(x);
  DS_RETURN_IF_ERROR(checkTensor(x, type, kernel, "input"));
  DS_RETURN_IF_ERROR(checkTensor(dy, type, kernel, "grad"));
  if (dy.shape != x.shape)
    return Status::error(std::string(kernel) + ": grad shape " + shapeToString(dy.shape) +
                         " differs from the input's " + shapeToString(x.shape));
  StatusOr<RowLayout> l = rowLayout(x, axis, kernel);
  if (!l)
    return l.status();
  if (!(eps >= 0))
    return Status::error(std::string(kernel) + ": epsilon must be >= 0");
  return l;
}

} // namespace

Status rmsNorm(const TensorView &x, int64_t axis, const TensorView *weight, double eps,
               const MutableTensorView &out, const MutableTensorView *rstd, void *stream) {
  const char *kernel = "cuda rms_norm";
  const DType type = normType(x);
  DS_RETURN_IF_ERROR(checkTensor(x, type, kernel, "input"));
  DS_RETURN_IF_ERROR(checkOutput(out, type, x.shape, kernel));
  StatusOr<RowLayout> l = rowLayout(x, axis, kernel);
  if (!l)
    return l.status();
  DS_RETURN_IF_ERROR(checkWeight(weight, type, *l, kernel));
  if (rstd)
    DS_RETURN_IF_ERROR(checkOutput(*rstd, rstd->dtype == DType::F32 ? DType::F32 : type,
                                   l->rowShape, kernel, "rstd"));
  if (type == DType::F64)
    return unsupportedType(kernel, type);
  if (l->rows == 0)
    return Status::ok();
  // An empty normalized shape gives rstd = 1 / sqrt(0 / 0 + eps) = NaN, as on the CPU.
  const float epsF = static_cast<float>(eps);
  return dispatchFloatView(type, kernel, [&](auto zero) {
    using T = decltype(zero);
    float *rstdF = rstd && rstd->dtype == DType::F32 ? static_cast<float *>(rstd->data) : nullptr;
    T *rstdT = rstd && rstd->dtype != DType::F32 ? static_cast<T *>(rstd->data) : nullptr;
    rmsNormKernel<T><<<rowGrid(l->rows), rowThreads(l->cols), 0, asStream(stream)>>>(
        static_cast<const T *>(x.data), weight ? static_cast<const T *>(weight->data) : nullptr,
        static_cast<T *>(out.data), rstdF, rstdT, l->rows, l->cols, epsF);
    return launched(kernel);
  });
}

Status rmsNormGrad(const TensorView &x, const TensorView &dy, const TensorView *weight,
                   int64_t axis, double eps, const MutableTensorView &dx, void *stream) {
  const char *kernel = "cuda rms_norm_grad";
  StatusOr<RowLayout> l = gradLayout(x, dy, axis, eps, kernel);
  if (!l)
    return l.status();
  const DType type = normType(x);
  DS_RETURN_IF_ERROR(checkWeight(weight, type, *l, kernel));
  DS_RETURN_IF_ERROR(checkOutput(dx, type, x.shape, kernel));
  if (type == DType::F64)
    return unsupportedType(kernel, type);
  if (l->rows == 0 || l->cols == 0)
    return Status::ok();
  return dispatchFloatView(type, kernel, [&](auto zero) {
    using T = decltype(zero);
    rmsNormGradKernel<T><<<rowGrid(l->rows), rowThreads(l->cols), 0, asStream(stream)>>>(
        static_cast<const T *>(x.data), static_cast<const T *>(dy.data),
        weight ? static_cast<const T *>(weight->data) : nullptr, static_cast<T *>(dx.data), l->rows,
        l->cols, static_cast<float>(eps));
    return launched(kernel);
  });
}

int64_t rmsNormParamGradWorkspaceBytes(int64_t rows) {
  return std::max<int64_t>(rows, 1) * static_cast<int64_t>(sizeof(float));
}

Status rmsNormParamGrad(const TensorView &x, const TensorView &dy, int64_t axis, double eps,
                        const MutableTensorView &dweight, void *workspace, void *stream) {
  const char *kernel = "cuda rms_norm_param_grad";
  StatusOr<RowLayout> l = gradLayout(x, dy, axis, eps, kernel);
  if (!l)
    return l.status();
  const DType type = normType(x);
  DS_RETURN_IF_ERROR(checkOutput(dweight, type, l->colShape, kernel, "weight grad"));
  if (type == DType::F64)
    return unsupportedType(kernel, type);
  if (l->cols == 0)
    return Status::ok();
  if (l->rows == 0) // the sum over no rows
    return fromCuda(cudaMemsetAsync(dweight.data, 0, dweight.bytes(), asStream(stream)), kernel);
  if (!workspace)
    return Status::error(std::string(kernel) + ": no workspace");
  float *rstd = static_cast<float *>(workspace);
  return dispatchFloatView(type, kernel, [&](auto zero) {
    using T = decltype(zero);
    const T *px = static_cast<const T *>(x.data), *pg = static_cast<const T *>(dy.data);
    cudaStream_t s = asStream(stream);
    rowRstdKernel<T><<<rowGrid(l->rows), rowThreads(l->cols), 0, s>>>(px, rstd, l->rows, l->cols,
                                                                      static_cast<float>(eps));
    DS_RETURN_IF_ERROR(launched(kernel));
    const int64_t chunks = (l->cols + kColumns - 1) / kColumns;
    rmsParamGradKernel<T><<<rowGrid(chunks), dim3(kColumns, kSplit), 0, s>>>(
        px, pg, rstd, static_cast<T *>(dweight.data), l->rows, l->cols);
    return launched(kernel);
  });
}

} // namespace ds::rt::cuda
