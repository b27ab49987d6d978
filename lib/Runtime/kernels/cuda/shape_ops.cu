// Transpose, slice, expand (one strided gather copy each), slice's gradient (a strided scatter
// into zeros), concat and split (row-chunk copies), gather and its scatter-add gradient. Copies
// move words of the element's size, so they serve any dtype.
#include "ds/Runtime/Kernels/CUDA/ShapeOps.h"

#include "TensorCommon.cuh"

#include "ds/Runtime/Kernels/CPU/ShapeOps.h"

#include <algorithm>

namespace ds::rt::cuda {

namespace {

using namespace detail;

// dst[i] = src[base + map(i)].
template <typename W>
__global__ void gatherCopyKernel(const W *src, int64_t base, W *dst, int64_t n, IndexMap<1> map) {
  DS_CUDA_GRID_LOOP(i, n) {
    int64_t off[1];
    map.offsets(i, off);
    dst[i] = src[base + off[0]];
  }
}

// dst[base + map(i)] = src[i].
template <typename W>
__global__ void scatterCopyKernel(const W *src, W *dst, int64_t base, int64_t n, IndexMap<1> map) {
  DS_CUDA_GRID_LOOP(i, n) {
    int64_t off[1];
    map.offsets(i, off);
    dst[base + off[0]] = src[i];
  }
}

constexpr int kTile = 32;

// A 3-dim map whose last output dim reads with stride s2 != 1 while the middle dim reads with
// stride 1 (a transpose of the last two dims, batched over dim 0): 32 x 32 tiles staged through
// shared memory so both the reads and the writes are coalesced.
template <typename W>
__global__ void tiledTransposeKernel(const W *src, int64_t base, W *dst, int64_t batch,
                                     int64_t rows, int64_t cols, int64_t batchStride,
                                     int64_t colStride) {
  // Output [batch, rows, cols]: out[b, r, c] = src[base + b * batchStride + r + c * colStride].
  __shared__ W tile[kTile][kTile + 1];
  const int64_t tilesR = (rows + kTile - 1) / kTile, tilesC = (cols + kTile - 1) / kTile;
  for (int64_t t = blockIdx.x; t < batch * tilesR * tilesC; t += gridDim.x) {
    const int64_t b = t / (tilesR * tilesC);
    const int64_t tr = (t / tilesC) % tilesR, tc = t % tilesC;
    const int64_t r0 = tr * kTile, c0 = tc * kTile;
    const W *s = src + base + b * batchStride;
    // Read: consecutive threads take consecutive r (stride 1 in the source).
    for (int k = threadIdx.y; k < kTile; k += blockDim.y) {
      const int64_t r = r0 + threadIdx.x, c = c0 + k;
      if (r < rows && c < cols)
        tile[k][threadIdx.x] = s[r + c * colStride];
    }
    __syncthreads();
    // Write: consecutive threads take consecutive c (stride 1 in the output).
    W *d = dst + b * rows * cols;
    for (int k = threadIdx.y; k < kTile; k += blockDim.y) {
      const int64_t r = r0 + k, c = c0 + threadIdx.x;
      if (r < rows && c < cols)
        d[r * cols + c] = tile[threadIdx.x][k];
    }
    __syncthreads();
  }
}

// dst = src read through per-output-dim `strides` from element `base`, for any element size.
Status stridedCopy(const void *src, int64_t base, void *dst, int64_t elemSize, const Shape &dims,
                   const std::vector<int64_t> &strides, void *stream, const char *kernel) {
  const int64_t n = numElements(dims);
  if (n == 0)
    return Status::ok();
  IndexMap<1> map;
  const std::vector<int64_t> all[1] = {strides};
  DS_RETURN_IF_ERROR(planIndexMap(dims, all, map, kernel));
  cudaStream_t s = asStream(stream);
  if (map.isFlat())
    return fromCuda(cudaMemcpyAsync(dst, static_cast<const char *>(src) + base * elemSize,
                                    n * elemSize, cudaMemcpyDeviceToDevice, s),
                    kernel);
  // [batch,] rows, cols with the rows contiguous in the source and the columns strided.
  const int r = map.rank;
  const bool tiled = (r == 2 || r == 3) && map.strides[0][r - 2] == 1 &&
                     map.strides[0][r - 1] != 1 && map.dims[r - 1] >= 8 && map.dims[r - 2] >= 8;
  return dispatchWord(elemSize, kernel, [&](auto word) {
    using W = decltype(word);
    const W *in = static_cast<const W *>(src);
    W *out = static_cast<W *>(dst);
    if (tiled) {
      const int64_t batch = r == 3 ? map.dims[0] : 1;
      const int64_t batchStride = r == 3 ? map.strides[0][0] : 0;
      const int64_t rows = map.dims[r - 2], cols = map.dims[r - 1];
      const int64_t tiles = batch * ((rows + kTile - 1) / kTile) * ((cols + kTile - 1) / kTile);
      const unsigned grid = static_cast<unsigned>(std::min<int64_t>(tiles, 65535LL * 16));
      tiledTransposeKernel<W><<<grid, dim3(kTile, 8), 0, s>>>(in, base, out, batch, rows, cols,
                                                              batchStride, map.strides[0][r - 1]);
    } else {
      gatherCopyKernel<W><<<gridFor(n, kElemThreads), kElemThreads, 0, s>>>(in, base, out, n, map);
    }
    return launched(kernel);
  });
}

Status checkSameDtype(const TensorView &x, const MutableTensorView &out, const char *kernel) {
  DS_RETURN_IF_ERROR(checkTensor(x, x.dtype, kernel, "input"));
  if (out.dtype != x.dtype)
    return Status::error(std::string(kernel) + ": output dtype " + dtypeName(out.dtype) +
                         " differs from the input's " + dtypeName(x.dtype));
  return Status::ok();
}

// Element offset of a slice's first element and the per-dim strides it reads with, as
// shape.cpp's slice (starts already validated by sliceShape).
int64_t sliceLayout(const Shape &whole, const std::vector<int64_t> &starts,
                    const std::vector<int64_t> &steps, std::vector<int64_t> &strides) {
  std::vector<int64_t> wholeStrides = contiguousStrides(whole);
  strides.assign(whole.size(), 0);
  int64_t base = 0;
  for (size_t i = 0; i < whole.size(); ++i) {
    const int64_t s = starts[i] < 0 ? std::max<int64_t>(starts[i] + whole[i], 0) : starts[i];
    base += std::min(s, whole[i]) * wholeStrides[i];
    strides[i] = wholeStrides[i] * steps[i];
  }
  return base;
}

// dst[o * dstRow + dstOff + j] = src[o * srcRow + srcOff + j] for o < outer, j < chunk (elements).
template <typename W>
__global__ void copyRowsKernel(const W *src, int64_t srcRow, int64_t srcOff, W *dst, int64_t dstRow,
                               int64_t dstOff, int64_t outer, int64_t chunk, bool index32) {
  DS_CUDA_GRID_LOOP(i, outer * chunk) {
    const DivMod oj = divMod(i, chunk, index32);
    const int64_t o = oj.q, j = oj.r;
    dst[o * dstRow + dstOff + j] = src[o * srcRow + srcOff + j];
  }
}

Status copyRows(const void *src, int64_t srcRow, int64_t srcOff, void *dst, int64_t dstRow,
                int64_t dstOff, int64_t outer, int64_t chunk, int64_t elemSize, void *stream,
                const char *kernel) {
  if (outer == 0 || chunk == 0)
    return Status::ok();
  cudaStream_t s = asStream(stream);
  if (outer == 1 || (chunk == srcRow && chunk == dstRow))
    return fromCuda(cudaMemcpyAsync(static_cast<char *>(dst) + dstOff * elemSize,
                                    static_cast<const char *>(src) + srcOff * elemSize,
                                    outer * chunk * elemSize, cudaMemcpyDeviceToDevice, s),
                    kernel);
  return dispatchWord(elemSize, kernel, [&](auto word) {
    using W = decltype(word);
    copyRowsKernel<W><<<gridFor(outer * chunk, kElemThreads), kElemThreads, 0, s>>>(
        static_cast<const W *>(src), srcRow, srcOff, static_cast<W *>(dst), dstRow, dstOff, outer,
        chunk, fitsIndex32(outer * chunk));
    return launched(kernel);
  });
}

// out[o, q, j] = data[o, indices[q], j]; an index outside [-dim, dim) gives zeros.
template <typename W, typename Index>
__global__ void gatherKernel(const W *data, const Index *indices, W *out, int64_t numIndices,
                             int64_t dim, int64_t inner, int64_t n, bool index32) {
  DS_CUDA_GRID_LOOP(i, n) {
    const DivMod tj = divMod(i, inner, index32);
    const DivMod oq = divMod(tj.q, numIndices, index32);
    const int64_t o = oq.q, q = oq.r, j = tj.r;
    int64_t v = static_cast<int64_t>(indices[q]);
    if (v < 0)
      v += dim;
    out[i] = v >= 0 && v < dim ? data[(o * dim + v) * inner + j] : W(0);
  }
}

// dx[o, indices[q], j] += dy[o, q, j]; out-of-range indices are skipped.
template <typename T, typename Index>
__global__ void gatherGradKernel(const Index *indices, const T *dy, float *dx, int64_t numIndices,
                                 int64_t dim, int64_t inner, int64_t n, bool index32) {
  DS_CUDA_GRID_LOOP(i, n) {
    const DivMod tj = divMod(i, inner, index32);
    const DivMod oq = divMod(tj.q, numIndices, index32);
    const int64_t o = oq.q, q = oq.r, j = tj.r;
    int64_t v = static_cast<int64_t>(indices[q]);
    if (v < 0)
      v += dim;
    if (v >= 0 && v < dim)
      atomicAdd(dx + (o * dim + v) * inner + j, load(dy, i));
  }
}

template <typename Fn> Status dispatchIndex(DType type, const Fn &fn) {
  if (type == DType::I64)
    return fn(int64_t{});
  return fn(int32_t{});
}

} // namespace

Status transpose(const TensorView &x, const std::vector<int64_t> &perm,
                 const MutableTensorView &out, void *stream) {
  const char *kernel = "cuda transpose";
  DS_RETURN_IF_ERROR(checkSameDtype(x, out, kernel));
  StatusOr<Shape> shape = cpu::transposeShape(x.shape, perm);
  if (!shape)
    return shape.status().withContext("cuda");
  DS_RETURN_IF_ERROR(checkOutput(out, x.dtype, *shape, kernel));
  const int64_t rank = x.rank();
  std::vector<int64_t> inStrides = contiguousStrides(x.shape), strides(rank);
  for (int64_t i = 0; i < rank; ++i)
    strides[i] = inStrides[perm[i] < 0 ? perm[i] + rank : perm[i]];
  return stridedCopy(x.data, 0, out.data, dtypeSize(x.dtype), out.shape, strides, stream, kernel);
}

Status slice(const TensorView &x, const std::vector<int64_t> &starts,
             const std::vector<int64_t> &ends, const std::vector<int64_t> &steps,
             const MutableTensorView &out, void *stream) {
  const char *kernel = "cuda slice";
  DS_RETURN_IF_ERROR(checkSameDtype(x, out, kernel));
  StatusOr<Shape> shape = cpu::sliceShape(x.shape, starts, ends, steps);
  if (!shape)
    return shape.status().withContext("cuda");
  DS_RETURN_IF_ERROR(checkOutput(out, x.dtype, *shape, kernel));
  if (out.numel() == 0)
    return Status::ok();
  std::vector<int64_t> strides;
  const int64_t base = sliceLayout(x.shape, starts, steps, strides);
  return stridedCopy(x.data, base, out.data, dtypeSize(x.dtype), out.shape, strides, stream,
                     kernel);
}

Status sliceGrad(const TensorView &dy, const std::vector<int64_t> &starts,
                 const std::vector<int64_t> &ends, const std::vector<int64_t> &steps,
                 const MutableTensorView &dx, void *stream) {
  const char *kernel = "cuda slice_grad";
  DS_RETURN_IF_ERROR(checkTensor(dy, dy.dtype, kernel, "grad"));
  DS_RETURN_IF_ERROR(checkTensor(dx, dy.dtype, kernel, "output"));
  StatusOr<Shape> expected = cpu::sliceShape(dx.shape, starts, ends, steps);
  if (!expected)
    return expected.status().withContext(kernel);
  if (dy.shape != *expected)
    return Status::error(std::string(kernel) + ": grad shape " + shapeToString(dy.shape) +
                         " should be " + shapeToString(*expected) + ", the shape of the slice");
  cudaStream_t s = asStream(stream);
  if (dx.bytes() > 0)
    DS_RETURN_IF_ERROR(fromCuda(cudaMemsetAsync(dx.data, 0, dx.bytes(), s), kernel));
  const int64_t n = dy.numel();
  if (n == 0)
    return Status::ok();
  std::vector<int64_t> strides;
  const int64_t base = sliceLayout(dx.shape, starts, steps, strides);
  IndexMap<1> map;
  const std::vector<int64_t> all[1] = {strides};
  DS_RETURN_IF_ERROR(planIndexMap(dy.shape, all, map, kernel));
  return dispatchWord(dtypeSize(dy.dtype), kernel, [&](auto word) {
    using W = decltype(word);
    scatterCopyKernel<W><<<gridFor(n, kElemThreads), kElemThreads, 0, s>>>(
        static_cast<const W *>(dy.data), static_cast<W *>(dx.data), base, n, map);
    return launched(kernel);
  });
}

Status concat(const std::vector<TensorView> &inputs, int64_t axis, const MutableTensorView &out,
              void *stream) {
  const char *kernel = "cuda concat";
  std::vector<Shape> shapes;
  for (size_t k = 0; k < inputs.size(); ++k) {
    const std::string name = "input " + std::to_string(k);
    DS_RETURN_IF_ERROR(checkTensor(inputs[k], out.dtype, kernel, name.c_str()));
    shapes.push_back(inputs[k].shape);
  }
  StatusOr<Shape> shape = cpu::concatShape(shapes, axis);
  if (!shape)
    return shape.status().withContext("cuda");
  DS_RETURN_IF_ERROR(checkOutput(out, out.dtype, *shape, kernel));
  const int64_t ax = axis < 0 ? axis + out.rank() : axis;
  const AxisSplit split = splitAt(out.shape, ax);
  const int64_t outRow = split.len * split.inner;
  int64_t offset = 0;
  for (const TensorView &in : inputs) {
    const int64_t chunk = in.shape[ax] * split.inner;
    DS_RETURN_IF_ERROR(copyRows(in.data, chunk, 0, out.data, outRow, offset, split.outer, chunk,
                                dtypeSize(out.dtype), stream, kernel));
    offset += chunk;
  }
  return Status::ok();
}

Status split(const TensorView &x, int64_t axis, const std::vector<int64_t> &sizes,
             const std::vector<MutableTensorView> &outputs, void *stream) {
  const char *kernel = "cuda split";
  DS_RETURN_IF_ERROR(checkTensor(x, x.dtype, kernel, "input"));
  StatusOr<int64_t> ax = normalizeAxis(axis, x.rank(), "axis");
  if (!ax)
    return ax.status().withContext(kernel);
  if (sizes.size() != outputs.size())
    return Status::error(std::string(kernel) + ": " + std::to_string(sizes.size()) + " sizes for " +
                         std::to_string(outputs.size()) + " outputs");
  int64_t total = 0;
  for (int64_t s : sizes) {
    if (s < 0)
      return Status::error(std::string(kernel) + ": negative size " + std::to_string(s));
    total += s;
  }
  if (total != x.shape[*ax])
    return Status::error(std::string(kernel) + ": sizes add up to " + std::to_string(total) +
                         " but axis " + std::to_string(*ax) + " of " + shapeToString(x.shape) +
                         " has " + std::to_string(x.shape[*ax]));
  for (size_t k = 0; k < outputs.size(); ++k) {
    Shape expected = x.shape;
    expected[*ax] = sizes[k];
    const std::string name = "output " + std::to_string(k);
    DS_RETURN_IF_ERROR(checkOutput(outputs[k], x.dtype, expected, kernel, name.c_str()));
  }
  const AxisSplit split = splitAt(x.shape, *ax);
  const int64_t inRow = split.len * split.inner;
  int64_t offset = 0;
  for (size_t k = 0; k < outputs.size(); ++k) {
    const int64_t chunk = sizes[k] * split.inner;
    DS_RETURN_IF_ERROR(copyRows(x.data, inRow, offset, outputs[k].data, chunk, 0, split.outer,
                                chunk, dtypeSize(x.dtype), stream, kernel));
    offset += chunk;
  }
  return Status::ok();
}

Status gather(const TensorView &data, const TensorView &indices, int64_t axis,
              const MutableTensorView &out, void *stream) {
  const char *kernel = "cuda gather";
  DS_RETURN_IF_ERROR(checkTensor(data, data.dtype, kernel, "data"));
  if (indices.dtype != DType::I64 && indices.dtype != DType::I32)
    return Status::error(std::string(kernel) + ": indices must be i64 or i32, got " +
                         dtypeName(indices.dtype));
  DS_RETURN_IF_ERROR(checkTensor(indices, indices.dtype, kernel, "indices"));
  StatusOr<Shape> shape = cpu::gatherShape(data.shape, indices.shape, axis);
  if (!shape)
    return shape.status().withContext("cuda");
  DS_RETURN_IF_ERROR(checkOutput(out, data.dtype, *shape, kernel));
  const int64_t n = out.numel();
  if (n == 0)
    return Status::ok();
  const int64_t ax = axis < 0 ? axis + data.rank() : axis;
  const AxisSplit split = splitAt(data.shape, ax);
  const int64_t numIndices = indices.numel();
  cudaStream_t s = asStream(stream);
  return dispatchWord(dtypeSize(data.dtype), kernel, [&](auto word) {
    using W = decltype(word);
    return dispatchIndex(indices.dtype, [&](auto index) {
      using Index = decltype(index);
      gatherKernel<W, Index><<<gridFor(n, kElemThreads), kElemThreads, 0, s>>>(
          static_cast<const W *>(data.data), static_cast<const Index *>(indices.data),
          static_cast<W *>(out.data), numIndices, split.len, split.inner, n, fitsIndex32(n));
      return launched(kernel);
    });
  });
}

Status gatherGrad(const TensorView &indices, const TensorView &dy, int64_t axis,
                  const MutableTensorView &dx, void *stream) {
  const char *kernel = "cuda gather_grad";
  if (dy.dtype != DType::F32)
    return unsupportedType(kernel, dy.dtype);
  if (indices.dtype != DType::I64 && indices.dtype != DType::I32)
    return Status::error(std::string(kernel) + ": indices must be i64 or i32, got " +
                         dtypeName(indices.dtype));
  DS_RETURN_IF_ERROR(checkTensor(indices, indices.dtype, kernel, "indices"));
  DS_RETURN_IF_ERROR(checkTensor(dy, dy.dtype, kernel, "grad"));
  DS_RETURN_IF_ERROR(checkTensor(dx, dy.dtype, kernel, "output"));
  StatusOr<Shape> expected = cpu::gatherShape(dx.shape, indices.shape, axis);
  if (!expected)
    return expected.status().withContext(kernel);
  if (dy.shape != *expected)
    return Status::error(std::string(kernel) + ": grad shape " + shapeToString(dy.shape) +
                         " should be " + shapeToString(*expected) +
                         ", what gather gives for output " + shapeToString(dx.shape) +
                         " and indices " + shapeToString(indices.shape));
  cudaStream_t s = asStream(stream);
  if (dx.bytes() > 0)
    DS_RETURN_IF_ERROR(fromCuda(cudaMemsetAsync(dx.data, 0, dx.bytes(), s), kernel));
  const int64_t n = dy.numel();
  if (n == 0)
    return Status::ok();
  const int64_t ax = axis < 0 ? axis + dx.rank() : axis;
  const AxisSplit split = splitAt(dx.shape, ax);
  return dispatchIndex(indices.dtype, [&](auto index) {
    using Index = decltype(index);
    gatherGradKernel<float, Index><<<gridFor(n, kElemThreads), kElemThreads, 0, s>>>(
        static_cast<const Index *>(indices.data), static_cast<const float *>(dy.data),
        static_cast<float *>(dx.data), indices.numel(), split.len, split.inner, n, fitsIndex32(n));
    return launched(kernel);
  });
}

Status expand(const TensorView &x, const MutableTensorView &out, void *stream) {
  const char *kernel = "cuda expand";
  DS_RETURN_IF_ERROR(checkSameDtype(x, out, kernel));
  DS_RETURN_IF_ERROR(checkShape(out.shape, "cuda expand: output"));
  StatusOr<Shape> shape = broadcastShapes(x.shape, out.shape);
  if (!shape || *shape != out.shape)
    return Status::error(std::string(kernel) + ": input " + shapeToString(x.shape) +
                         " does not broadcast to " + shapeToString(out.shape));
  DS_RETURN_IF_ERROR(checkOutput(out, x.dtype, *shape, kernel));
  if (out.numel() == 0)
    return Status::ok();
  return stridedCopy(x.data, 0, out.data, dtypeSize(x.dtype), out.shape,
                     broadcastStrides(x.shape, out.shape), stream, kernel);
}

} // namespace ds::rt::cuda
