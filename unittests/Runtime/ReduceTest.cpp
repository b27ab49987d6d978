// sum, mean and max over axis sets against a float64 reference, keepdim on and off.
#include "ds/Runtime/Kernels/CPU/Reduce.h"

#include "TestUtil.h"

using namespace ds::rt;
using namespace ds::rt::test;
using cpu::ReduceKind;

namespace {

// Reference: every input element lands in the output element that drops its reduced coords.
std::vector<double> referenceReduce(ReduceKind kind, const std::vector<float> &x,
                                    const Shape &shape, std::vector<int64_t> axes) {
  const int64_t rank = static_cast<int64_t>(shape.size());
  std::vector<bool> reduced(rank, axes.empty());
  for (int64_t a : axes)
    reduced[a < 0 ? a + rank : a] = true;
  Shape outShape;
  for (int64_t i = 0; i < rank; ++i)
    outShape.push_back(reduced[i] ? 1 : shape[i]);
  const int64_t outCount = numElements(outShape);
  std::vector<double> acc(outCount, kind == ReduceKind::Max ? -INFINITY : 0.0);
  std::vector<int64_t> counts(outCount, 0);
  for (int64_t i = 0; i < static_cast<int64_t>(x.size()); ++i) {
    std::vector<int64_t> idx = unravel(i, shape);
    for (int64_t d = 0; d < rank; ++d)
      if (reduced[d])
        idx[d] = 0;
    int64_t o = ravel(idx, outShape);
    acc[o] = kind == ReduceKind::Max ? std::max(acc[o], static_cast<double>(x[i])) : acc[o] + x[i];
    counts[o]++;
  }
  if (kind == ReduceKind::Mean)
    for (int64_t o = 0; o < outCount; ++o)
      acc[o] /= counts[o];
  return acc;
}

struct ReduceCase {
  Shape shape;
  std::vector<int64_t> axes;
  Shape keptShape; // output without keepDim
};

class ReduceTest : public ::testing::TestWithParam<ReduceCase> {};

TEST_P(ReduceTest, AllKindsBothKeepDims) {
  const ReduceCase &c = GetParam();
  std::vector<float> x = randomFloats(numElements(c.shape), 71);
  for (ReduceKind kind : {ReduceKind::Sum, ReduceKind::Mean, ReduceKind::Max}) {
    SCOPED_TRACE(cpu::reduceKindName(kind));
    std::vector<double> want = referenceReduce(kind, x, c.shape, c.axes);
    for (bool keep : {false, true}) {
      StatusOr<Shape> shape = cpu::reduceShape(c.shape, c.axes, keep);
      ASSERT_OK(shape);
      if (!keep)
        EXPECT_EQ(*shape, c.keptShape);
      else
        EXPECT_EQ(shape->size(), c.shape.size());
      std::vector<float> out(numElements(*shape), NAN);
      ASSERT_OK(cpu::reduce(kind, TensorView(x.data(), c.shape), c.axes, keep,
                            MutableTensorView(out.data(), *shape)));
      EXPECT_TRUE(allClose(out, want, 1e-5, 1e-5));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Axes, ReduceTest,
    ::testing::Values(ReduceCase{{2, 3, 4, 5}, {1}, {2, 4, 5}},
                      ReduceCase{{2, 3, 4, 5}, {0, 2}, {3, 5}},
                      ReduceCase{{2, 3, 4, 5}, {-1}, {2, 3, 4}},
                      ReduceCase{{2, 3, 4, 5}, {1, 3}, {2, 4}},
                      ReduceCase{{2, 3, 4, 5}, {3, 0}, {3, 4}},
                      ReduceCase{{2, 3, 4, 5}, {}, {}},
                      ReduceCase{{2, 3, 4, 5}, {0, 1, 2, 3}, {}},
                      ReduceCase{{2, 1, 3}, {1}, {2, 3}},
                      ReduceCase{{2, 1, 3}, {0, 1}, {3}},
                      ReduceCase{{7}, {0}, {}},
                      // Past the parallel threshold: bias-gradient style and row-sum style.
                      ReduceCase{{64, 16, 48}, {0, 1}, {48}},
                      ReduceCase{{48, 1500}, {1}, {48}},
                      ReduceCase{{40, 30, 40}, {1}, {40, 40}},
                      // A kept inner run longer than one accumulation chunk.
                      ReduceCase{{6, 2100}, {0}, {2100}}));

TEST(ReduceEdge, MaxPropagatesNaN) {
  std::vector<float> x = {1.0f, NAN, 3.0f, 4.0f, 5.0f, 6.0f}, out(2);
  ASSERT_OK(cpu::reduce(ReduceKind::Max, TensorView(x.data(), {2, 3}), {1}, false,
                        MutableTensorView(out.data(), {2})));
  EXPECT_TRUE(std::isnan(out[0]));
  EXPECT_EQ(out[1], 6.0f);
}

TEST(ReduceEdge, EmptyExtent) {
  float dummy = 1.0f;
  std::vector<float> out(6, 5.0f);
  ASSERT_OK(cpu::reduce(ReduceKind::Sum, TensorView(&dummy, {2, 0, 3}), {1}, false,
                        MutableTensorView(out.data(), {2, 3})));
  for (float v : out)
    EXPECT_EQ(v, 0.0f);
  ASSERT_OK(cpu::reduce(ReduceKind::Mean, TensorView(&dummy, {2, 0, 3}), {1}, false,
                        MutableTensorView(out.data(), {2, 3})));
  for (float v : out)
    EXPECT_TRUE(std::isnan(v));
  EXPECT_ERROR_CONTAINS(cpu::reduce(ReduceKind::Max, TensorView(&dummy, {2, 0, 3}), {1}, false,
                                    MutableTensorView(out.data(), {2, 3})),
                        "reduce_max: max over an empty extent of [2,0,3]");
}

TEST(ReduceErrors, BadAxes) {
  std::vector<float> x(6, 1.0f), out(6);
  EXPECT_ERROR_CONTAINS(cpu::reduceShape({2, 3}, {1, -1}, false), "axis -1 is listed twice");
  EXPECT_ERROR_CONTAINS(cpu::reduce(ReduceKind::Sum, TensorView(x.data(), {2, 3}), {2}, false,
                                    MutableTensorView(out.data(), {2})),
                        "reduce_sum: axis 2 is out of range for rank 2");
  EXPECT_ERROR_CONTAINS(cpu::reduce(ReduceKind::Mean, TensorView(x.data(), {2, 3}), {1}, true,
                                    MutableTensorView(out.data(), {2})),
                        "reduce_mean: output shape [2] differs from the expected [2,1]");
}

} // namespace
