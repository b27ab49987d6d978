// ds.matmul on cuBLASLt: row-major operands through the swapped column-major product (see
// Matmul.h), one cached descriptor set and heuristic algorithm per shape.
#include "ds/Runtime/Kernels/CUDA/Matmul.h"

#include <cublasLt.h>
#include <cuda_runtime.h>

#include <map>
#include <string>
#include <tuple>

namespace ds::rt::cuda {

namespace {

constexpr int64_t kWorkspaceBytes = 32LL << 20;

// The largest power of two up to 256 dividing every one of the values (addresses, strides in
// bytes): cuBLASLt's heuristic assumes 256-byte-aligned operands unless told otherwise, and arena
// placement or a batch stride of an odd size can give less.
uint32_t alignmentOf(std::initializer_list<uint64_t> values) {
  uint32_t a = 256;
  for (uint64_t v : values)
    while (a > 1 && v % a != 0)
      a >>= 1;
  return a;
}

// One cached plan: the key is everything the descriptors and the algorithm depend on.
using PlanKey = std::tuple<int, int64_t, int64_t, int64_t, int64_t, bool, bool, bool, int, bool,
                           int64_t, uint32_t, uint32_t, uint32_t, uint32_t>;

struct Plan {
  cublasLtMatmulDesc_t desc = nullptr;
  cublasLtMatrixLayout_t a = nullptr, b = nullptr, d = nullptr;
  cublasLtMatmulAlgo_t algo{};
  ~Plan() {
    if (d)
      cublasLtMatrixLayoutDestroy(d);
    if (b)
      cublasLtMatrixLayoutDestroy(b);
    if (a)
      cublasLtMatrixLayoutDestroy(a);
    if (desc)
      cublasLtMatmulDescDestroy(desc);
  }
};

std::string shapeText(DType dtype, const MatmulShape &s) {
  return std::string("matmul ") + dtypeName(dtype) + " batch " + std::to_string(s.batch) + " [" +
         std::to_string(s.m) + "x" + std::to_string(s.k) + "] . [" + std::to_string(s.k) + "x" +
         std::to_string(s.n) + "]" + (s.transposeLhs ? " transpose_lhs" : "") +
         (s.transposeRhs ? " transpose_rhs" : "") + (s.rhsShared ? " shared rhs" : "");
}

Status fromCublas(cublasStatus_t status, const std::string &what, const char *call) {
  if (status == CUBLAS_STATUS_SUCCESS)
    return Status::ok();
  return Status::error(what + ": " + call + ": " + cublasLtGetStatusString(status));
}

template <typename T>
cublasStatus_t setLayout(cublasLtMatrixLayout_t layout, cublasLtMatrixLayoutAttribute_t attr,
                         const T &value) {
  return cublasLtMatrixLayoutSetAttribute(layout, attr, &value, sizeof(value));
}

} // namespace

struct Matmul::Impl {
  cublasLtHandle_t handle = nullptr;
  std::map<PlanKey, std::unique_ptr<Plan>> plans;
  ~Impl() {
    plans.clear();
    if (handle)
      cublasLtDestroy(handle);
  }
};

int64_t matmulWorkspaceBytes() { return kWorkspaceBytes; }

StatusOr<std::unique_ptr<Matmul>> Matmul::create() {
  auto impl = std::make_unique<Impl>();
  DS_RETURN_IF_ERROR(fromCublas(cublasLtCreate(&impl->handle), "matmul", "cublasLtCreate"));
  return std::unique_ptr<Matmul>(new Matmul(std::move(impl)));
}

Matmul::Matmul(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Matmul::~Matmul() = default;

int64_t Matmul::cachedPlans() const { return static_cast<int64_t>(impl_->plans.size()); }

Status Matmul::run(DType dtype, const MatmulShape &shapeIn, const void *lhs, const void *rhs,
                   const void *bias, void *out, const MatmulOptions &options, void *workspace,
                   int64_t workspaceBytes, void *stream) {
  MatmulShape shape = shapeIn;
  const std::string what = shapeText(dtype, shape);
  if (dtype != DType::F32 && dtype != DType::BF16)
    return Status::error(what + ": element type must be f32 or bf16");
  if (shape.batch < 0 || shape.m < 0 || shape.n < 0 || shape.k < 0 || workspaceBytes < 0)
    return Status::error(what + ": negative size");
  if (shape.batch == 0 || shape.m == 0 || shape.n == 0)
    return Status::ok();
  if (shape.k == 0)
    return Status::error(what + ": k = 0 is not supported");
  if (shape.batch > INT32_MAX)
    return Status::error(what + ": batch exceeds cuBLASLt's int32 batch count");
  const bool withBias =
      options.epilogue == MatmulEpilogue::Bias || options.epilogue == MatmulEpilogue::BiasGelu;
  if (withBias && !bias)
    return Status::error(what + ": the bias epilogue needs a bias");
  if (!workspace)
    workspaceBytes = 0;
  // A shared rhs under a plain lhs is one taller GEMM: the batches of lhs and out are contiguous
  // rows, so fold them into m (one launch, better tiles than a stride-0 batch).
  if (shape.rhsShared && !shape.transposeLhs && shape.batch > 1) {
    shape.m *= shape.batch;
    shape.batch = 1;
  }

  const uint64_t elem = dtype == DType::BF16 ? 2 : 4;
  const int64_t lhsStride = shape.m * shape.k, outStride = shape.m * shape.n;
  const int64_t rhsStride = shape.rhsShared ? 0 : shape.k * shape.n;
  const bool batched = shape.batch > 1;
  auto bytes = [&](int64_t stride) { return batched ? static_cast<uint64_t>(stride) * elem : 0; };
  const uint32_t alignA = alignmentOf({reinterpret_cast<uint64_t>(rhs), bytes(rhsStride)});
  const uint32_t alignB = alignmentOf({reinterpret_cast<uint64_t>(lhs), bytes(lhsStride)});
  const uint32_t alignD = alignmentOf({reinterpret_cast<uint64_t>(out), bytes(outStride)});
  const uint32_t alignBias = withBias ? alignmentOf({reinterpret_cast<uint64_t>(bias)}) : 256;
  const bool tf32 = dtype == DType::F32 && options.allowTf32;
  const PlanKey key{static_cast<int>(dtype),
                    shape.batch,
                    shape.m,
                    shape.n,
                    shape.k,
                    shape.transposeLhs,
                    shape.transposeRhs,
                    shape.rhsShared,
                    static_cast<int>(options.epilogue),
                    tf32,
                    workspaceBytes,
                    alignA,
                    alignB,
                    alignD,
                    alignBias};

  auto found = impl_->plans.find(key);
  if (found == impl_->plans.end()) {
    auto plan = std::make_unique<Plan>();
    const cudaDataType_t type = dtype == DType::BF16 ? CUDA_R_16BF : CUDA_R_32F;
    const cublasComputeType_t compute = tf32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F;
    DS_RETURN_IF_ERROR(fromCublas(cublasLtMatmulDescCreate(&plan->desc, compute, CUDA_R_32F), what,
                                  "cublasLtMatmulDescCreate"));
    // cuBLASLt's A is rhs, its B is lhs (see Matmul.h). A stored row-major [r, c] matrix is
    // column-major [c, r] with leading dimension c.
    const cublasOperation_t opA = shape.transposeRhs ? CUBLAS_OP_T : CUBLAS_OP_N;
    const cublasOperation_t opB = shape.transposeLhs ? CUBLAS_OP_T : CUBLAS_OP_N;
    cublasLtEpilogue_t epilogue = CUBLASLT_EPILOGUE_DEFAULT;
    switch (options.epilogue) {
    case MatmulEpilogue::None:
      break;
    case MatmulEpilogue::Bias:
      epilogue = CUBLASLT_EPILOGUE_BIAS;
      break;
    case MatmulEpilogue::Gelu:
      epilogue = CUBLASLT_EPILOGUE_GELU;
      break;
    case MatmulEpilogue::BiasGelu:
      epilogue = CUBLASLT_EPILOGUE_GELU_BIAS;
      break;
    }
    const char *setDesc = "cublasLtMatmulDescSetAttribute";
    DS_RETURN_IF_ERROR(fromCublas(
        cublasLtMatmulDescSetAttribute(plan->desc, CUBLASLT_MATMUL_DESC_TRANSA, &opA, sizeof(opA)),
        what, setDesc));
    DS_RETURN_IF_ERROR(fromCublas(
        cublasLtMatmulDescSetAttribute(plan->desc, CUBLASLT_MATMUL_DESC_TRANSB, &opB, sizeof(opB)),
        what, setDesc));
    DS_RETURN_IF_ERROR(
        fromCublas(cublasLtMatmulDescSetAttribute(plan->desc, CUBLASLT_MATMUL_DESC_EPILOGUE,
                                                  &epilogue, sizeof(epilogue)),
                   what, setDesc));
    if (withBias) {
      DS_RETURN_IF_ERROR(
          fromCublas(cublasLtMatmulDescSetAttribute(plan->desc, CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE,
                                                    &type, sizeof(type)),
                     what, setDesc));
      // The heuristic looks at the bias pointer's alignment, so it must be set before asking.
      DS_RETURN_IF_ERROR(
          fromCublas(cublasLtMatmulDescSetAttribute(plan->desc, CUBLASLT_MATMUL_DESC_BIAS_POINTER,
                                                    &bias, sizeof(bias)),
                     what, setDesc));
    }

    const uint64_t m = shape.m, n = shape.n, k = shape.k;
    const char *createLayout = "cublasLtMatrixLayoutCreate";
    DS_RETURN_IF_ERROR(fromCublas(shape.transposeRhs
                                      ? cublasLtMatrixLayoutCreate(&plan->a, type, k, n, k)
                                      : cublasLtMatrixLayoutCreate(&plan->a, type, n, k, n),
                                  what, createLayout));
    DS_RETURN_IF_ERROR(fromCublas(shape.transposeLhs
                                      ? cublasLtMatrixLayoutCreate(&plan->b, type, m, k, m)
                                      : cublasLtMatrixLayoutCreate(&plan->b, type, k, m, k),
                                  what, createLayout));
    DS_RETURN_IF_ERROR(
        fromCublas(cublasLtMatrixLayoutCreate(&plan->d, type, n, m, n), what, createLayout));
    if (batched) {
      const int32_t count = static_cast<int32_t>(shape.batch);
      const char *setLayoutName = "cublasLtMatrixLayoutSetAttribute";
      const std::pair<cublasLtMatrixLayout_t, int64_t> layouts[] = {
          {plan->a, rhsStride}, {plan->b, lhsStride}, {plan->d, outStride}};
      for (const auto &[layout, stride] : layouts) {
        DS_RETURN_IF_ERROR(fromCublas(setLayout(layout, CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT, count),
                                      what, setLayoutName));
        DS_RETURN_IF_ERROR(
            fromCublas(setLayout(layout, CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET, stride), what,
                       setLayoutName));
      }
    }

    cublasLtMatmulPreference_t pref = nullptr;
    DS_RETURN_IF_ERROR(
        fromCublas(cublasLtMatmulPreferenceCreate(&pref), what, "cublasLtMatmulPreferenceCreate"));
    const uint64_t maxWorkspace = static_cast<uint64_t>(workspaceBytes);
    cublasStatus_t st = cublasLtMatmulPreferenceSetAttribute(
        pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &maxWorkspace, sizeof(maxWorkspace));
    const std::pair<cublasLtMatmulPreferenceAttributes_t, uint32_t> aligns[] = {
        {CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, alignA},
        {CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES, alignB},
        {CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, alignD},
        {CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES, alignD}};
    for (const auto &[attr, value] : aligns)
      if (st == CUBLAS_STATUS_SUCCESS)
        st = cublasLtMatmulPreferenceSetAttribute(pref, attr, &value, sizeof(value));
    cublasLtMatmulHeuristicResult_t result{};
    int algorithms = 0;
    if (st == CUBLAS_STATUS_SUCCESS)
      st = cublasLtMatmulAlgoGetHeuristic(impl_->handle, plan->desc, plan->a, plan->b, plan->d,
                                          plan->d, pref, 1, &result, &algorithms);
    cublasLtMatmulPreferenceDestroy(pref);
    DS_RETURN_IF_ERROR(fromCublas(st, what, "cublasLtMatmulAlgoGetHeuristic"));
    if (algorithms == 0)
      return Status::error(what + ": cuBLASLt has no algorithm for this shape with " +
                           std::to_string(workspaceBytes) + " bytes of workspace");
    plan->algo = result.algo;
    found = impl_->plans.emplace(key, std::move(plan)).first;
  }

  Plan &plan = *found->second;
  if (withBias)
    DS_RETURN_IF_ERROR(
        fromCublas(cublasLtMatmulDescSetAttribute(plan.desc, CUBLASLT_MATMUL_DESC_BIAS_POINTER,
                                                  &bias, sizeof(bias)),
                   what, "cublasLtMatmulDescSetAttribute"));
  const float alpha = 1.0f, beta = 0.0f;
  return fromCublas(cublasLtMatmul(impl_->handle, plan.desc, &alpha, rhs, plan.a, lhs, plan.b,
                                   &beta, out, plan.d, out, plan.d, &plan.algo, workspace,
                                   static_cast<size_t>(workspaceBytes),
                                   static_cast<cudaStream_t>(stream)),
                    what, "cublasLtMatmul");
}

} // namespace ds::rt::cuda
