//===- Loss.cpp - SoftmaxCrossEntropyLoss, NegativeLogLikelihoodLoss ------===//
//
// ONNX puts the classes in dimension 1 ([N, C] or [N, C, d1, ...]); ds wants them last, so
// scores of rank > 2 are transposed first. The plain softmax cross-entropy is ds.cross_entropy.
// Class weights, and the NLL loss (what SoftmaxCrossEntropyLoss expands to), have no ds op: they
// pick each target's value with a one-hot select, which is exact and differentiable.
//
//===----------------------------------------------------------------------===//

#include "Importer.h"
#include "OpRegistry.h"

using namespace mlir;
using namespace ::ds::importer;

namespace {

/// The shape checks both losses share; on success, `perm` moves the classes last.
LogicalResult checkLossOperands(NodeImporter &node, SmallVector<int64_t> &perm) {
  if (failed(node.requireFloatInput(0)))
    return failure();
  RankedTensorType scores = node.getInputType(0), labels = node.getInputType(1);
  int64_t rank = scores.getRank();
  if (rank < 2)
    return node.fail("scores must be [N, C, ...], got " + formatShape(scores.getShape()));
  Type label = labels.getElementType();
  if (!label.isInteger(32) && !label.isInteger(64))
    return node.fail("labels must be int32 or int64, got " + formatType(label));
  perm = {0};
  for (int64_t d = 2; d < rank; ++d)
    perm.push_back(d);
  perm.push_back(1);
  SmallVector<int64_t> expected;
  for (int64_t p : ArrayRef<int64_t>(perm).drop_back())
    expected.push_back(scores.getDimSize(p));
  if (labels.getShape() != ArrayRef<int64_t>(expected))
    return node.fail("labels of shape " + formatShape(labels.getShape()) +
                     " do not fit scores of shape " + formatShape(scores.getShape()) +
                     " (expected " + formatShape(expected) + ")");
  if (node.hasInput(2)) {
    RankedTensorType weights = node.getInputType(2);
    int64_t classes = scores.getDimSize(1);
    if (weights.getShape() != ArrayRef<int64_t>{classes} ||
        weights.getElementType() != scores.getElementType())
      return node.fail("weights must be " +
                       formatType(RankedTensorType::get({classes}, scores.getElementType())) +
                       ", got " + formatType(weights));
  }
  return success();
}

FailureOr<mlir::ds::LossReduction> getReduction(NodeImporter &node) {
  const onnx::AttributeProto *attr = node.getAttr("reduction");
  std::string name = attr ? attr->s() : "mean";
  std::optional<mlir::ds::LossReduction> reduction = mlir::ds::symbolizeLossReduction(name);
  if (!reduction)
    return node.fail("reduction '" + name + "' is not none, mean or sum");
  return *reduction;
}

/// -sum_c onehot(target)_c * logp[..., c], weighted and reduced as ONNX's
/// NegativeLogLikelihoodLoss; `logp` has the classes last.
Value createNLL(NodeImporter &node, Value logp, Value targets, Value weights,
                mlir::ds::LossReduction reduction) {
  OpBuilder &b = node.getBuilder();
  auto logpType = cast<RankedTensorType>(logp.getType());
  auto targetType = cast<RankedTensorType>(targets.getType());
  Type element = logpType.getElementType(), index = targetType.getElementType();
  int64_t classes = logpType.getShape().back();
  ArrayRef<int64_t> positions = targetType.getShape();
  auto positionType = RankedTensorType::get(positions, element);
  auto scalarType = RankedTensorType::get({}, element);
  auto boolType = [&](ArrayRef<int64_t> shape) {
    return RankedTensorType::get(shape, b.getI1Type());
  };
  DenseI64ArrayAttr lastAxis = b.getDenseI64ArrayAttr({logpType.getRank() - 1});

  ConstTensor iota(index, {classes});
  for (int64_t c = 0; c < classes; ++c)
    iota.setInt(c, c);
  SmallVector<int64_t> column(positions);
  column.push_back(1);
  Value oneHot = node.create<mlir::ds::CompareOp>(
      boolType(logpType.getShape()), mlir::ds::ComparePredicate::EQ,
      node.createReshape(targets, column), node.createConstant(iota));
  Value zero = node.createScalar(element, 0);
  Value picked = node.create<mlir::ds::ReduceSumOp>(
      positionType, node.create<mlir::ds::SelectOp>(logpType, oneHot, logp, zero), lastAxis,
      UnitAttr());
  Value loss = node.create<mlir::ds::NegOp>(positionType, picked);

  // Each position's weight: weights[target], 0 where the target is ignored.
  Value weight;
  if (weights)
    weight = node.create<mlir::ds::ReduceSumOp>(
        positionType, node.create<mlir::ds::SelectOp>(logpType, oneHot, weights, zero), lastAxis,
        UnitAttr());
  if (const onnx::AttributeProto *ignore = node.getAttr("ignore_index")) {
    ConstTensor ignored(index, {});
    ignored.setInt(0, ignore->i());
    Value keep = node.create<mlir::ds::CompareOp>(
        boolType(positions), mlir::ds::ComparePredicate::NE, targets, node.createConstant(ignored));
    weight = node.create<mlir::ds::SelectOp>(positionType, keep,
                                             weight ? weight : node.createScalar(element, 1), zero);
  }
  if (weight)
    loss = node.create<mlir::ds::MulOp>(positionType, loss, weight);
  if (reduction == mlir::ds::LossReduction::None)
    return loss;
  DenseI64ArrayAttr all = b.getDenseI64ArrayAttr(
      llvm::to_vector(llvm::seq<int64_t>(0, static_cast<int64_t>(positions.size()))));
  Value total = node.create<mlir::ds::ReduceSumOp>(scalarType, loss, all, UnitAttr());
  if (reduction == mlir::ds::LossReduction::Sum)
    return total;
  // The mean is over the weight of the positions, as ONNX (and torch) define it.
  Value count = weight ? node.create<mlir::ds::ReduceSumOp>(scalarType, weight, all, UnitAttr())
                       : node.createScalar(element, targetType.getNumElements());
  return node.create<mlir::ds::DivOp>(scalarType, total, count);
}

LogicalResult importSoftmaxCrossEntropyLoss(NodeImporter &node) {
  SmallVector<int64_t> perm;
  if (failed(checkLossOperands(node, perm)))
    return failure();
  FailureOr<mlir::ds::LossReduction> reduction = getReduction(node);
  if (failed(reduction))
    return failure();
  RankedTensorType scores = node.getInputType(0);
  Value logits = node.getInput(0), targets = node.getInput(1);
  Value weights = node.hasInput(2) ? node.getInput(2) : Value();
  if (!logits || !targets || (node.hasInput(2) && !weights))
    return failure();
  OpBuilder &b = node.getBuilder();
  Value classesLast = perm.size() > 2 ? node.createTranspose(logits, perm) : logits;
  Value logp;
  if (node.hasOutput(1) || weights) {
    logp = node.create<mlir::ds::LogSoftmaxOp>(scores, logits, b.getI64IntegerAttr(1));
    node.setOutput(1, logp);
  }
  if (weights) {
    Value logpLast = perm.size() > 2 ? node.createTranspose(logp, perm) : logp;
    node.setOutput(0, createNLL(node, logpLast, targets, weights, *reduction));
    return success();
  }
  SmallVector<int64_t> lossShape;
  if (*reduction == mlir::ds::LossReduction::None)
    lossShape.assign(node.getInputShape(1).begin(), node.getInputShape(1).end());
  node.setOutput(0, node.create<mlir::ds::CrossEntropyOp>(
                        RankedTensorType::get(lossShape, scores.getElementType()), classesLast,
                        targets, mlir::ds::LossReductionAttr::get(node.getContext(), *reduction),
                        b.getI64IntegerAttr(node.getIntAttr("ignore_index", -100))));
  return success();
}

LogicalResult importNegativeLogLikelihoodLoss(NodeImporter &node) {
  SmallVector<int64_t> perm;
  if (failed(checkLossOperands(node, perm)))
    return failure();
  FailureOr<mlir::ds::LossReduction> reduction = getReduction(node);
  if (failed(reduction))
    return failure();
  Value input = node.getInput(0), targets = node.getInput(1);
  Value weights = node.hasInput(2) ? node.getInput(2) : Value();
  if (!input || !targets || (node.hasInput(2) && !weights))
    return failure();
  Value classesLast = perm.size() > 2 ? node.createTranspose(input, perm) : input;
  node.setOutput(0, createNLL(node, classesLast, targets, weights, *reduction));
  return success();
}

} // namespace

void ::ds::importer::registerLossOps(OpRegistry &r) {
  r.add("SoftmaxCrossEntropyLoss", kMinONNXOpset, kMaxONNXOpset, importSoftmaxCrossEntropyLoss);
  r.add("NegativeLogLikelihoodLoss", kMinONNXOpset, kMaxONNXOpset, importNegativeLogLikelihoodLoss);
}
