//===- ONNXLibrary.h - the calls into the ONNX library ----------*- C++ -*-===//
//
// The ONNX library reports errors by throwing. Every call into it goes through these wrappers,
// compiled with exceptions, which catch and return the message (one line; empty on success),
// so no ONNX exception ever unwinds through importer code.
//
//===----------------------------------------------------------------------===//

#ifndef DS_LIB_IMPORT_ONNXLIBRARY_H
#define DS_LIB_IMPORT_ONNXLIBRARY_H

#include "onnx/onnx_pb.h"

#include <string>

namespace ds::importer {

/// A binary ModelProto; a truncated or corrupt file fails.
std::string parseModelBinary(const std::string &bytes, onnx::ModelProto &model);
/// A model in the ONNX text format (onnx::OnnxParser), which must be all of `text`.
std::string parseModelText(const std::string &text, onnx::ModelProto &model);
/// A binary TensorProto (the backend tests' input_N.pb).
std::string parseTensorBinary(const std::string &bytes, onnx::TensorProto &tensor);
/// onnx::checker::check_model.
std::string checkModel(const onnx::ModelProto &model);
/// onnx::shape_inference::InferShapes in strict mode with data propagation: fills the graph's
/// value_info, and fails on a node whose input shapes do not fit together.
std::string inferShapes(onnx::ModelProto &model);

} // namespace ds::importer

#endif // DS_LIB_IMPORT_ONNXLIBRARY_H
