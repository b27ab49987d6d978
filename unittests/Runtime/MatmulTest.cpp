// matmul against a float64 reference: plain, transposed, batched with broadcasting, rank-1.
#include "ds/Runtime/Kernels/CPU/Matmul.h"

#include "TestUtil.h"

using namespace ds::rt;
using namespace ds::rt::test;

namespace {

struct Case {
  Shape lhs, rhs;
  bool ta, tb;
  Shape expectedOut;
};

// Reference written from the definition, independent of the kernel's folding and BLAS layout.
std::vector<double> referenceMatmul(const std::vector<float> &a, Shape l,
                                    const std::vector<float> &b, Shape r, bool ta, bool tb,
                                    const Shape &outShape) {
  if (l.size() == 1) {
    l = {1, l[0]};
    ta = false;
  }
  if (r.size() == 1) {
    r = {r[0], 1};
    tb = false;
  }
  const int64_t m = ta ? l[l.size() - 1] : l[l.size() - 2];
  const int64_t k = ta ? l[l.size() - 2] : l[l.size() - 1];
  const int64_t n = tb ? r[r.size() - 2] : r[r.size() - 1];
  Shape lb(l.begin(), l.end() - 2), rb(r.begin(), r.end() - 2);
  const int64_t batches = numElements(outShape) / (m * n);
  Shape batchShape(std::max(lb.size(), rb.size()));
  for (size_t i = 0; i < batchShape.size(); ++i) {
    int64_t dl = i + lb.size() < batchShape.size() ? 1 : lb[i + lb.size() - batchShape.size()];
    int64_t dr = i + rb.size() < batchShape.size() ? 1 : rb[i + rb.size() - batchShape.size()];
    batchShape[i] = std::max(dl, dr);
  }
  std::vector<double> out(numElements(outShape));
  for (int64_t bi = 0; bi < batches; ++bi) {
    std::vector<int64_t> idx = unravel(bi, batchShape);
    const float *pa = a.data() + broadcastSource(idx, lb) * m * k;
    const float *pb = b.data() + broadcastSource(idx, rb) * k * n;
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double acc = 0;
        for (int64_t p = 0; p < k; ++p)
          acc += static_cast<double>(ta ? pa[p * m + i] : pa[i * k + p]) *
                 (tb ? pb[j * k + p] : pb[p * n + j]);
        out[bi * m * n + i * n + j] = acc;
      }
  }
  return out;
}

class MatmulTest : public ::testing::TestWithParam<Case> {};

TEST_P(MatmulTest, MatchesReference) {
  const Case &c = GetParam();
  StatusOr<Shape> shape = cpu::matmulShape(c.lhs, c.rhs, c.ta, c.tb);
  ASSERT_OK(shape);
  ASSERT_EQ(*shape, c.expectedOut);
  std::vector<float> a = randomFloats(numElements(c.lhs), 1);
  std::vector<float> b = randomFloats(numElements(c.rhs), 2);
  std::vector<float> out(numElements(*shape), NAN);
  ASSERT_OK(cpu::matmul(TensorView(a.data(), c.lhs), TensorView(b.data(), c.rhs),
                        MutableTensorView(out.data(), *shape), c.ta, c.tb));
  std::vector<double> want = referenceMatmul(a, c.lhs, b, c.rhs, c.ta, c.tb, *shape);
  EXPECT_TRUE(allClose(out, want, 1e-5, 1e-4));
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, MatmulTest,
    ::testing::Values(Case{{3, 4}, {4, 5}, false, false, {3, 5}},
                      Case{{4, 3}, {4, 5}, true, false, {3, 5}},
                      Case{{3, 4}, {5, 4}, false, true, {3, 5}},
                      Case{{4, 3}, {5, 4}, true, true, {3, 5}},
                      // Shared rhs: the kernel folds the batch into rows.
                      Case{{2, 3, 4}, {4, 5}, false, false, {2, 3, 5}},
                      Case{{2, 4, 3}, {4, 5}, true, false, {2, 3, 5}},
                      Case{{2, 3, 4}, {2, 5, 4}, false, true, {2, 3, 5}},
                      Case{{2, 1, 3, 4}, {5, 4, 6}, false, false, {2, 5, 3, 6}},
                      Case{{3, 4}, {2, 4, 5}, false, false, {2, 3, 5}},
                      Case{{3, 1, 4, 2}, {1, 2, 4, 6}, true, false, {3, 2, 2, 6}},
                      Case{{4}, {2, 4, 5}, false, false, {2, 5}},
                      Case{{3, 4}, {4}, false, false, {3}},
                      Case{{4}, {4}, false, false, {}},
                      // Large enough for OpenBLAS to use its threads.
                      Case{{96, 160}, {160, 128}, false, false, {96, 128}},
                      Case{{2, 160, 96}, {2, 128, 160}, true, true, {2, 96, 128}}));

TEST(MatmulErrors, ReportsWhatIsWrong) {
  std::vector<float> a(24, 1.0f), b(30, 1.0f), out(64, 0.0f);
  EXPECT_ERROR_CONTAINS(cpu::matmulShape({3, 4}, {5, 6}), "contraction dims differ");
  EXPECT_ERROR_CONTAINS(cpu::matmulShape({2, 3, 4}, {3, 4, 5}), "batch dims");
  EXPECT_ERROR_CONTAINS(cpu::matmulShape({}, {3, 4}), "rank >= 1");
  EXPECT_ERROR_CONTAINS(cpu::matmul(TensorView(a.data(), {6, 4}), TensorView(b.data(), {4, 5}),
                                    MutableTensorView(out.data(), {6, 4})),
                        "output shape [6,4] differs from the expected [6,5]");
  std::vector<int64_t> ints(24, 1);
  EXPECT_ERROR_CONTAINS(cpu::matmul(TensorView(ints.data(), {6, 4}),
                                    TensorView(b.data(), {4, 5}),
                                    MutableTensorView(out.data(), {6, 5})),
                        "lhs must be f32, got i64");
}

TEST(MatmulEdge, EmptyContractionGivesZeros) {
  std::vector<float> out(6, NAN);
  float dummy = 0.0f;
  ASSERT_OK(cpu::matmul(TensorView(&dummy, {2, 0}), TensorView(&dummy, {0, 3}),
                        MutableTensorView(out.data(), {2, 3})));
  for (float v : out)
    EXPECT_EQ(v, 0.0f);
}

} // namespace
