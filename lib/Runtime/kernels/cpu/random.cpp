// Dropout with Philox4x32-10 words: one Philox call serves four consecutive elements.
#include "ds/Runtime/Kernels/CPU/Random.h"

#include "Common.h"

namespace ds::rt::cpu {

Status dropout(const TensorView &x, float ratio, uint64_t seed, uint64_t counter,
               const MutableTensorView &out, const MutableTensorView &mask) {
  DS_RETURN_IF_ERROR(checkTensor(x, DType::F32, "dropout", "input"));
  DS_RETURN_IF_ERROR(checkOutput(out, DType::F32, x.shape, "dropout"));
  DS_RETURN_IF_ERROR(checkOutput(mask, DType::U8, x.shape, "dropout", "mask"));
  if (!(ratio >= 0.0f && ratio <= 1.0f))
    return Status::error("dropout: ratio " + std::to_string(ratio) + " is outside [0, 1]");
  const float *in = x.as<float>();
  float *o = out.as<float>();
  uint8_t *m = mask.as<uint8_t>();
  const int64_t n = x.numel();
  // Dropping everything would scale by 1/0; torch returns zeros there.
  const float scale = ratio < 1.0f ? 1.0f / (1.0f - ratio) : 0.0f;
  const int64_t blocks = (n + 3) / 4;
#pragma omp parallel for schedule(static) if (n > detail::kParallelGrain)
  for (int64_t b = 0; b < blocks; ++b) {
    const PhiloxBlock words = philoxWords(seed, counter, static_cast<uint64_t>(b));
    for (int64_t lane = 0; lane < 4 && 4 * b + lane < n; ++lane) {
      const int64_t i = 4 * b + lane;
      const bool keep = uniformFromWord(words[lane]) >= ratio;
      m[i] = keep ? 1 : 0;
      o[i] = keep ? in[i] * scale : 0.0f;
    }
  }
  return Status::ok();
}

} // namespace ds::rt::cpu
