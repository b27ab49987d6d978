// Dropout on device views with the counter-based Philox4x32-10 of ds/Runtime/Kernels/CPU/Random.h,
// so a mask drawn here equals cpu::dropout's for the same (seed, counter).
#ifndef DS_RUNTIME_KERNELS_CUDA_RANDOM_H
#define DS_RUNTIME_KERNELS_CUDA_RANDOM_H

#include "ds/Runtime/Tensor.h"

#include <cstdint>

namespace ds::rt::cuda {

// Inverted dropout, as cpu::dropout: element i is kept when uniformFromWord(word i) >= ratio,
// kept elements are scaled by 1 / (1 - ratio), dropped ones are 0, and mask (u8, x's shape) holds
// 1 for kept. ratio must be in [0, 1]; 1 drops everything. x and out are f32 or bf16 of one dtype
// (f64 is an error); out may alias x.
Status dropout(const TensorView &x, float ratio, uint64_t seed, uint64_t counter,
               const MutableTensorView &out, const MutableTensorView &mask, void *stream);

} // namespace ds::rt::cuda

#endif // DS_RUNTIME_KERNELS_CUDA_RANDOM_H
