// Transpose, slice and expand: each one strided copy of the input into a contiguous output.
#include "ds/Runtime/Kernels/CPU/ShapeOps.h"

#include "Common.h"

#include <cstring>

namespace ds::rt::cpu {

namespace {

// Copies when the output's inner dim strides through the source but some other dim `p` is
// contiguous there (a transpose of the last dims): 32x32 tiles keep both sides in cache, where a
// plain loop would touch a new source cache line for every element.
template <typename T>
void tiledCopy(const T *src, T *dst, const Shape &dims, const std::vector<int64_t> &strides,
               size_t p) {
  constexpr int64_t kTile = 32;
  const size_t inner = dims.size() - 1;
  const std::vector<int64_t> dstStrides = contiguousStrides(dims);
  // Every dim but p and inner is walked one index at a time.
  Shape outerDims;
  std::vector<int64_t> outerSrc, outerDst;
  for (size_t i = 0; i < inner; ++i)
    if (i != p) {
      outerDims.push_back(dims[i]);
      outerSrc.push_back(strides[i]);
      outerDst.push_back(dstStrides[i]);
    }
  const int64_t outer = numElements(outerDims);
  const int64_t tilesP = (dims[p] + kTile - 1) / kTile, tilesI = (dims[inner] + kTile - 1) / kTile;
  const int64_t sInner = strides[inner], dP = dstStrides[p];
#pragma omp parallel for schedule(static) if (numElements(dims) > detail::kParallelGrain)
  for (int64_t t = 0; t < outer * tilesP * tilesI; ++t) {
    int64_t o = t / (tilesP * tilesI), tp = (t / tilesI) % tilesP, ti = t % tilesI;
    int64_t srcOff = 0, dstOff = 0;
    for (size_t k = outerDims.size(); k-- > 0;) {
      srcOff += (o % outerDims[k]) * outerSrc[k];
      dstOff += (o % outerDims[k]) * outerDst[k];
      o /= outerDims[k];
    }
    const int64_t p0 = tp * kTile, p1 = std::min(p0 + kTile, dims[p]);
    const int64_t i0 = ti * kTile, i1 = std::min(i0 + kTile, dims[inner]);
    for (int64_t a = p0; a < p1; ++a)
      for (int64_t j = i0; j < i1; ++j)
        dst[dstOff + a * dP + j] = src[srcOff + a + j * sInner];
  }
}

// dst[out index] = src[base + sum(index_i * srcStrides_i)] over `dims`, any element size.
void stridedCopy(const void *src, int64_t base, void *dst, int64_t elemSize, const Shape &dims,
                 const std::vector<int64_t> &srcStrides) {
  detail::BroadcastLoop loop;
  loop.strides.assign(1, {});
  for (size_t i = 0; i < dims.size(); ++i) {
    if (dims[i] == 1)
      continue;
    if (!loop.dims.empty() && loop.strides[0].back() == srcStrides[i] * dims[i]) {
      loop.dims.back() *= dims[i];
      loop.strides[0].back() = srcStrides[i];
      continue;
    }
    loop.dims.push_back(dims[i]);
    loop.strides[0].push_back(srcStrides[i]);
  }
  if (loop.dims.empty()) {
    loop.dims.push_back(1);
    loop.strides[0].push_back(0);
  }
  const int64_t step = loop.strides[0].back();
  size_t contiguousDim = loop.dims.size();
  for (size_t i = 0; i + 1 < loop.dims.size(); ++i)
    if (loop.strides[0][i] == 1)
      contiguousDim = i;
  detail::dispatchElemSize(elemSize, [&](auto tag) {
    using T = decltype(tag);
    const T *s = static_cast<const T *>(src) + base;
    T *d = static_cast<T *>(dst);
    if (step > 1 && contiguousDim < loop.dims.size() && loop.dims.back() >= 8) {
      tiledCopy(s, d, loop.dims, loop.strides[0], contiguousDim);
      return;
    }
    detail::runBroadcast(loop, [&](int64_t o, const int64_t *in, int64_t len) {
      if (step == 1) {
        std::memcpy(d + o, s + in[0], len * sizeof(T));
        return;
      }
      for (int64_t j = 0; j < len; ++j)
        d[o + j] = s[in[0] + j * step];
    });
  });
}

Status checkSameDtype(const TensorView &x, const MutableTensorView &out, const char *kernel) {
  DS_RETURN_IF_ERROR(checkTensor(x, x.dtype, kernel, "input"));
  if (out.dtype != x.dtype)
    return Status::error(std::string(kernel) + ": output dtype " + dtypeName(out.dtype) +
                         " differs from the input's " + dtypeName(x.dtype));
  return Status::ok();
}

} // namespace

StatusOr<Shape> transposeShape(const Shape &in, const std::vector<int64_t> &perm) {
  const int64_t rank = static_cast<int64_t>(in.size());
  if (static_cast<int64_t>(perm.size()) != rank)
    return Status::error("transpose: permutation of " + std::to_string(perm.size()) +
                         " entries for rank " + std::to_string(rank));
  std::vector<bool> seen(rank, false);
  Shape out(rank);
  for (int64_t i = 0; i < rank; ++i) {
    StatusOr<int64_t> p = normalizeAxis(perm[i], rank, "permutation entry");
    if (!p)
      return p.status().withContext("transpose");
    if (seen[*p])
      return Status::error("transpose: permutation entry " + std::to_string(perm[i]) +
                           " appears twice");
    seen[*p] = true;
    out[i] = in[*p];
  }
  return out;
}

Status transpose(const TensorView &x, const std::vector<int64_t> &perm,
                 const MutableTensorView &out) {
  DS_RETURN_IF_ERROR(checkSameDtype(x, out, "transpose"));
  StatusOr<Shape> shape = transposeShape(x.shape, perm);
  if (!shape)
    return shape.status();
  DS_RETURN_IF_ERROR(checkOutput(out, x.dtype, *shape, "transpose"));
  const int64_t rank = x.rank();
  std::vector<int64_t> inStrides = contiguousStrides(x.shape), strides(rank);
  for (int64_t i = 0; i < rank; ++i)
    strides[i] = inStrides[perm[i] < 0 ? perm[i] + rank : perm[i]];
  if (out.numel() > 0)
    stridedCopy(x.data, 0, out.data, dtypeSize(x.dtype), out.shape, strides);
  return Status::ok();
}

StatusOr<Shape> sliceShape(const Shape &in, const std::vector<int64_t> &starts,
                           const std::vector<int64_t> &ends, const std::vector<int64_t> &steps) {
  const size_t rank = in.size();
  if (starts.size() != rank || ends.size() != rank || steps.size() != rank)
    return Status::error("slice: need one start, end and step per dim of " + shapeToString(in) +
                         ", got " + std::to_string(starts.size()) + ", " +
                         std::to_string(ends.size()) + " and " + std::to_string(steps.size()));
  Shape out(rank);
  for (size_t i = 0; i < rank; ++i) {
    if (steps[i] < 1)
      return Status::error("slice: step " + std::to_string(steps[i]) + " of dim " +
                           std::to_string(i) + " must be >= 1");
    auto clampIndex = [&](int64_t v) {
      if (v < 0)
        v = v < -in[i] ? 0 : v + in[i];
      return std::min(v, in[i]);
    };
    int64_t s = clampIndex(starts[i]), e = clampIndex(ends[i]);
    out[i] = e > s ? (e - s + steps[i] - 1) / steps[i] : 0;
  }
  return out;
}

Status slice(const TensorView &x, const std::vector<int64_t> &starts,
             const std::vector<int64_t> &ends, const std::vector<int64_t> &steps,
             const MutableTensorView &out) {
  DS_RETURN_IF_ERROR(checkSameDtype(x, out, "slice"));
  StatusOr<Shape> shape = sliceShape(x.shape, starts, ends, steps);
  if (!shape)
    return shape.status();
  DS_RETURN_IF_ERROR(checkOutput(out, x.dtype, *shape, "slice"));
  if (out.numel() == 0)
    return Status::ok();
  std::vector<int64_t> inStrides = contiguousStrides(x.shape), strides(x.rank());
  int64_t base = 0;
  for (int64_t i = 0; i < x.rank(); ++i) {
    int64_t s = starts[i] < 0 ? std::max<int64_t>(starts[i] + x.shape[i], 0) : starts[i];
    base += std::min(s, x.shape[i]) * inStrides[i];
    strides[i] = inStrides[i] * steps[i];
  }
  stridedCopy(x.data, base, out.data, dtypeSize(x.dtype), out.shape, strides);
  return Status::ok();
}

Status expand(const TensorView &x, const MutableTensorView &out) {
  DS_RETURN_IF_ERROR(checkSameDtype(x, out, "expand"));
  DS_RETURN_IF_ERROR(checkShape(out.shape, "expand: output"));
  StatusOr<Shape> shape = broadcastShapes(x.shape, out.shape);
  if (!shape || *shape != out.shape)
    return Status::error("expand: input " + shapeToString(x.shape) + " does not broadcast to " +
                         shapeToString(out.shape));
  DS_RETURN_IF_ERROR(checkOutput(out, x.dtype, *shape, "expand"));
  if (out.numel() == 0)
    return Status::ok();
  std::vector<int64_t> inStrides = contiguousStrides(x.shape), strides(out.rank(), 0);
  const int64_t lead = out.rank() - x.rank();
  for (int64_t i = 0; i < x.rank(); ++i)
    strides[lead + i] = x.shape[i] == 1 ? 0 : inStrides[i];
  stridedCopy(x.data, 0, out.data, dtypeSize(x.dtype), out.shape, strides);
  return Status::ok();
}

} // namespace ds::rt::cpu
