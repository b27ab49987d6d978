// The host-side planning of the CUDA tensor kernels, checked without a device: the index maps
// behind broadcasting, transposes and slices against a naive strided index, the reduce plan
// (summing through its maps on the host) against cpu::reduce, and the device Philox against
// ds::rt::philoxWords. These run everywhere, so a machine without a GPU still checks the index
// arithmetic every kernel relies on.
#include "TestHarness.h"

#include "Philox.cuh"
#include "ReducePlan.cuh"
#include "TensorCommon.cuh"

#include "ds/Runtime/Kernels/CPU/Random.h"
#include "ds/Runtime/Kernels/CPU/Reduce.h"

#include <algorithm>
#include <random>
#include <string>
#include <vector>

namespace {

using namespace ds::rt;
namespace detail = ds::rt::cuda::detail;

// Number of outputs whose offsets differ from sum(index_d * strides[k][d]).
template <int N>
int64_t mapMismatches(const Shape &out, const std::vector<int64_t> (&strides)[N]) {
  detail::IndexMap<N> map;
  if (!detail::planIndexMap(out, strides, map, "test").isOk())
    return 1;
  int64_t bad = 0;
  for (int64_t i = 0; i < numElements(out); ++i) {
    int64_t rest = i, want[N] = {};
    for (int d = static_cast<int>(out.size()) - 1; d >= 0; --d) {
      const int64_t idx = rest % out[d];
      rest /= out[d];
      for (int k = 0; k < N; ++k)
        want[k] += idx * strides[k][d];
    }
    int64_t got[N];
    map.offsets(i, got);
    for (int k = 0; k < N; ++k)
      bad += got[k] != want[k];
  }
  return bad;
}

TEST(CudaIndexPlan, TransposeAndSliceMaps) {
  std::mt19937 gen(1);
  int64_t bad = 0;
  for (int t = 0; t < 300; ++t) {
    const int rank = 1 + gen() % 5;
    Shape in(rank);
    for (int64_t &d : in)
      d = 1 + gen() % 4;
    std::vector<int64_t> perm(rank), steps(rank);
    for (int i = 0; i < rank; ++i)
      perm[i] = i;
    std::shuffle(perm.begin(), perm.end(), gen);
    std::vector<int64_t> inStrides = contiguousStrides(in), strides(rank);
    Shape out(rank);
    for (int i = 0; i < rank; ++i) {
      steps[i] = 1 + gen() % 2; // a slice's step scales the stride
      strides[i] = inStrides[perm[i]] * steps[i];
      out[i] = in[perm[i]];
    }
    const std::vector<int64_t> all[1] = {strides};
    bad += mapMismatches<1>(out, all);
  }
  EXPECT_TRUE(bad == 0) << bad << " offsets differ";
}

TEST(CudaIndexPlan, BroadcastMaps) {
  std::mt19937 gen(2);
  int64_t bad = 0;
  for (int t = 0; t < 300; ++t) {
    const int rank = gen() % 6;
    Shape out(rank), a, b, c;
    for (int64_t &d : out)
      d = 1 + gen() % 4;
    const int ra = gen() % (rank + 1), rb = gen() % (rank + 1), rc = gen() % (rank + 1);
    for (int i = rank - ra; i < rank; ++i)
      a.push_back(gen() % 2 ? out[i] : 1);
    for (int i = rank - rb; i < rank; ++i)
      b.push_back(gen() % 2 ? out[i] : 1);
    for (int i = rank - rc; i < rank; ++i)
      c.push_back(gen() % 2 ? out[i] : 1);
    const std::vector<int64_t> two[2] = {detail::broadcastStrides(a, out),
                                         detail::broadcastStrides(b, out)};
    bad += mapMismatches<2>(out, two);
    const std::vector<int64_t> three[3] = {detail::broadcastStrides(a, out),
                                           detail::broadcastStrides(b, out),
                                           detail::broadcastStrides(c, out)};
    bad += mapMismatches<3>(out, three);
  }
  EXPECT_TRUE(bad == 0) << bad << " offsets differ";
}

TEST(CudaIndexPlan, TooManyDimsIsAnError) {
  const Shape out = {2, 2, 2, 2, 2, 2, 2, 2, 2};
  std::vector<int64_t> alternating(out.size());
  for (size_t i = 0; i < out.size(); ++i)
    alternating[i] = (i % 2) ? 1000 : 1; // no two neighbours merge
  const std::vector<int64_t> all[1] = {alternating};
  detail::IndexMap<1> map;
  Status s = detail::planIndexMap(out, all, map, "test");
  EXPECT_TRUE(!s.isOk() && s.message().find("more than 8 dims") != std::string::npos)
      << s.message();
}

TEST(CudaIndexPlan, ReducePlanMatchesCpu) {
  std::mt19937 gen(3);
  int64_t bad = 0;
  for (int t = 0; t < 1000; ++t) {
    const int rank = gen() % 6;
    Shape shape(rank);
    for (int64_t &d : shape)
      d = 1 + gen() % 4;
    std::vector<int64_t> axes;
    for (int i = 0; i < rank; ++i)
      if (gen() % 2)
        axes.push_back(gen() % 2 ? i : i - rank);
    const bool keepDim = gen() % 2;
    StatusOr<Shape> outShape = cpu::reduceShape(shape, axes, keepDim);
    ASSERT_TRUE(outShape.isOk());
    const int64_t n = numElements(shape), outCount = numElements(*outShape);
    std::vector<float> x(n);
    for (float &v : x)
      v = static_cast<float>(gen() % 100); // small integers: every sum is exact
    std::vector<float> want(outCount);
    ASSERT_TRUE(cpu::reduce(cpu::ReduceKind::Sum, TensorView(x.data(), shape), axes, keepDim,
                            MutableTensorView(want.data(), *outShape))
                    .isOk());
    std::vector<bool> reduced(rank, axes.empty());
    for (int64_t a : axes)
      reduced[a < 0 ? a + rank : a] = true;
    int64_t count = 1;
    for (int i = 0; i < rank; ++i)
      if (reduced[i])
        count *= shape[i];
    detail::ReducePlan plan;
    ASSERT_TRUE(detail::planReduce(shape, reduced, plan, "test").isOk());
    // The kernels' loops, run on the host.
    std::vector<float> got(outCount);
    if (plan.copy) {
      std::copy(x.begin(), x.begin() + outCount, got.begin());
    } else if (plan.lastReduced) {
      for (int64_t o = 0; o < outCount; ++o) {
        int64_t base[1], off[1];
        plan.kept.offsets(o, base);
        float acc = 0;
        for (int64_t r = 0; r < count; ++r) {
          plan.reduced.offsets(r / plan.len, off);
          acc += x[base[0] + off[0] + r % plan.len];
        }
        got[o] = acc;
      }
    } else {
      for (int64_t row = 0; row < outCount / plan.len; ++row)
        for (int64_t j = 0; j < plan.len; ++j) {
          int64_t base[1], off[1];
          plan.kept.offsets(row, base);
          float acc = 0;
          for (int64_t r = 0; r < count; ++r) {
            plan.reduced.offsets(r, off);
            acc += x[base[0] + off[0] + j];
          }
          got[row * plan.len + j] = acc;
        }
    }
    bad += got != want;
  }
  EXPECT_TRUE(bad == 0) << bad << " reductions differ";
}

TEST(CudaIndexPlan, PhiloxMatchesHost) {
  int64_t bad = 0;
  for (uint64_t seed : {0ull, 42ull, 0x123456789abcdefull})
    for (uint64_t counter : {0ull, 7ull, 12345678901ull})
      for (uint64_t block : {0ull, 1ull, 999ull, 0x100000000ull, 0xfffffffffffull}) {
        uint32_t got[4];
        detail::philoxWords(seed, counter, block, got);
        const PhiloxBlock want = ds::rt::philoxWords(seed, counter, block);
        for (int k = 0; k < 4; ++k)
          bad += got[k] != want[k] ||
                 detail::uniformFromWord(got[k]) != ds::rt::uniformFromWord(want[k]);
      }
  EXPECT_TRUE(bad == 0) << bad << " words differ";
}

} // namespace
