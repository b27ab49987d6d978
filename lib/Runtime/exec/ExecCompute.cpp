// The CPU kernel table: how each compute instruction of a plan calls its kernel.
#include "InstructionContext.h"

#include "ds/Runtime/Kernels/CPU.h"

#include <cmath>

namespace ds::rt {

namespace {

ComputeFn unaryFn(cpu::UnaryOp op) {
  return [op](InstructionContext &c) -> Status {
    DS_ASSIGN_OR_RETURN(out, c.out(0));
    return cpu::unary(op, c.in(0), out);
  };
}

ComputeFn binaryFn(cpu::BinaryOp op) {
  return [op](InstructionContext &c) -> Status {
    DS_ASSIGN_OR_RETURN(out, c.out(0));
    return cpu::binary(op, c.in(0), c.in(1), out);
  };
}

ComputeFn reduceFn(cpu::ReduceKind kind) {
  return [kind](InstructionContext &c) -> Status {
    DS_ASSIGN_OR_RETURN(axes, c.ints("axes"));
    DS_ASSIGN_OR_RETURN(out, c.out(0));
    return cpu::reduce(kind, c.in(0), axes, c.iOr("keepdim", 0) != 0, out);
  };
}

// layer_norm and rms_norm take optional weight/bias: which ones are present comes from the
// operand segment sizes when the plan carries them, else from the operand count.
void affineOperands(InstructionContext &c, int maxAffine, TensorView &weight, TensorView &bias,
                    bool &hasWeight, bool &hasBias) {
  std::vector<int64_t> segments;
  if (auto s = c.ints("operandSegmentSizes"))
    segments = *s;
  else
    segments = {1, c.numOperands() > 1 ? 1 : 0, c.numOperands() > 2 ? 1 : 0};
  int next = 1;
  hasWeight = segments.size() > 1 && segments[1] == 1;
  if (hasWeight)
    weight = c.in(next++);
  hasBias = maxAffine > 1 && segments.size() > 2 && segments[2] == 1;
  if (hasBias)
    bias = c.in(next++);
}

Status layerNorm(InstructionContext &c) {
  DS_ASSIGN_OR_RETURN(axis, c.i("axis"));
  DS_ASSIGN_OR_RETURN(eps, c.f("epsilon"));
  TensorView weight, bias;
  bool hasWeight, hasBias;
  affineOperands(c, 2, weight, bias, hasWeight, hasBias);
  DS_ASSIGN_OR_RETURN(out, c.out(0));
  return cpu::layerNorm(c.in(0), axis, hasWeight ? &weight : nullptr, hasBias ? &bias : nullptr,
                        eps, out);
}

Status rmsNorm(InstructionContext &c) {
  DS_ASSIGN_OR_RETURN(axis, c.i("axis"));
  DS_ASSIGN_OR_RETURN(eps, c.f("epsilon"));
  TensorView weight, bias;
  bool hasWeight, hasBias;
  affineOperands(c, 1, weight, bias, hasWeight, hasBias);
  DS_ASSIGN_OR_RETURN(out, c.out(0));
  return cpu::rmsNorm(c.in(0), axis, hasWeight ? &weight : nullptr, eps, out);
}

Status softmax(InstructionContext &c) {
  DS_ASSIGN_OR_RETURN(out, c.out(0));
  if (c.iOr("causal", 0))
    return cpu::causalSoftmax(c.in(0), out);
  DS_ASSIGN_OR_RETURN(axis, c.i("axis"));
  return cpu::softmax(c.in(0), axis, out);
}

Status logSoftmax(InstructionContext &c) {
  DS_ASSIGN_OR_RETURN(axis, c.i("axis"));
  DS_ASSIGN_OR_RETURN(out, c.out(0));
  return cpu::logSoftmax(c.in(0), axis, out);
}

Status causalMask(InstructionContext &c) {
  DS_ASSIGN_OR_RETURN(fill, c.f("fill"));
  DS_ASSIGN_OR_RETURN(out, c.out(0));
  return cpu::causalMask(c.in(0), fill, out);
}

Status matmul(InstructionContext &c) {
  DS_ASSIGN_OR_RETURN(out, c.out(0));
  return cpu::matmul(c.in(0), c.in(1), out, c.iOr("transpose_lhs", 0) != 0,
                     c.iOr("transpose_rhs", 0) != 0);
}

Status compare(InstructionContext &c) {
  static const std::map<std::string, cpu::CompareOp> ops = {
      {"eq", cpu::CompareOp::Eq}, {"ne", cpu::CompareOp::Ne}, {"lt", cpu::CompareOp::Lt},
      {"le", cpu::CompareOp::Le}, {"gt", cpu::CompareOp::Gt}, {"ge", cpu::CompareOp::Ge}};
  DS_ASSIGN_OR_RETURN(predicate, c.s("predicate"));
  auto op = ops.find(predicate);
  if (op == ops.end())
    return c.error("unknown comparison '" + predicate + "'");
  DS_ASSIGN_OR_RETURN(out, c.out(0));
  return cpu::compare(op->second, c.in(0), c.in(1), out);
}

Status select(InstructionContext &c) {
  DS_ASSIGN_OR_RETURN(out, c.out(0));
  return cpu::select(c.in(0), c.in(1), c.in(2), out);
}

Status gelu(InstructionContext &c) {
  std::string approximate = "none";
  if (auto a = c.s("approximate"))
    approximate = *a;
  DS_ASSIGN_OR_RETURN(out, c.out(0));
  return cpu::unary(approximate == "tanh" ? cpu::UnaryOp::GeluTanh : cpu::UnaryOp::Gelu, c.in(0),
                    out);
}

Status dropout(InstructionContext &c) {
  DS_ASSIGN_OR_RETURN(ratio, c.f("ratio"));
  DS_ASSIGN_OR_RETURN(seed, c.i("seed"));
  DS_ASSIGN_OR_RETURN(out, c.out(0));
  std::vector<uint8_t> mask(static_cast<size_t>(out.numel()));
  MutableTensorView maskView(mask.data(), out.shape);
  // The step is the counter: a new mask every step, the same mask when a step is replayed.
  return cpu::dropout(c.in(0), static_cast<float>(ratio), static_cast<uint64_t>(seed),
                      c.executor.step(), out, maskView);
}

Status cast(InstructionContext &c) {
  DS_ASSIGN_OR_RETURN(out, c.out(0));
  return cpu::cast(c.in(0), out);
}

// cross_entropy and cross_entropy_grad's `reduction`.
StatusOr<cpu::LossReduction> lossReduction(InstructionContext &c) {
  static const std::map<std::string, cpu::LossReduction> reductions = {
      {"none", cpu::LossReduction::None},
      {"mean", cpu::LossReduction::Mean},
      {"sum", cpu::LossReduction::Sum}};
  DS_ASSIGN_OR_RETURN(reduction, c.s("reduction"));
  auto r = reductions.find(reduction);
  if (r == reductions.end())
    return c.error("unknown loss reduction '" + reduction + "'");
  return r->second;
}

Status crossEntropy(InstructionContext &c) {
  DS_ASSIGN_OR_RETURN(reduction, lossReduction(c));
  DS_ASSIGN_OR_RETURN(out, c.out(0));
  return cpu::crossEntropy(c.in(0), c.in(1), c.iOr("ignore_index", -100), reduction, out);
}

Status transpose(InstructionContext &c) {
  DS_ASSIGN_OR_RETURN(perm, c.ints("perm"));
  DS_ASSIGN_OR_RETURN(out, c.out(0));
  return cpu::transpose(c.in(0), perm, out);
}

Status expand(InstructionContext &c) {
  DS_ASSIGN_OR_RETURN(out, c.out(0));
  return cpu::expand(c.in(0), out);
}

Status slice(InstructionContext &c) {
  DS_ASSIGN_OR_RETURN(starts, c.ints("starts"));
  DS_ASSIGN_OR_RETURN(ends, c.ints("ends"));
  DS_ASSIGN_OR_RETURN(steps, c.ints("steps"));
  DS_ASSIGN_OR_RETURN(out, c.out(0));
  return cpu::slice(c.in(0), starts, ends, steps, out);
}

// This rank's piece along `dim`: its coordinate on the mesh axis picks the slice, so it is a
// local copy (the piece a reduce_scatter on that axis would leave here), no communication.
Status shardSlice(InstructionContext &c) {
  TensorView in = c.in(0);
  DS_ASSIGN_OR_RETURN(out, c.out(0));
  DS_ASSIGN_OR_RETURN(bounds, shardSliceBounds(c, in, out.shape));
  return cpu::slice(in, bounds.starts, bounds.ends, bounds.steps, out);
}

Status concat(InstructionContext &c) {
  DS_ASSIGN_OR_RETURN(axis, c.i("axis"));
  std::vector<TensorView> inputs;
  for (int i = 0; i < c.numOperands(); ++i)
    inputs.push_back(c.in(i));
  DS_ASSIGN_OR_RETURN(out, c.out(0));
  return cpu::concat(inputs, axis, out);
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
  return cpu::split(in, axis, sizes, outputs);
}

Status gather(InstructionContext &c) {
  DS_ASSIGN_OR_RETURN(axis, c.i("axis"));
  DS_ASSIGN_OR_RETURN(out, c.out(0));
  return cpu::gather(c.in(0), c.in(1), axis, out);
}

// The backward ops. Their float operands are f32 or f64; the kernels pick the loop by dtype.

Status geluGrad(InstructionContext &c) {
  std::string approximate = "none";
  if (auto a = c.s("approximate"))
    approximate = *a;
  DS_ASSIGN_OR_RETURN(out, c.out(0));
  return cpu::geluGrad(c.in(0), c.in(1), approximate == "tanh", out);
}

Status softmaxGrad(InstructionContext &c) {
  DS_ASSIGN_OR_RETURN(axis, c.i("axis"));
  DS_ASSIGN_OR_RETURN(out, c.out(0));
  return cpu::softmaxGrad(c.in(0), c.in(1), axis, out);
}

Status logSoftmaxGrad(InstructionContext &c) {
  DS_ASSIGN_OR_RETURN(axis, c.i("axis"));
  DS_ASSIGN_OR_RETURN(out, c.out(0));
  return cpu::logSoftmaxGrad(c.in(0), c.in(1), axis, out);
}

// layer_norm_grad and rms_norm_grad: (input, grad[, weight]); the weight is the only optional
// operand, so the operand count says whether it is there.
template <Status (*Kernel)(const TensorView &, const TensorView &, const TensorView *, int64_t,
                           double, const MutableTensorView &)>
Status normGrad(InstructionContext &c) {
  DS_ASSIGN_OR_RETURN(axis, c.i("axis"));
  DS_ASSIGN_OR_RETURN(eps, c.f("epsilon"));
  TensorView weight;
  if (c.numOperands() > 2)
    weight = c.in(2);
  DS_ASSIGN_OR_RETURN(out, c.out(0));
  return Kernel(c.in(0), c.in(1), c.numOperands() > 2 ? &weight : nullptr, axis, eps, out);
}

Status layerNormParamGrad(InstructionContext &c) {
  DS_ASSIGN_OR_RETURN(axis, c.i("axis"));
  DS_ASSIGN_OR_RETURN(eps, c.f("epsilon"));
  DS_ASSIGN_OR_RETURN(dweight, c.out(0));
  DS_ASSIGN_OR_RETURN(dbias, c.out(1));
  return cpu::layerNormParamGrad(c.in(0), c.in(1), axis, eps, dweight, dbias);
}

Status rmsNormParamGrad(InstructionContext &c) {
  DS_ASSIGN_OR_RETURN(axis, c.i("axis"));
  DS_ASSIGN_OR_RETURN(eps, c.f("epsilon"));
  DS_ASSIGN_OR_RETURN(dweight, c.out(0));
  return cpu::rmsNormParamGrad(c.in(0), c.in(1), axis, eps, dweight);
}

Status crossEntropyGrad(InstructionContext &c) {
  DS_ASSIGN_OR_RETURN(reduction, lossReduction(c));
  DS_ASSIGN_OR_RETURN(out, c.out(0));
  return cpu::crossEntropyGrad(c.in(0), c.in(1), c.in(2), c.iOr("ignore_index", -100), reduction,
                               out);
}

Status gatherGrad(InstructionContext &c) {
  DS_ASSIGN_OR_RETURN(axis, c.i("axis"));
  DS_ASSIGN_OR_RETURN(out, c.out(0));
  return cpu::gatherGrad(c.in(0), c.in(1), axis, out);
}

Status sliceGrad(InstructionContext &c) {
  DS_ASSIGN_OR_RETURN(starts, c.ints("starts"));
  DS_ASSIGN_OR_RETURN(ends, c.ints("ends"));
  DS_ASSIGN_OR_RETURN(steps, c.ints("steps"));
  DS_ASSIGN_OR_RETURN(out, c.out(0));
  return cpu::sliceGrad(c.in(0), starts, ends, steps, out);
}

Status adamUpdate(InstructionContext &c) {
  DS_ASSIGN_OR_RETURN(beta1, c.f("beta1"));
  DS_ASSIGN_OR_RETURN(beta2, c.f("beta2"));
  DS_ASSIGN_OR_RETURN(epsilon, c.f("epsilon"));
  DS_ASSIGN_OR_RETURN(weightDecay, c.f("weight_decay"));
  DS_ASSIGN_OR_RETURN(adamW, c.i("adam_w_mode"));
  cpu::AdamConfig config{beta1, beta2, epsilon, weightDecay, adamW != 0};
  DS_ASSIGN_OR_RETURN(s, optimizerScalars(c, 4));
  DS_ASSIGN_OR_RETURN(p, c.out(0));
  DS_ASSIGN_OR_RETURN(m, c.out(1));
  DS_ASSIGN_OR_RETURN(v, c.out(2));
  return cpu::adamUpdate(c.in(0), c.in(1), c.in(2), c.in(3), s.lr, s.step, s.gradScale, config,
                         p, m, v);
}

Status sgdUpdate(InstructionContext &c) {
  DS_ASSIGN_OR_RETURN(momentum, c.f("momentum"));
  DS_ASSIGN_OR_RETURN(dampening, c.f("dampening"));
  DS_ASSIGN_OR_RETURN(weightDecay, c.f("weight_decay"));
  DS_ASSIGN_OR_RETURN(nesterov, c.i("nesterov"));
  cpu::SGDConfig config{momentum, dampening, weightDecay, nesterov != 0};
  DS_ASSIGN_OR_RETURN(s, optimizerScalars(c, 3));
  DS_ASSIGN_OR_RETURN(p, c.out(0));
  DS_ASSIGN_OR_RETURN(buf, c.out(1));
  return cpu::sgdUpdate(c.in(0), c.in(1), c.in(2), s.lr, s.step, s.gradScale, config, p, buf);
}

} // namespace

const std::map<std::string, ComputeFn> &computeTable() {
  static const std::map<std::string, ComputeFn> table = {
      {"constant", fillConstant},
      {"load_param", aliasParam},
      {"store_param", storeParam},
      {"reshape", copyBytes},
      {"add", binaryFn(cpu::BinaryOp::Add)},
      {"sub", binaryFn(cpu::BinaryOp::Sub)},
      {"mul", binaryFn(cpu::BinaryOp::Mul)},
      {"div", binaryFn(cpu::BinaryOp::Div)},
      {"pow", binaryFn(cpu::BinaryOp::Pow)},
      {"max", binaryFn(cpu::BinaryOp::Max)},
      {"min", binaryFn(cpu::BinaryOp::Min)},
      {"compare", compare},
      {"select", select},
      {"neg", unaryFn(cpu::UnaryOp::Neg)},
      {"abs", unaryFn(cpu::UnaryOp::Abs)},
      {"exp", unaryFn(cpu::UnaryOp::Exp)},
      {"log", unaryFn(cpu::UnaryOp::Log)},
      {"tanh", unaryFn(cpu::UnaryOp::Tanh)},
      {"erf", unaryFn(cpu::UnaryOp::Erf)},
      {"sqrt", unaryFn(cpu::UnaryOp::Sqrt)},
      {"rsqrt", unaryFn(cpu::UnaryOp::Rsqrt)},
      {"reciprocal", unaryFn(cpu::UnaryOp::Reciprocal)},
      {"relu", unaryFn(cpu::UnaryOp::Relu)},
      {"sigmoid", unaryFn(cpu::UnaryOp::Sigmoid)},
      {"silu", unaryFn(cpu::UnaryOp::Silu)},
      {"gelu", gelu},
      {"dropout", dropout},
      {"cast", cast},
      {"matmul", matmul},
      {"softmax", softmax},
      {"log_softmax", logSoftmax},
      {"causal_mask", causalMask},
      {"layer_norm", layerNorm},
      {"rms_norm", rmsNorm},
      {"cross_entropy", crossEntropy},
      {"reduce_sum", reduceFn(cpu::ReduceKind::Sum)},
      {"reduce_mean", reduceFn(cpu::ReduceKind::Mean)},
      {"reduce_max", reduceFn(cpu::ReduceKind::Max)},
      {"transpose", transpose},
      {"expand", expand},
      {"slice", slice},
      {"shard_slice", shardSlice},
      {"concat", concat},
      {"split", split},
      {"gather", gather},
      {"gelu_grad", geluGrad},
      {"softmax_grad", softmaxGrad},
      {"log_softmax_grad", logSoftmaxGrad},
      {"layer_norm_grad", normGrad<cpu::layerNormGrad>},
      {"layer_norm_param_grad", layerNormParamGrad},
      {"rms_norm_grad", normGrad<cpu::rmsNormGrad>},
      {"rms_norm_param_grad", rmsNormParamGrad},
      {"cross_entropy_grad", crossEntropyGrad},
      {"gather_grad", gatherGrad},
      {"slice_grad", sliceGrad},
      {"adam_update", adamUpdate},
      {"sgd_update", sgdUpdate},
  };
  return table;
}

} // namespace ds::rt
