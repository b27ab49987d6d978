// Batched matmul: f32 through oneDNN's sgemm (one per batch entry, or a single one when the rhs is
// shared by every batch entry, the common activations x weight case); f64 through a plain loop
// (it serves gradient checks, not speed).
#include "ds/Runtime/Kernels/CPU/Matmul.h"

#include "Common.h"

#include <oneapi/dnnl/dnnl.h>

#include <climits>
#include <cstring>

namespace ds::rt::cpu {

namespace {

// Operand shapes with rank-1 operands promoted to matrices, and the problem sizes.
struct MatmulProblem {
  Shape lhsBatch, rhsBatch, outBatch;
  int64_t m = 0, n = 0, k = 0;
  bool transA = false, transB = false;
  Shape outShape;
};

StatusOr<MatmulProblem> analyze(const Shape &lhs, const Shape &rhs, bool transA, bool transB) {
  if (lhs.empty() || rhs.empty())
    return Status::error("matmul: operands need rank >= 1, got lhs " + shapeToString(lhs) +
                         " and rhs " + shapeToString(rhs));
  DS_RETURN_IF_ERROR(checkShape(lhs, "matmul: lhs"));
  DS_RETURN_IF_ERROR(checkShape(rhs, "matmul: rhs"));
  MatmulProblem p;
  Shape l = lhs, r = rhs;
  const bool lhsVector = l.size() == 1, rhsVector = r.size() == 1;
  if (lhsVector) {
    l = {1, l[0]};
    transA = false;
  }
  if (rhsVector) {
    r = {r[0], 1};
    transB = false;
  }
  const size_t lr = l.size(), rr = r.size();
  p.transA = transA;
  p.transB = transB;
  p.m = transA ? l[lr - 1] : l[lr - 2];
  p.k = transA ? l[lr - 2] : l[lr - 1];
  int64_t rhsK = transB ? r[rr - 1] : r[rr - 2];
  p.n = transB ? r[rr - 2] : r[rr - 1];
  if (p.k != rhsK)
    return Status::error("matmul: contraction dims differ: lhs " + shapeToString(lhs) +
                         (transA ? " (transposed)" : "") + " has K=" + std::to_string(p.k) +
                         ", rhs " + shapeToString(rhs) + (transB ? " (transposed)" : "") +
                         " has K=" + std::to_string(rhsK));
  p.lhsBatch.assign(l.begin(), l.end() - 2);
  p.rhsBatch.assign(r.begin(), r.end() - 2);
  StatusOr<Shape> batch = broadcastShapes(p.lhsBatch, p.rhsBatch);
  if (!batch)
    return batch.status().withContext("matmul: batch dims");
  p.outBatch = *batch;
  p.outShape = p.outBatch;
  if (!lhsVector)
    p.outShape.push_back(p.m);
  if (!rhsVector)
    p.outShape.push_back(p.n);
  return p;
}

// oneDNN's row-major sgemm, chosen by measurement (bench/RESULTS.md): 1.15x OpenBLAS on single
// GEMMs, and it runs on the same OpenMP pool as our other kernels instead of a second one.
Status sgemm(const MatmulProblem &p, int64_t m, const float *a, const float *b, float *c) {
  dnnl_status_t status =
      dnnl_sgemm(p.transA ? 'T' : 'N', p.transB ? 'T' : 'N', m, p.n, p.k, 1.0f, a,
                 p.transA ? p.m : p.k, b, p.transB ? p.k : p.n, 0.0f, c, p.n);
  if (status != dnnl_success)
    return Status::error("matmul: oneDNN sgemm failed (status " + std::to_string(status) +
                         ") for M=" + std::to_string(m) + " N=" + std::to_string(p.n) +
                         " K=" + std::to_string(p.k));
  return Status::ok();
}

// C[m x n] = op(A) op(B) in double, one output row per iteration: i-k-j order when B's rows are
// contiguous in n, i-j-k (dot products) when B is transposed.
void dgemm(const MatmulProblem &p, int64_t m, const double *a, const double *b, double *c) {
  const int64_t n = p.n, k = p.k, lda = p.transA ? p.m : p.k;
  auto at = [&](int64_t i, int64_t kk) { return p.transA ? a[kk * lda + i] : a[i * lda + kk]; };
#pragma omp parallel for schedule(static) if (m * n * k > detail::kParallelGrain)
  for (int64_t i = 0; i < m; ++i) {
    double *ci = c + i * n;
    if (p.transB) {
      for (int64_t j = 0; j < n; ++j) {
        const double *bj = b + j * k;
        double sum = 0.0;
        for (int64_t kk = 0; kk < k; ++kk)
          sum += at(i, kk) * bj[kk];
        ci[j] = sum;
      }
      continue;
    }
    std::fill(ci, ci + n, 0.0);
    for (int64_t kk = 0; kk < k; ++kk) {
      const double aik = at(i, kk);
      const double *bk = b + kk * n;
#pragma omp simd
      for (int64_t j = 0; j < n; ++j)
        ci[j] += aik * bk[j];
    }
  }
}

// Runs `gemm` over every batch entry of `p`: T is the element type, gemm(m, a, b, c) one GEMM of
// m rows.
template <typename T, typename Gemm>
Status forEachBatch(const MatmulProblem &p, const T *a, const T *b, T *c, const Gemm &gemm) {
  const int64_t batches = numElements(p.outBatch);
  const int64_t lhsMatrix = p.m * p.k, rhsMatrix = p.k * p.n, outMatrix = p.m * p.n;
  // A shared rhs and an untransposed, unbroadcast lhs: the batch is just more rows of one GEMM.
  if (numElements(p.rhsBatch) == 1 && !p.transA && numElements(p.lhsBatch) == batches)
    return gemm(p.m * batches, a, b, c);
  // Batch entries as elements of a broadcast over the batch dims (matrices as the unit).
  detail::BroadcastLoop loop = detail::planBroadcast(p.outBatch, {p.lhsBatch, p.rhsBatch});
  const int64_t inner = loop.inner();
  for (int64_t bi = 0; bi < batches; ++bi) {
    int64_t row = bi / inner, j = bi % inner;
    int64_t la = loop.rowOffset(0, row) + j * loop.strides[0].back();
    int64_t rb = loop.rowOffset(1, row) + j * loop.strides[1].back();
    DS_RETURN_IF_ERROR(gemm(p.m, a + la * lhsMatrix, b + rb * rhsMatrix, c + bi * outMatrix));
  }
  return Status::ok();
}

} // namespace

StatusOr<Shape> matmulShape(const Shape &lhs, const Shape &rhs, bool transposeA,
                            bool transposeB) {
  StatusOr<MatmulProblem> p = analyze(lhs, rhs, transposeA, transposeB);
  if (!p)
    return p.status();
  return p->outShape;
}

Status matmul(const TensorView &lhs, const TensorView &rhs, const MutableTensorView &out,
              bool transposeA, bool transposeB) {
  const DType type = lhs.dtype == DType::F64 ? DType::F64 : DType::F32;
  DS_RETURN_IF_ERROR(checkTensor(lhs, type, "matmul", "lhs"));
  DS_RETURN_IF_ERROR(checkTensor(rhs, type, "matmul", "rhs"));
  StatusOr<MatmulProblem> problem = analyze(lhs.shape, rhs.shape, transposeA, transposeB);
  if (!problem)
    return problem.status();
  const MatmulProblem &p = *problem;
  DS_RETURN_IF_ERROR(checkOutput(out, type, p.outShape, "matmul"));

  if (out.numel() == 0)
    return Status::ok();
  if (p.k == 0) {
    std::memset(out.data, 0, out.bytes());
    return Status::ok();
  }
  if (type == DType::F64)
    return forEachBatch(p, lhs.as<double>(), rhs.as<double>(), out.as<double>(),
                        [&](int64_t m, const double *a, const double *b, double *c) {
                          dgemm(p, m, a, b, c);
                          return Status::ok();
                        });
  return forEachBatch(p, lhs.as<float>(), rhs.as<float>(), out.as<float>(),
                      [&](int64_t m, const float *a, const float *b, float *c) {
                        return sgemm(p, m, a, b, c);
                      });
}

} // namespace ds::rt::cpu
