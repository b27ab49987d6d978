//===- Shape.cpp - Shape, Reshape, Transpose, Squeeze, Unsqueeze, Expand ---===//
//
// ds shapes are static, so Shape and Size are always known while importing, and the shape
// operands of Reshape, Expand, Squeeze and Unsqueeze must be too; the ops themselves are
// metadata changes (ds.reshape) or ds.transpose / ds.expand.
//
//===----------------------------------------------------------------------===//

#include "Importer.h"
#include "OpRegistry.h"

using namespace mlir;
using llvm::Error;
using llvm::Expected;
using namespace ::ds::importer;

namespace {

int64_t product(ArrayRef<int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

/// The input reshaped: a known input stays known, anything else becomes ds.reshape.
LogicalResult setReshaped(NodeImporter &node, ArrayRef<int64_t> shape) {
  if (const ConstTensor *input = node.getInputConstant(0)) {
    node.setOutput(0, input->reshaped(shape));
    return success();
  }
  Value input = node.getInput(0);
  if (!input)
    return failure();
  node.setOutput(0, node.createReshape(input, shape));
  return success();
}

LogicalResult importReshape(NodeImporter &node) {
  FailureOr<SmallVector<int64_t>> target = node.getConstantInts(1, "target shape");
  if (failed(target))
    return failure();
  ArrayRef<int64_t> in = node.getInputShape(0);
  bool allowZero = node.getOpset() >= 14 && node.getIntAttr("allowzero", 0);
  SmallVector<int64_t> shape;
  int64_t inferred = -1, known = 1;
  for (auto [i, d] : llvm::enumerate(*target)) {
    if (d == 0 && !allowZero) {
      // 0 copies the input's dimension (torch writes it for "keep the batch size").
      if (i >= in.size())
        return node.fail("target shape " + formatShape(*target) + " copies dimension " +
                         std::to_string(i) + " of an input of rank " + std::to_string(in.size()));
      d = in[i];
    } else if (d == -1) {
      if (inferred >= 0)
        return node.fail("target shape " + formatShape(*target) + " has two -1 dimensions");
      inferred = i;
      shape.push_back(1);
      continue;
    } else if (d < -1) {
      return node.fail("target shape " + formatShape(*target) + " has dimension " +
                       std::to_string(d));
    }
    shape.push_back(d);
    known *= d;
  }
  int64_t total = product(in);
  if (inferred >= 0) {
    if (known == 0 || total % known != 0)
      return node.fail("cannot reshape " + formatShape(in) + " into " + formatShape(*target));
    shape[inferred] = total / known;
  }
  if (product(shape) != total)
    return node.fail("cannot reshape " + formatShape(in) + " (" + std::to_string(total) +
                     " elements) into " + formatShape(shape) + " (" +
                     std::to_string(product(shape)) + " elements)");
  return setReshaped(node, shape);
}

LogicalResult importTranspose(NodeImporter &node) {
  int64_t rank = node.getInputType(0).getRank();
  SmallVector<int64_t> perm = node.getIntsAttr("perm").value_or(SmallVector<int64_t>());
  if (!node.getAttr("perm"))
    perm = llvm::to_vector(llvm::reverse(llvm::seq<int64_t>(0, rank)));
  SmallVector<bool> seen(rank, false);
  if (static_cast<int64_t>(perm.size()) != rank)
    return node.fail("perm " + formatShape(perm) + " does not fit rank " + std::to_string(rank));
  for (int64_t &p : perm) {
    if (p < 0)
      p += rank;
    if (p < 0 || p >= rank || seen[p])
      return node.fail("perm " + formatShape(perm) + " is not a permutation");
    seen[p] = true;
  }
  if (const ConstTensor *input = node.getInputConstant(0)) {
    node.setOutput(0, evaluateTranspose(*input, perm));
    return success();
  }
  Value input = node.getInput(0);
  if (!input)
    return failure();
  node.setOutput(0, node.createTranspose(input, perm));
  return success();
}

LogicalResult importSqueeze(NodeImporter &node) {
  ArrayRef<int64_t> in = node.getInputShape(0);
  SmallVector<bool> drop(in.size(), false);
  if (node.hasInput(1)) {
    FailureOr<SmallVector<int64_t>> axes = node.getConstantInts(1, "axes");
    if (failed(axes))
      return failure();
    for (int64_t axis : *axes) {
      FailureOr<int64_t> a = node.normalizeAxis(axis, in.size(), "axis");
      if (failed(a))
        return failure();
      if (in[*a] != 1)
        return node.fail("cannot squeeze dimension " + std::to_string(axis) + " of size " +
                         std::to_string(in[*a]) + " (shape " + formatShape(in) + ")");
      drop[*a] = true;
    }
  } else {
    for (auto [d, size] : llvm::enumerate(in))
      drop[d] = size == 1;
  }
  SmallVector<int64_t> shape;
  for (auto [d, size] : llvm::enumerate(in))
    if (!drop[d])
      shape.push_back(size);
  return setReshaped(node, shape);
}

LogicalResult importUnsqueeze(NodeImporter &node) {
  ArrayRef<int64_t> in = node.getInputShape(0);
  FailureOr<SmallVector<int64_t>> axes = node.getConstantInts(1, "axes");
  if (failed(axes))
    return failure();
  int64_t rank = in.size() + axes->size();
  SmallVector<bool> inserted(rank, false);
  for (int64_t axis : *axes) {
    FailureOr<int64_t> a = node.normalizeAxis(axis, rank, "axis");
    if (failed(a))
      return failure();
    if (inserted[*a])
      return node.fail("axis " + std::to_string(axis) + " is listed twice");
    inserted[*a] = true;
  }
  SmallVector<int64_t> shape;
  for (int64_t d = 0, next = 0; d < rank; ++d)
    shape.push_back(inserted[d] ? 1 : in[next++]);
  return setReshaped(node, shape);
}

LogicalResult importFlatten(NodeImporter &node) {
  ArrayRef<int64_t> in = node.getInputShape(0);
  int64_t rank = in.size(), axis = node.getIntAttr("axis", 1);
  if (axis < -rank || axis > rank)
    return node.fail("axis " + std::to_string(axis) + " is out of range for rank " +
                     std::to_string(rank));
  if (axis < 0)
    axis += rank;
  return setReshaped(node, {product(in.take_front(axis)), product(in.drop_front(axis))});
}

LogicalResult importShape(NodeImporter &node) {
  ArrayRef<int64_t> in = node.getInputShape(0);
  int64_t rank = in.size();
  int64_t start = 0, end = rank;
  if (node.getOpset() >= 15) { // start/end arrived in opset 15
    start = node.getIntAttr("start", 0);
    end = node.getIntAttr("end", rank);
  }
  auto clamp = [&](int64_t i) { return std::clamp<int64_t>(i < 0 ? i + rank : i, 0, rank); };
  start = clamp(start);
  end = std::max(clamp(end), start);
  ConstTensor result(IntegerType::get(node.getContext(), 64), {end - start});
  for (int64_t i = start; i < end; ++i)
    result.setInt(i - start, in[i]);
  node.setOutput(0, std::move(result));
  return success();
}

LogicalResult importSize(NodeImporter &node) {
  ConstTensor result(IntegerType::get(node.getContext(), 64), {});
  result.setInt(0, product(node.getInputShape(0)));
  node.setOutput(0, std::move(result));
  return success();
}

LogicalResult importExpand(NodeImporter &node) {
  FailureOr<SmallVector<int64_t>> target = node.getConstantInts(1, "target shape");
  if (failed(target))
    return failure();
  ArrayRef<int64_t> in = node.getInputShape(0);
  // Expand broadcasts both ways: a 1 in the target keeps the input's dimension.
  std::optional<SmallVector<int64_t>> shape = broadcastShapes(in, *target);
  if (!shape)
    return node.fail("cannot expand " + formatShape(in) + " to " + formatShape(*target));
  if (const ConstTensor *input = node.getInputConstant(0);
      input && product(*shape) <= kMaxFoldedElements) {
    node.setOutput(0, evaluateExpand(*input, *shape));
    return success();
  }
  Value input = node.getInput(0);
  if (!input)
    return failure();
  if (ArrayRef<int64_t>(*shape) == in) {
    node.setOutput(0, input);
    return success();
  }
  // ds.expand broadcasts to the same rank or a higher one, as numpy.broadcast_to.
  node.setOutput(0, node.create<mlir::ds::ExpandOp>(
                        RankedTensorType::get(*shape, node.getInputElementType(0)), input));
  return success();
}

} // namespace

void ::ds::importer::registerShapeOps(OpRegistry &r) {
  int64_t lo = kMinONNXOpset, hi = kMaxONNXOpset;
  r.add("Reshape", lo, hi, importReshape);
  r.add("Transpose", lo, hi, importTranspose);
  r.add("Squeeze", lo, hi, importSqueeze);
  r.add("Unsqueeze", lo, hi, importUnsqueeze);
  r.add("Flatten", lo, hi, importFlatten);
  r.add("Shape", lo, hi, importShape);
  r.add("Size", lo, hi, importSize);
  r.add("Expand", lo, hi, importExpand);
}
