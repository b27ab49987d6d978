// Philox4x32-10 on the device (and the host): ds::rt::philoxWords and uniformFromWord of
// ds/Runtime/Kernels/CPU/Random.h with plain arrays instead of std::array, so device code can call
// them and a mask drawn on the GPU equals the CPU's bit for bit.
#ifndef DS_LIB_RUNTIME_KERNELS_CUDA_PHILOX_CUH
#define DS_LIB_RUNTIME_KERNELS_CUDA_PHILOX_CUH

#include <cstdint>

namespace ds::rt::cuda::detail {

// ds::rt::philox4x32_10 and philoxWords with plain arrays: the same multipliers, key increments
// and word order, so the words match the host's bit for bit.
__host__ __device__ inline void philoxWords(uint64_t seed, uint64_t counter, uint64_t block,
                                            uint32_t (&ctr)[4]) {
  ctr[0] = static_cast<uint32_t>(block);
  ctr[1] = static_cast<uint32_t>(block >> 32);
  ctr[2] = static_cast<uint32_t>(counter);
  ctr[3] = static_cast<uint32_t>(counter >> 32);
  uint32_t key0 = static_cast<uint32_t>(seed), key1 = static_cast<uint32_t>(seed >> 32);
  for (int round = 0; round < 10; ++round) {
    if (round > 0) {
      key0 += 0x9E3779B9u;
      key1 += 0xBB67AE85u;
    }
    const uint64_t p0 = static_cast<uint64_t>(0xD2511F53u) * ctr[0];
    const uint64_t p1 = static_cast<uint64_t>(0xCD9E8D57u) * ctr[2];
    const uint32_t n0 = static_cast<uint32_t>(p1 >> 32) ^ ctr[1] ^ key0;
    const uint32_t n1 = static_cast<uint32_t>(p1);
    const uint32_t n2 = static_cast<uint32_t>(p0 >> 32) ^ ctr[3] ^ key1;
    const uint32_t n3 = static_cast<uint32_t>(p0);
    ctr[0] = n0;
    ctr[1] = n1;
    ctr[2] = n2;
    ctr[3] = n3;
  }
}

// ds::rt::uniformFromWord: the top 24 bits as a float in [0, 1), exact.
__host__ __device__ inline float uniformFromWord(uint32_t word) {
  return static_cast<float>(word >> 8) * (1.0f / 16777216.0f);
}

} // namespace ds::rt::cuda::detail

#endif // DS_LIB_RUNTIME_KERNELS_CUDA_PHILOX_CUH
