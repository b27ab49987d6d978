// Loop machinery the CPU kernels share: when to go parallel, and a broadcast iteration plan that
// reduces any numpy-broadcast to rows of a contiguous inner loop.
#ifndef DS_LIB_RUNTIME_KERNELS_CPU_COMMON_H
#define DS_LIB_RUNTIME_KERNELS_CPU_COMMON_H

#include "ds/Runtime/Tensor.h"

#include <algorithm>
#include <cstdint>
#include <vector>

namespace ds::rt::cpu::detail {

// Below this many elements, OpenMP's fork and join cost more than the loop saves.
constexpr int64_t kParallelGrain = 1 << 15;

// Iteration over an output of some shape where each input is read through broadcast strides.
// Output dims of size 1 are dropped and adjacent dims merged wherever every input is contiguous
// across them, so the inner loop is as long as possible. Each input's inner stride is then 0
// (broadcast) or 1.
struct BroadcastLoop {
  Shape dims;                                // at least one dim; dims.back() is the inner loop
  std::vector<std::vector<int64_t>> strides; // per input, element strides over dims

  int64_t inner() const { return dims.back(); }
  int64_t rows() const {
    int64_t r = 1;
    for (size_t i = 0; i + 1 < dims.size(); ++i)
      r *= dims[i];
    return r;
  }
  // Element offset of input k at the start of `row`.
  int64_t rowOffset(size_t k, int64_t row) const {
    int64_t off = 0;
    for (size_t i = dims.size() - 1; i-- > 0;) {
      off += (row % dims[i]) * strides[k][i];
      row /= dims[i];
    }
    return off;
  }
};

// Each input shape must broadcast to `out` (checked by the caller).
BroadcastLoop planBroadcast(const Shape &out, const std::vector<Shape> &inputs);

// Calls fn(outOffset, inOffsets, len) for blocks of the inner loop, in parallel when large.
// inOffsets[k] is input k's element offset at the block start; within the block input k advances
// by strides[k].back() per element.
template <typename Fn> void runBroadcast(const BroadcastLoop &loop, const Fn &fn) {
  constexpr int64_t kBlock = 8192;
  const int64_t inner = loop.inner();
  const int64_t rows = loop.rows();
  if (inner == 0 || rows == 0)
    return;
  const int64_t blocksPerRow = (inner + kBlock - 1) / kBlock;
  const int64_t tasks = rows * blocksPerRow;
  const size_t numInputs = loop.strides.size();
#pragma omp parallel for schedule(static) if (rows * inner > kParallelGrain)
  for (int64_t t = 0; t < tasks; ++t) {
    int64_t row = t / blocksPerRow;
    int64_t j0 = (t % blocksPerRow) * kBlock;
    int64_t len = std::min(kBlock, inner - j0);
    int64_t offsets[4] = {0, 0, 0, 0};
    for (size_t k = 0; k < numInputs && k < 4; ++k)
      offsets[k] = loop.rowOffset(k, row) + j0 * loop.strides[k].back();
    fn(row * inner + j0, offsets, len);
  }
}

// Copies elements of `elemSize` bytes as one fixed-size type, so shape kernels serve any dtype.
template <int Size> struct ElemOfSize;
template <> struct ElemOfSize<1> { using type = uint8_t; };
template <> struct ElemOfSize<2> { using type = uint16_t; };
template <> struct ElemOfSize<4> { using type = uint32_t; };
template <> struct ElemOfSize<8> { using type = uint64_t; };

// Calls fn(T{}) with T the unsigned integer type of `elemSize` bytes.
template <typename Fn> void dispatchElemSize(int64_t elemSize, const Fn &fn) {
  switch (elemSize) {
  case 1:
    fn(uint8_t{});
    break;
  case 2:
    fn(uint16_t{});
    break;
  case 4:
    fn(uint32_t{});
    break;
  default:
    fn(uint64_t{});
    break;
  }
}

} // namespace ds::rt::cpu::detail

#endif // DS_LIB_RUNTIME_KERNELS_CPU_COMMON_H
