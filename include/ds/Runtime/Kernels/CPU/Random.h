// Counter-based randomness (Philox4x32-10, Salmon et al. 2011) and the dropout kernel built on it.
// Every element's random word depends only on (seed, counter, element index), so a mask is the
// same on any number of threads, and a GPU kernel that uses philox4x32 reproduces it.
#ifndef DS_RUNTIME_KERNELS_CPU_RANDOM_H
#define DS_RUNTIME_KERNELS_CPU_RANDOM_H

#include "ds/Runtime/Tensor.h"

#include <array>
#include <cstdint>

namespace ds::rt {

using PhiloxBlock = std::array<uint32_t, 4>;
using PhiloxKey = std::array<uint32_t, 2>;

// Philox4x32 with 10 rounds, as Random123's philox4x32_10 (its known-answer vectors hold).
inline PhiloxBlock philox4x32_10(PhiloxBlock ctr, PhiloxKey key) {
  for (int round = 0; round < 10; ++round) {
    if (round > 0) {
      key[0] += 0x9E3779B9u;
      key[1] += 0xBB67AE85u;
    }
    uint64_t p0 = static_cast<uint64_t>(0xD2511F53u) * ctr[0];
    uint64_t p1 = static_cast<uint64_t>(0xCD9E8D57u) * ctr[2];
    ctr = {static_cast<uint32_t>(p1 >> 32) ^ ctr[1] ^ key[0], static_cast<uint32_t>(p1),
           static_cast<uint32_t>(p0 >> 32) ^ ctr[3] ^ key[1], static_cast<uint32_t>(p0)};
  }
  return ctr;
}

// The four random words for elements [4*block, 4*block + 4) of stream (seed, counter): the key is
// the seed, the counter block is (block, counter) as little-endian 32-bit words.
inline PhiloxBlock philoxWords(uint64_t seed, uint64_t counter, uint64_t block) {
  return philox4x32_10({static_cast<uint32_t>(block), static_cast<uint32_t>(block >> 32),
                        static_cast<uint32_t>(counter), static_cast<uint32_t>(counter >> 32)},
                       {static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32)});
}

// A uniform float in [0, 1) from the top 24 bits of a random word (every value exact in f32).
inline float uniformFromWord(uint32_t word) {
  return static_cast<float>(word >> 8) * (1.0f / 16777216.0f);
}

namespace cpu {

// Inverted dropout: element i is kept when uniformFromWord(word i) >= ratio, kept elements are
// scaled by 1 / (1 - ratio) and dropped ones are 0; mask (u8, x's shape) holds 1 for kept. ratio
// must be in [0, 1]; ratio 1 drops everything (out all zeros), as torch does. x and out are f32
// (or both f64); out may alias x.
Status dropout(const TensorView &x, float ratio, uint64_t seed, uint64_t counter,
               const MutableTensorView &out, const MutableTensorView &mask);

} // namespace cpu
} // namespace ds::rt

#endif // DS_RUNTIME_KERNELS_CPU_RANDOM_H
