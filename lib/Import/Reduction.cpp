//===- Reduction.cpp - ReduceSum, ReduceMean, ReduceMax -------------------===//
//
// Where the axes come from depends on the op and opset: ReduceSum takes them as an input from
// opset 13, ReduceMean and ReduceMax as an attribute until 17 (an input from 18, not imported).
//
//===----------------------------------------------------------------------===//

#include "Importer.h"
#include "OpRegistry.h"

#include <limits>

using namespace mlir;
using llvm::Error;
using llvm::Expected;
using namespace ::ds::importer;

namespace {

enum class Reduction { Sum, Mean, Max };

/// The reduction of a known tensor (a shape sub-graph's numel, say).
ConstTensor evaluateReduction(Reduction kind, const ConstTensor &input, ArrayRef<bool> reduced,
                              ArrayRef<int64_t> resultShape) {
  ConstTensor result(input.getElementType(), resultShape);
  int64_t count = result.getNumElements();
  std::vector<double> acc(count,
                          kind == Reduction::Max ? -std::numeric_limits<double>::infinity() : 0.0);
  SmallVector<int64_t> shape(input.getShape());
  // Strides of the result over the input's dimensions (0 where reduced).
  SmallVector<int64_t> strides(shape.size(), 0);
  for (int64_t d = shape.size() - 1, stride = 1; d >= 0; --d) {
    if (reduced[d])
      continue;
    strides[d] = stride;
    stride *= shape[d];
  }
  SmallVector<int64_t> position(shape.size(), 0);
  for (int64_t i = 0, e = input.getNumElements(); i < e; ++i) {
    int64_t to = 0;
    for (size_t d = 0; d < shape.size(); ++d)
      to += position[d] * strides[d];
    double v = input.getDouble(i);
    acc[to] = kind == Reduction::Max ? std::max(acc[to], v) : acc[to] + v;
    for (int64_t d = shape.size() - 1; d >= 0; --d) {
      if (++position[d] < shape[d])
        break;
      position[d] = 0;
    }
  }
  int64_t perOutput = count ? input.getNumElements() / count : 0;
  for (int64_t i = 0; i < count; ++i)
    result.setDouble(i, kind == Reduction::Mean ? acc[i] / perOutput : acc[i]);
  return result;
}

LogicalResult importReduction(NodeImporter &node, Reduction kind,
                              std::optional<SmallVector<int64_t>> axes) {
  RankedTensorType type = node.getInputType(0);
  int64_t rank = type.getRank();
  bool keepdims = node.getIntAttr("keepdims", 1);
  if (!axes || axes->empty()) {
    // No axes: every axis, unless ReduceSum's noop_with_empty_axes makes it the identity.
    if (node.getIntAttr("noop_with_empty_axes", 0) || rank == 0)
      return node.forwardInput(0, 0);
    axes = llvm::to_vector(llvm::seq<int64_t>(0, rank));
  }
  SmallVector<bool> reduced(rank, false);
  SmallVector<int64_t> normalized;
  for (int64_t axis : *axes) {
    FailureOr<int64_t> a = node.normalizeAxis(axis, rank, "axis");
    if (failed(a))
      return failure();
    if (reduced[*a])
      return node.fail("axis " + std::to_string(axis) + " is listed twice");
    reduced[*a] = true;
    normalized.push_back(*a);
  }
  llvm::sort(normalized);
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < rank; ++d) {
    if (!reduced[d])
      shape.push_back(type.getDimSize(d));
    else if (keepdims)
      shape.push_back(1);
  }
  if (const ConstTensor *input = node.getInputConstant(0);
      input && input->getNumElements() <= kMaxFoldedElements) {
    node.setOutput(0, evaluateReduction(kind, *input, reduced, shape));
    return success();
  }
  Value input = node.getInput(0);
  if (!input)
    return failure();
  if (type.getElementType().isInteger(1))
    return node.fail("ds has no reductions of i1 tensors");
  auto resultType = RankedTensorType::get(shape, type.getElementType());
  OpBuilder &b = node.getBuilder();
  DenseI64ArrayAttr axesAttr = b.getDenseI64ArrayAttr(normalized);
  UnitAttr keep = keepdims ? b.getUnitAttr() : UnitAttr();
  Value result;
  switch (kind) {
  case Reduction::Sum:
    result = node.create<mlir::ds::ReduceSumOp>(resultType, input, axesAttr, keep);
    break;
  case Reduction::Mean:
    result = node.create<mlir::ds::ReduceMeanOp>(resultType, input, axesAttr, keep);
    break;
  case Reduction::Max:
    result = node.create<mlir::ds::ReduceMaxOp>(resultType, input, axesAttr, keep);
    break;
  }
  node.setOutput(0, result);
  return success();
}

/// ReduceMean and ReduceMax, opsets 13-17: axes is an attribute.
template <Reduction kind> LogicalResult importReductionWithAxesAttr(NodeImporter &node) {
  return importReduction(node, kind, node.getIntsAttr("axes"));
}

/// ReduceSum, opset 13 on: axes is an optional input.
LogicalResult importReduceSum(NodeImporter &node) {
  std::optional<SmallVector<int64_t>> axes;
  if (node.hasInput(1)) {
    FailureOr<SmallVector<int64_t>> values = node.getConstantInts(1, "axes");
    if (failed(values))
      return failure();
    axes = std::move(*values);
  }
  return importReduction(node, Reduction::Sum, std::move(axes));
}

} // namespace

void ::ds::importer::registerReductionOps(OpRegistry &r) {
  r.add("ReduceSum", 13, kMaxONNXOpset, importReduceSum);
  r.add("ReduceMean", kMinONNXOpset, 17, importReductionWithAxesAttr<Reduction::Mean>);
  r.add("ReduceMax", kMinONNXOpset, 17, importReductionWithAxesAttr<Reduction::Max>);
}
