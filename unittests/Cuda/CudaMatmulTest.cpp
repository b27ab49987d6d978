// The cuBLASLt GEMM against a float64 reference GEMM on seeded random inputs (odd sizes, both
// transposes, batches with their own or a shared rhs, the bias and GELU epilogues), and the device
// arena and pinned buffers. Errors are relative to the largest reference magnitude: f32 within
// 1e-5, bf16 within 1e-2. Every test that touches the GPU skips when none is present; the argument
// checks that never reach CUDA run everywhere.
#include "CudaTestSupport.h"

#include "ds/Runtime/Kernels/CPU/Elementwise.h"
#include "ds/Runtime/Kernels/CUDA.h"

#include <cstring>
#include <string>
#include <vector>

namespace {

using namespace ds::rt;
using namespace ds::rt::cuda::test;

//===----------------------------------------------------------------------===//
// GEMM
//===----------------------------------------------------------------------===//

struct Case {
  int64_t batch, m, k, n;
  bool transposeLhs, transposeRhs, rhsShared;
};

std::string caseName(const Case &c) {
  std::string s = std::to_string(c.batch) + "x" + std::to_string(c.m) + "x" + std::to_string(c.k) +
                  "x" + std::to_string(c.n);
  if (c.transposeLhs)
    s += " tl";
  if (c.transposeRhs)
    s += " tr";
  if (c.rhsShared)
    s += " shared-rhs";
  return s;
}

// out[b] = op(lhs[b]) . op(rhs[b]) (+ bias) accumulated in double, rounded to f32, then the CPU
// backend's tanh GELU when asked: the same formula cuBLASLt's GELU epilogue approximates.
std::vector<float> referenceMatmul(const Case &c, const std::vector<float> &lhs,
                                   const std::vector<float> &rhs, const std::vector<float> &bias,
                                   bool gelu) {
  std::vector<float> out(c.batch * c.m * c.n);
  for (int64_t b = 0; b < c.batch; ++b) {
    const float *l = lhs.data() + b * c.m * c.k;
    const float *r = rhs.data() + (c.rhsShared ? 0 : b * c.k * c.n);
    for (int64_t i = 0; i < c.m; ++i)
      for (int64_t j = 0; j < c.n; ++j) {
        double acc = bias.empty() ? 0.0 : bias[j];
        for (int64_t p = 0; p < c.k; ++p) {
          const double x = c.transposeLhs ? l[p * c.m + i] : l[i * c.k + p];
          const double y = c.transposeRhs ? r[j * c.k + p] : r[p * c.n + j];
          acc += x * y;
        }
        out[(b * c.m + i) * c.n + j] = static_cast<float>(acc);
      }
  }
  if (gelu) {
    const int64_t n = static_cast<int64_t>(out.size());
    std::vector<float> y(n);
    Status s = cpu::unary(cpu::UnaryOp::GeluTanh, TensorView(out.data(), {n}),
                          MutableTensorView(y.data(), {n}));
    if (!s) {
      std::fprintf(stderr, "%s\n", s.message().c_str());
      std::abort();
    }
    out = y;
  }
  return out;
}

// Runs one case on the GPU and compares; `tol` overrides the dtype's tolerance when positive.
void checkCase(gpu::Matmul &mm, const DeviceBuffer &workspace, DType dtype, const Case &c,
               gpu::MatmulEpilogue epilogue, double tol, uint32_t seed) {
  std::vector<float> lhs = randomFloats(c.batch * c.m * c.k, seed);
  std::vector<float> rhs = randomFloats((c.rhsShared ? 1 : c.batch) * c.k * c.n, seed + 1);
  const bool withBias =
      epilogue == gpu::MatmulEpilogue::Bias || epilogue == gpu::MatmulEpilogue::BiasGelu;
  const bool gelu =
      epilogue == gpu::MatmulEpilogue::Gelu || epilogue == gpu::MatmulEpilogue::BiasGelu;
  std::vector<float> bias = withBias ? randomFloats(c.n, seed + 2) : std::vector<float>();
  if (dtype == DType::BF16) {
    lhs = roundToBf16(lhs);
    rhs = roundToBf16(rhs);
    bias = roundToBf16(bias);
  }
  auto dLhs = upload(lhs, dtype), dRhs = upload(rhs, dtype);
  auto dBias = upload(withBias ? bias : std::vector<float>{0.0f}, dtype);
  const int64_t outElems = c.batch * c.m * c.n;
  DeviceBuffer dOut(outElems * 4);
  gpu::MatmulShape shape;
  shape.batch = c.batch;
  shape.m = c.m;
  shape.n = c.n;
  shape.k = c.k;
  shape.transposeLhs = c.transposeLhs;
  shape.transposeRhs = c.transposeRhs;
  shape.rhsShared = c.rhsShared;
  gpu::MatmulOptions options;
  options.epilogue = epilogue;
  ASSERT_OK(mm.run(dtype, shape, dLhs->get(), dRhs->get(), withBias ? dBias->get() : nullptr,
                   dOut.get(), options, workspace.get(), gpu::matmulWorkspaceBytes(), nullptr));
  const char *names[] = {"matmul", "matmul+bias", "matmul+gelu", "matmul+bias+gelu"};
  EXPECT_TRUE(closeEnough(names[static_cast<int>(epilogue)], caseName(c), dtype,
                          downloadFloats(dOut, outElems, dtype),
                          referenceMatmul(c, lhs, rhs, bias, gelu), tol > 0 ? tol : tolFor(dtype)))
      << caseName(c);
}

std::unique_ptr<gpu::Matmul> makeMatmul() {
  StatusOr<std::unique_ptr<gpu::Matmul>> mm = gpu::Matmul::create();
  if (!mm) {
    std::fprintf(stderr, "%s\n", mm.status().message().c_str());
    std::abort();
  }
  return std::move(*mm);
}

TEST(CudaMatmul, ShapesAndTransposes) {
  REQUIRE_CUDA_DEVICE();
  auto mm = makeMatmul();
  DeviceBuffer workspace(gpu::matmulWorkspaceBytes());
  const Case shapes[] = {{1, 1, 1, 1, false, false, false},
                         {1, 7, 13, 5, false, false, false},
                         {1, 64, 48, 96, false, false, false},
                         {3, 33, 17, 65, false, false, false}};
  uint32_t seed = 100;
  for (DType dtype : kFloatTypes)
    for (Case c : shapes)
      for (bool tl : {false, true})
        for (bool tr : {false, true}) {
          c.transposeLhs = tl;
          c.transposeRhs = tr;
          checkCase(*mm, workspace, dtype, c, gpu::MatmulEpilogue::None, 0, seed += 3);
        }
}

TEST(CudaMatmul, SharedRhsAcrossBatch) {
  REQUIRE_CUDA_DEVICE();
  auto mm = makeMatmul();
  DeviceBuffer workspace(gpu::matmulWorkspaceBytes());
  uint32_t seed = 200;
  for (DType dtype : kFloatTypes)
    for (bool tl : {false, true}) // plain lhs folds the batch into m; transposed uses stride 0
      for (bool tr : {false, true})
        checkCase(*mm, workspace, dtype, {3, 33, 17, 65, tl, tr, true}, gpu::MatmulEpilogue::None,
                  0, seed += 3);
}

TEST(CudaMatmul, BiasAndGeluEpilogues) {
  REQUIRE_CUDA_DEVICE();
  auto mm = makeMatmul();
  DeviceBuffer workspace(gpu::matmulWorkspaceBytes());
  uint32_t seed = 300;
  const Case shapes[] = {{1, 7, 13, 5, false, false, false},
                         {1, 64, 48, 96, false, true, false},
                         {3, 33, 17, 65, false, false, false}};
  for (DType dtype : kFloatTypes)
    for (const Case &c : shapes)
      for (gpu::MatmulEpilogue e :
           {gpu::MatmulEpilogue::Bias, gpu::MatmulEpilogue::Gelu, gpu::MatmulEpilogue::BiasGelu}) {
        // cuBLASLt may evaluate tanh with the hardware approximation (relative error ~2^-11), so an
        // f32 GELU epilogue is held to 1e-3 rather than 1e-5.
        const bool gelu = e != gpu::MatmulEpilogue::Bias;
        const double tol = dtype == DType::F32 && gelu ? 1e-3 : 0;
        checkCase(*mm, workspace, dtype, c, e, tol, seed += 3);
      }
}

TEST(CudaMatmul, CachesOnePlanPerShape) {
  REQUIRE_CUDA_DEVICE();
  auto mm = makeMatmul();
  DeviceBuffer workspace(gpu::matmulWorkspaceBytes());
  const Case c{1, 64, 48, 96, false, false, false};
  checkCase(*mm, workspace, DType::F32, c, gpu::MatmulEpilogue::None, 0, 400);
  const int64_t plans = mm->cachedPlans();
  checkCase(*mm, workspace, DType::F32, c, gpu::MatmulEpilogue::None, 0, 401);
  EXPECT_TRUE(mm->cachedPlans() == plans) << mm->cachedPlans() << " plans, was " << plans;
  checkCase(*mm, workspace, DType::F32, {1, 64, 48, 97, false, false, false},
            gpu::MatmulEpilogue::None, 0, 402);
  EXPECT_TRUE(mm->cachedPlans() == plans + 1) << mm->cachedPlans() << " plans";
}

TEST(CudaMatmul, RejectsBadArguments) {
  REQUIRE_CUDA_DEVICE();
  auto mm = makeMatmul();
  gpu::MatmulShape shape;
  shape.m = shape.n = shape.k = 4;
  gpu::MatmulOptions options;
  options.epilogue = gpu::MatmulEpilogue::Bias;
  DeviceBuffer buf(64 * 4);
  Status s = mm->run(DType::F32, shape, buf.get(), buf.get(), nullptr, buf.get(), options, nullptr,
                     0, nullptr);
  EXPECT_TRUE(!s && s.message().find("needs a bias") != std::string::npos) << s.message();
  s = mm->run(DType::I64, shape, buf.get(), buf.get(), nullptr, buf.get(), {}, nullptr, 0, nullptr);
  EXPECT_TRUE(!s && s.message().find("f32 or bf16") != std::string::npos) << s.message();
  shape.k = 0;
  s = mm->run(DType::F32, shape, buf.get(), buf.get(), nullptr, buf.get(), {}, nullptr, 0, nullptr);
  EXPECT_TRUE(!s && s.message().find("k = 0") != std::string::npos) << s.message();
}

} // namespace
