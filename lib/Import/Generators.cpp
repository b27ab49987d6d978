//===- Generators.cpp - Constant, ConstantOfShape, Range, Trilu -----------===//
//
// Ops that make tensors from attributes and known sizes. ds has no Range or Trilu op: torch
// emits them on shapes and on the causal-mask buffer, which are known while importing, so they
// are evaluated here; a Trilu of a computed tensor becomes a select against a constant mask.
//
//===----------------------------------------------------------------------===//

#include "Importer.h"
#include "OpRegistry.h"
#include "TensorProto.h"

#include <cmath>

using namespace mlir;
using llvm::Error;
using llvm::Expected;
using namespace ::ds::importer;

namespace {

LogicalResult importConstant(NodeImporter &node) {
  MLIRContext *context = node.getContext();
  if (node.getNode().attribute_size() != 1)
    return node.fail("needs exactly one value attribute");
  const onnx::AttributeProto &attr = node.getNode().attribute(0);
  const std::string &name = attr.name();
  if (name == "value") {
    Expected<ConstTensor> value = decodeTensor(attr.t(), context);
    if (!value)
      return node.fail("value " + llvm::toString(value.takeError()));
    node.setOutput(0, std::move(*value));
    return success();
  }
  Type f32 = Float32Type::get(context), i64 = IntegerType::get(context, 64);
  if (name == "value_float" || name == "value_int") {
    ConstTensor value(name == "value_float" ? f32 : i64, {});
    if (name == "value_float")
      value.setDouble(0, attr.f());
    else
      value.setInt(0, attr.i());
    node.setOutput(0, std::move(value));
    return success();
  }
  if (name == "value_floats" || name == "value_ints") {
    bool isFloat = name == "value_floats";
    int64_t n = isFloat ? attr.floats_size() : attr.ints_size();
    ConstTensor value(isFloat ? f32 : i64, {n});
    for (int64_t i = 0; i < n; ++i) {
      if (isFloat)
        value.setDouble(i, attr.floats(i));
      else
        value.setInt(i, attr.ints(i));
    }
    node.setOutput(0, std::move(value));
    return success();
  }
  return node.fail("attribute '" + name + "' (strings and sparse tensors) is not supported");
}

LogicalResult importConstantOfShape(NodeImporter &node) {
  FailureOr<SmallVector<int64_t>> shape = node.getConstantInts(0, "shape");
  if (failed(shape))
    return failure();
  for (int64_t d : *shape)
    if (d < 0)
      return node.fail("shape " + formatShape(*shape) + " has a negative dimension");
  ConstTensor fill(Float32Type::get(node.getContext()), {1});
  if (const onnx::AttributeProto *attr = node.getAttr("value")) {
    Expected<ConstTensor> value = decodeTensor(attr->t(), node.getContext());
    if (!value)
      return node.fail("value " + llvm::toString(value.takeError()));
    if (value->getNumElements() != 1)
      return node.fail("value must have one element, it has " +
                       std::to_string(value->getNumElements()));
    fill = std::move(*value);
  }
  auto type = RankedTensorType::get(*shape, fill.getElementType());
  if (type.getNumElements() > kMaxFoldedElements) {
    // Too big to hold element by element, but a splat attribute costs nothing.
    if (!isDSElementType(fill.getElementType()))
      return node.fail("fills a " + formatType(fill.getElementType()) + " tensor");
    node.setOutput(
        0, node.create<mlir::ds::ConstantOp>(
               type, DenseElementsAttr::get(type, fill.toAttr().getSplatValue<Attribute>())));
    return success();
  }
  ConstTensor result(fill.getElementType(), *shape);
  for (int64_t i = 0; i < result.getNumElements(); ++i)
    result.copyElement(i, fill, 0);
  node.setOutput(0, std::move(result));
  return success();
}

LogicalResult importRange(NodeImporter &node) {
  const ConstTensor *start = node.getInputConstant(0), *limit = node.getInputConstant(1),
                    *delta = node.getInputConstant(2);
  if (!start || !limit || !delta)
    return node.fail("start, limit and delta must be computable while importing: the output's "
                     "length depends on them");
  if (start->getNumElements() != 1 || limit->getNumElements() != 1 || delta->getNumElements() != 1)
    return node.fail("start, limit and delta must be scalars");
  Type element = start->getElementType();
  ConstTensor result;
  if (start->isFloat()) {
    double s = start->getDouble(0), l = limit->getDouble(0), d = delta->getDouble(0);
    if (d == 0)
      return node.fail("delta is 0");
    int64_t n = std::max<int64_t>(static_cast<int64_t>(std::ceil((l - s) / d)), 0);
    result = ConstTensor(element, {n});
    for (int64_t i = 0; i < n; ++i)
      result.setDouble(i, s + i * d);
  } else {
    int64_t s = start->getInt(0), l = limit->getInt(0), d = delta->getInt(0);
    if (d == 0)
      return node.fail("delta is 0");
    int64_t span = l - s;
    int64_t n = d > 0 ? (span > 0 ? (span + d - 1) / d : 0) : (span < 0 ? (span + d + 1) / d : 0);
    result = ConstTensor(element, {n});
    for (int64_t i = 0; i < n; ++i)
      result.setInt(i, s + i * d);
  }
  if (result.getNumElements() > kMaxFoldedElements)
    return node.fail("makes " + std::to_string(result.getNumElements()) + " elements");
  node.setOutput(0, std::move(result));
  return success();
}

LogicalResult importTrilu(NodeImporter &node) {
  RankedTensorType type = node.getInputType(0);
  if (type.getRank() < 2)
    return node.fail("input must have rank >= 2, got shape " + formatShape(type.getShape()));
  int64_t k = 0;
  if (node.hasInput(1)) {
    FailureOr<SmallVector<int64_t>> values = node.getConstantInts(1, "diagonal offset k");
    if (failed(values))
      return failure();
    if (values->size() != 1)
      return node.fail("k must be a scalar");
    k = values->front();
  }
  bool upper = node.getIntAttr("upper", 1);
  int64_t rows = type.getDimSize(type.getRank() - 2), cols = type.getShape().back();
  auto keeps = [&](int64_t i, int64_t j) { return upper ? j - i >= k : j - i <= k; };
  if (const ConstTensor *input = node.getInputConstant(0)) {
    ConstTensor result(input->getElementType(), input->getShape());
    for (int64_t e = 0; e < result.getNumElements(); ++e) {
      int64_t j = e % cols, i = (e / cols) % rows;
      if (keeps(i, j))
        result.copyElement(e, *input, e);
    }
    node.setOutput(0, std::move(result));
    return success();
  }
  Value input = node.getInput(0);
  if (!input)
    return failure();
  // select(mask, x, 0) with the [rows, cols] mask broadcast over the batch dimensions.
  ConstTensor mask(IntegerType::get(node.getContext(), 1), {rows, cols});
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j)
      mask.setInt(i * cols + j, keeps(i, j));
  Value maskValue = node.createConstant(mask);
  Value zero = node.createScalar(type.getElementType(), 0);
  if (!maskValue || !zero)
    return failure();
  node.setOutput(0, node.create<mlir::ds::SelectOp>(type, maskValue, input, zero));
  return success();
}

} // namespace

void ::ds::importer::registerGeneratorOps(OpRegistry &r) {
  int64_t lo = kMinONNXOpset, hi = kMaxONNXOpset;
  r.add("Constant", lo, hi, importConstant);
  r.add("ConstantOfShape", lo, hi, importConstantOfShape);
  r.add("Range", lo, hi, importRange);
  r.add("Trilu", 14, hi, importTrilu); // new in opset 14
}
