// GEMM through cuBLASLt: ds.matmul on row-major tensors, batched, with the fused bias and GELU
// epilogues cuBLASLt provides.
#ifndef DS_RUNTIME_KERNELS_CUDA_MATMUL_H
#define DS_RUNTIME_KERNELS_CUDA_MATMUL_H

#include "ds/Runtime/DType.h"
#include "ds/Runtime/Status.h"

#include <cstdint>
#include <memory>

namespace ds::rt::cuda {

// out[b] = op(lhs[b]) . op(rhs[b]) for b < batch, every matrix row-major and densely packed:
// op(lhs) is [m, k] (lhs is stored [k, m] when transposeLhs), op(rhs) is [k, n] (stored [n, k] when
// transposeRhs), out is [m, n]; batch b of each operand starts b * its matrix size elements in.
// With rhsShared, rhs is a single matrix used by every batch (ds.matmul with a 2-D rhs broadcast
// over the lhs's batch dimensions).
struct MatmulShape {
  int64_t batch = 1;
  int64_t m = 0, n = 0, k = 0;
  bool transposeLhs = false;
  bool transposeRhs = false;
  bool rhsShared = false;
};

// What cuBLASLt fuses after the product. Bias adds a row vector of n elements (of the matmul's
// dtype) to every row of out; Gelu, applied after the bias, is the tanh approximation
//   0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
enum class MatmulEpilogue { None, Bias, Gelu, BiasGelu };

struct MatmulOptions {
  MatmulEpilogue epilogue = MatmulEpilogue::None;
  // f32 only: let cuBLASLt round the inputs to TF32 on the tensor cores. Off by default, so f32
  // products are computed in full fp32 as on the CPU backend.
  bool allowTf32 = false;
};

// Bytes of device workspace to hand to Matmul::run: enough for cuBLASLt's fastest algorithms on
// Hopper. A smaller workspace (even none) also works, with a possibly slower algorithm.
int64_t matmulWorkspaceBytes();

// The cuBLASLt handle and, per shape, the descriptors and the algorithm cuBLASLt's heuristic
// picked, so that a repeated shape costs one cublasLtMatmul call and no allocation. One Matmul
// belongs to one host thread at a time (it keeps a cache); create one per thread or stream.
//
// Layout: cuBLASLt is column-major, and a row-major [r, c] matrix is the same bytes as a
// column-major [c, r] one. So out^T = op(rhs)^T . op(lhs)^T is computed column-major: rhs is passed
// as cuBLASLt's A and lhs as its B, with their transposes as given, and D comes out as column-major
// [n, m], which is row-major out[m, n]. The bias epilogue adds a vector along D's rows, which are
// out's columns: exactly ds's row vector of n.
class Matmul {
public:
  static StatusOr<std::unique_ptr<Matmul>> create();
  ~Matmul();
  Matmul(const Matmul &) = delete;
  Matmul &operator=(const Matmul &) = delete;

  // out = epilogue(op(lhs) . op(rhs) [+ bias]) of `dtype` (f32, or bf16 with fp32 accumulation on
  // the tensor cores), enqueued on `stream`. bias (n elements of `dtype`) is required by the Bias
  // epilogues and ignored otherwise. workspace holds workspaceBytes bytes (nullptr and 0 are
  // allowed). m, n or batch of 0 is a no-op; k must be positive. Errors name the shape and carry
  // cuBLASLt's reason.
  Status run(DType dtype, const MatmulShape &shape, const void *lhs, const void *rhs,
             const void *bias, void *out, const MatmulOptions &options, void *workspace,
             int64_t workspaceBytes, void *stream);

  // Shapes whose algorithm has been chosen so far.
  int64_t cachedPlans() const;

  struct Impl;

private:
  explicit Matmul(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

} // namespace ds::rt::cuda

#endif // DS_RUNTIME_KERNELS_CUDA_MATMUL_H
