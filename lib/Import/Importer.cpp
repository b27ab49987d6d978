//===- Importer.cpp - the graph walk --------------------------------------===//
//
// Values are kept by ONNX name with everything known about them; a ds value is made only when a
// ds op needs one. So a weight used only by a folded shape computation never becomes a param,
// a constant used twice becomes one ds.constant, and a weight used twice (tied embeddings) one
// ds.param with one ds.load_param.
//
//===----------------------------------------------------------------------===//

#include "Importer.h"
#include "OpRegistry.h"
#include "TensorProto.h"
#include "WeightAnalysis.h"

using namespace mlir;
using llvm::Error;
using llvm::Expected;
using namespace ::ds::importer;

GraphImporter::GraphImporter(ModuleOp module, StringRef fileName)
    : module(module), fileName(fileName.str()), builder(module.getContext()) {}

LogicalResult GraphImporter::fail(const Twine &message) {
  if (error.empty())
    error = message.str();
  return failure();
}

ValueState *GraphImporter::lookup(StringRef name) {
  auto it = values.find(name);
  return it == values.end() ? nullptr : &it->second;
}

void GraphImporter::define(StringRef name, ValueState state) { values[name] = std::move(state); }

Value GraphImporter::materialize(StringRef name, Location loc) {
  ValueState *state = lookup(name);
  if (!state) {
    (void)fail("value '" + name + "' is used before it is defined");
    return {};
  }
  if (state->value)
    return state->value;
  if (!state->transposeOf.empty()) {
    Value original = materialize(state->transposeOf, loc);
    if (!original)
      return {};
    // Beside the loads, so every use sees it whatever the order of first uses.
    OpBuilder::InsertionGuard guard(builder);
    builder.setInsertionPointAfterValue(original);
    return state->value = builder.create<mlir::ds::TransposeOp>(
               loc, state->type, original, builder.getDenseI64ArrayAttr({1, 0}));
  }
  if (state->initializer)
    return state->value = createParam(name, *state, loc);
  Type element = state->type.getElementType();
  if (!isDSElementType(element)) {
    (void)fail("value '" + name + "' of type " + formatType(element) +
               " would be a ds tensor, but ds has no " + formatType(element) + " tensors");
    return {};
  }
  return state->value =
             builder.create<mlir::ds::ConstantOp>(loc, state->type, state->constant->toAttr());
}

Value GraphImporter::createParam(StringRef name, ValueState &state, Location loc) {
  Type element = state.type.getElementType();
  if (!isDSElementType(element)) {
    (void)fail("initializer '" + name + "' of type " + formatType(element) +
               " is used by a ds op, but ds has no " + formatType(element) + " tensors");
    return {};
  }
  Expected<DenseElementsAttr> value = decodeTensorAttr(*state.initializer, state.type);
  if (!value) {
    (void)fail("initializer '" + name + "' " + llvm::toString(value.takeError()));
    return {};
  }
  // Keep the ONNX name (the checkpoint key); only a clash with another symbol is renamed.
  std::string symbol = name.str();
  for (int suffix = 1; !symbolNames.insert(symbol).second; ++suffix)
    symbol = name.str() + "_" + std::to_string(suffix);

  OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPoint(function);
  builder.create<mlir::ds::ParamOp>(loc, builder.getStringAttr(symbol), TypeAttr::get(state.type),
                                    *value, mlir::ds::InitializerAttr(),
                                    state.frozen ? builder.getUnitAttr() : UnitAttr());
  if (lastParamLoad)
    builder.setInsertionPointAfter(lastParamLoad);
  else
    builder.setInsertionPointToStart(&function.getBody().front());
  auto load = builder.create<mlir::ds::LoadParamOp>(loc, state.type,
                                                    FlatSymbolRefAttr::get(getContext(), symbol));
  lastParamLoad = load;
  return load;
}

LogicalResult GraphImporter::checkInferredType(StringRef name, RankedTensorType type) {
  auto it = inferredTypes.find(name);
  if (it == inferredTypes.end() || !it->second->has_tensor_type())
    return success();
  const onnx::TypeProto_Tensor &inferred = it->second->tensor_type();
  if (inferred.elem_type() != 0) {
    Expected<Type> element = convertElementType(inferred.elem_type(), getContext());
    if (!element) {
      llvm::consumeError(element.takeError());
    } else if (*element != type.getElementType()) {
      return fail("value '" + name + "' has element type " + formatType(type.getElementType()) +
                  ", but the model declares " + formatType(*element));
    }
  }
  if (!inferred.has_shape())
    return success();
  const onnx::TensorShapeProto &shape = inferred.shape();
  bool differs = shape.dim_size() != type.getRank();
  for (int d = 0; !differs && d < shape.dim_size(); ++d)
    differs = shape.dim(d).has_dim_value() && shape.dim(d).dim_value() != type.getDimSize(d);
  if (!differs)
    return success();
  std::string declared = "[";
  for (int d = 0; d < shape.dim_size(); ++d)
    declared += (d ? ", " : "") +
                (shape.dim(d).has_dim_value() ? std::to_string(shape.dim(d).dim_value()) : "?");
  return fail("shape mismatch: value '" + name + "' has shape " + formatShape(type.getShape()) +
              ", but ONNX shape inference gives " + declared + "]");
}

LogicalResult GraphImporter::importGraph(const onnx::GraphProto &graph, int64_t opset,
                                         const llvm::StringSet<> &frozen,
                                         const llvm::StringSet<> &trainable,
                                         const llvm::StringMap<onnx::TensorProto> &inputValues) {
  MLIRContext *context = getContext();
  Location fileLoc = FileLineColLoc::get(context, fileName, 0, 0);
  for (const onnx::ValueInfoProto &info : graph.value_info())
    inferredTypes[info.name()] = &info.type();
  for (const onnx::ValueInfoProto &info : graph.output())
    inferredTypes[info.name()] = &info.type();

  // Weights: float ones that a gradient reaches are params; the others (shape tables, masks,
  // integer data) are known values, as constants would be: nothing trains them, and the
  // evaluator and passes can see their values. A float of one element is a constant too unless
  // the model says otherwise: exporters and simplifiers store epsilons, scales and mask fills
  // as initializers, and the fusions need to see them.
  llvm::StringMap<std::string> transposedCopies = findTransposedCopies(graph, context);
  llvm::StringSet<> gradientFree = findGradientFreeInitializers(graph);
  llvm::StringSet<> initializerNames;
  for (const onnx::TensorProto &tensor : graph.initializer()) {
    initializerNames.insert(tensor.name());
    Expected<Type> element = convertElementType(tensor.data_type(), context);
    if (!element)
      return fail("initializer '" + tensor.name() + "': " + llvm::toString(element.takeError()));
    Expected<SmallVector<int64_t>> shape = getTensorShape(tensor);
    if (!shape)
      return fail("initializer '" + tensor.name() + "' " + llvm::toString(shape.takeError()));
    ValueState state;
    state.type = RankedTensorType::get(*shape, *element);
    bool isWeight = isa<FloatType>(*element) && !gradientFree.contains(tensor.name()) &&
                    (state.type.getNumElements() != 1 || trainable.contains(tensor.name()) ||
                     frozen.contains(tensor.name()));
    if (isWeight) {
      state.initializer = &tensor;
      state.frozen = frozen.contains(tensor.name());
      auto copy = transposedCopies.find(tensor.name());
      if (copy != transposedCopies.end())
        state.transposeOf = copy->second;
    } else {
      Expected<ConstTensor> value = decodeTensor(tensor, context);
      if (!value)
        return fail("initializer '" + tensor.name() + "' " + llvm::toString(value.takeError()));
      state.constant = std::move(*value);
    }
    define(tensor.name(), std::move(state));
  }

  // Graph inputs (an initializer listed as an input too is a weight, as IR < 4 writes them).
  SmallVector<std::string> argumentNames;
  SmallVector<Type> argumentTypes;
  for (const onnx::ValueInfoProto &input : graph.input()) {
    if (initializerNames.contains(input.name()))
      continue;
    const onnx::TypeProto_Tensor &tensorType = input.type().tensor_type();
    Expected<Type> element = convertElementType(tensorType.elem_type(), context);
    if (!element)
      return fail("input '" + input.name() + "': " + llvm::toString(element.takeError()));
    auto bound = inputValues.find(input.name());
    if (bound != inputValues.end()) {
      Expected<ConstTensor> value = decodeTensor(bound->second, context);
      if (!value)
        return fail("the value given for input '" + input.name() + "' " +
                    llvm::toString(value.takeError()));
      if (value->getElementType() != *element)
        return fail("the value given for input '" + input.name() + "' is " +
                    formatType(value->getElementType()) + ", but the input is " +
                    formatType(*element));
      ValueState state;
      state.type = value->getType();
      state.constant = std::move(*value);
      define(input.name(), std::move(state));
      continue;
    }
    SmallVector<int64_t> shape;
    for (const onnx::TensorShapeProto_Dimension &dim : tensorType.shape().dim())
      shape.push_back(dim.dim_value()); // the loader made every dimension static
    if (!isDSElementType(*element))
      return fail("input '" + input.name() + "' has element type " + formatType(*element) +
                  ", which ds has no tensors of");
    argumentNames.push_back(input.name());
    argumentTypes.push_back(RankedTensorType::get(shape, *element));
  }

  builder.setInsertionPointToEnd(module.getBody());
  function =
      builder.create<func::FuncOp>(fileLoc, "forward", builder.getFunctionType(argumentTypes, {}));
  symbolNames.insert("forward");
  Block *body = function.addEntryBlock();
  for (auto [i, name] : llvm::enumerate(argumentNames)) {
    function.setArgAttr(i, "ds.name", builder.getStringAttr(name));
    ValueState state;
    state.type = cast<RankedTensorType>(argumentTypes[i]);
    state.value = body->getArgument(i);
    define(name, std::move(state));
  }
  builder.setInsertionPointToEnd(body);

  const OpRegistry &registry = getOpRegistry();
  for (auto [index, node] : llvm::enumerate(graph.node())) {
    NodeImporter importer(*this, node, index, opset);
    for (const std::string &input : node.input())
      if (!input.empty() && !lookup(input))
        return importer.fail("input '" + input + "' is not defined before this node");
    OpHandler handler = registry.lookup(node.op_type(), opset);
    if (!handler)
      return importer.fail("no handler for " + node.op_type() + " at opset " +
                           std::to_string(opset));
    // A handler may also have recorded an error through setOutput's shape check.
    if (failed(handler(importer)) || !error.empty())
      return fail(error.empty() ? importer.describe() + ": import failed" : error);
    for (const std::string &output : node.output())
      if (!output.empty() && !lookup(output))
        return importer.fail("output '" + output + "' is not supported");
  }

  SmallVector<Value> results;
  SmallVector<Type> resultTypes;
  for (const onnx::ValueInfoProto &output : graph.output()) {
    Value value =
        materialize(output.name(), NameLoc::get(builder.getStringAttr(output.name()), fileLoc));
    if (!value)
      return failure();
    results.push_back(value);
    resultTypes.push_back(value.getType());
  }
  builder.create<func::ReturnOp>(fileLoc, results);
  function.setType(builder.getFunctionType(argumentTypes, resultTypes));
  for (auto [i, output] : llvm::enumerate(graph.output()))
    function.setResultAttr(i, "ds.name", builder.getStringAttr(output.name()));
  return success();
}
