// The CUDA kernel table: how each compute instruction calls its CUDA kernel on the rank's GPU.
// Every op of the CPU table has an entry. An entry checks what its kernel covers (dtypes, mixed
// operand types, layouts); anything else runs on the host through runOnHost, so every plan the
// CPU backend runs also runs here, correctly if slowly where it falls back. f16 has no CUDA
// kernels, and 16-bit operands mixed with f32 ones (which the CPU widens) fall back too.
// Executor::hostFallbacks() says which ops did.
#include "CudaDevice.h"
#include "InstructionContext.h"

#include "ds/Runtime/Kernels/CPU/Matmul.h"
#include "ds/Runtime/Kernels/CPU/Reduce.h"
#include "ds/Runtime/Kernels/CUDA.h"

#include <cmath>
#include <cstring>
#include <algorithm>
#include <initializer_list>
#include <optional>
#include <set>

namespace ds::rt {

namespace {

CudaDevice &gpu(InstructionContext &c) { return static_cast<CudaDevice &>(c.executor.device()); }
void *streamOf(InstructionContext &c) { return gpu(c).stream(); }

bool isF32OrBF16(DType dtype) { return dtype == DType::F32 || dtype == DType::BF16; }
bool isFloat(DType dtype) { return dtype == DType::F32 || dtype == DType::F64 || isHalfFloat(dtype); }

// The dtype every float operand and result shares when it is f32 or bf16 (the CUDA kernels'
// float types); nothing when they differ, are another float type or there are none. Integer
// operands (indices, targets) are not looked at.
std::optional<DType> commonFloatType(InstructionContext &c) {
  std::optional<DType> common;
  auto visit = [&](DType dtype) {
    if (!isFloat(dtype))
      return true;
    if (!common)
      common = dtype;
    return *common == dtype;
  };
  for (uint32_t id : c.inst.operands())
    if (!visit(c.executor.slot(id).dtype))
      return std::nullopt;
  for (uint32_t id : c.inst.results())
    if (!visit(c.executor.slot(id).dtype))
      return std::nullopt;
  if (!common || !isF32OrBF16(*common))
    return std::nullopt;
  return common;
}

// Rows and columns of x viewed as [prod(shape[:axis]), prod(shape[axis:])].
void rowsAndCols(const Shape &shape, int64_t axis, int64_t &rows, int64_t &cols) {
  rows = 1;
  cols = 1;
  for (int64_t d = 0; d < static_cast<int64_t>(shape.size()); ++d)
    (d < axis ? rows : cols) *= shape[d];
}

StatusOr<int64_t> axisOf(InstructionContext &c, const Shape &shape) {
  DS_ASSIGN_OR_RETURN(axis, c.i("axis"));
  return normalizeAxis(axis, static_cast<int64_t>(shape.size()), "axis");
}

bool isLastAxis(int64_t axis, const Shape &shape) {
  return axis == static_cast<int64_t>(shape.size()) - 1;
}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

Status cast(InstructionContext &c) {
  TensorView in = c.in(0);
  const Executor::Slot &result = c.executor.slot(c.inst.results(0));
  bool covered = in.dtype == result.dtype ||
                 (in.dtype == DType::F32 && isHalfFloat(result.dtype)) ||
                 (isHalfFloat(in.dtype) && result.dtype == DType::F32);
  if (!covered)
    return runOnHost("cast", c);
  DS_ASSIGN_OR_RETURN(out, c.out(0));
  if (in.numel() != out.numel())
    return c.error("casts " + std::to_string(in.numel()) + " elements into " +
                   std::to_string(out.numel()));
  return cuda::cast(in.dtype, in.data, out.dtype, out.data, in.numel(), streamOf(c));
}

// ONNX Gather on axis 0 of a table: the embedding lookup.
Status gather(InstructionContext &c) {
  TensorView data = c.in(0), indices = c.in(1);
  auto axis = c.i("axis");
  auto dtype = commonFloatType(c);
  if (!axis)
    return axis.status();
  if (*axis != 0 || !dtype || data.rank() < 1 || indices.dtype != DType::I64) {
    // Any axis, any dtype, i32 indices: the general kernel (an out-of-range index gives zeros
    // there, where the CPU reports it).
    DS_ASSIGN_OR_RETURN(out, c.out(0));
    return cuda::gather(data, indices, *axis, out, streamOf(c));
  }
  DS_ASSIGN_OR_RETURN(out, c.out(0));
  int64_t vocab = data.shape[0];
  int64_t dim = vocab == 0 ? 0 : data.numel() / vocab;
  if (out.numel() != indices.numel() * dim)
    return c.error("gathers " + std::to_string(indices.numel()) + " rows of " +
                   std::to_string(dim) + " into " + std::to_string(out.numel()) + " elements");
  return cuda::embedding(*dtype, data.data, indices.as<int64_t>(), indices.numel(), vocab, dim,
                         out.data, streamOf(c));
}

// gather_grad(indices, dy) on axis 0 into an f32 table gradient: the embedding's scatter-add.
Status gatherGrad(InstructionContext &c) {
  TensorView indices = c.in(0), dy = c.in(1);
  const Executor::Slot &result = c.executor.slot(c.inst.results(0));
  auto axis = c.i("axis");
  if (!axis)
    return axis.status();
  if (result.dtype == DType::BF16 && *axis == 0 && indices.dtype == DType::I64 &&
      isF32OrBF16(dy.dtype) && !result.shape.empty()) {
    // A 16-bit table gradient (mixed precision): scatter-add in f32 scratch, round once.
    DS_ASSIGN_OR_RETURN(out, c.out(0));
    int64_t vocab = out.shape[0];
    int64_t dim = vocab == 0 ? 0 : out.numel() / vocab;
    if (dy.numel() != indices.numel() * dim)
      return c.error("scatters " + std::to_string(dy.numel()) + " elements of dy into rows of " +
                     std::to_string(dim));
    CudaDevice &device = gpu(c);
    DS_ASSIGN_OR_RETURN(wide, device.take(out.numel() * 4));
    DS_RETURN_IF_ERROR(cuda::embeddingGrad(dy.dtype, indices.as<int64_t>(), dy.data,
                                           indices.numel(), vocab, dim,
                                           static_cast<float *>(wide), device.stream()));
    return cuda::cast(DType::F32, wide, DType::BF16, out.data, out.numel(), device.stream());
  }
  if (result.dtype != DType::F32)
    return runOnHost("gather_grad", c);
  if (*axis != 0 || indices.dtype != DType::I64 || !isF32OrBF16(dy.dtype) ||
      result.shape.empty()) {
    if (dy.dtype != DType::F32)
      return runOnHost("gather_grad", c);
    DS_ASSIGN_OR_RETURN(out, c.out(0));
    return cuda::gatherGrad(indices, dy, *axis, out, streamOf(c));
  }
  DS_ASSIGN_OR_RETURN(out, c.out(0));
  int64_t vocab = out.shape[0];
  int64_t dim = vocab == 0 ? 0 : out.numel() / vocab;
  if (dy.numel() != indices.numel() * dim)
    return c.error("scatters " + std::to_string(dy.numel()) + " elements of dy into rows of " +
                   std::to_string(dim));
  return cuda::embeddingGrad(dy.dtype, indices.as<int64_t>(), dy.data, indices.numel(), vocab,
                             dim, out.as<float>(), streamOf(c));
}

//===----------------------------------------------------------------------===//
// Arithmetic
//===----------------------------------------------------------------------===//

Status gelu(InstructionContext &c) {
  auto dtype = commonFloatType(c);
  if (!dtype)
    return runOnHost("gelu", c);
  std::string approximate = "none";
  if (auto a = c.s("approximate"))
    approximate = *a;
  DS_ASSIGN_OR_RETURN(out, c.out(0));
  TensorView in = c.in(0);
  if (in.numel() != out.numel())
    return c.error("gelu of " + shapeToString(in.shape) + " into " + shapeToString(out.shape));
  return cuda::gelu(*dtype, in.data, out.data, in.numel(), approximate == "tanh", streamOf(c));
}

Status geluGrad(InstructionContext &c) {
  auto dtype = commonFloatType(c);
  TensorView x = c.in(0), dy = c.in(1);
  if (!dtype || x.numel() != dy.numel())
    return runOnHost("gelu_grad", c);
  std::string approximate = "none";
  if (auto a = c.s("approximate"))
    approximate = *a;
  DS_ASSIGN_OR_RETURN(out, c.out(0));
  return cuda::geluGrad(*dtype, x.data, dy.data, out.data, x.numel(), approximate == "tanh",
                        streamOf(c));
}

// ds.matmul as one cuBLASLt call where the operands are dense batches of matrices: a 2-D rhs
// under an lhs of any rank (its batch folds into M when lhs is not transposed), or equal batch
// dims on both sides. Rank-1 operands and broadcast batch dims go to the host.
Status matmul(InstructionContext &c) {
  TensorView lhs = c.in(0), rhs = c.in(1);
  bool tl = c.iOr("transpose_lhs", 0) != 0, tr = c.iOr("transpose_rhs", 0) != 0;
  auto dtype = commonFloatType(c);
  if (!dtype || lhs.rank() < 2 || rhs.rank() < 2)
    return runOnHost("matmul", c);
  DS_ASSIGN_OR_RETURN(expected, cpu::matmulShape(lhs.shape, rhs.shape, tl, tr));
  DS_ASSIGN_OR_RETURN(out, c.out(0));
  if (out.shape != expected)
    return c.error("matmul of " + shapeToString(lhs.shape) + " and " + shapeToString(rhs.shape) +
                   " gives " + shapeToString(expected) + ", not " + shapeToString(out.shape));
  int64_t lr = lhs.rank(), rr = rhs.rank();
  cuda::MatmulShape shape;
  shape.transposeLhs = tl;
  shape.transposeRhs = tr;
  shape.m = tl ? lhs.shape[lr - 1] : lhs.shape[lr - 2];
  shape.k = tl ? lhs.shape[lr - 2] : lhs.shape[lr - 1];
  shape.n = tr ? rhs.shape[rr - 2] : rhs.shape[rr - 1];
  int64_t lhsBatch = 1, rhsBatch = 1;
  for (int64_t d = 0; d + 2 < lr; ++d)
    lhsBatch *= lhs.shape[d];
  for (int64_t d = 0; d + 2 < rr; ++d)
    rhsBatch *= rhs.shape[d];
  if (rr == 2) {
    if (!tl) {
      shape.m *= lhsBatch; // [..., M, K] rows are one [B*M, K] matrix
    } else {
      shape.batch = lhsBatch;
      shape.rhsShared = true;
    }
  } else if (lr == rr && std::equal(lhs.shape.begin(), lhs.shape.end() - 2, rhs.shape.begin())) {
    shape.batch = lhsBatch;
  } else {
    return runOnHost("matmul", c);
  }
  if (shape.k == 0) {
    // An empty sum: cuBLASLt wants k > 0.
    return gpu(c).fill(out.data, out.bytes(), nullptr, 1);
  }
  (void)rhsBatch;
  cuda::MatmulOptions options;
  CudaDevice &device = gpu(c);
  return device.matmul().run(*dtype, shape, lhs.data, rhs.data, nullptr, out.data, options,
                             device.matmulWorkspace(), device.matmulWorkspaceBytes(),
                             device.stream());
}

Status softmax(InstructionContext &c) {
  TensorView in = c.in(0);
  auto dtype = commonFloatType(c);
  if (!dtype || in.rank() < 1)
    return runOnHost("softmax", c);
  bool causal = c.iOr("causal", 0) != 0;
  if (causal && in.rank() < 2)
    return runOnHost("softmax", c);
  if (!causal) {
    DS_ASSIGN_OR_RETURN(axis, axisOf(c, in.shape));
    if (!isLastAxis(axis, in.shape)) {
      DS_ASSIGN_OR_RETURN(out, c.out(0));
      return cuda::softmax(in, axis, out, streamOf(c));
    }
  }
  DS_ASSIGN_OR_RETURN(out, c.out(0));
  int64_t cols = in.shape.back();
  int64_t rows = cols == 0 ? 0 : in.numel() / cols;
  if (causal && in.shape[in.rank() - 2] != cols)
    return c.error("a causal softmax needs square [..., T, T] scores, got " +
                   shapeToString(in.shape));
  return cuda::softmax(*dtype, in.data, out.data, rows, cols, causal, streamOf(c));
}

Status softmaxGrad(InstructionContext &c) {
  TensorView y = c.in(0), dy = c.in(1);
  auto dtype = commonFloatType(c);
  if (!dtype || y.rank() < 1 || y.shape != dy.shape)
    return runOnHost("softmax_grad", c);
  DS_ASSIGN_OR_RETURN(axis, axisOf(c, y.shape));
  if (!isLastAxis(axis, y.shape)) {
    DS_ASSIGN_OR_RETURN(out, c.out(0));
    return cuda::softmaxGrad(y, dy, axis, out, streamOf(c));
  }
  DS_ASSIGN_OR_RETURN(out, c.out(0));
  int64_t cols = y.shape.back();
  int64_t rows = cols == 0 ? 0 : y.numel() / cols;
  return cuda::softmaxGrad(*dtype, y.data, dy.data, out.data, rows, cols, streamOf(c));
}

// layer_norm's optional weight and bias, from its operand segment sizes as on the CPU.
void affineOperands(InstructionContext &c, const void *&weight, const void *&bias) {
  std::vector<int64_t> segments;
  if (auto s = c.ints("operandSegmentSizes"))
    segments = *s;
  else
    segments = {1, c.numOperands() > 1 ? 1 : 0, c.numOperands() > 2 ? 1 : 0};
  int next = 1;
  weight = bias = nullptr;
  if (segments.size() > 1 && segments[1] == 1)
    weight = c.in(next++).data;
  if (segments.size() > 2 && segments[2] == 1)
    bias = c.in(next++).data;
}

Status layerNorm(InstructionContext &c) {
  TensorView x = c.in(0);
  auto dtype = commonFloatType(c);
  if (!dtype || c.numResults() != 1)
    return runOnHost("layer_norm", c);
  DS_ASSIGN_OR_RETURN(axis, axisOf(c, x.shape));
  DS_ASSIGN_OR_RETURN(eps, c.f("epsilon"));
  const void *weight, *bias;
  affineOperands(c, weight, bias);
  int64_t rows, cols;
  rowsAndCols(x.shape, axis, rows, cols);
  DS_ASSIGN_OR_RETURN(out, c.out(0));
  return cuda::layerNorm(*dtype, x.data, weight, bias, rows, cols, eps, out.data, nullptr,
                         nullptr, streamOf(c));
}

Status layerNormGrad(InstructionContext &c) {
  TensorView x = c.in(0), dy = c.in(1);
  auto dtype = commonFloatType(c);
  if (!dtype || x.shape != dy.shape)
    return runOnHost("layer_norm_grad", c);
  DS_ASSIGN_OR_RETURN(axis, axisOf(c, x.shape));
  DS_ASSIGN_OR_RETURN(eps, c.f("epsilon"));
  int64_t rows, cols;
  rowsAndCols(x.shape, axis, rows, cols);
  const void *weight = c.numOperands() > 2 ? c.in(2).data : nullptr;
  DS_ASSIGN_OR_RETURN(out, c.out(0));
  return cuda::layerNormGrad(*dtype, x.data, dy.data, weight, rows, cols, eps, out.data,
                             streamOf(c));
}

Status layerNormParamGrad(InstructionContext &c) {
  TensorView x = c.in(0), dy = c.in(1);
  auto dtype = commonFloatType(c);
  if (!dtype || x.shape != dy.shape)
    return runOnHost("layer_norm_param_grad", c);
  DS_ASSIGN_OR_RETURN(axis, axisOf(c, x.shape));
  DS_ASSIGN_OR_RETURN(eps, c.f("epsilon"));
  int64_t rows, cols;
  rowsAndCols(x.shape, axis, rows, cols);
  DS_ASSIGN_OR_RETURN(dweight, c.out(0));
  DS_ASSIGN_OR_RETURN(dbias, c.out(1));
  CudaDevice &device = gpu(c);
  DS_ASSIGN_OR_RETURN(workspace, device.take(cuda::layerNormParamGradWorkspaceBytes(rows, cols)));
  return cuda::layerNormParamGrad(*dtype, x.data, dy.data, rows, cols, eps, dweight.data,
                                  dbias.data, workspace, device.stream());
}

StatusOr<cuda::LossReduction> lossReduction(InstructionContext &c) {
  DS_ASSIGN_OR_RETURN(reduction, c.s("reduction"));
  if (reduction == "none") return cuda::LossReduction::None;
  if (reduction == "mean") return cuda::LossReduction::Mean;
  if (reduction == "sum") return cuda::LossReduction::Sum;
  return c.error("unknown loss reduction '" + reduction + "'");
}

// The rows of logits [..., V] that targets [...] index: one per target.
StatusOr<int64_t> lossRows(InstructionContext &c, const TensorView &logits,
                           const TensorView &targets) {
  int64_t rows = targets.numel();
  if (rows * logits.shape.back() != logits.numel())
    return c.error("logits " + shapeToString(logits.shape) + " do not match targets " +
                   shapeToString(targets.shape));
  return rows;
}

// cross_entropy(logits [..., V], targets [...] i64) into an f32 loss.
Status crossEntropy(InstructionContext &c) {
  TensorView logits = c.in(0), targets = c.in(1);
  const Executor::Slot &result = c.executor.slot(c.inst.results(0));
  if (!isF32OrBF16(logits.dtype) || targets.dtype != DType::I64 ||
      !isF32OrBF16(result.dtype) || logits.rank() < 1)
    return runOnHost("cross_entropy", c);
  DS_ASSIGN_OR_RETURN(reduction, lossReduction(c));
  int64_t classes = logits.shape.back();
  DS_ASSIGN_OR_RETURN(rows, lossRows(c, logits, targets));
  DS_ASSIGN_OR_RETURN(out, c.out(0));
  CudaDevice &device = gpu(c);
  DS_ASSIGN_OR_RETURN(workspace, device.take(cuda::crossEntropyWorkspaceBytes(rows)));
  // The kernel writes f32; a bf16 loss (mixed precision) is rounded from it once.
  void *loss = out.data;
  if (out.dtype != DType::F32) {
    DS_ASSIGN_OR_RETURN(wide, device.take(out.numel() * 4));
    loss = wide;
  }
  DS_RETURN_IF_ERROR(cuda::crossEntropy(logits.dtype, logits.data, targets.as<int64_t>(), rows,
                                        classes, c.iOr("ignore_index", -100), reduction,
                                        static_cast<float *>(loss), workspace, device.stream()));
  if (loss == out.data)
    return Status::ok();
  return cuda::cast(DType::F32, loss, out.dtype, out.data, out.numel(), device.stream());
}

// cross_entropy_grad(logits, targets, dloss f32) into dlogits of the logits' dtype.
Status crossEntropyGrad(InstructionContext &c) {
  TensorView logits = c.in(0), targets = c.in(1), dloss = c.in(2);
  const Executor::Slot &result = c.executor.slot(c.inst.results(0));
  if (!isF32OrBF16(logits.dtype) || targets.dtype != DType::I64 || !isF32OrBF16(dloss.dtype) ||
      result.dtype != logits.dtype || logits.rank() < 1)
    return runOnHost("cross_entropy_grad", c);
  DS_ASSIGN_OR_RETURN(reduction, lossReduction(c));
  int64_t classes = logits.shape.back();
  DS_ASSIGN_OR_RETURN(rows, lossRows(c, logits, targets));
  DS_ASSIGN_OR_RETURN(out, c.out(0));
  CudaDevice &device = gpu(c);
  DS_ASSIGN_OR_RETURN(workspace, device.take(cuda::crossEntropyWorkspaceBytes(rows)));
  // The kernel reads an f32 dloss; a bf16 one is widened first (exactly).
  const void *dlossF32 = dloss.data;
  if (dloss.dtype != DType::F32) {
    DS_ASSIGN_OR_RETURN(wide, device.take(dloss.numel() * 4));
    DS_RETURN_IF_ERROR(
        cuda::cast(dloss.dtype, dloss.data, DType::F32, wide, dloss.numel(), device.stream()));
    dlossF32 = wide;
  }
  return cuda::crossEntropyGrad(logits.dtype, logits.data, targets.as<int64_t>(),
                                static_cast<const float *>(dlossF32), rows, classes,
                                c.iOr("ignore_index", -100), reduction, out.data, workspace,
                                device.stream());
}

//===----------------------------------------------------------------------===//
// The view-based kernels: elementwise, reductions, shape ops
//===----------------------------------------------------------------------===//

// True when every operand and result has `dtype` itself, and it is one of `allowed`.
bool allOf(InstructionContext &c, std::initializer_list<DType> allowed) {
  std::optional<DType> common;
  auto same = [&](uint32_t id) {
    DType dtype = c.executor.slot(id).dtype;
    if (!common)
      common = dtype;
    return *common == dtype;
  };
  for (uint32_t id : c.inst.operands())
    if (!same(id))
      return false;
  for (uint32_t id : c.inst.results())
    if (!same(id))
      return false;
  return common && std::find(allowed.begin(), allowed.end(), *common) != allowed.end();
}

ComputeFn unaryFn(cpu::UnaryOp op, const char *name) {
  return [op, name](InstructionContext &c) -> Status {
    if (!allOf(c, {DType::F32, DType::BF16}))
      return runOnHost(name, c);
    DS_ASSIGN_OR_RETURN(out, c.out(0));
    return cuda::unary(op, c.in(0), out, streamOf(c));
  };
}

ComputeFn binaryFn(cpu::BinaryOp op, const char *name) {
  return [op, name](InstructionContext &c) -> Status {
    if (!allOf(c, {DType::F32, DType::BF16, DType::I64, DType::I32}))
      return runOnHost(name, c);
    DS_ASSIGN_OR_RETURN(out, c.out(0));
    return cuda::binary(op, c.in(0), c.in(1), out, streamOf(c));
  };
}

Status compare(InstructionContext &c) {
  static const std::map<std::string, cpu::CompareOp> ops = {
      {"eq", cpu::CompareOp::Eq}, {"ne", cpu::CompareOp::Ne}, {"lt", cpu::CompareOp::Lt},
      {"le", cpu::CompareOp::Le}, {"gt", cpu::CompareOp::Gt}, {"ge", cpu::CompareOp::Ge}};
  DS_ASSIGN_OR_RETURN(predicate, c.s("predicate"));
  auto op = ops.find(predicate);
  if (op == ops.end())
    return c.error("unknown comparison '" + predicate + "'");
  TensorView a = c.in(0), b = c.in(1);
  bool covered = a.dtype == b.dtype && (isF32OrBF16(a.dtype) || a.dtype == DType::I64 ||
                                        a.dtype == DType::I32);
  if (!covered || c.executor.slot(c.inst.results(0)).dtype != DType::U8)
    return runOnHost("compare", c);
  DS_ASSIGN_OR_RETURN(out, c.out(0));
  return cuda::compare(op->second, a, b, out, streamOf(c));
}

Status select(InstructionContext &c) {
  TensorView cond = c.in(0), a = c.in(1), b = c.in(2);
  if (cond.dtype != DType::U8 || a.dtype != b.dtype ||
      c.executor.slot(c.inst.results(0)).dtype != a.dtype)
    return runOnHost("select", c);
  DS_ASSIGN_OR_RETURN(out, c.out(0));
  return cuda::select(cond, a, b, out, streamOf(c));
}

ComputeFn reduceFn(cpu::ReduceKind kind, const char *name) {
  return [kind, name](InstructionContext &c) -> Status {
    if (!allOf(c, {DType::F32, DType::BF16}))
      return runOnHost(name, c);
    DS_ASSIGN_OR_RETURN(axes, c.ints("axes"));
    DS_ASSIGN_OR_RETURN(out, c.out(0));
    return cuda::reduce(kind, c.in(0), axes, c.iOr("keepdim", 0) != 0, out, streamOf(c));
  };
}

Status transpose(InstructionContext &c) {
  DS_ASSIGN_OR_RETURN(perm, c.ints("perm"));
  DS_ASSIGN_OR_RETURN(out, c.out(0));
  return cuda::transpose(c.in(0), perm, out, streamOf(c));
}

Status expand(InstructionContext &c) {
  DS_ASSIGN_OR_RETURN(out, c.out(0));
  return cuda::expand(c.in(0), out, streamOf(c));
}

Status slice(InstructionContext &c) {
  DS_ASSIGN_OR_RETURN(starts, c.ints("starts"));
  DS_ASSIGN_OR_RETURN(ends, c.ints("ends"));
  DS_ASSIGN_OR_RETURN(steps, c.ints("steps"));
  DS_ASSIGN_OR_RETURN(out, c.out(0));
  return cuda::slice(c.in(0), starts, ends, steps, out, streamOf(c));
}

Status sliceGrad(InstructionContext &c) {
  DS_ASSIGN_OR_RETURN(starts, c.ints("starts"));
  DS_ASSIGN_OR_RETURN(ends, c.ints("ends"));
  DS_ASSIGN_OR_RETURN(steps, c.ints("steps"));
  DS_ASSIGN_OR_RETURN(out, c.out(0));
  return cuda::sliceGrad(c.in(0), starts, ends, steps, out, streamOf(c));
}

// This rank's piece along `dim` of its mesh axis, as the CPU table's shard_slice.
Status shardSlice(InstructionContext &c) {
  TensorView in = c.in(0);
  DS_ASSIGN_OR_RETURN(out, c.out(0));
  DS_ASSIGN_OR_RETURN(bounds, shardSliceBounds(c, in, out.shape));
  return cuda::slice(in, bounds.starts, bounds.ends, bounds.steps, out, streamOf(c));
}

Status concat(InstructionContext &c) {
  DS_ASSIGN_OR_RETURN(axis, c.i("axis"));
  std::vector<TensorView> inputs;
  for (int i = 0; i < c.numOperands(); ++i)
    inputs.push_back(c.in(i));
  DS_ASSIGN_OR_RETURN(out, c.out(0));
  return cuda::concat(inputs, axis, out, streamOf(c));
}

Status split(InstructionContext &c) {
  DS_ASSIGN_OR_RETURN(axis, c.i("axis"));
  TensorView in = c.in(0);
  DS_ASSIGN_OR_RETURN(normalized, normalizeAxis(axis, in.rank(), "split axis"));
  std::vector<MutableTensorView> outputs;
  std::vector<int64_t> sizes;
  for (int i = 0; i < c.numResults(); ++i) {
    DS_ASSIGN_OR_RETURN(out, c.out(i));
    sizes.push_back(out.shape[normalized]);
    outputs.push_back(out);
  }
  return cuda::split(in, axis, sizes, outputs, streamOf(c));
}

Status logSoftmax(InstructionContext &c) {
  if (!allOf(c, {DType::F32, DType::BF16}))
    return runOnHost("log_softmax", c);
  DS_ASSIGN_OR_RETURN(axis, c.i("axis"));
  DS_ASSIGN_OR_RETURN(out, c.out(0));
  return cuda::logSoftmax(c.in(0), axis, out, streamOf(c));
}

Status logSoftmaxGrad(InstructionContext &c) {
  if (!allOf(c, {DType::F32, DType::BF16}))
    return runOnHost("log_softmax_grad", c);
  DS_ASSIGN_OR_RETURN(axis, c.i("axis"));
  DS_ASSIGN_OR_RETURN(out, c.out(0));
  return cuda::logSoftmaxGrad(c.in(0), c.in(1), axis, out, streamOf(c));
}

Status causalMask(InstructionContext &c) {
  if (!allOf(c, {DType::F32, DType::BF16}))
    return runOnHost("causal_mask", c);
  DS_ASSIGN_OR_RETURN(fill, c.f("fill"));
  DS_ASSIGN_OR_RETURN(out, c.out(0));
  return cuda::causalMask(c.in(0), fill, out, streamOf(c));
}

Status rmsNorm(InstructionContext &c) {
  if (!allOf(c, {DType::F32, DType::BF16}) || c.numResults() != 1)
    return runOnHost("rms_norm", c);
  DS_ASSIGN_OR_RETURN(axis, c.i("axis"));
  DS_ASSIGN_OR_RETURN(eps, c.f("epsilon"));
  std::vector<int64_t> segments = {1, c.numOperands() > 1 ? 1 : 0};
  if (auto s = c.ints("operandSegmentSizes"))
    segments = *s;
  TensorView weight;
  bool hasWeight = segments.size() > 1 && segments[1] == 1;
  if (hasWeight)
    weight = c.in(1);
  DS_ASSIGN_OR_RETURN(out, c.out(0));
  return cuda::rmsNorm(c.in(0), axis, hasWeight ? &weight : nullptr, eps, out, nullptr,
                       streamOf(c));
}

Status rmsNormGrad(InstructionContext &c) {
  if (!allOf(c, {DType::F32, DType::BF16}))
    return runOnHost("rms_norm_grad", c);
  DS_ASSIGN_OR_RETURN(axis, c.i("axis"));
  DS_ASSIGN_OR_RETURN(eps, c.f("epsilon"));
  TensorView weight;
  if (c.numOperands() > 2)
    weight = c.in(2);
  DS_ASSIGN_OR_RETURN(out, c.out(0));
  return cuda::rmsNormGrad(c.in(0), c.in(1), c.numOperands() > 2 ? &weight : nullptr, axis, eps,
                           out, streamOf(c));
}

Status rmsNormParamGrad(InstructionContext &c) {
  if (!allOf(c, {DType::F32, DType::BF16}))
    return runOnHost("rms_norm_param_grad", c);
  DS_ASSIGN_OR_RETURN(axisAttr, c.i("axis"));
  DS_ASSIGN_OR_RETURN(eps, c.f("epsilon"));
  TensorView x = c.in(0);
  DS_ASSIGN_OR_RETURN(axis, normalizeAxis(axisAttr, x.rank(), "rms_norm_param_grad axis"));
  int64_t rows, cols;
  rowsAndCols(x.shape, axis, rows, cols);
  DS_ASSIGN_OR_RETURN(out, c.out(0));
  CudaDevice &device = gpu(c);
  DS_ASSIGN_OR_RETURN(workspace, device.take(cuda::rmsNormParamGradWorkspaceBytes(rows)));
  return cuda::rmsNormParamGrad(x, c.in(1), axis, eps, out, workspace, device.stream());
}

// The mask is not a result: it lives in scratch for the kernel's run.
Status dropout(InstructionContext &c) {
  if (!allOf(c, {DType::F32, DType::BF16}))
    return runOnHost("dropout", c);
  DS_ASSIGN_OR_RETURN(ratio, c.f("ratio"));
  DS_ASSIGN_OR_RETURN(seed, c.i("seed"));
  DS_ASSIGN_OR_RETURN(out, c.out(0));
  CudaDevice &device = gpu(c);
  DS_ASSIGN_OR_RETURN(maskData, device.take(out.numel()));
  MutableTensorView mask(maskData, out.shape, DType::U8);
  return cuda::dropout(c.in(0), static_cast<float>(ratio), static_cast<uint64_t>(seed),
                       c.executor.step(), out, mask, device.stream());
}

//===----------------------------------------------------------------------===//
// Optimizer
//===----------------------------------------------------------------------===//

// adam_update(p, g, m, v, lr, step, grad_scale) -> (p, m, v), in place on the results.
Status adamUpdate(InstructionContext &c) {
  for (int i = 0; i < 4; ++i)
    if (c.in(i).dtype != DType::F32)
      return runOnHost("adam_update", c);
  DS_ASSIGN_OR_RETURN(beta1, c.f("beta1"));
  DS_ASSIGN_OR_RETURN(beta2, c.f("beta2"));
  DS_ASSIGN_OR_RETURN(epsilon, c.f("epsilon"));
  DS_ASSIGN_OR_RETURN(weightDecay, c.f("weight_decay"));
  DS_ASSIGN_OR_RETURN(adamW, c.i("adam_w_mode"));
  DS_ASSIGN_OR_RETURN(scalars, optimizerScalars(c, 4));
  int64_t n = c.in(0).numel();
  for (int i = 1; i < 4; ++i)
    if (c.in(i).numel() != n)
      return c.error("adam_update operand " + std::to_string(i) + " has " +
                     std::to_string(c.in(i).numel()) + " elements, the parameter " +
                     std::to_string(n));
  // The kernel updates in place: results that are not their operands start as copies.
  MutableTensorView results[3];
  const int sources[3] = {0, 2, 3};
  for (int j = 0; j < 3; ++j) {
    DS_ASSIGN_OR_RETURN(out, c.out(j));
    if (out.numel() != n)
      return c.error("adam_update result " + std::to_string(j) + " has " +
                     std::to_string(out.numel()) + " elements, the parameter " + std::to_string(n));
    TensorView source = c.in(sources[j]);
    if (out.data != source.data)
      DS_RETURN_IF_ERROR(gpu(c).copy(out.data, source.data, source.bytes()));
    results[j] = out;
  }
  AdamConfig config{beta1, beta2, epsilon, weightDecay, adamW != 0};
  return cuda::adamUpdate(results[0].as<float>(), c.in(1).as<float>(), results[1].as<float>(),
                          results[2].as<float>(), n, scalars.lr, scalars.step,
                          scalars.gradScale, config, streamOf(c));
}

// sgd_update(p, g, buf, lr, step, grad_scale) -> (p, buf).
Status sgdUpdate(InstructionContext &c) {
  for (int i = 0; i < 3; ++i)
    if (c.in(i).dtype != DType::F32)
      return runOnHost("sgd_update", c);
  DS_ASSIGN_OR_RETURN(momentum, c.f("momentum"));
  DS_ASSIGN_OR_RETURN(dampening, c.f("dampening"));
  DS_ASSIGN_OR_RETURN(weightDecay, c.f("weight_decay"));
  DS_ASSIGN_OR_RETURN(nesterov, c.i("nesterov"));
  DS_ASSIGN_OR_RETURN(scalars, optimizerScalars(c, 3));
  SGDConfig config{momentum, dampening, weightDecay, nesterov != 0};
  DS_ASSIGN_OR_RETURN(p, c.out(0));
  DS_ASSIGN_OR_RETURN(buf, c.out(1));
  return cuda::sgdUpdate(c.in(0), c.in(1), c.in(2), scalars.lr, scalars.step, scalars.gradScale,
                         config, p, buf, streamOf(c));
}

const std::map<std::string, ComputeFn> &cudaComputeTable() {
  static const std::map<std::string, ComputeFn> table = {
      {"constant", fillConstant},
      {"load_param", aliasParam},
      {"store_param", storeParam},
      {"reshape", copyBytes},
      {"cast", cast},
      {"gather", gather},
      {"gather_grad", gatherGrad},
      {"gelu", gelu},
      {"gelu_grad", geluGrad},
      {"matmul", matmul},
      {"softmax", softmax},
      {"softmax_grad", softmaxGrad},
      {"layer_norm", layerNorm},
      {"layer_norm_grad", layerNormGrad},
      {"layer_norm_param_grad", layerNormParamGrad},
      {"cross_entropy", crossEntropy},
      {"cross_entropy_grad", crossEntropyGrad},
      {"adam_update", adamUpdate},
      {"sgd_update", sgdUpdate},
      {"add", binaryFn(cpu::BinaryOp::Add, "add")},
      {"sub", binaryFn(cpu::BinaryOp::Sub, "sub")},
      {"mul", binaryFn(cpu::BinaryOp::Mul, "mul")},
      {"div", binaryFn(cpu::BinaryOp::Div, "div")},
      {"pow", binaryFn(cpu::BinaryOp::Pow, "pow")},
      {"max", binaryFn(cpu::BinaryOp::Max, "max")},
      {"min", binaryFn(cpu::BinaryOp::Min, "min")},
      {"compare", compare},
      {"select", select},
      {"neg", unaryFn(cpu::UnaryOp::Neg, "neg")},
      {"abs", unaryFn(cpu::UnaryOp::Abs, "abs")},
      {"exp", unaryFn(cpu::UnaryOp::Exp, "exp")},
      {"log", unaryFn(cpu::UnaryOp::Log, "log")},
      {"tanh", unaryFn(cpu::UnaryOp::Tanh, "tanh")},
      {"erf", unaryFn(cpu::UnaryOp::Erf, "erf")},
      {"sqrt", unaryFn(cpu::UnaryOp::Sqrt, "sqrt")},
      {"rsqrt", unaryFn(cpu::UnaryOp::Rsqrt, "rsqrt")},
      {"reciprocal", unaryFn(cpu::UnaryOp::Reciprocal, "reciprocal")},
      {"relu", unaryFn(cpu::UnaryOp::Relu, "relu")},
      {"sigmoid", unaryFn(cpu::UnaryOp::Sigmoid, "sigmoid")},
      {"silu", unaryFn(cpu::UnaryOp::Silu, "silu")},
      {"dropout", dropout},
      {"log_softmax", logSoftmax},
      {"log_softmax_grad", logSoftmaxGrad},
      {"causal_mask", causalMask},
      {"rms_norm", rmsNorm},
      {"rms_norm_grad", rmsNormGrad},
      {"rms_norm_param_grad", rmsNormParamGrad},
      {"reduce_sum", reduceFn(cpu::ReduceKind::Sum, "reduce_sum")},
      {"reduce_mean", reduceFn(cpu::ReduceKind::Mean, "reduce_mean")},
      {"reduce_max", reduceFn(cpu::ReduceKind::Max, "reduce_max")},
      {"transpose", transpose},
      {"expand", expand},
      {"slice", slice},
      {"slice_grad", sliceGrad},
      {"shard_slice", shardSlice},
      {"concat", concat},
      {"split", split},
  };
  return table;
}

} // namespace

// Ops whose CUDA kernels (and the CPU kernels they may fall back to) write every element of
// every result, so their results need no zero-fill first. Left out: scatter-adds (gather_grad,
// slice_grad), the in-place updates and parameter stores, constants.
bool overwritesResults(const std::string &op) {
  static const std::set<std::string> ops = {
      "reshape", "cast", "gather", "gelu", "gelu_grad", "matmul", "softmax", "softmax_grad",
      "layer_norm", "layer_norm_grad", "layer_norm_param_grad", "cross_entropy",
      "cross_entropy_grad", "add", "sub", "mul", "div", "pow", "max", "min", "compare", "select",
      "neg", "abs", "exp", "log", "tanh", "erf", "sqrt", "rsqrt", "reciprocal", "relu", "sigmoid",
      "silu", "dropout", "log_softmax", "log_softmax_grad", "causal_mask", "rms_norm",
      "rms_norm_grad", "rms_norm_param_grad", "reduce_sum", "reduce_mean", "reduce_max",
      "transpose", "expand", "slice", "shard_slice", "concat", "split"};
  return ops.count(op) != 0;
}

Status runOnCuda(const std::string &op, InstructionContext &c) {
  const auto &table = cudaComputeTable();
  auto fn = table.find(op);
  if (fn == table.end())
    return runOnHost(op, c);
  c.zeroOutputs = !overwritesResults(op);
  Status status = fn->second(c);
  gpu(c).release();
  return status;
}

} // namespace ds::rt
