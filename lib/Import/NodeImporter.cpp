//===- NodeImporter.cpp - what an op handler sees of its node -------------===//
//
// Inputs by index (ONNX marks an omitted optional input with an empty name), the values known
// while importing, attributes with their ONNX defaults, and builders for the ds ops handlers
// emit. Every failure records one message naming the node.
//
//===----------------------------------------------------------------------===//

#include "Importer.h"

#include <cstdio>
#include <cstdlib>

using namespace mlir;
using namespace ::ds::importer;

NodeImporter::NodeImporter(GraphImporter &graph, const onnx::NodeProto &node, int64_t index,
                           int64_t opset)
    : graph(graph), node(node), index(index), opset(opset),
      loc(NameLoc::get(
          graph.getBuilder().getStringAttr(
              node.name().empty() ? node.op_type() + "#" + std::to_string(index) : node.name()),
          FileLineColLoc::get(graph.getContext(), graph.getFileName(), 0, 0))) {}

std::string NodeImporter::describe() const {
  if (node.name().empty())
    return "node #" + std::to_string(index) + " (" + node.op_type() + ")";
  return "node '" + node.name() + "' (#" + std::to_string(index) + ", " + node.op_type() + ")";
}

LogicalResult NodeImporter::fail(const Twine &message) {
  return graph.fail(describe() + ": " + message);
}

bool NodeImporter::hasInput(int64_t i) const {
  return i < node.input_size() && !node.input(i).empty();
}

RankedTensorType NodeImporter::getInputType(int64_t i) { return graph.lookup(node.input(i))->type; }

const ConstTensor *NodeImporter::getInputConstant(int64_t i) {
  if (!hasInput(i))
    return nullptr;
  ValueState *state = graph.lookup(node.input(i));
  // A float weight is a param, which training changes: never fold it.
  return state->constant ? &*state->constant : nullptr;
}

bool NodeImporter::allInputsConstant() {
  for (int64_t i = 0; i < getNumInputs(); ++i)
    if (hasInput(i) && !getInputConstant(i))
      return false;
  return true;
}

Value NodeImporter::getInput(int64_t i) {
  if (!hasInput(i)) {
    (void)fail("input #" + std::to_string(i) + " is missing");
    return {};
  }
  Value value = graph.materialize(node.input(i), loc);
  if (!value)
    (void)fail(graph.takeError());
  return value;
}

FailureOr<SmallVector<int64_t>> NodeImporter::getConstantInts(int64_t i, StringRef what) {
  const ConstTensor *value = getInputConstant(i);
  if (!value)
    return fail("the " + what + " (input '" + node.input(i) +
                "') must be computable while importing (from constants and static shapes), "
                "but it depends on " +
                (graph.lookup(node.input(i))->initializer ? "a float weight" : "graph inputs"));
  if (value->isFloat() || value->getRank() > 1)
    return fail("the " + what + " must be a 1-D integer tensor, got " +
                formatType(value->getType()));
  SmallVector<int64_t> result;
  for (int64_t k = 0; k < value->getNumElements(); ++k)
    result.push_back(value->getInt(k));
  return result;
}

bool NodeImporter::hasOutput(int64_t i) const {
  return i < node.output_size() && !node.output(i).empty();
}

void NodeImporter::setOutput(int64_t i, Value value) {
  if (!hasOutput(i))
    return;
  ValueState state;
  state.type = cast<RankedTensorType>(value.getType());
  state.value = value;
  if (failed(graph.checkInferredType(node.output(i), state.type)))
    (void)fail(graph.takeError());
  graph.define(node.output(i), std::move(state));
}

mlir::LogicalResult NodeImporter::forwardInput(int64_t in, int64_t out) {
  if (const ConstTensor *input = getInputConstant(in)) {
    setOutput(out, *input);
    return mlir::success();
  }
  mlir::Value input = getInput(in);
  if (!input)
    return mlir::failure();
  setOutput(out, input);
  return mlir::success();
}

void NodeImporter::setOutput(int64_t i, ConstTensor value) {
  if (!hasOutput(i))
    return;
  ValueState state;
  state.type = value.getType();
  state.constant = std::move(value);
  if (failed(graph.checkInferredType(node.output(i), state.type)))
    (void)fail(graph.takeError());
  graph.define(node.output(i), std::move(state));
}

const onnx::AttributeProto *NodeImporter::getAttr(StringRef name) const {
  for (const onnx::AttributeProto &attr : node.attribute())
    if (attr.name() == name)
      return &attr;
  return nullptr;
}

int64_t NodeImporter::getIntAttr(StringRef name, int64_t defaultValue) const {
  const onnx::AttributeProto *attr = getAttr(name);
  return attr ? attr->i() : defaultValue;
}

double NodeImporter::getFloatAttr(StringRef name, double defaultValue) const {
  const onnx::AttributeProto *attr = getAttr(name);
  if (!attr)
    return defaultValue;
  // ONNX float attributes are f32; the model meant the shortest decimal that reads back as that
  // f32 (epsilon 1e-5, not 9.99999974e-6), which is also what every f32 computation will use.
  float value = attr->f();
  char text[32];
  for (int digits = 1; digits < 10; ++digits) {
    std::snprintf(text, sizeof(text), "%.*g", digits, value);
    double shortest = std::strtod(text, nullptr);
    if (static_cast<float>(shortest) == value)
      return shortest;
  }
  return value;
}

std::optional<SmallVector<int64_t>> NodeImporter::getIntsAttr(StringRef name) const {
  const onnx::AttributeProto *attr = getAttr(name);
  if (!attr)
    return std::nullopt;
  return SmallVector<int64_t>(attr->ints().begin(), attr->ints().end());
}

Value NodeImporter::createConstant(const ConstTensor &value) {
  Type element = value.getElementType();
  if (!isDSElementType(element)) {
    (void)fail("a " + formatType(element) + " tensor would be a ds value, but ds has no " +
               formatType(element) + " tensors");
    return {};
  }
  return getBuilder().create<mlir::ds::ConstantOp>(loc, value.getType(), value.toAttr());
}

Value NodeImporter::createScalar(Type elementType, double value) {
  ConstTensor scalar(elementType, {});
  scalar.setDouble(0, value);
  return createConstant(scalar);
}

Value NodeImporter::createReshape(Value input, ArrayRef<int64_t> shape) {
  auto type = cast<RankedTensorType>(input.getType());
  if (type.getShape() == shape)
    return input;
  return create<mlir::ds::ReshapeOp>(RankedTensorType::get(shape, type.getElementType()), input);
}

Value NodeImporter::createTranspose(Value input, ArrayRef<int64_t> perm) {
  auto type = cast<RankedTensorType>(input.getType());
  SmallVector<int64_t> shape;
  for (int64_t p : perm)
    shape.push_back(type.getDimSize(p));
  return create<mlir::ds::TransposeOp>(RankedTensorType::get(shape, type.getElementType()), input,
                                       getBuilder().getDenseI64ArrayAttr(perm));
}

Value NodeImporter::createCast(Value input, Type elementType) {
  auto type = cast<RankedTensorType>(input.getType());
  if (type.getElementType() == elementType)
    return input;
  return create<mlir::ds::CastOp>(RankedTensorType::get(type.getShape(), elementType), input);
}

FailureOr<int64_t> NodeImporter::normalizeAxis(int64_t axis, int64_t rank, StringRef what) {
  if (axis < -rank || axis >= rank)
    return fail(what + " " + std::to_string(axis) + " is out of range for rank " +
                std::to_string(rank));
  return axis < 0 ? axis + rank : axis;
}

FailureOr<RankedTensorType> NodeImporter::getBroadcastType(Type element) {
  ArrayRef<int64_t> a = getInputShape(0), b = getInputShape(1);
  std::optional<SmallVector<int64_t>> shape = broadcastShapes(a, b);
  if (!shape)
    return fail("operand shapes " + formatShape(a) + " and " + formatShape(b) +
                " do not broadcast");
  return RankedTensorType::get(*shape, element);
}

LogicalResult NodeImporter::requireFloatInput(int64_t i) {
  Type element = getInputElementType(i);
  if (isa<FloatType>(element))
    return success();
  return fail("ds computes " + node.op_type() + " on float tensors only, but input '" +
              node.input(i) + "' is " + formatType(element));
}
