//===- ONNXImporter.h - ONNX models into the ds dialect ---------*- C++ -*-===//
//
// Reads an ONNX model (binary `.onnx`, or ONNX text format `.onnxtxt`) and builds a module with
// one `func.func @forward` on statically shaped tensors plus a `ds.param` per weight. Shape
// sub-graphs are evaluated while importing, so every shape in the result is static.
//
// Conventions (ONNX has initializers, not parameters):
//  - Graph inputs are @forward's arguments and graph outputs its results, in order, each with
//    `{ds.name = "<onnx name>"}`. Default-domain opsets 13 to 17 only.
//  - A float initializer is a trainable `ds.param` named after it, loaded once at the top of
//    @forward, when a gradient can reach it (some path to an output through differentiable
//    operands) and it has more than one element. It is `frozen` when the model's metadata entry
//    "ds.frozen" lists it (comma-separated names); "ds.trainable" makes a one-element float
//    initializer a param too. A float matrix torch stored as the transposed copy of a tied
//    weight ("onnx::MatMul_<n>" equal to another initializer's transpose) is that weight,
//    transposed.
//  - Every other initializer (integer, bool, unreachable by gradients such as a mask buffer, or
//    a one-element epsilon or scale) is a known value: it folds into the shape computations
//    that use it, or becomes a `ds.constant`.
//  - Initializers with data_location EXTERNAL are read from the file beside the model.
//
//===----------------------------------------------------------------------===//

#ifndef DS_IMPORT_ONNXIMPORTER_H
#define DS_IMPORT_ONNXIMPORTER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>

namespace ds {

/// The default-domain opsets the importer understands.
constexpr int64_t kMinONNXOpset = 13;
constexpr int64_t kMaxONNXOpset = 17;

struct ONNXImportOptions {
  /// Static shapes for graph inputs, by input name; they replace dynamic dimensions (a static
  /// dimension must agree).
  llvm::StringMap<llvm::SmallVector<int64_t>> inputShapes;
  /// Graph inputs whose values are known: input name -> a serialized TensorProto file (as the
  /// ONNX backend tests' input_N.pb). They become import-time constants, not function arguments.
  llvm::StringMap<std::string> inputValues;
  /// When positive, the size of a dynamic first dimension of every graph input that has no
  /// --input-shape or --input-value: the micro batch of a training config. A first dimension
  /// the model fixes to another size is an error.
  int64_t batchSize = 0;
};

/// Whether `path` names a model the importer reads (by extension: .onnx or .onnxtxt).
bool isONNXModelPath(llvm::StringRef path);

/// Imports the model at `path`. Every error names the file and is one line, except that a model
/// using unsupported ops gets one line per such node, all of them at once.
llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
importONNXModel(llvm::StringRef path, mlir::MLIRContext &context, const ONNXImportOptions &options);

/// Parses `--input-shape` values: `name:8x128`, several joined by commas.
llvm::Error parseInputShapes(llvm::ArrayRef<std::string> specs, ONNXImportOptions &options);

/// Parses `--input-value` values: `name:path/to/tensor.pb`, several joined by commas.
llvm::Error parseInputValues(llvm::ArrayRef<std::string> specs, ONNXImportOptions &options);

/// The clean-up that `ds-opt MODEL.onnx` runs after importing: canonicalize, cse and the
/// LayerNorm / GELU / causal-mask fusions that undo torch's decompositions.
void buildONNXCleanupPipeline(mlir::OpPassManager &pm);

/// What ds-opt does with an ONNX input, driven by its command line (`--input-shape`,
/// `--input-value`, `--ds-import-raw`): import, then clean up unless told not to.
/// `batchSize` as in ONNXImportOptions (0: none).
llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
importONNXModelFromCommandLine(llvm::StringRef path, mlir::MLIRContext &context,
                               int64_t batchSize = 0);

} // namespace ds

#endif // DS_IMPORT_ONNXIMPORTER_H
