//===- ONNXImporter.cpp - from a model file to a ds module ----------------===//
//
// The steps before the graph walk, each of which can reject the model with a message naming
// the file: parse, opset, supported ops (all reported at once), external data, static input
// shapes, the ONNX checker and ONNX shape inference.
//
//===----------------------------------------------------------------------===//

#include "ds/Import/ONNXImporter.h"

#include "Importer.h"
#include "ONNXLibrary.h"
#include "OpRegistry.h"
#include "TensorProto.h"

#include "ds/Dialect/DS/IR/DSDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

using namespace mlir;
using llvm::Error;
using llvm::Expected;
using namespace ::ds::importer;

bool ::ds::isONNXModelPath(StringRef path) {
  return path.ends_with(".onnx") || path.ends_with(".onnxtxt");
}

namespace {

/// Reads a whole file; the error says which and why.
Expected<std::string> readFile(StringRef path, StringRef what) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return llvm::createStringError("cannot open " + what + " '" + path +
                                   "': " + buffer.getError().message());
  return (*buffer)->getBuffer().str();
}

bool isDefaultDomain(StringRef domain) { return domain.empty() || domain == "ai.onnx"; }

/// Every node whose op the importer cannot import, one line each, or "" when there is none.
std::string findUnsupportedOps(const onnx::ModelProto &model, int64_t opset) {
  const OpRegistry &registry = getOpRegistry();
  std::string lines;
  int count = 0;
  for (auto [index, node] : llvm::enumerate(model.graph().node())) {
    int64_t version = opset;
    bool supported = false;
    if (isDefaultDomain(node.domain())) {
      supported = registry.lookup(node.op_type(), opset) != nullptr;
    } else {
      version = -1;
      for (const onnx::OperatorSetIdProto &import : model.opset_import())
        if (import.domain() == node.domain())
          version = import.version();
    }
    if (supported)
      continue;
    ++count;
    std::string name = node.name().empty()
                           ? "node #" + std::to_string(index)
                           : "node '" + node.name() + "' (#" + std::to_string(index) + ")";
    lines += "\n  " + name + ": " + node.op_type() + ", domain '" +
             (node.domain().empty() ? std::string("ai.onnx") : node.domain()) + "', opset " +
             (version < 0 ? std::string("(not imported)") : std::to_string(version));
  }
  if (count == 0)
    return "";
  return std::to_string(count) + (count == 1 ? " node uses an op" : " nodes use ops") +
         " that ds cannot import:" + lines;
}

/// "a, b, c" for messages.
std::string listGraphInputs(const onnx::GraphProto &graph) {
  std::string names;
  for (const onnx::ValueInfoProto &input : graph.input())
    names += (names.empty() ? "" : ", ") + input.name();
  return names;
}

/// Fixes the graph inputs' shapes: from --input-value tensors, from --input-shape, or as the
/// model has them; every dimension must end up static.
Error applyInputOptions(onnx::ModelProto &model, const ::ds::ONNXImportOptions &options,
                        llvm::StringMap<onnx::TensorProto> &inputValues) {
  onnx::GraphProto &graph = *model.mutable_graph();
  llvm::StringSet<> initializers, inputs;
  for (const onnx::TensorProto &tensor : graph.initializer())
    initializers.insert(tensor.name());
  for (const onnx::ValueInfoProto &input : graph.input())
    inputs.insert(input.name());
  for (const auto &entry : options.inputShapes)
    if (!inputs.contains(entry.getKey()))
      return llvm::createStringError(
          "--input-shape names '" + entry.getKey() +
          "', which is not a graph input (inputs: " + listGraphInputs(graph) + ")");
  for (const auto &entry : options.inputValues)
    if (!inputs.contains(entry.getKey()))
      return llvm::createStringError(
          "--input-value names '" + entry.getKey() +
          "', which is not a graph input (inputs: " + listGraphInputs(graph) + ")");

  for (onnx::ValueInfoProto &input : *graph.mutable_input()) {
    if (initializers.contains(input.name()))
      continue;
    const std::string &name = input.name();
    if (!input.type().has_tensor_type())
      return llvm::createStringError("input '" + name + "' is not a tensor");
    onnx::TypeProto_Tensor &type = *input.mutable_type()->mutable_tensor_type();
    SmallVector<int64_t> given;
    std::string source;
    auto value = options.inputValues.find(name);
    if (value != options.inputValues.end()) {
      Expected<std::string> bytes =
          readFile(value->getValue(), "the value of input '" + name + "'");
      if (!bytes)
        return bytes.takeError();
      onnx::TensorProto tensor;
      std::string message = parseTensorBinary(*bytes, tensor);
      if (!message.empty())
        return llvm::createStringError("the value of input '" + name + "' ('" + value->getValue() +
                                       "') is " + message);
      given.assign(tensor.dims().begin(), tensor.dims().end());
      source = "its --input-value";
      inputValues[name] = std::move(tensor);
    } else if (auto shape = options.inputShapes.find(name); shape != options.inputShapes.end()) {
      given = shape->getValue();
      source = "--input-shape";
    } else if (options.batchSize > 0 && type.has_shape() && type.shape().dim_size() > 0) {
      const auto &first = type.shape().dim(0);
      if (first.has_dim_value() && first.dim_value() >= 0 &&
          first.dim_value() != options.batchSize)
        return llvm::createStringError(
            "input '" + name + "' has batch size " + std::to_string(first.dim_value()) +
            " in the model, but the micro batch is " + std::to_string(options.batchSize) +
            ": export the model with a dynamic batch dimension");
      given.push_back(options.batchSize);
      for (int d = 1; d < type.shape().dim_size(); ++d) {
        const auto &dim = type.shape().dim(d);
        if (!dim.has_dim_value() || dim.dim_value() < 0)
          return llvm::createStringError("input '" + name + "' dimension " + std::to_string(d) +
                                         " is dynamic; ds needs static shapes: give it with "
                                         "--input-shape");
        given.push_back(dim.dim_value());
      }
      source = "the micro batch size";
      // A fixed first dimension equal to the micro batch passes the check below.
      onnx::TensorShapeProto &shape = *type.mutable_shape();
      if (!first.has_dim_value())
        shape.mutable_dim(0)->clear_dim_param();
    } else {
      if (!type.has_shape())
        return llvm::createStringError("input '" + name + "' has no shape: give it with " +
                                       "--input-shape=" + name + ":D0xD1...");
      for (auto [d, dim] : llvm::enumerate(type.shape().dim())) {
        if (dim.has_dim_value() && dim.dim_value() >= 0)
          continue;
        std::string example;
        for (auto [k, other] : llvm::enumerate(type.shape().dim()))
          example +=
              (k ? "x" : "") +
              (other.has_dim_value()
                   ? std::to_string(other.dim_value())
                   : "<" +
                         (other.dim_param().empty() ? "d" + std::to_string(k) : other.dim_param()) +
                         ">");
        return llvm::createStringError(
            "input '" + name + "' dimension " + std::to_string(d) +
            (dim.dim_param().empty() ? "" : " ('" + dim.dim_param() + "')") +
            " is dynamic; ds needs static shapes: give it a size with --input-shape=" + name + ":" +
            example);
      }
      continue;
    }
    onnx::TensorShapeProto &shape = *type.mutable_shape();
    if (type.shape().dim_size() != static_cast<int>(given.size()) &&
        (type.shape().dim_size() != 0 || value == options.inputValues.end()))
      return llvm::createStringError(source + " gives input '" + name + "' rank " +
                                     std::to_string(given.size()) + ", but the model says " +
                                     std::to_string(type.shape().dim_size()));
    if (shape.dim_size() == 0)
      for (size_t d = 0; d < given.size(); ++d)
        shape.add_dim();
    for (auto [d, size] : llvm::enumerate(given)) {
      onnx::TensorShapeProto_Dimension &dim = *shape.mutable_dim(d);
      if (dim.has_dim_value() && dim.dim_value() != size)
        return llvm::createStringError(source + " gives input '" + name + "' dimension " +
                                       std::to_string(d) + " size " + std::to_string(size) +
                                       ", but the model says " + std::to_string(dim.dim_value()));
      dim.set_dim_value(size);
    }
  }
  return Error::success();
}

/// The initializer names listed (comma-separated) in the model's metadata entry `key`:
/// "ds.frozen" (params without a gradient) or "ds.trainable" (single-element params).
llvm::StringSet<> getListedInitializers(const onnx::ModelProto &model, StringRef key) {
  llvm::StringSet<> listed;
  for (const onnx::StringStringEntryProto &entry : model.metadata_props()) {
    if (entry.key() != key)
      continue;
    SmallVector<StringRef> names;
    StringRef(entry.value()).split(names, ',', -1, /*KeepEmpty=*/false);
    for (StringRef name : names)
      listed.insert(name.trim());
  }
  return listed;
}

} // namespace

namespace ds {

Expected<OwningOpRef<ModuleOp>> importONNXModel(StringRef path, MLIRContext &context,
                                                const ONNXImportOptions &options) {
  auto error = [&](const Twine &message) { return llvm::createStringError(path + ": " + message); };
  Expected<std::string> contents = readFile(path, "input file");
  if (!contents)
    return contents.takeError();
  onnx::ModelProto model;
  std::string message = path.ends_with(".onnxtxt") ? parseModelText(*contents, model)
                                                   : parseModelBinary(*contents, model);
  contents->clear();
  if (!message.empty())
    return error(message);

  int64_t opset = -1;
  for (const onnx::OperatorSetIdProto &import : model.opset_import())
    if (isDefaultDomain(import.domain()))
      opset = import.version();
  if (opset < 0)
    return error("the model imports no opset of the default domain (ai.onnx)");
  if (opset < kMinONNXOpset || opset > kMaxONNXOpset)
    return error("opset " + std::to_string(opset) + " of the default domain is not supported " +
                 "(ds imports opsets " + std::to_string(kMinONNXOpset) + " to " +
                 std::to_string(kMaxONNXOpset) + "; onnx.version_converter can convert it)");
  message = findUnsupportedOps(model, opset);
  if (!message.empty())
    return error(message);

  SmallString<256> directory(path);
  llvm::sys::path::remove_filename(directory);
  if (Error e = loadExternalData(model, directory))
    return error(llvm::toString(std::move(e)));
  llvm::StringMap<onnx::TensorProto> inputValues;
  if (Error e = applyInputOptions(model, options, inputValues))
    return error(llvm::toString(std::move(e)));
  // Newer exporters stamp newer IR versions (9: float8 types, 10: 4-bit types) on models that
  // use nothing newer than ONNX 1.12 knows; the checker would refuse them for the number alone.
  // Every op and type is still checked against what this ONNX library and ds support.
  if (model.ir_version() > onnx::IR_VERSION)
    model.set_ir_version(onnx::IR_VERSION);
  message = checkModel(model);
  if (!message.empty())
    return error("invalid model: " + message);
  message = inferShapes(model);
  if (!message.empty())
    return error("shape inference failed: " + message);

  context.loadDialect<mlir::ds::DSDialect, func::FuncDialect>();
  OwningOpRef<ModuleOp> module = ModuleOp::create(FileLineColLoc::get(&context, path, 0, 0));
  GraphImporter importer(*module, path);
  if (failed(importer.importGraph(model.graph(), opset, getListedInitializers(model, "ds.frozen"),
                                  getListedInitializers(model, "ds.trainable"), inputValues)))
    return error(importer.getError());

  // The handlers check what the verifiers check; a failure here is an importer bug, still
  // reported as an error rather than a crash.
  std::string verifierMessage;
  {
    ScopedDiagnosticHandler capture(&context, [&](Diagnostic &diag) {
      if (verifierMessage.empty())
        verifierMessage = diag.str();
      return success();
    });
    if (failed(verify(*module)))
      return error("internal error: the imported module does not verify: " + verifierMessage);
  }
  return module;
}

/// Splits comma-joined specs, as a command line may give several in one.
static SmallVector<StringRef> splitSpecs(ArrayRef<std::string> specs) {
  SmallVector<StringRef> result;
  for (const std::string &spec : specs)
    StringRef(spec).split(result, ',', -1, /*KeepEmpty=*/false);
  return result;
}

Error parseInputShapes(ArrayRef<std::string> specs, ONNXImportOptions &options) {
  for (StringRef spec : splitSpecs(specs)) {
    // The last ':' separates: ONNX names (TensorFlow's "x:0") may contain one.
    auto [name, dims] = spec.rsplit(':');
    if (name.empty() || dims.size() == spec.size())
      return llvm::createStringError("--input-shape=" + spec +
                                     ": expected NAME:D0xD1... "
                                     "(e.g. input_ids:8x128)");
    SmallVector<int64_t> shape;
    SmallVector<StringRef> parts;
    dims.split(parts, 'x', -1, /*KeepEmpty=*/true);
    for (StringRef part : dims.empty() ? ArrayRef<StringRef>() : ArrayRef<StringRef>(parts)) {
      int64_t size;
      if (part.trim().getAsInteger(10, size) || size < 0)
        return llvm::createStringError("--input-shape=" + spec + ": '" + part +
                                       "' is not a dimension size");
      shape.push_back(size);
    }
    options.inputShapes[name.trim()] = shape;
  }
  return Error::success();
}

Error parseInputValues(ArrayRef<std::string> specs, ONNXImportOptions &options) {
  for (StringRef spec : splitSpecs(specs)) {
    auto [name, file] = spec.split(':');
    if (name.empty() || file.empty())
      return llvm::createStringError("--input-value=" + spec +
                                     ": expected NAME:FILE.pb (a serialized TensorProto)");
    options.inputValues[name.trim()] = file.trim().str();
  }
  return Error::success();
}

} // namespace ds
