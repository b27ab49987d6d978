// The view-based CUDA kernels (Tensor.h, ShapeOps.h, the axis softmax, RMS norm, SGD, dropout)
// against their cpu:: twins on seeded random inputs: float math within the dtype's tolerance
// (f32 1e-5, bf16 1e-2, relative to the largest reference magnitude; bf16 inputs are rounded to
// bf16 before the CPU sees them), data movement, integer arithmetic, comparisons, the SGD step and
// the dropout mask exactly. Tests that need a device skip without one; the argument checks run
// everywhere, since they return before touching device memory.
#include "CudaTestSupport.h"

#include "ds/Runtime/DType.h"
#include "ds/Runtime/Kernels/CPU/Elementwise.h"
#include "ds/Runtime/Kernels/CPU/Gradients.h"
#include "ds/Runtime/Kernels/CPU/Norm.h"
#include "ds/Runtime/Kernels/CPU/Optimizer.h"
#include "ds/Runtime/Kernels/CPU/Random.h"
#include "ds/Runtime/Kernels/CPU/Reduce.h"
#include "ds/Runtime/Kernels/CPU/ShapeOps.h"
#include "ds/Runtime/Kernels/CPU/Softmax.h"
#include "ds/Runtime/Kernels/CUDA.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace {

using namespace ds::rt;
using namespace ds::rt::cuda::test;

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

// A device tensor and its view.
struct DevTensor {
  std::unique_ptr<DeviceBuffer> buf;
  Shape shape;
  DType dtype;
  TensorView view() const { return TensorView(buf->get(), shape, dtype); }
  MutableTensorView mut() const { return MutableTensorView(buf->get(), shape, dtype); }
  int64_t numel() const { return numElements(shape); }
};

// Float values (already rounded for bf16) on the device in `dtype`.
DevTensor devFloats(const std::vector<float> &v, const Shape &shape, DType dtype) {
  return {upload(v, dtype), shape, dtype};
}
DevTensor devEmpty(const Shape &shape, DType dtype) {
  const int64_t bytes = std::max<int64_t>(1, numElements(shape) * dtypeSize(dtype));
  return {std::make_unique<DeviceBuffer>(static_cast<size_t>(bytes)), shape, dtype};
}
template <typename T> DevTensor devRaw(const std::vector<T> &v, const Shape &shape, DType dtype) {
  std::vector<T> padded = v.empty() ? std::vector<T>(1) : v;
  return {std::make_unique<DeviceBuffer>(padded), shape, dtype};
}
// Host copies of a device tensor (nothing to copy for an empty one).
std::vector<float> hostFloats(const DevTensor &t) {
  return t.numel() ? downloadFloats(*t.buf, t.numel(), t.dtype) : std::vector<float>();
}
std::vector<uint8_t> hostBytes(const DevTensor &t) {
  return t.numel() ? t.buf->download<uint8_t>(t.numel() * dtypeSize(t.dtype))
                   : std::vector<uint8_t>();
}

// Random floats in [lo, hi) as the kernel of `dtype` sees them.
std::vector<float> randomInput(const Shape &shape, uint32_t seed, DType dtype, float lo = -2.0f,
                               float hi = 2.0f) {
  std::vector<float> v = randomFloats(numElements(shape), seed, lo, hi);
  return dtype == DType::BF16 ? roundToBf16(v) : v;
}

std::vector<uint8_t> randomBytes(int64_t n, uint32_t seed) {
  std::mt19937 gen(seed);
  std::vector<uint8_t> v(n);
  for (uint8_t &b : v)
    b = static_cast<uint8_t>(gen());
  return v;
}

std::string shapeOf(const Shape &s) { return shapeToString(s); }

// An f32 CPU output the size of `shape`.
struct HostOut {
  std::vector<float> data;
  Shape shape;
  explicit HostOut(const Shape &s) : data(std::max<int64_t>(1, numElements(s))), shape(s) {}
  MutableTensorView mut() { return MutableTensorView(data.data(), shape); }
  std::vector<float> values() const {
    return std::vector<float>(data.begin(), data.begin() + numElements(shape));
  }
};

bool sameBytes(const std::string &kernel, const std::string &shape, DType dtype,
               const std::vector<uint8_t> &got, const std::vector<uint8_t> &want) {
  int64_t mismatches = got.size() == want.size() ? 0 : 1;
  for (size_t i = 0; i < got.size() && i < want.size(); ++i)
    mismatches += got[i] != want[i];
  appendResult(kernel, shape, dtypeName(dtype), static_cast<double>(mismatches), 0,
               mismatches == 0);
  if (mismatches)
    std::printf("  %s %s %s: %lld bytes differ\n", kernel.c_str(), shape.c_str(), dtypeName(dtype),
                static_cast<long long>(mismatches));
  return mismatches == 0;
}

bool hasError(const Status &s, const std::string &needle) {
  return !s.isOk() && s.message().find(needle) != std::string::npos;
}

//===----------------------------------------------------------------------===//
// Unary, binary, compare, select
//===----------------------------------------------------------------------===//

TEST(CudaTensorOps, Unary) {
  REQUIRE_CUDA_DEVICE();
  using cpu::UnaryOp;
  const UnaryOp ops[] = {UnaryOp::Neg,  UnaryOp::Exp,     UnaryOp::Log,   UnaryOp::Tanh,
                         UnaryOp::Erf,  UnaryOp::Sqrt,    UnaryOp::Rsqrt, UnaryOp::Reciprocal,
                         UnaryOp::Relu, UnaryOp::Sigmoid, UnaryOp::Silu,  UnaryOp::Abs,
                         UnaryOp::Gelu, UnaryOp::GeluTanh};
  const Shape shape = {3, 1007};
  for (DType dtype : kFloatTypes)
    for (UnaryOp op : ops) {
      const bool positive = op == UnaryOp::Log || op == UnaryOp::Sqrt || op == UnaryOp::Rsqrt ||
                            op == UnaryOp::Reciprocal;
      std::vector<float> x =
          randomInput(shape, 100 + static_cast<int>(op), dtype, positive ? 0.25f : -4.0f, 4.0f);
      DevTensor dX = devFloats(x, shape, dtype), dY = devEmpty(shape, dtype);
      ASSERT_OK(gpu::unary(op, dX.view(), dY.mut(), nullptr));
      HostOut y(shape);
      ASSERT_OK(cpu::unary(op, TensorView(x.data(), shape), y.mut()));
      EXPECT_TRUE(closeEnough(cpu::unaryOpName(op), shapeOf(shape), dtype, hostFloats(dY),
                              y.values(), tolFor(dtype)));
    }
}

struct BroadcastCase {
  Shape a, b;
};
const BroadcastCase kBroadcastCases[] = {
    {{4, 33, 65}, {4, 33, 65}}, // identical: the flat path
    {{64, 257}, {257}},         // bias add
    {{5, 1, 7}, {3, 1}},        // both sides broadcast
    {{1, 8}, {6, 1}},
    {{2, 3, 4}, {}}, // scalar rhs
    {{}, {2, 3}},    // scalar lhs
    {{2, 1, 3, 1, 5}, {4, 1, 6, 5}},
};

TEST(CudaTensorOps, BinaryFloat) {
  REQUIRE_CUDA_DEVICE();
  using cpu::BinaryOp;
  const BinaryOp ops[] = {BinaryOp::Add, BinaryOp::Sub, BinaryOp::Mul, BinaryOp::Div,
                          BinaryOp::Pow, BinaryOp::Max, BinaryOp::Min};
  for (DType dtype : kFloatTypes)
    for (const BroadcastCase &c : kBroadcastCases)
      for (BinaryOp op : ops) {
        StatusOr<Shape> outShape = broadcastShapes(c.a, c.b);
        ASSERT_TRUE(outShape.isOk());
        const float lo = op == BinaryOp::Pow ? 0.5f : -2.0f;
        std::vector<float> a = randomInput(c.a, 200 + static_cast<int>(op), dtype, lo, 2.0f);
        std::vector<float> b = randomInput(c.b, 300 + static_cast<int>(op), dtype, 0.5f, 2.0f);
        DevTensor dA = devFloats(a, c.a, dtype), dB = devFloats(b, c.b, dtype);
        DevTensor dOut = devEmpty(*outShape, dtype);
        ASSERT_OK(gpu::binary(op, dA.view(), dB.view(), dOut.mut(), nullptr));
        HostOut want(*outShape);
        ASSERT_OK(
            cpu::binary(op, TensorView(a.data(), c.a), TensorView(b.data(), c.b), want.mut()));
        EXPECT_TRUE(closeEnough(cpu::binaryOpName(op), shapeOf(c.a) + "," + shapeOf(c.b), dtype,
                                hostFloats(dOut), want.values(), tolFor(dtype)));
      }
}

template <typename I> void checkBinaryInt(DType dtype) {
  using cpu::BinaryOp;
  const BinaryOp ops[] = {BinaryOp::Add, BinaryOp::Sub, BinaryOp::Mul, BinaryOp::Div,
                          BinaryOp::Pow, BinaryOp::Max, BinaryOp::Min};
  const Shape as = {5, 1, 7}, bs = {3, 1}, outShape = {5, 3, 7};
  std::mt19937 gen(7);
  std::uniform_int_distribution<int> dist(-4, 4); // zeros included: integer x / 0 is 0
  std::vector<I> a(numElements(as)), b(numElements(bs));
  for (I &v : a)
    v = static_cast<I>(dist(gen) * 3);
  for (I &v : b)
    v = static_cast<I>(dist(gen));
  for (BinaryOp op : ops) {
    std::vector<I> bb = b;
    if (op == BinaryOp::Pow)
      for (I &v : bb)
        v = static_cast<I>(v < 0 ? -v : v); // integer pow of a negative exponent truncates to 0
    DevTensor dA = devRaw(a, as, dtype), dB = devRaw(bb, bs, dtype);
    DevTensor dOut = devEmpty(outShape, dtype);
    ASSERT_OK(gpu::binary(op, dA.view(), dB.view(), dOut.mut(), nullptr));
    std::vector<I> want(numElements(outShape));
    ASSERT_OK(cpu::binary(op, TensorView(a.data(), as), TensorView(bb.data(), bs),
                          MutableTensorView(want.data(), outShape)));
    std::vector<uint8_t> wantBytes(want.size() * sizeof(I));
    std::memcpy(wantBytes.data(), want.data(), wantBytes.size());
    EXPECT_TRUE(
        sameBytes(cpu::binaryOpName(op), shapeOf(outShape), dtype, hostBytes(dOut), wantBytes));
  }
}

TEST(CudaTensorOps, BinaryInteger) {
  REQUIRE_CUDA_DEVICE();
  checkBinaryInt<int64_t>(DType::I64);
  checkBinaryInt<int32_t>(DType::I32);
}

TEST(CudaTensorOps, Compare) {
  REQUIRE_CUDA_DEVICE();
  using cpu::CompareOp;
  const CompareOp ops[] = {CompareOp::Eq, CompareOp::Ne, CompareOp::Lt,
                           CompareOp::Le, CompareOp::Gt, CompareOp::Ge};
  const Shape as = {4, 1, 5}, bs = {3, 1}, outShape = {4, 3, 5};
  // Small integers as floats, so equal pairs occur.
  std::vector<float> a = randomFloats(numElements(as), 61, -3.0f, 3.0f);
  std::vector<float> b = randomFloats(numElements(bs), 62, -3.0f, 3.0f);
  for (float &v : a)
    v = std::round(v);
  for (float &v : b)
    v = std::round(v);
  std::vector<int64_t> ai(a.begin(), a.end()), bi(b.begin(), b.end());
  for (CompareOp op : ops) {
    std::vector<uint8_t> want(numElements(outShape));
    ASSERT_OK(cpu::compare(op, TensorView(a.data(), as), TensorView(b.data(), bs),
                           MutableTensorView(want.data(), outShape)));
    for (DType dtype : {DType::F32, DType::BF16, DType::I64}) {
      DevTensor dA = dtype == DType::I64 ? devRaw(ai, as, dtype) : devFloats(a, as, dtype);
      DevTensor dB = dtype == DType::I64 ? devRaw(bi, bs, dtype) : devFloats(b, bs, dtype);
      DevTensor dOut = devEmpty(outShape, DType::U8);
      ASSERT_OK(gpu::compare(op, dA.view(), dB.view(), dOut.mut(), nullptr));
      EXPECT_TRUE(sameBytes(std::string("compare ") + cpu::compareOpName(op), shapeOf(outShape),
                            dtype, hostBytes(dOut), want));
    }
  }
}

TEST(CudaTensorOps, Select) {
  REQUIRE_CUDA_DEVICE();
  const Shape cs = {4, 1, 6}, as = {1, 5, 6}, bs = {4, 5, 1}, outShape = {4, 5, 6};
  std::vector<uint8_t> cond = randomBytes(numElements(cs), 71);
  for (uint8_t &c : cond)
    c = c % 3 == 0 ? 0 : c; // mostly nonzero, any nonzero value is true
  for (DType dtype : {DType::F32, DType::BF16, DType::I64, DType::U8}) {
    const int64_t elem = dtypeSize(dtype);
    std::vector<uint8_t> a = randomBytes(numElements(as) * elem, 72);
    std::vector<uint8_t> b = randomBytes(numElements(bs) * elem, 73);
    std::vector<uint8_t> want(numElements(outShape) * elem);
    ASSERT_OK(cpu::select(TensorView(cond.data(), cs), TensorView(a.data(), as, dtype),
                          TensorView(b.data(), bs, dtype),
                          MutableTensorView(want.data(), outShape, dtype)));
    DevTensor dC = devRaw(cond, cs, DType::U8), dA = devRaw(a, as, dtype),
              dB = devRaw(b, bs, dtype), dOut = devEmpty(outShape, dtype);
    ASSERT_OK(gpu::select(dC.view(), dA.view(), dB.view(), dOut.mut(), nullptr));
    EXPECT_TRUE(sameBytes("select", shapeOf(outShape), dtype, hostBytes(dOut), want));
  }
}

TEST(CudaTensorOps, Fill) {
  REQUIRE_CUDA_DEVICE();
  const int64_t n = 1001;
  const uint16_t bf16One = toBFloat16(1.0f).bits;
  const int64_t big = -1234567890123LL;
  const float zero = 0.0f;
  DeviceBuffer d2(n * 2), d8(n * 8), d4(n * 4);
  ASSERT_OK(gpu::fill(d2.get(), &bf16One, 2, n, nullptr));
  ASSERT_OK(gpu::fill(d8.get(), &big, 8, n, nullptr));
  ASSERT_OK(gpu::fill(d4.get(), &zero, 4, n, nullptr));
  std::vector<uint16_t> g2 = d2.download<uint16_t>(n);
  std::vector<int64_t> g8 = d8.download<int64_t>(n);
  std::vector<float> g4 = d4.download<float>(n);
  int64_t bad = 0;
  for (int64_t i = 0; i < n; ++i)
    bad += (g2[i] != bf16One) + (g8[i] != big) + (g4[i] != 0.0f);
  appendResult("fill", shapeStr({n}), "any", static_cast<double>(bad), 0, bad == 0);
  EXPECT_TRUE(bad == 0) << bad << " elements differ";
}

//===----------------------------------------------------------------------===//
// Reduce
//===----------------------------------------------------------------------===//

struct ReduceCase {
  Shape shape;
  std::vector<int64_t> axes;
};
const ReduceCase kReduceCases[] = {
    {{7, 33, 65}, {}},     {{7, 33, 65}, {-1}},       {{7, 33, 65}, {0}}, {{7, 33, 65}, {1}},
    {{7, 33, 65}, {0, 2}}, {{2, 3, 4, 5}, {1, 3}},    {{3, 5000}, {1}},   {{5000, 3}, {0}},
    {{4, 1, 9}, {1}},      {{1, 300, 1, 40}, {1, 3}},
};

TEST(CudaTensorOps, Reduce) {
  REQUIRE_CUDA_DEVICE();
  using cpu::ReduceKind;
  for (DType dtype : kFloatTypes)
    for (const ReduceCase &c : kReduceCases)
      for (ReduceKind kind : {ReduceKind::Sum, ReduceKind::Mean, ReduceKind::Max})
        for (bool keepDim : {false, true}) {
          std::vector<float> x = randomInput(c.shape, 400 + numElements(c.shape), dtype);
          StatusOr<Shape> outShape = cpu::reduceShape(c.shape, c.axes, keepDim);
          ASSERT_TRUE(outShape.isOk());
          DevTensor dX = devFloats(x, c.shape, dtype), dOut = devEmpty(*outShape, dtype);
          ASSERT_OK(gpu::reduce(kind, dX.view(), c.axes, keepDim, dOut.mut(), nullptr));
          HostOut want(*outShape);
          ASSERT_OK(cpu::reduce(kind, TensorView(x.data(), c.shape), c.axes, keepDim, want.mut()));
          std::string axes = "axes";
          for (int64_t a : c.axes)
            axes += " " + std::to_string(a);
          EXPECT_TRUE(closeEnough(cpu::reduceKindName(kind), shapeOf(c.shape) + " " + axes, dtype,
                                  hostFloats(dOut), want.values(), tolFor(dtype)));
        }
}

TEST(CudaTensorOps, ReduceEmptyExtent) {
  REQUIRE_CUDA_DEVICE();
  const Shape shape = {0, 4}, outShape = {4};
  DevTensor dX = devEmpty(shape, DType::F32), dOut = devEmpty(outShape, DType::F32);
  ASSERT_OK(gpu::reduce(cpu::ReduceKind::Sum, dX.view(), {0}, false, dOut.mut(), nullptr));
  std::vector<float> sum = hostFloats(dOut);
  ASSERT_OK(gpu::reduce(cpu::ReduceKind::Mean, dX.view(), {0}, false, dOut.mut(), nullptr));
  std::vector<float> mean = hostFloats(dOut);
  bool ok = true;
  for (int i = 0; i < 4; ++i)
    ok = ok && sum[i] == 0.0f && std::isnan(mean[i]);
  EXPECT_TRUE(ok) << "sum of nothing must be 0 and its mean NaN";
  EXPECT_TRUE(
      hasError(gpu::reduce(cpu::ReduceKind::Max, dX.view(), {0}, false, dOut.mut(), nullptr),
               "empty extent"));
}

//===----------------------------------------------------------------------===//
// Shape ops (compared byte for byte with the CPU on raw data of several element sizes)
//===----------------------------------------------------------------------===//

const DType kWordTypes[] = {DType::F32, DType::BF16, DType::I64, DType::U8};

TEST(CudaTensorOps, Transpose) {
  REQUIRE_CUDA_DEVICE();
  struct Case {
    Shape shape;
    std::vector<int64_t> perm;
  };
  const Case cases[] = {{{5, 33, 40}, {2, 0, 1}},     {{5, 33, 40}, {0, 2, 1}},
                        {{5, 33, 40}, {1, 0, 2}},     {{5, 33, 40}, {2, 1, 0}},
                        {{2, 64, 100}, {0, 2, 1}},    {{70, 90}, {1, 0}},
                        {{2, 3, 4, 5}, {0, 2, 1, 3}}, {{3, 1, 7}, {-1, 0, 1}}};
  for (DType dtype : kWordTypes)
    for (const Case &c : cases) {
      StatusOr<Shape> outShape = cpu::transposeShape(c.shape, c.perm);
      ASSERT_TRUE(outShape.isOk());
      std::vector<uint8_t> x = randomBytes(numElements(c.shape) * dtypeSize(dtype), 81);
      std::vector<uint8_t> want(x.size());
      ASSERT_OK(cpu::transpose(TensorView(x.data(), c.shape, dtype), c.perm,
                               MutableTensorView(want.data(), *outShape, dtype)));
      DevTensor dX = devRaw(x, c.shape, dtype), dOut = devEmpty(*outShape, dtype);
      ASSERT_OK(gpu::transpose(dX.view(), c.perm, dOut.mut(), nullptr));
      EXPECT_TRUE(sameBytes("transpose", shapeOf(c.shape), dtype, hostBytes(dOut), want));
    }
}

TEST(CudaTensorOps, Expand) {
  REQUIRE_CUDA_DEVICE();
  struct Case {
    Shape in, out;
  };
  const Case cases[] = {{{3, 1, 5}, {2, 3, 4, 5}}, {{}, {4, 4}}, {{1}, {7}}, {{6, 1}, {6, 9}}};
  for (DType dtype : kWordTypes)
    for (const Case &c : cases) {
      std::vector<uint8_t> x = randomBytes(numElements(c.in) * dtypeSize(dtype), 82);
      std::vector<uint8_t> want(numElements(c.out) * dtypeSize(dtype));
      ASSERT_OK(cpu::expand(TensorView(x.data(), c.in, dtype),
                            MutableTensorView(want.data(), c.out, dtype)));
      DevTensor dX = devRaw(x, c.in, dtype), dOut = devEmpty(c.out, dtype);
      ASSERT_OK(gpu::expand(dX.view(), dOut.mut(), nullptr));
      EXPECT_TRUE(
          sameBytes("expand", shapeOf(c.in) + "->" + shapeOf(c.out), dtype, hostBytes(dOut), want));
    }
}

TEST(CudaTensorOps, SliceAndGrad) {
  REQUIRE_CUDA_DEVICE();
  struct Case {
    Shape shape;
    std::vector<int64_t> starts, ends, steps;
  };
  const int64_t kEnd = std::numeric_limits<int64_t>::max();
  const Case cases[] = {
      {{6, 9, 10}, {1, -8, 0}, {kEnd, -1, 10}, {2, 3, 1}}, // negative start and end, steps
      {{6, 9, 10}, {0, 0, 2}, {6, 9, 7}, {1, 1, 1}},       // a contiguous inner run
      {{6, 9, 10}, {-100, 4, 0}, {3, 100, 10}, {1, 1, 4}}, // clamped start and end
      {{8, 16}, {0, 1}, {8, 16}, {1, 2}},                  // every other column
      {{5, 7}, {4, 2}, {2, 6}, {1, 1}},                    // empty: end before start
  };
  for (DType dtype : kWordTypes)
    for (const Case &c : cases) {
      StatusOr<Shape> outShape = cpu::sliceShape(c.shape, c.starts, c.ends, c.steps);
      ASSERT_TRUE(outShape.isOk());
      const int64_t elem = dtypeSize(dtype);
      std::vector<uint8_t> x = randomBytes(numElements(c.shape) * elem, 83);
      std::vector<uint8_t> want(std::max<int64_t>(1, numElements(*outShape) * elem));
      ASSERT_OK(cpu::slice(TensorView(x.data(), c.shape, dtype), c.starts, c.ends, c.steps,
                           MutableTensorView(want.data(), *outShape, dtype)));
      want.resize(numElements(*outShape) * elem);
      DevTensor dX = devRaw(x, c.shape, dtype), dOut = devEmpty(*outShape, dtype);
      ASSERT_OK(gpu::slice(dX.view(), c.starts, c.ends, c.steps, dOut.mut(), nullptr));
      EXPECT_TRUE(sameBytes("slice", shapeOf(c.shape), dtype, hostBytes(dOut), want));

      // The gradient scatters the slice back into zeros.
      std::vector<uint8_t> dy = randomBytes(numElements(*outShape) * elem, 84);
      std::vector<uint8_t> wantDx(x.size());
      ASSERT_OK(cpu::sliceGrad(TensorView(dy.data(), *outShape, dtype), c.starts, c.ends, c.steps,
                               MutableTensorView(wantDx.data(), c.shape, dtype)));
      DevTensor dDy = devRaw(dy, *outShape, dtype), dDx = devRaw(x, c.shape, dtype);
      ASSERT_OK(gpu::sliceGrad(dDy.view(), c.starts, c.ends, c.steps, dDx.mut(), nullptr));
      EXPECT_TRUE(sameBytes("slice_grad", shapeOf(c.shape), dtype, hostBytes(dDx), wantDx));
    }
}

TEST(CudaTensorOps, ConcatAndSplit) {
  REQUIRE_CUDA_DEVICE();
  for (DType dtype : kWordTypes)
    for (int64_t axis : {0, 1, 2, -1}) {
      std::vector<Shape> shapes = {{2, 3, 4}, {2, 3, 4}, {2, 3, 4}};
      const int64_t ax = axis < 0 ? axis + 3 : axis;
      const int64_t sizes[] = {3, 5, 1};
      for (int k = 0; k < 3; ++k)
        shapes[k][ax] = sizes[k];
      StatusOr<Shape> outShape = cpu::concatShape(shapes, axis);
      ASSERT_TRUE(outShape.isOk());
      const int64_t elem = dtypeSize(dtype);
      std::vector<std::vector<uint8_t>> host;
      std::vector<TensorView> cpuIn, gpuIn;
      std::vector<DevTensor> dev;
      for (int k = 0; k < 3; ++k)
        host.push_back(randomBytes(numElements(shapes[k]) * elem, 90 + k));
      for (int k = 0; k < 3; ++k) {
        cpuIn.emplace_back(host[k].data(), shapes[k], dtype);
        dev.push_back(devRaw(host[k], shapes[k], dtype));
        gpuIn.push_back(dev.back().view());
      }
      std::vector<uint8_t> want(numElements(*outShape) * elem);
      ASSERT_OK(cpu::concat(cpuIn, axis, MutableTensorView(want.data(), *outShape, dtype)));
      DevTensor dOut = devEmpty(*outShape, dtype);
      ASSERT_OK(gpu::concat(gpuIn, axis, dOut.mut(), nullptr));
      const std::string name = shapeOf(*outShape) + " axis " + std::to_string(axis);
      EXPECT_TRUE(sameBytes("concat", name, dtype, hostBytes(dOut), want));

      // Split the concatenation back into its parts.
      std::vector<DevTensor> parts;
      std::vector<MutableTensorView> outs;
      for (int k = 0; k < 3; ++k) {
        parts.push_back(devEmpty(shapes[k], dtype));
        outs.push_back(parts.back().mut());
      }
      ASSERT_OK(gpu::split(dOut.view(), axis, {3, 5, 1}, outs, nullptr));
      for (int k = 0; k < 3; ++k)
        EXPECT_TRUE(sameBytes("split", name, dtype, hostBytes(parts[k]), host[k]));
    }
}

template <typename Index> void checkGather(DType dtype, int64_t axis) {
  const Shape dataShape = {5, 7, 3}, idxShape = {2, 4};
  const int64_t ax = axis < 0 ? axis + 3 : axis;
  const int64_t dim = dataShape[ax];
  std::mt19937 gen(95);
  std::uniform_int_distribution<int64_t> dist(-dim, dim - 1); // negative ones count from the back
  std::vector<Index> idx(numElements(idxShape));
  for (Index &v : idx)
    v = static_cast<Index>(dist(gen));
  StatusOr<Shape> outShape = cpu::gatherShape(dataShape, idxShape, axis);
  ASSERT_TRUE(outShape.isOk());
  const int64_t elem = dtypeSize(dtype);
  std::vector<uint8_t> data = randomBytes(numElements(dataShape) * elem, 96);
  std::vector<uint8_t> want(numElements(*outShape) * elem);
  ASSERT_OK(cpu::gather(TensorView(data.data(), dataShape, dtype), TensorView(idx.data(), idxShape),
                        axis, MutableTensorView(want.data(), *outShape, dtype)));
  DevTensor dData = devRaw(data, dataShape, dtype), dOut = devEmpty(*outShape, dtype);
  DevTensor dIdx = devRaw(idx, idxShape, DTypeOf<Index>::value);
  ASSERT_OK(gpu::gather(dData.view(), dIdx.view(), axis, dOut.mut(), nullptr));
  EXPECT_TRUE(sameBytes(std::string("gather ") + dtypeName(DTypeOf<Index>::value),
                        "axis " + std::to_string(axis), dtype, hostBytes(dOut), want));
}

TEST(CudaTensorOps, Gather) {
  REQUIRE_CUDA_DEVICE();
  for (DType dtype : kWordTypes)
    for (int64_t axis : {0, 1, 2, -1}) {
      checkGather<int64_t>(dtype, axis);
      checkGather<int32_t>(dtype, axis);
    }
  // An index out of range gives a zero slice (the CPU kernel reports an error instead).
  std::vector<float> data = {1, 2, 3, 4, 5, 6};
  std::vector<int64_t> idx = {1, 7, -1};
  DevTensor dData = devFloats(data, {3, 2}, DType::F32), dIdx = devRaw(idx, {3}, DType::I64);
  DevTensor dOut = devEmpty({3, 2}, DType::F32);
  ASSERT_OK(gpu::gather(dData.view(), dIdx.view(), 0, dOut.mut(), nullptr));
  const std::vector<float> got = hostFloats(dOut), want = {3, 4, 0, 0, 5, 6};
  EXPECT_TRUE(got == want) << "out-of-range index must give a zero row";
}

TEST(CudaTensorOps, GatherGrad) {
  REQUIRE_CUDA_DEVICE();
  for (int64_t axis : {0, 1, -1}) {
    const Shape dataShape = {6, 5, 4}, idxShape = {3, 7}; // 21 indices: many repeats
    const int64_t ax = axis < 0 ? axis + 3 : axis;
    std::mt19937 gen(97);
    std::uniform_int_distribution<int64_t> dist(-dataShape[ax], dataShape[ax] - 1);
    std::vector<int64_t> idx(numElements(idxShape));
    for (int64_t &v : idx)
      v = dist(gen);
    StatusOr<Shape> dyShape = cpu::gatherShape(dataShape, idxShape, axis);
    ASSERT_TRUE(dyShape.isOk());
    std::vector<float> dy = randomFloats(numElements(*dyShape), 98);
    HostOut want(dataShape);
    ASSERT_OK(cpu::gatherGrad(TensorView(idx.data(), idxShape), TensorView(dy.data(), *dyShape),
                              axis, want.mut()));
    DevTensor dIdx = devRaw(idx, idxShape, DType::I64), dDy = devFloats(dy, *dyShape, DType::F32);
    DevTensor dDx = devEmpty(dataShape, DType::F32);
    ASSERT_OK(gpu::gatherGrad(dIdx.view(), dDy.view(), axis, dDx.mut(), nullptr));
    EXPECT_TRUE(closeEnough("gather_grad", "axis " + std::to_string(axis), DType::F32,
                            hostFloats(dDx), want.values(), 1e-5));
  }
}

//===----------------------------------------------------------------------===//
// Softmax over any axis, causal mask
//===----------------------------------------------------------------------===//

TEST(CudaTensorOps, SoftmaxAnyAxis) {
  REQUIRE_CUDA_DEVICE();
  const Shape shape = {4, 6, 130};
  for (DType dtype : kFloatTypes)
    for (int64_t axis : {-1, 1, 0})
      for (bool log : {false, true}) {
        std::vector<float> x = randomInput(shape, 500 + axis, dtype, -6.0f, 6.0f);
        std::vector<float> dy = randomInput(shape, 501 + axis, dtype);
        DevTensor dX = devFloats(x, shape, dtype), dY = devEmpty(shape, dtype);
        HostOut y(shape);
        if (log) {
          ASSERT_OK(gpu::logSoftmax(dX.view(), axis, dY.mut(), nullptr));
          ASSERT_OK(cpu::logSoftmax(TensorView(x.data(), shape), axis, y.mut()));
        } else {
          ASSERT_OK(gpu::softmax(dX.view(), axis, dY.mut(), nullptr));
          ASSERT_OK(cpu::softmax(TensorView(x.data(), shape), axis, y.mut()));
        }
        const std::string name = log ? "log_softmax" : "softmax";
        const std::string where = shapeOf(shape) + " axis " + std::to_string(axis);
        EXPECT_TRUE(closeEnough(name, where, dtype, hostFloats(dY), y.values(), tolFor(dtype)));
        // The gradient from the CPU's y, so only the gradient kernel is under test.
        std::vector<float> yIn = dtype == DType::BF16 ? roundToBf16(y.values()) : y.values();
        DevTensor dYIn = devFloats(yIn, shape, dtype), dDy = devFloats(dy, shape, dtype);
        DevTensor dDx = devEmpty(shape, dtype);
        HostOut dx(shape);
        if (log) {
          ASSERT_OK(gpu::logSoftmaxGrad(dYIn.view(), dDy.view(), axis, dDx.mut(), nullptr));
          ASSERT_OK(cpu::logSoftmaxGrad(TensorView(yIn.data(), shape), TensorView(dy.data(), shape),
                                        axis, dx.mut()));
        } else {
          ASSERT_OK(gpu::softmaxGrad(dYIn.view(), dDy.view(), axis, dDx.mut(), nullptr));
          ASSERT_OK(cpu::softmaxGrad(TensorView(yIn.data(), shape), TensorView(dy.data(), shape),
                                     axis, dx.mut()));
        }
        EXPECT_TRUE(
            closeEnough(name + "_grad", where, dtype, hostFloats(dDx), dx.values(), tolFor(dtype)));
      }
}

TEST(CudaTensorOps, CausalMask) {
  REQUIRE_CUDA_DEVICE();
  for (DType dtype : kFloatTypes)
    for (const Shape &shape : {Shape{2, 5, 7}, Shape{3, 6, 6}, Shape{9, 4}})
      for (double fill : {-1024.0, -std::numeric_limits<double>::infinity()}) {
        std::vector<float> x = randomInput(shape, 600, dtype);
        DevTensor dX = devFloats(x, shape, dtype), dOut = devEmpty(shape, dtype);
        ASSERT_OK(gpu::causalMask(dX.view(), fill, dOut.mut(), nullptr));
        HostOut want(shape);
        ASSERT_OK(cpu::causalMask(TensorView(x.data(), shape), fill, want.mut()));
        std::vector<float> got = hostFloats(dOut), w = want.values();
        // Exact: the kernel copies or writes the fill (which bf16 represents exactly here).
        bool same = got.size() == w.size();
        for (size_t i = 0; same && i < w.size(); ++i)
          same = got[i] == w[i];
        appendResult("causal_mask", shapeOf(shape), dtypeName(dtype), same ? 0 : 1, 0, same);
        EXPECT_TRUE(same) << "causal_mask " << shapeOf(shape) << " fill " << fill;
      }
}

//===----------------------------------------------------------------------===//
// RMS norm
//===----------------------------------------------------------------------===//

TEST(CudaTensorOps, RmsNorm) {
  REQUIRE_CUDA_DEVICE();
  const double eps = 1e-5;
  struct Case {
    Shape shape;
    int64_t axis;
  };
  const Case cases[] = {{{6, 300}, 1}, {{2, 3, 64}, 1}, {{17, 2049}, -1}, {{5, 1}, 1}};
  for (DType dtype : kFloatTypes)
    for (const Case &c : cases)
      for (bool affine : {true, false}) {
        const int64_t ax = c.axis < 0 ? c.axis + static_cast<int64_t>(c.shape.size()) : c.axis;
        const Shape rowShape(c.shape.begin(), c.shape.begin() + ax);
        const Shape colShape(c.shape.begin() + ax, c.shape.end());
        std::vector<float> x = randomInput(c.shape, 700, dtype, -3.0f, 3.0f);
        std::vector<float> w = randomInput(colShape, 701, dtype);
        std::vector<float> dy = randomInput(c.shape, 702, dtype);
        DevTensor dX = devFloats(x, c.shape, dtype), dW = devFloats(w, colShape, dtype);
        DevTensor dY = devEmpty(c.shape, dtype), dRstd = devEmpty(rowShape, DType::F32);
        TensorView wView = dW.view();
        MutableTensorView rstdView = dRstd.mut();
        ASSERT_OK(gpu::rmsNorm(dX.view(), c.axis, affine ? &wView : nullptr, eps, dY.mut(),
                               &rstdView, nullptr));
        HostOut y(c.shape), rstd(rowShape);
        TensorView wHost(w.data(), colShape);
        MutableTensorView rstdHost = rstd.mut();
        ASSERT_OK(cpu::rmsNorm(TensorView(x.data(), c.shape), c.axis, affine ? &wHost : nullptr,
                               eps, y.mut(), &rstdHost));
        const std::string where = shapeOf(c.shape) + (affine ? " affine" : "");
        EXPECT_TRUE(
            closeEnough("rms_norm", where, dtype, hostFloats(dY), y.values(), tolFor(dtype)));
        EXPECT_TRUE(
            closeEnough("rms_norm rstd", where, dtype, hostFloats(dRstd), rstd.values(), 1e-5));

        DevTensor dDy = devFloats(dy, c.shape, dtype), dDx = devEmpty(c.shape, dtype);
        ASSERT_OK(gpu::rmsNormGrad(dX.view(), dDy.view(), affine ? &wView : nullptr, c.axis, eps,
                                   dDx.mut(), nullptr));
        HostOut dx(c.shape);
        ASSERT_OK(cpu::rmsNormGrad(TensorView(x.data(), c.shape), TensorView(dy.data(), c.shape),
                                   affine ? &wHost : nullptr, c.axis, eps, dx.mut()));
        // A one-column row has dx = rstd g (1 - xhat^2) ~ g eps / x^2: the f32 kernel cancels
        // most of its bits where the CPU reference works in double (seen on a CPU emulation of
        // the kernel: 3e-3). The wide rows carry the real check.
        const bool oneColumn = numElements(colShape) == 1;
        EXPECT_TRUE(closeEnough("rms_norm_grad", where, dtype, hostFloats(dDx), dx.values(),
                                oneColumn ? std::max(tolFor(dtype), 5e-2) : tolFor(dtype)));

        const int64_t rows = numElements(rowShape);
        DeviceBuffer workspace(gpu::rmsNormParamGradWorkspaceBytes(rows));
        DevTensor dDw = devEmpty(colShape, dtype);
        ASSERT_OK(gpu::rmsNormParamGrad(dX.view(), dDy.view(), c.axis, eps, dDw.mut(),
                                        workspace.get(), nullptr));
        HostOut dw(colShape);
        ASSERT_OK(cpu::rmsNormParamGrad(TensorView(x.data(), c.shape),
                                        TensorView(dy.data(), c.shape), c.axis, eps, dw.mut()));
        EXPECT_TRUE(closeEnough("rms_norm_param_grad", shapeOf(c.shape), dtype, hostFloats(dDw),
                                dw.values(), tolFor(dtype)));
      }
}

//===----------------------------------------------------------------------===//
// SGD and dropout: bit for bit
//===----------------------------------------------------------------------===//

TEST(CudaTensorOps, SgdMatchesCpuExactly) {
  REQUIRE_CUDA_DEVICE();
  const int64_t n = 10007;
  const Shape shape = {n};
  SGDConfig configs[4];
  configs[1].momentum = 0.9;
  configs[2].momentum = 0.9;
  configs[2].dampening = 0.1;
  configs[2].weightDecay = 0.01;
  configs[3].momentum = 0.8;
  configs[3].nesterov = true;
  configs[3].weightDecay = 0.05;
  for (int k = 0; k < 4; ++k)
    for (int64_t step : {1, 3}) {
      std::vector<float> p = randomFloats(n, 800), g = randomFloats(n, 801),
                         b = randomFloats(n, 802);
      DevTensor dP = devFloats(p, shape, DType::F32), dG = devFloats(g, shape, DType::F32),
                dB = devFloats(b, shape, DType::F32);
      DevTensor dBOut = devEmpty(shape, DType::F32);
      // The parameter in place, the buffer into a new tensor.
      ASSERT_OK(gpu::sgdUpdate(dP.view(), dG.view(), dB.view(), 0.05f, step, 0.5f, configs[k],
                               dP.mut(), dBOut.mut(), nullptr));
      std::vector<float> pWant(n), bWant(n);
      ASSERT_OK(cpu::sgdUpdate(TensorView(p.data(), shape), TensorView(g.data(), shape),
                               TensorView(b.data(), shape), 0.05f, step, 0.5f, configs[k],
                               MutableTensorView(pWant.data(), shape),
                               MutableTensorView(bWant.data(), shape)));
      const std::string where = "config " + std::to_string(k) + " step " + std::to_string(step);
      EXPECT_TRUE(closeEnough("sgd_update param", where, DType::F32, hostFloats(dP), pWant, 0));
      EXPECT_TRUE(closeEnough("sgd_update buffer", where, DType::F32, hostFloats(dBOut), bWant, 0));
    }
}

TEST(CudaTensorOps, DropoutMaskMatchesCpu) {
  REQUIRE_CUDA_DEVICE();
  const Shape shape = {3, 3335}; // not a multiple of 4: the last Philox block is partial
  const int64_t n = numElements(shape);
  for (DType dtype : kFloatTypes)
    for (float ratio : {0.0f, 0.1f, 0.5f, 1.0f})
      for (uint64_t counter : {0ull, 12345678901ull}) {
        const uint64_t seed = 0x123456789abcdefull;
        std::vector<float> x = randomInput(shape, 900, dtype);
        DevTensor dX = devFloats(x, shape, dtype), dOut = devEmpty(shape, dtype);
        DevTensor dMask = devEmpty(shape, DType::U8);
        ASSERT_OK(gpu::dropout(dX.view(), ratio, seed, counter, dOut.mut(), dMask.mut(), nullptr));
        HostOut want(shape);
        std::vector<uint8_t> mask(n);
        ASSERT_OK(cpu::dropout(TensorView(x.data(), shape), ratio, seed, counter, want.mut(),
                               MutableTensorView(mask.data(), shape)));
        const std::string where =
            "ratio " + std::to_string(ratio) + " counter " + std::to_string(counter);
        EXPECT_TRUE(sameBytes("dropout mask", where, dtype, hostBytes(dMask), mask));
        EXPECT_TRUE(closeEnough("dropout", where, dtype, hostFloats(dOut), want.values(),
                                dtype == DType::F32 ? 0.0 : tolFor(dtype)));
      }
}

//===----------------------------------------------------------------------===//
// Argument checks (no device needed: they fail before any device work)
//===----------------------------------------------------------------------===//

TEST(CudaTensorOps, ArgumentErrors) {
  // Host addresses stand in for device ones: no kernel reads them, every call below fails first.
  std::vector<double> f64(64);
  std::vector<float> f32(64);
  TensorView x64(f64.data(), Shape{4, 16});
  MutableTensorView y64(f64.data(), Shape{4, 16});
  TensorView x32(f32.data(), Shape{4, 16});
  MutableTensorView y32(f32.data(), Shape{4, 16});

  Status s = gpu::unary(cpu::UnaryOp::Exp, x64, y64, nullptr);
  EXPECT_TRUE(hasError(s, "f64 is not supported")) << s.message();
  s = gpu::binary(cpu::BinaryOp::Add, x32, TensorView(f32.data(), Shape{3}), y32, nullptr);
  EXPECT_TRUE(hasError(s, "cuda add")) << s.message();
  s = gpu::reduce(cpu::ReduceKind::Sum, x32, {1, -1}, false,
                  MutableTensorView(f32.data(), Shape{4}), nullptr);
  EXPECT_TRUE(hasError(s, "twice")) << s.message();
  // Steps below 1 are rejected, as by cpu::slice.
  s = gpu::slice(x32, {0, 15}, {4, 0}, {1, -1}, MutableTensorView(f32.data(), Shape{4, 15}),
                 nullptr);
  EXPECT_TRUE(hasError(s, "must be >= 1")) << s.message();
  s = gpu::transpose(x32, {0, 0}, MutableTensorView(f32.data(), Shape{4, 4}), nullptr);
  EXPECT_TRUE(hasError(s, "twice")) << s.message();
  std::vector<uint16_t> bf(64);
  std::vector<int64_t> idx(4);
  s = gpu::gatherGrad(TensorView(idx.data(), Shape{4}),
                      TensorView(bf.data(), Shape{4, 16}, DType::BF16), 0,
                      MutableTensorView(bf.data(), Shape{4, 16}, DType::BF16), nullptr);
  EXPECT_TRUE(hasError(s, "bf16 is not supported")) << s.message();
  s = gpu::sgdUpdate(x32, x32, x32, 0.1f, 0, 1.0f, SGDConfig(), y32, y32, nullptr);
  EXPECT_TRUE(hasError(s, "step must be >= 1")) << s.message();
  s = gpu::dropout(x32, 1.5f, 1, 0, y32, MutableTensorView(bf.data(), Shape{4, 16}, DType::U8),
                   nullptr);
  EXPECT_TRUE(hasError(s, "outside [0, 1]")) << s.message();
  s = gpu::fill(f32.data(), f32.data(), 3, 4, nullptr);
  EXPECT_TRUE(hasError(s, "3 bytes")) << s.message();
  s = gpu::softmax(x64, -1, y64, nullptr);
  EXPECT_TRUE(hasError(s, "f64 is not supported")) << s.message();
  s = gpu::causalMask(TensorView(f32.data(), Shape{16}), 0.0,
                      MutableTensorView(f32.data(), Shape{16}), nullptr);
  EXPECT_TRUE(hasError(s, "rank >= 2")) << s.message();
}

} // namespace
