// The CUDA kernels against the CPU kernels on seeded random inputs (never all zeros), for several
// shapes including sizes that are not multiples of any block size, plus exact hand cases for the
// kernels without a CPU twin (quantization) and for the casts. Errors are reported relative to the
// largest reference magnitude: fp32 within 1e-5, bf16 within 1e-2. Every test skips when no CUDA
// device is present. With DS_CUDA_RESULTS=FILE each comparison appends a markdown table row
// (kernel, shape, dtype, max error, tolerance, pass) to FILE.
#include "CudaTestSupport.h"

#include "ds/Runtime/DType.h"
#include "ds/Runtime/Kernels/CPU/Cast.h"
#include "ds/Runtime/Kernels/CPU/Elementwise.h"
#include "ds/Runtime/Kernels/CPU/Gradients.h"
#include "ds/Runtime/Kernels/CPU/Loss.h"
#include "ds/Runtime/Kernels/CPU/Norm.h"
#include "ds/Runtime/Kernels/CPU/Optimizer.h"
#include "ds/Runtime/Kernels/CPU/ShapeOps.h"
#include "ds/Runtime/Kernels/CPU/Softmax.h"
#include "ds/Runtime/Kernels/CUDA.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace {

using namespace ds::rt;
using namespace ds::rt::cuda::test;

//===----------------------------------------------------------------------===//
// GELU and casts
//===----------------------------------------------------------------------===//

TEST(CudaKernels, Gelu) {
  REQUIRE_CUDA_DEVICE();
  for (DType dtype : kFloatTypes)
    for (int64_t n : {1, 1000, 65537})
      for (bool tanhApprox : {false, true}) {
        std::vector<float> x = randomFloats(n, 11 + n, -6.0f, 6.0f);
        std::vector<float> dy = randomFloats(n, 12 + n);
        if (dtype == DType::BF16) {
          x = roundToBf16(x);
          dy = roundToBf16(dy);
        }
        auto dX = upload(x, dtype), dDy = upload(dy, dtype);
        DeviceBuffer dY(n * 4), dDx(n * 4);
        ASSERT_OK(gpu::gelu(dtype, dX->get(), dY.get(), n, tanhApprox, nullptr));
        ASSERT_OK(gpu::geluGrad(dtype, dX->get(), dDy->get(), dDx.get(), n, tanhApprox, nullptr));
        std::vector<float> y(n), dx(n);
        ASSERT_OK(cpu::unary(tanhApprox ? cpu::UnaryOp::GeluTanh : cpu::UnaryOp::Gelu,
                             TensorView(x.data(), {n}), MutableTensorView(y.data(), {n})));
        ASSERT_OK(cpu::geluGrad(TensorView(x.data(), {n}), TensorView(dy.data(), {n}),
                                tanhApprox, MutableTensorView(dx.data(), {n})));
        const std::string name = tanhApprox ? "gelu_tanh" : "gelu";
        EXPECT_TRUE(closeEnough(name, shapeStr({n}), dtype, downloadFloats(dY, n, dtype), y,
                                tolFor(dtype)));
        EXPECT_TRUE(closeEnough(name + "_grad", shapeStr({n}), dtype,
                                downloadFloats(dDx, n, dtype), dx, tolFor(dtype)));
      }
}

// Bit patterns the rounding must get right: ties both ways, the f16 overflow edge, subnormals,
// infinities and NaN, plus random values.
std::vector<float> castInputs() {
  std::vector<float> v = {0.0f, -0.0f, 1.0f, -1.5f, 65504.0f, 65519.0f, 65520.0f, -65536.0f,
                          1e-8f, 6e-8f, 3e-5f, -2.9802322e-08f, 1e30f, -1e-40f,
                          std::numeric_limits<float>::infinity(),
                          -std::numeric_limits<float>::infinity(),
                          std::numeric_limits<float>::quiet_NaN()};
  for (uint32_t bits : {0x3f808000u, 0x3f818000u, 0x3f800001u, 0x3f807fffu, 0x3f801000u,
                        0x3f803000u, 0x7f7fffffu, 0xff800001u, 0x00000001u})
    v.push_back(floatFromBits(bits));
  std::vector<float> r = randomFloats(10007, 5, -70000.0f, 70000.0f);
  v.insert(v.end(), r.begin(), r.end());
  std::vector<float> small = randomFloats(5003, 6, -1e-3f, 1e-3f);
  v.insert(v.end(), small.begin(), small.end());
  return v;
}

TEST(CudaKernels, CastIsBitExact) {
  REQUIRE_CUDA_DEVICE();
  const std::vector<float> x = castInputs();
  const int64_t n = static_cast<int64_t>(x.size());
  DeviceBuffer dX(x), dNarrow(n * 2), dWide(n * 4);
  for (DType to : {DType::BF16, DType::F16}) {
    ASSERT_OK(gpu::cast(DType::F32, dX.get(), to, dNarrow.get(), n, nullptr));
    std::vector<uint16_t> got = dNarrow.download<uint16_t>(n);
    int64_t mismatches = 0;
    for (int64_t i = 0; i < n; ++i) {
      const uint16_t want = to == DType::BF16 ? toBFloat16(x[i]).bits : toHalf(x[i]).bits;
      mismatches += got[i] != want;
    }
    appendResult(std::string("cast f32->") + dtypeName(to), shapeStr({n}), "f32",
                 static_cast<double>(mismatches), 0, mismatches == 0);
    EXPECT_TRUE(mismatches == 0) << mismatches << " elements differ from the CPU rounding";

    ASSERT_OK(gpu::cast(to, dNarrow.get(), DType::F32, dWide.get(), n, nullptr));
    std::vector<uint32_t> wide = dWide.download<uint32_t>(n);
    mismatches = 0;
    for (int64_t i = 0; i < n; ++i) {
      const float want = to == DType::BF16 ? toFloat(BFloat16{got[i]}) : toFloat(Half{got[i]});
      mismatches += wide[i] != floatBits(want);
    }
    appendResult(std::string("cast ") + dtypeName(to) + "->f32", shapeStr({n}), dtypeName(to),
                 static_cast<double>(mismatches), 0, mismatches == 0);
    EXPECT_TRUE(mismatches == 0) << mismatches << " widened elements differ";
  }
  Status bad = gpu::cast(DType::I64, dX.get(), DType::F32, dWide.get(), 1, nullptr);
  EXPECT_TRUE(!bad.isOk() && bad.message().find("i64") != std::string::npos) << bad.message();
}

//===----------------------------------------------------------------------===//
// Layer norm
//===----------------------------------------------------------------------===//

struct RowsCols {
  int64_t rows, cols;
};
const RowsCols kRowShapes[] = {{1, 1}, {3, 7}, {17, 1000}, {5, 1025}, {64, 4097}, {300, 33}};

TEST(CudaKernels, LayerNorm) {
  REQUIRE_CUDA_DEVICE();
  const double eps = 1e-5;
  for (DType dtype : kFloatTypes)
    for (RowsCols s : kRowShapes)
      for (bool affine : {true, false}) {
        const int64_t n = s.rows * s.cols;
        std::vector<float> x = randomFloats(n, 21 + n, -3.0f, 5.0f);
        std::vector<float> w = randomFloats(s.cols, 22), b = randomFloats(s.cols, 23);
        if (dtype == DType::BF16) {
          x = roundToBf16(x);
          w = roundToBf16(w);
          b = roundToBf16(b);
        }
        auto dX = upload(x, dtype), dW = upload(w, dtype), dB = upload(b, dtype);
        DeviceBuffer dOut(n * 4), dMean(s.rows * 4), dRstd(s.rows * 4);
        ASSERT_OK(gpu::layerNorm(dtype, dX->get(), affine ? dW->get() : nullptr,
                                 affine ? dB->get() : nullptr, s.rows, s.cols, eps, dOut.get(),
                                 dMean.as<float>(), dRstd.as<float>(), nullptr));
        std::vector<float> out(n), mean(s.rows), rstd(s.rows);
        TensorView tw(w.data(), {s.cols}), tb(b.data(), {s.cols});
        MutableTensorView tm(mean.data(), {s.rows}), tr(rstd.data(), {s.rows});
        ASSERT_OK(cpu::layerNorm(TensorView(x.data(), {s.rows, s.cols}), 1,
                                 affine ? &tw : nullptr, affine ? &tb : nullptr, eps,
                                 MutableTensorView(out.data(), {s.rows, s.cols}), &tm, &tr));
        const std::string shape = shapeStr({s.rows, s.cols});
        const std::string name = affine ? "layer_norm" : "layer_norm (no affine)";
        EXPECT_TRUE(closeEnough(name, shape, dtype, downloadFloats(dOut, n, dtype), out,
                                tolFor(dtype)));
        EXPECT_TRUE(closeEnough(name + " mean", shape, dtype, dMean.download<float>(s.rows), mean,
                                1e-5));
        EXPECT_TRUE(closeEnough(name + " rstd", shape, dtype, dRstd.download<float>(s.rows), rstd,
                                1e-5));
      }
}

TEST(CudaKernels, LayerNormBackward) {
  REQUIRE_CUDA_DEVICE();
  const double eps = 1e-5;
  for (DType dtype : kFloatTypes)
    for (RowsCols s : kRowShapes) {
      const int64_t n = s.rows * s.cols;
      std::vector<float> x = randomFloats(n, 31 + n, -3.0f, 5.0f);
      std::vector<float> dy = randomFloats(n, 32 + n), w = randomFloats(s.cols, 33);
      if (dtype == DType::BF16) {
        x = roundToBf16(x);
        dy = roundToBf16(dy);
        w = roundToBf16(w);
      }
      auto dX = upload(x, dtype), dDy = upload(dy, dtype), dW = upload(w, dtype);
      DeviceBuffer dDx(n * 4), dDw(s.cols * 4), dDb(s.cols * 4);
      DeviceBuffer work(gpu::layerNormParamGradWorkspaceBytes(s.rows, s.cols));
      ASSERT_OK(gpu::layerNormGrad(dtype, dX->get(), dDy->get(), dW->get(), s.rows, s.cols, eps,
                                   dDx.get(), nullptr));
      ASSERT_OK(gpu::layerNormParamGrad(dtype, dX->get(), dDy->get(), s.rows, s.cols, eps,
                                        dDw.get(), dDb.get(), work.get(), nullptr));
      std::vector<float> dx(n), dw(s.cols), db(s.cols);
      TensorView tx(x.data(), {s.rows, s.cols}), tdy(dy.data(), {s.rows, s.cols}),
          tw(w.data(), {s.cols});
      ASSERT_OK(cpu::layerNormGrad(tx, tdy, &tw, 1, eps,
                                   MutableTensorView(dx.data(), {s.rows, s.cols})));
      ASSERT_OK(cpu::layerNormParamGrad(tx, tdy, 1, eps, MutableTensorView(dw.data(), {s.cols}),
                                        MutableTensorView(db.data(), {s.cols})));
      const std::string shape = shapeStr({s.rows, s.cols});
      EXPECT_TRUE(closeEnough("layer_norm_grad dx", shape, dtype, downloadFloats(dDx, n, dtype),
                              dx, tolFor(dtype)));
      EXPECT_TRUE(closeEnough("layer_norm_grad dweight", shape, dtype,
                              downloadFloats(dDw, s.cols, dtype), dw, tolFor(dtype)));
      EXPECT_TRUE(closeEnough("layer_norm_grad dbias", shape, dtype,
                              downloadFloats(dDb, s.cols, dtype), db, tolFor(dtype)));
    }
}

//===----------------------------------------------------------------------===//
// Softmax
//===----------------------------------------------------------------------===//

TEST(CudaKernels, Softmax) {
  REQUIRE_CUDA_DEVICE();
  for (DType dtype : kFloatTypes)
    for (RowsCols s : kRowShapes) {
      const int64_t n = s.rows * s.cols;
      std::vector<float> x = randomFloats(n, 41 + n, -8.0f, 8.0f), dy = randomFloats(n, 42 + n);
      if (dtype == DType::BF16) {
        x = roundToBf16(x);
        dy = roundToBf16(dy);
      }
      auto dX = upload(x, dtype), dDy = upload(dy, dtype);
      DeviceBuffer dY(n * 4), dDx(n * 4);
      ASSERT_OK(gpu::softmax(dtype, dX->get(), dY.get(), s.rows, s.cols, false, nullptr));
      std::vector<float> y(n), dx(n);
      ASSERT_OK(cpu::softmax(TensorView(x.data(), {s.rows, s.cols}), -1,
                             MutableTensorView(y.data(), {s.rows, s.cols})));
      const std::string shape = shapeStr({s.rows, s.cols});
      std::vector<float> gotY = downloadFloats(dY, n, dtype);
      EXPECT_TRUE(closeEnough("softmax", shape, dtype, gotY, y, tolFor(dtype)));
      // The gradient from the CPU's y, so only the gradient kernel is under test.
      std::vector<float> yIn = dtype == DType::BF16 ? roundToBf16(y) : y;
      auto dYIn = upload(yIn, dtype);
      ASSERT_OK(gpu::softmaxGrad(dtype, dYIn->get(), dDy->get(), dDx.get(), s.rows, s.cols,
                                 nullptr));
      ASSERT_OK(cpu::softmaxGrad(TensorView(yIn.data(), {s.rows, s.cols}),
                                 TensorView(dy.data(), {s.rows, s.cols}), -1,
                                 MutableTensorView(dx.data(), {s.rows, s.cols})));
      EXPECT_TRUE(closeEnough("softmax_grad", shape, dtype, downloadFloats(dDx, n, dtype), dx,
                              tolFor(dtype)));
    }
}

TEST(CudaKernels, CausalSoftmax) {
  REQUIRE_CUDA_DEVICE();
  for (DType dtype : kFloatTypes)
    for (int64_t t : {1, 13, 128, 257}) {
      const int64_t batch = 2, heads = 3, n = batch * heads * t * t;
      std::vector<float> x = randomFloats(n, 51 + t, -8.0f, 8.0f);
      if (dtype == DType::BF16)
        x = roundToBf16(x);
      auto dX = upload(x, dtype);
      DeviceBuffer dY(n * 4);
      ASSERT_OK(gpu::softmax(dtype, dX->get(), dY.get(), batch * heads * t, t, true, nullptr));
      std::vector<float> y(n);
      ASSERT_OK(cpu::causalSoftmax(TensorView(x.data(), {batch, heads, t, t}),
                                   MutableTensorView(y.data(), {batch, heads, t, t})));
      std::vector<float> got = downloadFloats(dY, n, dtype);
      EXPECT_TRUE(closeEnough("causal_softmax", shapeStr({batch, heads, t, t}), dtype, got, y,
                              tolFor(dtype)));
      int64_t nonzeroMasked = 0;
      for (int64_t r = 0; r < batch * heads * t; ++r)
        for (int64_t j = r % t + 1; j < t; ++j)
          nonzeroMasked += got[r * t + j] != 0.0f;
      EXPECT_TRUE(nonzeroMasked == 0) << nonzeroMasked << " masked entries are not exactly 0";
    }
}

//===----------------------------------------------------------------------===//
// Cross-entropy
//===----------------------------------------------------------------------===//

TEST(CudaKernels, CrossEntropy) {
  REQUIRE_CUDA_DEVICE();
  const int64_t ignore = -100;
  struct Case {
    int64_t rows, classes;
  };
  for (DType dtype : kFloatTypes)
    for (Case c : {Case{1, 5}, Case{37, 11}, Case{1000, 3}, Case{33, 50257}})
      for (cpu::LossReduction red :
           {cpu::LossReduction::Mean, cpu::LossReduction::Sum, cpu::LossReduction::None}) {
        const int64_t n = c.rows * c.classes;
        std::vector<float> logits = randomFloats(n, 61 + n, -6.0f, 6.0f);
        if (dtype == DType::BF16)
          logits = roundToBf16(logits);
        std::mt19937 gen(62 + c.rows);
        std::uniform_int_distribution<int64_t> cls(0, c.classes - 1);
        std::vector<int64_t> targets(c.rows);
        for (int64_t r = 0; r < c.rows; ++r)
          targets[r] = (r % 7 == 3) ? ignore : cls(gen);
        const bool none = red == cpu::LossReduction::None;
        const int64_t outN = none ? c.rows : 1;
        std::vector<float> dloss = none ? randomFloats(c.rows, 63) : std::vector<float>{0.75f};
        auto dLogits = upload(logits, dtype);
        DeviceBuffer dTargets(targets), dDloss(dloss), dOut(outN * 4), dGrad(n * 4),
            work(gpu::crossEntropyWorkspaceBytes(c.rows));
        const gpu::LossReduction gred = static_cast<gpu::LossReduction>(static_cast<int>(red));
        ASSERT_OK(gpu::crossEntropy(dtype, dLogits->get(), dTargets.as<int64_t>(), c.rows,
                                    c.classes, ignore, gred, dOut.as<float>(), work.get(),
                                    nullptr));
        ASSERT_OK(gpu::crossEntropyGrad(dtype, dLogits->get(), dTargets.as<int64_t>(),
                                        dDloss.as<float>(), c.rows, c.classes, ignore, gred,
                                        dGrad.get(), work.get(), nullptr));
        Shape rowShape{c.rows};
        Shape outShape = none ? rowShape : Shape{};
        std::vector<float> loss(outN), grad(n);
        TensorView tl(logits.data(), {c.rows, c.classes}), tt(targets.data(), rowShape);
        ASSERT_OK(cpu::crossEntropy(tl, tt, ignore, red, MutableTensorView(loss.data(), outShape)));
        ASSERT_OK(cpu::crossEntropyGrad(tl, tt, TensorView(dloss.data(), outShape), ignore, red,
                                        MutableTensorView(grad.data(), {c.rows, c.classes})));
        const char *redName = red == cpu::LossReduction::Mean  ? "mean"
                              : red == cpu::LossReduction::Sum ? "sum"
                                                               : "none";
        const std::string shape = shapeStr({c.rows, c.classes});
        // The loss itself is f32 whatever the logits' type: its error is f32's.
        EXPECT_TRUE(closeEnough(std::string("cross_entropy ") + redName, shape, dtype,
                                dOut.download<float>(outN), loss, 1e-5));
        EXPECT_TRUE(closeEnough(std::string("cross_entropy_grad ") + redName, shape, dtype,
                                downloadFloats(dGrad, n, dtype), grad, tolFor(dtype)));
      }
}

TEST(CudaKernels, CrossEntropyAllIgnored) {
  REQUIRE_CUDA_DEVICE();
  const int64_t rows = 4, classes = 6;
  std::vector<float> logits = randomFloats(rows * classes, 71);
  std::vector<int64_t> targets(rows, -1);
  std::vector<float> dloss{1.0f};
  DeviceBuffer dLogits(logits), dTargets(targets), dDloss(dloss), dOut(4),
      dGrad(rows * classes * 4), work(gpu::crossEntropyWorkspaceBytes(rows));
  ASSERT_OK(gpu::crossEntropy(DType::F32, dLogits.get(), dTargets.as<int64_t>(), rows, classes,
                              -1, gpu::LossReduction::Mean, dOut.as<float>(), work.get(),
                              nullptr));
  ASSERT_OK(gpu::crossEntropyGrad(DType::F32, dLogits.get(), dTargets.as<int64_t>(),
                                  dDloss.as<float>(), rows, classes, -1,
                                  gpu::LossReduction::Mean, dGrad.get(), work.get(), nullptr));
  EXPECT_TRUE(std::isnan(dOut.download<float>(1)[0])) << "a mean over no targets is NaN";
  std::vector<float> grad = dGrad.download<float>(rows * classes);
  EXPECT_TRUE(std::all_of(grad.begin(), grad.end(), [](float g) { return g == 0.0f; }))
      << "ignored rows have zero gradient";
}

//===----------------------------------------------------------------------===//
// Embedding
//===----------------------------------------------------------------------===//

TEST(CudaKernels, Embedding) {
  REQUIRE_CUDA_DEVICE();
  struct Case {
    int64_t vocab, dim, numIndices;
  };
  for (DType dtype : kFloatTypes)
    for (Case c : {Case{1, 1, 3}, Case{1000, 77, 513}, Case{50, 768, 4096}}) {
      std::vector<float> table = randomFloats(c.vocab * c.dim, 81 + c.dim);
      if (dtype == DType::BF16)
        table = roundToBf16(table);
      std::mt19937 gen(82);
      std::uniform_int_distribution<int64_t> idx(-c.vocab, c.vocab - 1);
      std::vector<int64_t> indices(c.numIndices);
      for (int64_t &v : indices)
        v = idx(gen); // repeats and negative indices both occur
      const int64_t n = c.numIndices * c.dim;
      std::vector<float> dy = randomFloats(n, 83 + c.dim);
      if (dtype == DType::BF16)
        dy = roundToBf16(dy);
      auto dTable = upload(table, dtype), dDy = upload(dy, dtype);
      DeviceBuffer dIdx(indices), dOut(n * 4), dGrad(c.vocab * c.dim * 4);
      ASSERT_OK(gpu::embedding(dtype, dTable->get(), dIdx.as<int64_t>(), c.numIndices, c.vocab,
                               c.dim, dOut.get(), nullptr));
      ASSERT_OK(gpu::embeddingGrad(dtype, dIdx.as<int64_t>(), dDy->get(), c.numIndices, c.vocab,
                                   c.dim, dGrad.as<float>(), nullptr));
      std::vector<float> out(n), grad(c.vocab * c.dim);
      TensorView ti(indices.data(), {c.numIndices});
      ASSERT_OK(cpu::gather(TensorView(table.data(), {c.vocab, c.dim}), ti, 0,
                            MutableTensorView(out.data(), {c.numIndices, c.dim})));
      ASSERT_OK(cpu::gatherGrad(ti, TensorView(dy.data(), {c.numIndices, c.dim}), 0,
                                MutableTensorView(grad.data(), {c.vocab, c.dim})));
      const std::string shape = shapeStr({c.vocab, c.dim}) + " x " + shapeStr({c.numIndices});
      // A gather copies: exact.
      EXPECT_TRUE(closeEnough("embedding", shape, dtype, downloadFloats(dOut, n, dtype), out, 0));
      // The gradient accumulates in f32 (atomics) whatever dy's type: f32's tolerance.
      EXPECT_TRUE(closeEnough("embedding_grad", shape, dtype,
                              dGrad.download<float>(c.vocab * c.dim), grad, 1e-5));
    }
}

//===----------------------------------------------------------------------===//
// Adam / AdamW
//===----------------------------------------------------------------------===//

TEST(CudaKernels, AdamMatchesCpu) {
  REQUIRE_CUDA_DEVICE();
  for (int64_t n : {1, 1000, 100003})
    for (bool adamW : {true, false}) {
      std::vector<float> p = randomFloats(n, 91 + n), m = randomFloats(n, 92 + n, -0.1f, 0.1f);
      std::vector<float> v = randomFloats(n, 93 + n, 0.0f, 0.01f);
      DeviceBuffer dP(p), dM(m), dV(v);
      cpu::AdamConfig cc;
      cc.weightDecay = 0.01;
      cc.adamW = adamW;
      gpu::AdamConfig gc;
      gc.weightDecay = 0.01;
      gc.adamW = adamW;
      const float lr = 3e-3f, gradScale = 0.5f;
      for (int64_t step = 1; step <= 3; ++step) {
        std::vector<float> g = randomFloats(n, 94 + n + step);
        DeviceBuffer dG(g);
        ASSERT_OK(gpu::adamUpdate(dP.as<float>(), dG.as<float>(), dM.as<float>(), dV.as<float>(),
                                  n, lr, step, gradScale, gc, nullptr));
        TensorView tp(p.data(), {n}), tg(g.data(), {n}), tm(m.data(), {n}), tv(v.data(), {n});
        ASSERT_OK(cpu::adamUpdate(tp, tg, tm, tv, lr, step, gradScale, cc,
                                  MutableTensorView(p.data(), {n}),
                                  MutableTensorView(m.data(), {n}),
                                  MutableTensorView(v.data(), {n})));
      }
      const std::string name = adamW ? "adamw (3 steps)" : "adam l2 (3 steps)";
      // The same f32 operations in the same order: equal up to the rare FMA tie.
      EXPECT_TRUE(closeEnough(name + " param", shapeStr({n}), DType::F32, dP.download<float>(n),
                              p, 1e-6));
      EXPECT_TRUE(closeEnough(name + " exp_avg", shapeStr({n}), DType::F32,
                              dM.download<float>(n), m, 1e-6));
      EXPECT_TRUE(closeEnough(name + " exp_avg_sq", shapeStr({n}), DType::F32,
                              dV.download<float>(n), v, 1e-6));
    }
  std::vector<float> one{1.0f};
  DeviceBuffer d(one);
  Status bad = gpu::adamUpdate(d.as<float>(), d.as<float>(), d.as<float>(), d.as<float>(), 1,
                               1e-3f, 0, 1.0f, gpu::AdamConfig(), nullptr);
  EXPECT_TRUE(!bad.isOk() && bad.message().find("step must be >= 1") != std::string::npos)
      << bad.message();
}

//===----------------------------------------------------------------------===//
// Blockwise quantization (no CPU twin: a host reference of the format, and hand cases)
//===----------------------------------------------------------------------===//

// The format of Quantize.h on the host.
void quantizeReference(gpu::QuantBits bits, const std::vector<float> &x, int64_t blockSize,
                       std::vector<uint8_t> &q, std::vector<float> &scales) {
  const int64_t n = static_cast<int64_t>(x.size());
  const int qmax = bits == gpu::QuantBits::Int8 ? 127 : 7;
  q.assign(gpu::quantizedBytes(bits, n), 0);
  scales.assign(gpu::quantScaleCount(n, blockSize), 0.0f);
  for (int64_t b = 0; b * blockSize < n; ++b) {
    const int64_t b0 = b * blockSize, b1 = std::min(n, b0 + blockSize);
    float amax = 0.0f;
    for (int64_t i = b0; i < b1; ++i)
      amax = std::max(amax, std::fabs(x[i]));
    const float scale = amax / static_cast<float>(qmax);
    scales[b] = scale;
    for (int64_t i = b0; i < b1; ++i) {
      int v = 0;
      if (scale != 0.0f) {
        float r = std::nearbyint(x[i] / scale); // half to even in the default rounding mode
        v = static_cast<int>(std::min(std::max(r, -float(qmax)), float(qmax)));
      }
      if (bits == gpu::QuantBits::Int8)
        q[i] = static_cast<uint8_t>(static_cast<int8_t>(v));
      else
        q[i / 2] |= static_cast<uint8_t>((v & 0xf) << ((i & 1) * 4));
    }
  }
}

TEST(CudaKernels, QuantizeHandCases) {
  REQUIRE_CUDA_DEVICE();
  // int8, blocks of 4: scale 1/127 gives 63.5 -> 64 (tie to even) and 31.75 -> 32; the second
  // block is all zeros (scale 0); the third is a partial block of 1.
  std::vector<float> x = {0.5f, -1.0f, 0.25f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, -3.0f};
  DeviceBuffer dX(x), dQ(x.size()), dS(3 * 4), dY(x.size() * 4);
  ASSERT_OK(gpu::quantize(gpu::QuantBits::Int8, DType::F32, dX.get(), 9, 4, dQ.get(),
                          dS.as<float>(), nullptr));
  std::vector<int8_t> q = dQ.download<int8_t>(9);
  std::vector<float> s = dS.download<float>(3);
  const std::vector<int8_t> wantQ = {64, -127, 32, 0, 0, 0, 0, 0, -127};
  EXPECT_TRUE(q == wantQ) << "int8 codes differ from the hand-computed ones";
  EXPECT_TRUE(s[0] == 1.0f / 127.0f && s[1] == 0.0f && s[2] == 3.0f / 127.0f) << "int8 scales";
  ASSERT_OK(gpu::dequantize(gpu::QuantBits::Int8, dQ.get(), dS.as<float>(), 9, 4, DType::F32,
                            dY.get(), nullptr));
  std::vector<float> y = dY.download<float>(9);
  EXPECT_TRUE(y[1] == -1.0f && y[3] == 0.0f && y[8] == -3.0f) << "absmax elements come back exact";

  // int4, blocks of 4 over 5 elements: scale 7/7 = 1, so 3.5 -> 4 and 2.5 -> 2 (ties to even),
  // -7 and 0.4 -> 0; the last block holds 1 element, so its byte's high nibble is 0.
  std::vector<float> x4 = {3.5f, -7.0f, 2.5f, 0.4f, 1.0f};
  DeviceBuffer dX4(x4), dQ4(3), dS4(2 * 4);
  ASSERT_OK(gpu::quantize(gpu::QuantBits::Int4, DType::F32, dX4.get(), 5, 4, dQ4.get(),
                          dS4.as<float>(), nullptr));
  std::vector<uint8_t> q4 = dQ4.download<uint8_t>(3);
  // byte 0: lo 4 (0x4), hi -7 (0x9); byte 1: lo 2, hi 0; byte 2: lo 7 (1.0 / (1/7) = 7), hi 0.
  const std::vector<uint8_t> wantQ4 = {0x94, 0x02, 0x07};
  EXPECT_TRUE(q4 == wantQ4) << "int4 codes " << int(q4[0]) << " " << int(q4[1]) << " "
                            << int(q4[2]);
  Status bad = gpu::quantize(gpu::QuantBits::Int4, DType::F32, dX4.get(), 5, 3, dQ4.get(),
                             dS4.as<float>(), nullptr);
  EXPECT_TRUE(!bad.isOk() && bad.message().find("even block size") != std::string::npos)
      << bad.message();
}

TEST(CudaKernels, QuantizeRoundTrip) {
  REQUIRE_CUDA_DEVICE();
  for (gpu::QuantBits bits : {gpu::QuantBits::Int8, gpu::QuantBits::Int4})
    for (DType dtype : kFloatTypes)
      for (int64_t blockSize : {2, 64, 2048})
        for (int64_t n : {1, 1000, 100001}) {
          std::vector<float> x = randomFloats(n, 101 + n + blockSize, -4.0f, 4.0f);
          if (dtype == DType::BF16)
            x = roundToBf16(x);
          const int64_t qBytes = gpu::quantizedBytes(bits, n);
          const int64_t numScales = gpu::quantScaleCount(n, blockSize);
          auto dX = upload(x, dtype);
          DeviceBuffer dQ(qBytes), dS(numScales * 4), dY(n * 4);
          ASSERT_OK(gpu::quantize(bits, dtype, dX->get(), n, blockSize, dQ.get(), dS.as<float>(),
                                  nullptr));
          ASSERT_OK(gpu::dequantize(bits, dQ.get(), dS.as<float>(), n, blockSize, dtype,
                                    dY.get(), nullptr));
          std::vector<uint8_t> wantQ;
          std::vector<float> wantS;
          quantizeReference(bits, x, blockSize, wantQ, wantS);
          const bool exact =
              dQ.download<uint8_t>(qBytes) == wantQ && dS.download<float>(numScales) == wantS;
          // |x - x'| <= scale / 2 per element, plus the output's own rounding for bf16.
          std::vector<float> y = downloadFloats(dY, n, dtype);
          double worst = 0.0;
          for (int64_t i = 0; i < n; ++i) {
            const double bound = 0.5 * wantS[i / blockSize] * (1 + 1e-6) +
                                 (dtype == DType::BF16 ? std::fabs(x[i]) / 128.0 : 0.0) + 1e-30;
            worst = std::max(worst, std::fabs(static_cast<double>(y[i]) - x[i]) / bound);
          }
          const std::string name = std::string(bits == gpu::QuantBits::Int8 ? "int8" : "int4") +
                                   " round trip (block " + std::to_string(blockSize) + ")";
          appendResult(name, shapeStr({n}), dtypeName(dtype), worst, 1.0,
                       exact && worst <= 1.0);
          EXPECT_TRUE(exact) << name << ": codes or scales differ from the host reference";
          EXPECT_TRUE(worst <= 1.0) << name << ": error " << worst << " of the bound";
        }
}

} // namespace
