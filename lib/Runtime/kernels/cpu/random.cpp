// Dropout with Philox4x32-10 words: one Philox call serves four consecutive elements.
#include "ds/Runtime/Kernels/CPU/Random.h"

#include "Common.h"

namespace ds::rt::cpu {

namespace {
template <typename T>
void dropoutTyped(const T *in, T *o, uint8_t *m, int64_t n, float ratio, uint64_t seed,
                  uint64_t counter) {
  // Dropping everything would scale by 1/0; torch returns zeros there.
  const T scale = ratio < 1.0f ? T(1) / (T(1) - static_cast<T>(ratio)) : T(0);
  const int64_t blocks = (n + 3) / 4;
#pragma omp parallel for schedule(static) if (n > detail::kParallelGrain)
  for (int64_t b = 0; b < blocks; ++b) {
    const PhiloxBlock words = philoxWords(seed, counter, static_cast<uint64_t>(b));
    for (int64_t lane = 0; lane < 4 && 4 * b + lane < n; ++lane) {
      const int64_t i = 4 * b + lane;
      const bool keep = uniformFromWord(words[lane]) >= ratio;
      m[i] = keep ? 1 : 0;
      o[i] = keep ? in[i] * scale : T(0);
    }
  }
}
} // namespace

Status dropout(const TensorView &x, float ratio, uint64_t seed, uint64_t counter,
               const MutableTensorView &out, const MutableTensorView &mask) {
  const DType type = x.dtype == DType::F64 ? DType::F64 : DType::F32;
  DS_RETURN_IF_ERROR(checkTensor(x, type, "dropout", "input"));
  DS_RETURN_IF_ERROR(checkOutput(out, type, x.shape, "dropout"));
  DS_RETURN_IF_ERROR(checkOutput(mask, DType::U8, x.shape, "dropout", "mask"));
  if (!(ratio >= 0.0f && ratio <= 1.0f))
    return Status::error("dropout: ratio " + std::to_string(ratio) + " is outside [0, 1]");
  // The mask depends on (seed, counter, index) only, so f32 and f64 runs drop the same elements.
  if (type == DType::F64)
    dropoutTyped(x.as<double>(), out.as<double>(), mask.as<uint8_t>(), x.numel(), ratio, seed,
                 counter);
  else
    dropoutTyped(x.as<float>(), out.as<float>(), mask.as<uint8_t>(), x.numel(), ratio, seed,
                 counter);
  return Status::ok();
}

} // namespace ds::rt::cpu
