// Blockwise symmetric int8 and int4 quantization of f32/bf16 tensors (for ZeRO++'s quantized
// weights and gradients).
//
// Format. A tensor of n elements is cut into blocks of `blockSize` consecutive elements (the last
// block may be shorter). Each block b has one f32 scale s_b = absmax_b / qmax, qmax = 127 for int8
// and 7 for int4, and each element x becomes q = round_half_even(x / s_b) clamped to [-qmax, qmax]
// (a block of zeros has s_b = 0 and q = 0). Dequantization is x' = q * s_b, so |x - x'| <= s_b / 2.
//   int8: q is one int8_t per element, n bytes.
//   int4: two elements per byte, element 2i in the low nibble and 2i + 1 in the high nibble of byte
//         i, each a 4-bit two's complement value; ceil(n / 2) bytes. blockSize must be even so no
//         byte spans two blocks.
//   scales: ceil(n / blockSize) f32 values.
#ifndef DS_RUNTIME_KERNELS_CUDA_QUANTIZE_H
#define DS_RUNTIME_KERNELS_CUDA_QUANTIZE_H

#include "ds/Runtime/DType.h"
#include "ds/Runtime/Status.h"

#include <cstdint>

namespace ds::rt::cuda {

enum class QuantBits { Int8 = 8, Int4 = 4 };

inline int64_t quantizedBytes(QuantBits bits, int64_t n) {
  return bits == QuantBits::Int8 ? n : (n + 1) / 2;
}
inline int64_t quantScaleCount(int64_t n, int64_t blockSize) {
  return blockSize > 0 ? (n + blockSize - 1) / blockSize : 0;
}

// x (f32 or bf16, n elements) -> q (quantizedBytes bytes) and scales (quantScaleCount f32).
Status quantize(QuantBits bits, DType dtype, const void *x, int64_t n, int64_t blockSize,
                void *q, float *scales, void *stream);

// q and scales -> y (f32 or bf16, n elements).
Status dequantize(QuantBits bits, const void *q, const float *scales, int64_t n,
                  int64_t blockSize, DType dtype, void *y, void *stream);

} // namespace ds::rt::cuda

#endif // DS_RUNTIME_KERNELS_CUDA_QUANTIZE_H
