// transpose, slice, concat, split, gather and expand against index-by-index references, on
// 1-, 2-, 4- and 8-byte element types.
#include "ds/Runtime/Kernels/CPU/ShapeOps.h"

#include "TestUtil.h"

#include <climits>
#include <numeric>

using namespace ds::rt;
using namespace ds::rt::test;

namespace {

// Distinct, nonzero values of each element type so misplaced elements are caught.
template <typename T> std::vector<T> distinctValues(int64_t n, uint32_t seed) {
  std::vector<int64_t> v = randomInts(n, seed, 1, 1 << 14);
  std::vector<T> out(n);
  for (int64_t i = 0; i < n; ++i) {
    if constexpr (std::is_same_v<T, BFloat16> || std::is_same_v<T, Half>)
      out[i] = T{static_cast<uint16_t>(v[i] * 3 + i)};
    else
      out[i] = static_cast<T>(v[i] * 1000 + i);
  }
  return out;
}

template <typename T> bool same(const T &a, const T &b) {
  if constexpr (std::is_same_v<T, BFloat16> || std::is_same_v<T, Half>)
    return a.bits == b.bits;
  else
    return a == b;
}

template <typename T> void checkTranspose(const Shape &shape, const std::vector<int64_t> &perm) {
  SCOPED_TRACE(shapeToString(shape) + " perm " + shapeToString(perm));
  std::vector<T> x = distinctValues<T>(numElements(shape), 81);
  StatusOr<Shape> outShape = cpu::transposeShape(shape, perm);
  ASSERT_OK(outShape);
  std::vector<T> out(x.size());
  ASSERT_OK(cpu::transpose(TensorView(x.data(), shape), perm,
                           MutableTensorView(out.data(), *outShape)));
  for (int64_t i = 0; i < static_cast<int64_t>(out.size()); ++i) {
    std::vector<int64_t> oi = unravel(i, *outShape), ii(shape.size());
    for (size_t d = 0; d < perm.size(); ++d)
      ii[perm[d] < 0 ? perm[d] + shape.size() : perm[d]] = oi[d];
    ASSERT_TRUE(same(out[i], x[ravel(ii, shape)])) << "element " << i;
  }
}

TEST(Transpose, PermutationsAndDtypes) {
  checkTranspose<float>({2, 3, 4, 5}, {0, 1, 3, 2});
  checkTranspose<float>({2, 3, 4, 5}, {3, 2, 1, 0});
  checkTranspose<float>({2, 3, 4, 5}, {0, 2, 1, 3});
  checkTranspose<float>({2, 3, 4, 5}, {1, 2, 3, 0});
  checkTranspose<float>({2, 3, 4, 5}, {0, 1, 2, 3});
  checkTranspose<float>({3, 1, 4}, {2, 1, 0});
  checkTranspose<BFloat16>({4, 6, 8}, {0, 2, 1});
  checkTranspose<Half>({4, 6, 8}, {-1, 0, 1});
  checkTranspose<int64_t>({5, 7}, {1, 0});
  checkTranspose<uint8_t>({3, 4, 5}, {2, 0, 1});
  checkTranspose<float>({64, 24, 32}, {2, 0, 1}); // tiled and parallel
  // Tiled with partial tiles and an outer dim.
  checkTranspose<Half>({3, 40, 50}, {0, 2, 1});
  checkTranspose<float>({37, 45}, {1, 0});
  checkTranspose<int64_t>({2, 9, 3, 17}, {0, 3, 2, 1});
}

TEST(Transpose, Errors) {
  std::vector<float> x(6), out(6);
  EXPECT_ERROR_CONTAINS(cpu::transposeShape({2, 3}, {0}), "permutation of 1 entries for rank 2");
  EXPECT_ERROR_CONTAINS(cpu::transposeShape({2, 3}, {1, 1}), "appears twice");
  EXPECT_ERROR_CONTAINS(cpu::transposeShape({2, 3}, {0, 2}), "out of range");
  std::vector<int32_t> ints(6);
  EXPECT_ERROR_CONTAINS(cpu::transpose(TensorView(x.data(), {2, 3}), {1, 0},
                                       MutableTensorView(ints.data(), {3, 2})),
                        "output dtype i32 differs from the input's f32");
}

template <typename T>
void checkSlice(const Shape &shape, const std::vector<int64_t> &starts,
                const std::vector<int64_t> &ends, const std::vector<int64_t> &steps,
                const Shape &expected) {
  SCOPED_TRACE(shapeToString(shape) + " starts " + shapeToString(starts) + " ends " +
               shapeToString(ends));
  std::vector<T> x = distinctValues<T>(numElements(shape), 82);
  StatusOr<Shape> outShape = cpu::sliceShape(shape, starts, ends, steps);
  ASSERT_OK(outShape);
  ASSERT_EQ(*outShape, expected);
  std::vector<T> out(numElements(expected));
  ASSERT_OK(cpu::slice(TensorView(x.data(), shape), starts, ends, steps,
                       MutableTensorView(out.data(), expected)));
  for (int64_t i = 0; i < static_cast<int64_t>(out.size()); ++i) {
    std::vector<int64_t> idx = unravel(i, expected);
    for (size_t d = 0; d < shape.size(); ++d) {
      int64_t s = starts[d] < 0 ? std::max<int64_t>(starts[d] + shape[d], 0) : starts[d];
      idx[d] = s + idx[d] * steps[d];
    }
    ASSERT_TRUE(same(out[i], x[ravel(idx, shape)])) << "element " << i;
  }
}

TEST(Slice, StepsNegativesAndClamping) {
  checkSlice<float>({5, 6, 7}, {1, -4, 0}, {5, INT64_MAX, 7}, {2, 1, 3}, {2, 4, 3});
  checkSlice<float>({5, 6}, {0, 0}, {5, 6}, {1, 1}, {5, 6});
  checkSlice<float>({5, 6}, {-100, 2}, {-1, 3}, {1, 1}, {4, 1});
  checkSlice<float>({5, 6}, {3, 0}, {2, 6}, {1, 1}, {0, 6});
  checkSlice<Half>({4, 8}, {1, 1}, {4, 8}, {1, 2}, {3, 4});
  checkSlice<int64_t>({10}, {9}, {100}, {1}, {1});
  checkSlice<float>({8, 64, 128}, {0, 0, 64}, {8, 64, 128}, {1, 1, 1}, {8, 64, 64});
}

TEST(Slice, Errors) {
  EXPECT_ERROR_CONTAINS(cpu::sliceShape({4, 4}, {0, 0}, {4, 4}, {1, 0}),
                        "step 0 of dim 1 must be >= 1");
  EXPECT_ERROR_CONTAINS(cpu::sliceShape({4, 4}, {0}, {4, 4}, {1, 1}), "one start, end and step");
}

TEST(ConcatSplit, RoundTripAlongEachAxis) {
  const Shape a = {2, 3, 4}, b = {2, 5, 4}, c = {2, 1, 4};
  std::vector<float> xa = randomFloats(24, 83), xb = randomFloats(40, 84), xc = randomFloats(8, 85);
  std::vector<float> out(72, NAN);
  StatusOr<Shape> shape = cpu::concatShape({a, b, c}, -2);
  ASSERT_OK(shape);
  ASSERT_EQ(*shape, (Shape{2, 9, 4}));
  ASSERT_OK(cpu::concat({TensorView(xa.data(), a), TensorView(xb.data(), b),
                         TensorView(xc.data(), c)},
                        1, MutableTensorView(out.data(), *shape)));
  for (int64_t i = 0; i < 72; ++i) {
    std::vector<int64_t> idx = unravel(i, *shape);
    int64_t j = idx[1];
    float want;
    if (j < 3)
      want = xa[ravel({idx[0], j, idx[2]}, a)];
    else if (j < 8)
      want = xb[ravel({idx[0], j - 3, idx[2]}, b)];
    else
      want = xc[ravel({idx[0], j - 8, idx[2]}, c)];
    ASSERT_EQ(out[i], want) << "element " << i;
  }
  std::vector<float> ya(24), yb(40), yc(8);
  ASSERT_OK(cpu::split(TensorView(out.data(), *shape), 1, {3, 5, 1},
                       {MutableTensorView(ya.data(), a), MutableTensorView(yb.data(), b),
                        MutableTensorView(yc.data(), c)}));
  EXPECT_EQ(ya, xa);
  EXPECT_EQ(yb, xb);
  EXPECT_EQ(yc, xc);

  // Leading axis, 2-byte elements.
  std::vector<BFloat16> p = distinctValues<BFloat16>(6, 86), q = distinctValues<BFloat16>(9, 87);
  std::vector<BFloat16> pq(15);
  ASSERT_OK(cpu::concat({TensorView(p.data(), {2, 3}), TensorView(q.data(), {3, 3})}, 0,
                        MutableTensorView(pq.data(), {5, 3})));
  for (int i = 0; i < 15; ++i)
    EXPECT_EQ(pq[i].bits, i < 6 ? p[i].bits : q[i - 6].bits);
}

TEST(ConcatSplit, Errors) {
  EXPECT_ERROR_CONTAINS(cpu::concatShape({{2, 3}, {3, 3}}, 1),
                        "input 1 shape [3,3] does not match input 0 [2,3] outside axis 1");
  EXPECT_ERROR_CONTAINS(cpu::concatShape({}, 0), "no inputs");
  std::vector<float> x(12), y(12);
  EXPECT_ERROR_CONTAINS(cpu::split(TensorView(x.data(), {3, 4}), 1, {1, 2},
                                   {MutableTensorView(y.data(), {3, 1}),
                                    MutableTensorView(y.data(), {3, 2})}),
                        "sizes add up to 3 but axis 1 of [3,4] has 4");
  std::vector<int32_t> ints(12);
  EXPECT_ERROR_CONTAINS(cpu::concat({TensorView(x.data(), {3, 4}), TensorView(ints.data(), {3, 4})},
                                    0, MutableTensorView(y.data(), {6, 4})),
                        "concat: input 1 must be f32, got i32");
}

template <typename Index> void checkGather(int64_t axis) {
  const Shape data = {4, 6, 3};
  std::vector<float> x = randomFloats(72, 88);
  const int64_t dim = data[axis];
  std::vector<Index> idx = {0, static_cast<Index>(dim - 1), -1, 2, static_cast<Index>(-dim), 1};
  const Shape idxShape = {2, 3};
  StatusOr<Shape> outShape = cpu::gatherShape(data, idxShape, axis);
  ASSERT_OK(outShape);
  std::vector<float> out(numElements(*outShape), NAN);
  ASSERT_OK(cpu::gather(TensorView(x.data(), data), TensorView(idx.data(), idxShape), axis,
                        MutableTensorView(out.data(), *outShape)));
  for (int64_t i = 0; i < static_cast<int64_t>(out.size()); ++i) {
    std::vector<int64_t> o = unravel(i, *outShape);
    // out index = data[:axis] + indices + data[axis+1:]
    std::vector<int64_t> src(o.begin(), o.begin() + axis);
    int64_t q = o[axis] * 3 + o[axis + 1];
    int64_t v = idx[q] < 0 ? idx[q] + dim : idx[q];
    src.push_back(v);
    src.insert(src.end(), o.begin() + axis + 2, o.end());
    ASSERT_EQ(out[i], x[ravel(src, data)]) << "element " << i;
  }
}

TEST(Gather, OnnxSemanticsBothIndexTypes) {
  checkGather<int64_t>(0);
  checkGather<int32_t>(1);
  checkGather<int64_t>(2);
}

TEST(Gather, EmbeddingLookup) {
  const int64_t vocab = 50, width = 16;
  std::vector<float> table = randomFloats(vocab * width, 89);
  std::vector<int64_t> tokens = randomInts(2 * 7, 90, 0, vocab - 1);
  std::vector<float> out(2 * 7 * width);
  ASSERT_OK(cpu::gather(TensorView(table.data(), {vocab, width}), TensorView(tokens.data(), {2, 7}),
                        0, MutableTensorView(out.data(), {2, 7, width})));
  for (int64_t t = 0; t < 14; ++t)
    for (int64_t c = 0; c < width; ++c)
      ASSERT_EQ(out[t * width + c], table[tokens[t] * width + c]);
}

TEST(Gather, OutOfRangeIndexIsAnError) {
  std::vector<float> x(12, 1.0f), out(12);
  std::vector<int64_t> idx = {1, 4};
  EXPECT_ERROR_CONTAINS(cpu::gather(TensorView(x.data(), {4, 3}), TensorView(idx.data(), {2}), 0,
                                    MutableTensorView(out.data(), {2, 3})),
                        "gather: index 4 at position 1 is out of range for axis 0 of size 4");
  std::vector<int32_t> neg = {-5};
  EXPECT_ERROR_CONTAINS(cpu::gather(TensorView(x.data(), {4, 3}), TensorView(neg.data(), {1}), 0,
                                    MutableTensorView(out.data(), {1, 3})),
                        "index -5");
  std::vector<float> fidx = {0.0f};
  EXPECT_ERROR_CONTAINS(cpu::gather(TensorView(x.data(), {4, 3}), TensorView(fidx.data(), {1}), 0,
                                    MutableTensorView(out.data(), {1, 3})),
                        "indices must be i64 or i32, got f32");
}

TEST(Expand, BroadcastTo) {
  std::vector<float> x = randomFloats(3, 91), out(24, NAN);
  ASSERT_OK(cpu::expand(TensorView(x.data(), {3, 1}), MutableTensorView(out.data(), {2, 3, 4})));
  for (int64_t i = 0; i < 24; ++i)
    EXPECT_EQ(out[i], x[unravel(i, {2, 3, 4})[1]]);
  std::vector<Half> h = distinctValues<Half>(4, 92), hout(12);
  ASSERT_OK(cpu::expand(TensorView(h.data(), {4}), MutableTensorView(hout.data(), {3, 4})));
  for (int64_t i = 0; i < 12; ++i)
    EXPECT_EQ(hout[i].bits, h[i % 4].bits);
  EXPECT_ERROR_CONTAINS(cpu::expand(TensorView(x.data(), {3, 1}),
                                    MutableTensorView(out.data(), {2, 4, 3})),
                        "expand: input [3,1] does not broadcast to [2,4,3]");
  EXPECT_ERROR_CONTAINS(cpu::expand(TensorView(x.data(), {3}), MutableTensorView(out.data(), {1})),
                        "does not broadcast to [1]");
}

} // namespace
