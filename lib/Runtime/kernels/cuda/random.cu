// Dropout with Philox4x32-10 on the device: one thread per block of four elements, each block's
// words computed exactly as ds::rt::philoxWords does on the host (Random.h).
#include "ds/Runtime/Kernels/CUDA/Random.h"

#include "Philox.cuh"
#include "TensorCommon.cuh"

namespace ds::rt::cuda {

namespace {

using namespace detail;

template <typename T>
__global__ void dropoutKernel(const T *x, T *out, uint8_t *mask, int64_t n, float ratio,
                              float scale, uint64_t seed, uint64_t counter) {
  const int64_t blocks = (n + 3) / 4;
  DS_CUDA_GRID_LOOP(b, blocks) {
    uint32_t words[4];
    philoxWords(seed, counter, static_cast<uint64_t>(b), words);
    for (int lane = 0; lane < 4; ++lane) {
      const int64_t i = 4 * b + lane;
      if (i >= n)
        break;
      const bool keep = uniformFromWord(words[lane]) >= ratio;
      mask[i] = keep ? 1 : 0;
      store(out, i, keep ? load(x, i) * scale : 0.0f);
    }
  }
}

} // namespace

Status dropout(const TensorView &x, float ratio, uint64_t seed, uint64_t counter,
               const MutableTensorView &out, const MutableTensorView &mask, void *stream) {
  const char *kernel = "cuda dropout";
  const DType type = x.dtype == DType::BF16 || x.dtype == DType::F64 ? x.dtype : DType::F32;
  DS_RETURN_IF_ERROR(checkTensor(x, type, kernel, "input"));
  DS_RETURN_IF_ERROR(checkOutput(out, type, x.shape, kernel));
  DS_RETURN_IF_ERROR(checkOutput(mask, DType::U8, x.shape, kernel, "mask"));
  if (!(ratio >= 0.0f && ratio <= 1.0f))
    return Status::error(std::string(kernel) + ": ratio " + std::to_string(ratio) +
                         " is outside [0, 1]");
  if (type == DType::F64)
    return unsupportedType(kernel, type);
  const int64_t n = x.numel();
  if (n == 0)
    return Status::ok();
  // As random.cpp for f32: 1 / (1 - ratio) in f32; dropping everything scales by 0.
  const float scale = ratio < 1.0f ? 1.0f / (1.0f - ratio) : 0.0f;
  return dispatchFloatView(type, kernel, [&](auto zero) {
    using T = decltype(zero);
    const int64_t blocks = (n + 3) / 4;
    dropoutKernel<T><<<gridFor(blocks, kElemThreads), kElemThreads, 0, asStream(stream)>>>(
        static_cast<const T *>(x.data), static_cast<T *>(out.data),
        static_cast<uint8_t *>(mask.data), n, ratio, scale, seed, counter);
    return launched(kernel);
  });
}

} // namespace ds::rt::cuda
