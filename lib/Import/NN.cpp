//===- NN.cpp - Softmax, LogSoftmax, LayerNormalization, Dropout ----------===//

#include "Importer.h"
#include "OpRegistry.h"

using namespace mlir;
using llvm::Error;
using llvm::Expected;
using namespace ::ds::importer;

namespace {

/// Softmax and LogSoftmax from opset 13: one axis (before 13 it flattened from `axis` on).
template <typename OpTy> LogicalResult importSoftmax(NodeImporter &node) {
  if (failed(node.requireFloatInput(0)))
    return failure();
  RankedTensorType type = node.getInputType(0);
  FailureOr<int64_t> axis = node.normalizeAxis(node.getIntAttr("axis", -1), type.getRank(), "axis");
  if (failed(axis))
    return failure();
  Value input = node.getInput(0);
  if (!input)
    return failure();
  OpBuilder &b = node.getBuilder();
  if constexpr (std::is_same_v<OpTy, mlir::ds::SoftmaxOp>)
    node.setOutput(
        0, node.create<mlir::ds::SoftmaxOp>(type, input, b.getI64IntegerAttr(*axis), UnitAttr()));
  else
    node.setOutput(0, node.create<mlir::ds::LogSoftmaxOp>(type, input, b.getI64IntegerAttr(*axis)));
  return success();
}

/// An affine operand of LayerNormalization as ds.layer_norm takes it (exactly the normalized
/// shape), or null when it broadcasts some other way and must stay a separate mul/add.
Value fitAffine(NodeImporter &node, Value value, ArrayRef<int64_t> normalized) {
  auto type = cast<RankedTensorType>(value.getType());
  SmallVector<int64_t> shape(type.getShape());
  while (shape.size() > normalized.size() && shape.front() == 1)
    shape.erase(shape.begin());
  std::optional<SmallVector<int64_t>> broadcast = broadcastShapes(shape, normalized);
  if (shape.size() > normalized.size() || !broadcast || ArrayRef<int64_t>(*broadcast) != normalized)
    return {};
  Value fitted = node.createReshape(value, shape);
  if (ArrayRef<int64_t>(shape) == normalized)
    return fitted;
  return node.create<mlir::ds::ExpandOp>(RankedTensorType::get(normalized, type.getElementType()),
                                         fitted);
}

LogicalResult importLayerNormalization(NodeImporter &node) {
  if (failed(node.requireFloatInput(0)))
    return failure();
  RankedTensorType type = node.getInputType(0);
  int64_t rank = type.getRank();
  FailureOr<int64_t> axis = node.normalizeAxis(node.getIntAttr("axis", -1), rank, "axis");
  if (failed(axis))
    return failure();
  double epsilon = node.getFloatAttr("epsilon", 1e-5);
  ArrayRef<int64_t> normalized = type.getShape().drop_front(*axis);
  Value x = node.getInput(0), scale = node.getInput(1);
  Value bias = node.hasInput(2) ? node.getInput(2) : Value();
  if (!x || !scale || (node.hasInput(2) && !bias))
    return failure();
  for (Value v : {scale, bias}) {
    if (!v)
      continue;
    ArrayRef<int64_t> shape = cast<RankedTensorType>(v.getType()).getShape();
    std::optional<SmallVector<int64_t>> b = broadcastShapes(shape, type.getShape());
    if (!b || ArrayRef<int64_t>(*b) != type.getShape())
      return node.fail("scale/bias of shape " + formatShape(shape) +
                       " does not broadcast to the input shape " + formatShape(type.getShape()));
  }
  Value weight = fitAffine(node, scale, normalized);
  Value fittedBias = bias ? fitAffine(node, bias, normalized) : Value();
  // An affine operand that only broadcasts to the whole input is applied after the norm, and
  // then so is the bias, to keep (x_hat * scale) + bias in order.
  bool fused = weight && (!bias || fittedBias);
  OpBuilder &b = node.getBuilder();
  Value y = node.create<mlir::ds::LayerNormOp>(
      type, x, fused ? weight : Value(), fused ? fittedBias : Value(), b.getI64IntegerAttr(*axis),
      b.getF64FloatAttr(epsilon));
  if (!fused) {
    y = node.create<mlir::ds::MulOp>(type, y, scale);
    if (bias)
      y = node.create<mlir::ds::AddOp>(type, y, bias);
  }
  node.setOutput(0, y);

  if (node.hasOutput(1) || node.hasOutput(2)) {
    // The saved statistics, in stash_type (float32), over the normalized axes, kept as 1s.
    Type f32 = Float32Type::get(node.getContext());
    Value xs = node.createCast(x, f32);
    SmallVector<int64_t> axes = llvm::to_vector(llvm::seq<int64_t>(*axis, rank));
    SmallVector<int64_t> statShape(type.getShape().take_front(*axis));
    statShape.append(rank - *axis, 1);
    auto statType = RankedTensorType::get(statShape, f32);
    auto fullType = RankedTensorType::get(type.getShape(), f32);
    Value mean = node.create<mlir::ds::ReduceMeanOp>(statType, xs, b.getDenseI64ArrayAttr(axes),
                                                     b.getUnitAttr());
    node.setOutput(1, mean);
    Value centered = node.create<mlir::ds::SubOp>(fullType, xs, mean);
    Value squared = node.create<mlir::ds::MulOp>(fullType, centered, centered);
    Value variance = node.create<mlir::ds::ReduceMeanOp>(
        statType, squared, b.getDenseI64ArrayAttr(axes), b.getUnitAttr());
    Value shifted =
        node.create<mlir::ds::AddOp>(statType, variance, node.createScalar(f32, epsilon));
    node.setOutput(2, node.create<mlir::ds::RsqrtOp>(statType, shifted));
  }
  return success();
}

LogicalResult importDropout(NodeImporter &node) {
  bool training = false;
  if (node.hasInput(2)) {
    const ConstTensor *mode = node.getInputConstant(2);
    if (!mode)
      return node.fail("training_mode must be known while importing");
    training = mode->getInt(0) != 0;
  }
  double ratio = 0.5;
  if (training && node.hasInput(1)) {
    const ConstTensor *value = node.getInputConstant(1);
    if (!value)
      return node.fail("ratio must be known while importing");
    ratio = value->getDouble(0);
  }
  if (training && ratio != 0.0) {
    if (node.hasOutput(1))
      return node.fail("the mask output of a training-mode Dropout is not supported");
    if (failed(node.requireFloatInput(0)))
      return failure();
    Value input = node.getInput(0);
    if (!input)
      return failure();
    OpBuilder &b = node.getBuilder();
    node.setOutput(
        0, node.create<mlir::ds::DropoutOp>(input.getType(), input, b.getF64FloatAttr(ratio),
                                            b.getI64IntegerAttr(node.getIntAttr("seed", 0))));
    return success();
  }
  // Inference (or ratio 0): the identity, and a mask that keeps everything.
  if (failed(node.forwardInput(0, 0)))
    return failure();
  if (node.hasOutput(1)) {
    ConstTensor mask(IntegerType::get(node.getContext(), 1), node.getInputShape(0));
    for (int64_t i = 0; i < mask.getNumElements(); ++i)
      mask.setInt(i, 1);
    node.setOutput(1, std::move(mask));
  }
  return success();
}

} // namespace

void ::ds::importer::registerNNOps(OpRegistry &r) {
  int64_t lo = kMinONNXOpset, hi = kMaxONNXOpset;
  r.add("Softmax", lo, hi, importSoftmax<mlir::ds::SoftmaxOp>);
  r.add("LogSoftmax", lo, hi, importSoftmax<mlir::ds::LogSoftmaxOp>);
  r.add("LayerNormalization", 17, hi, importLayerNormalization); // new in opset 17
  r.add("Dropout", lo, hi, importDropout);
}
