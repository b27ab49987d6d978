// Softmax and log-softmax over any axis with their gradients, and the causal mask, on device
// views. x is seen as [outer, len, inner] around the axis: inner == 1 runs one block per row
// (softmax and its gradient through the row kernels of softmax.cu), inner > 1 one thread per
// (outer, inner) column walking the axis, so neighbouring threads read neighbouring elements.
#include "ds/Runtime/Kernels/CUDA/Softmax.h"

#include "TensorCommon.cuh"

#include <algorithm>

namespace ds::rt::cuda {

namespace {

using namespace detail;

// Log-softmax of one row per block: (x - max) - log(sum(exp(x - max))), in that order as
// softmax.cpp.
template <typename T>
__global__ void __launch_bounds__(1024)
    logSoftmaxRowKernel(const T *x, T *y, int64_t rows, int64_t cols) {
  __shared__ float scratch[32];
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const T *xr = x + r * cols;
    T *yr = y + r * cols;
    float m = -INFINITY;
    for (int64_t c = threadIdx.x; c < cols; c += blockDim.x)
      m = fmaxf(m, load(xr, c));
    const float mx = blockMax(m, scratch);
    float s = 0.0f;
    for (int64_t c = threadIdx.x; c < cols; c += blockDim.x)
      s += expf(load(xr, c) - mx);
    const float logSum = logf(blockSum(s, scratch));
    for (int64_t c = threadIdx.x; c < cols; c += blockDim.x)
      store(yr, c, (load(xr, c) - mx) - logSum);
  }
}

// dx = dy - exp(y) * sum(dy) per row.
template <typename T>
__global__ void __launch_bounds__(1024)
    logSoftmaxGradRowKernel(const T *y, const T *dy, T *dx, int64_t rows, int64_t cols) {
  __shared__ float scratch[32];
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const T *yr = y + r * cols, *gr = dy + r * cols;
    T *o = dx + r * cols;
    float s = 0.0f;
    for (int64_t c = threadIdx.x; c < cols; c += blockDim.x)
      s += load(gr, c);
    s = blockSum(s, scratch);
    for (int64_t c = threadIdx.x; c < cols; c += blockDim.x)
      store(o, c, load(gr, c) - expf(load(yr, c)) * s);
  }
}

// Softmax or log-softmax along the middle dim of [outer, len, inner], one thread per column.
// Max ignores NaN as std::max does on the CPU; a NaN still makes its column NaN through the sum.
template <typename T>
__global__ void softmaxColumnKernel(const T *x, T *y, int64_t outer, int64_t len, int64_t inner,
                                    bool log) {
  DS_CUDA_GRID_LOOP(c, outer * inner) {
    const int64_t o = c / inner, i = c - o * inner;
    const T *xc = x + o * len * inner + i;
    T *yc = y + o * len * inner + i;
    float mx = -INFINITY;
    for (int64_t a = 0; a < len; ++a)
      mx = fmaxf(mx, load(xc, a * inner));
    float sum = 0.0f;
    for (int64_t a = 0; a < len; ++a)
      sum += expf(load(xc, a * inner) - mx);
    if (log) {
      const float logSum = logf(sum);
      for (int64_t a = 0; a < len; ++a)
        store(yc, a * inner, (load(xc, a * inner) - mx) - logSum);
    } else {
      const float inv = 1.0f / sum;
      for (int64_t a = 0; a < len; ++a)
        store(yc, a * inner, expf(load(xc, a * inner) - mx) * inv);
    }
  }
}

// softmax: dx = y (dy - sum(dy y)); log-softmax: dx = dy - exp(y) sum(dy); per column.
template <typename T>
__global__ void softmaxGradColumnKernel(const T *y, const T *dy, T *dx, int64_t outer, int64_t len,
                                        int64_t inner, bool log) {
  DS_CUDA_GRID_LOOP(c, outer * inner) {
    const int64_t o = c / inner, i = c - o * inner;
    const int64_t base = o * len * inner + i;
    float s = 0.0f;
    for (int64_t a = 0; a < len; ++a) {
      const int64_t k = base + a * inner;
      s += log ? load(dy, k) : load(dy, k) * load(y, k);
    }
    for (int64_t a = 0; a < len; ++a) {
      const int64_t k = base + a * inner;
      const float yv = load(y, k), g = load(dy, k);
      store(dx, k, log ? g - expf(yv) * s : yv * (g - s));
    }
  }
}

template <typename T>
__global__ void causalMaskKernel(const T *x, T *out, int64_t n, int64_t tq, int64_t tk, float fill,
                                 bool index32) {
  DS_CUDA_GRID_LOOP(k, n) {
    const DivMod rj = divMod(k, tk, index32);
    const int64_t r = rj.q, j = rj.r;
    const int64_t i = divMod(r, tq, index32).r;
    store(out, k, j <= i ? load(x, k) : fill);
  }
}

// The dtype of a softmax-family call: x's when bf16 or f64, else f32 (so the error names it).
DType softmaxType(const TensorView &x) {
  return x.dtype == DType::BF16 || x.dtype == DType::F64 ? x.dtype : DType::F32;
}

unsigned rowGrid(int64_t rows) {
  return static_cast<unsigned>(std::max<int64_t>(1, std::min<int64_t>(rows, 65535LL * 16)));
}

Status softmaxImpl(const TensorView &x, int64_t axis, const MutableTensorView &out, bool log,
                   void *stream, const char *kernel) {
  const DType type = softmaxType(x);
  DS_RETURN_IF_ERROR(checkTensor(x, type, kernel, "input"));
  DS_RETURN_IF_ERROR(checkOutput(out, type, x.shape, kernel));
  StatusOr<int64_t> ax = normalizeAxis(axis, x.rank(), "axis");
  if (!ax)
    return ax.status().withContext(kernel);
  if (type == DType::F64)
    return unsupportedType(kernel, type);
  const AxisSplit s = splitAt(x.shape, *ax);
  if (s.len == 0 || x.numel() == 0)
    return Status::ok();
  if (s.inner == 1 && !log)
    return softmax(type, x.data, out.data, s.outer, s.len, /*causal=*/false, stream);
  return dispatchFloatView(type, kernel, [&](auto zero) {
    using T = decltype(zero);
    const T *in = static_cast<const T *>(x.data);
    T *o = static_cast<T *>(out.data);
    if (s.inner == 1)
      logSoftmaxRowKernel<T>
          <<<rowGrid(s.outer), rowThreads(s.len), 0, asStream(stream)>>>(in, o, s.outer, s.len);
    else
      softmaxColumnKernel<T>
          <<<gridFor(s.outer * s.inner, kElemThreads), kElemThreads, 0, asStream(stream)>>>(
              in, o, s.outer, s.len, s.inner, log);
    return launched(kernel);
  });
}

Status softmaxGradImpl(const TensorView &y, const TensorView &dy, int64_t axis,
                       const MutableTensorView &dx, bool log, void *stream, const char *kernel) {
  const DType type = softmaxType(y);
  DS_RETURN_IF_ERROR(checkTensor(y, type, kernel, "output"));
  DS_RETURN_IF_ERROR(checkTensor(dy, type, kernel, "grad"));
  if (dy.shape != y.shape)
    return Status::error(std::string(kernel) + ": grad shape " + shapeToString(dy.shape) +
                         " differs from the output's " + shapeToString(y.shape));
  DS_RETURN_IF_ERROR(checkOutput(dx, type, y.shape, kernel));
  StatusOr<int64_t> ax = normalizeAxis(axis, y.rank(), "axis");
  if (!ax)
    return ax.status().withContext(kernel);
  if (type == DType::F64)
    return unsupportedType(kernel, type);
  const AxisSplit s = splitAt(y.shape, *ax);
  if (s.len == 0 || y.numel() == 0)
    return Status::ok();
  if (s.inner == 1 && !log)
    return softmaxGrad(type, y.data, dy.data, dx.data, s.outer, s.len, stream);
  return dispatchFloatView(type, kernel, [&](auto zero) {
    using T = decltype(zero);
    const T *py = static_cast<const T *>(y.data), *pg = static_cast<const T *>(dy.data);
    T *o = static_cast<T *>(dx.data);
    if (s.inner == 1)
      logSoftmaxGradRowKernel<T>
          <<<rowGrid(s.outer), rowThreads(s.len), 0, asStream(stream)>>>(py, pg, o, s.outer, s.len);
    else
      softmaxGradColumnKernel<T>
          <<<gridFor(s.outer * s.inner, kElemThreads), kElemThreads, 0, asStream(stream)>>>(
              py, pg, o, s.outer, s.len, s.inner, log);
    return launched(kernel);
  });
}

} // namespace

Status softmax(const TensorView &x, int64_t axis, const MutableTensorView &out, void *stream) {
  return softmaxImpl(x, axis, out, /*log=*/false, stream, "cuda softmax");
}

Status logSoftmax(const TensorView &x, int64_t axis, const MutableTensorView &out, void *stream) {
  return softmaxImpl(x, axis, out, /*log=*/true, stream, "cuda log_softmax");
}

Status softmaxGrad(const TensorView &y, const TensorView &dy, int64_t axis,
                   const MutableTensorView &dx, void *stream) {
  return softmaxGradImpl(y, dy, axis, dx, /*log=*/false, stream, "cuda softmax_grad");
}

Status logSoftmaxGrad(const TensorView &y, const TensorView &dy, int64_t axis,
                      const MutableTensorView &dx, void *stream) {
  return softmaxGradImpl(y, dy, axis, dx, /*log=*/true, stream, "cuda log_softmax_grad");
}

Status causalMask(const TensorView &x, double fill, const MutableTensorView &out, void *stream) {
  const char *kernel = "cuda causal_mask";
  const DType type = softmaxType(x);
  DS_RETURN_IF_ERROR(checkTensor(x, type, kernel, "input"));
  DS_RETURN_IF_ERROR(checkOutput(out, type, x.shape, kernel));
  if (x.rank() < 2)
    return Status::error(std::string(kernel) + ": input needs rank >= 2, got " +
                         shapeToString(x.shape));
  if (type == DType::F64)
    return unsupportedType(kernel, type);
  const int64_t tk = x.shape[x.rank() - 1], tq = x.shape[x.rank() - 2];
  const int64_t n = x.numel();
  if (n == 0)
    return Status::ok();
  return dispatchFloatView(type, kernel, [&](auto zero) {
    using T = decltype(zero);
    causalMaskKernel<T><<<gridFor(n, kElemThreads), kElemThreads, 0, asStream(stream)>>>(
        static_cast<const T *>(x.data), static_cast<T *>(out.data), n, tq, tk,
        static_cast<float>(fill), fitsIndex32(n));
    return launched(kernel);
  });
}

} // namespace ds::rt::cuda
