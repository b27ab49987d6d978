//===- ONNXLibrary.cpp - the calls into the ONNX library ------------------===//
//
// Compiled with -fexceptions (see CMakeLists.txt) whatever the rest of ds uses: the ONNX checker,
// parser and shape inference throw on bad models.
//
//===----------------------------------------------------------------------===//

#include "ONNXLibrary.h"

#include "onnx/checker.h"
#include "onnx/defs/parser.h"
#include "onnx/defs/schema.h"
#include "onnx/shape_inference/implementation.h"

#include <exception>

using namespace ds::importer;

/// ONNX messages span lines ("==> Context: ..."); a driver error is one line.
static std::string oneLine(const std::string &message) {
  std::string result;
  bool space = false;
  for (char c : message) {
    if (c == '\n' || c == '\r' || c == '\t' || c == ' ') {
      space = !result.empty();
      continue;
    }
    if (space)
      result += ' ';
    space = false;
    result += c;
  }
  return result.empty() ? "unknown error" : result;
}

/// Runs `fn`, turning an exception into its message after `prefix`.
template <typename Fn> static std::string guarded(const std::string &prefix, Fn &&fn) {
  try {
    return fn();
  } catch (const std::exception &error) {
    return prefix + oneLine(error.what());
  } catch (...) {
    return prefix + "unknown error in the ONNX library";
  }
}

std::string ds::importer::parseModelBinary(const std::string &bytes, onnx::ModelProto &model) {
  return guarded("not a valid ONNX model: ", [&]() -> std::string {
    if (!model.ParseFromString(bytes))
      return "not a valid ONNX model (truncated or corrupt protobuf)";
    if (!model.has_graph())
      return "not a valid ONNX model (no graph)";
    return "";
  });
}

std::string ds::importer::parseModelText(const std::string &text, onnx::ModelProto &model) {
  // The parser throws on some malformed literals (std::stof on "-inf").
  return guarded("not a valid ONNX text model: ", [&]() -> std::string {
    onnx::OnnxParser parser(text.c_str());
    onnx::Status status = parser.Parse(model);
    if (!status.IsOK())
      return "not a valid ONNX text model: " + oneLine(status.ErrorMessage());
    if (!parser.EndOfInput())
      return "not a valid ONNX text model: unexpected text after the graph";
    return "";
  });
}

std::string ds::importer::parseTensorBinary(const std::string &bytes, onnx::TensorProto &tensor) {
  return guarded("not a valid TensorProto: ", [&]() -> std::string {
    if (!tensor.ParseFromString(bytes))
      return "not a valid TensorProto (truncated or corrupt protobuf)";
    return "";
  });
}

std::string ds::importer::checkModel(const onnx::ModelProto &model) {
  return guarded("", [&]() -> std::string {
    onnx::checker::check_model(model);
    return "";
  });
}

std::string ds::importer::inferShapes(onnx::ModelProto &model) {
  return guarded("", [&]() -> std::string {
    onnx::ShapeInferenceOptions options(/*check_type=*/true, /*strict_mode=*/1,
                                        /*data_prop=*/true);
    onnx::shape_inference::InferShapes(model, onnx::OpSchemaRegistry::Instance(), options);
    return "";
  });
}
