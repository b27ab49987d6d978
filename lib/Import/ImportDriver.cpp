//===- ImportDriver.cpp - ds-opt's ONNX input: flags and clean-up ---------===//
//
// The command-line options live here, beside the importer they configure, so that the driver
// only asks for "the module in this ONNX file".
//
//===----------------------------------------------------------------------===//

#include "ds/Import/ONNXImporter.h"
#include "ds/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/Support/CommandLine.h"

using namespace mlir;
using llvm::Error;
using llvm::Expected;

static llvm::cl::list<std::string> inputShapeOption(
    "input-shape",
    llvm::cl::desc("Static shape of an ONNX graph input, NAME:D0xD1... (repeatable or "
                   "comma-separated), for inputs with dynamic dimensions"),
    llvm::cl::value_desc("name:8x128"));

static llvm::cl::list<std::string> inputValueOption(
    "input-value",
    llvm::cl::desc("Known value of an ONNX graph input, NAME:FILE.pb (a serialized "
                   "TensorProto); the input becomes an import-time constant"),
    llvm::cl::value_desc("name:file.pb"));

static llvm::cl::opt<bool> importRawOption(
    "ds-import-raw",
    llvm::cl::desc("Print an ONNX model as imported, without the clean-up (canonicalize, "
                   "cse, LayerNorm/GELU/causal-mask fusion)"),
    llvm::cl::init(false));

void ::ds::buildONNXCleanupPipeline(OpPassManager &pm) {
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  // torch decomposes these (LayerNorm before opset 17, GELU before 20, the causal mask always);
  // the fusions find them again once canonicalization has tidied the constants.
  pm.addNestedPass<func::FuncOp>(mlir::ds::createFuseLayerNorm());
  pm.addNestedPass<func::FuncOp>(mlir::ds::createFuseGelu());
  pm.addNestedPass<func::FuncOp>(mlir::ds::createFuseCausalMask());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

namespace ds {

llvm::Expected<OwningOpRef<ModuleOp>> importONNXModelFromCommandLine(llvm::StringRef path,
                                                                     MLIRContext &context,
                                                                     int64_t batchSize) {
  ONNXImportOptions options;
  options.batchSize = batchSize;
  if (llvm::Error error = parseInputShapes(inputShapeOption, options))
    return std::move(error);
  if (llvm::Error error = parseInputValues(inputValueOption, options))
    return std::move(error);
  llvm::Expected<OwningOpRef<ModuleOp>> module = importONNXModel(path, context, options);
  if (!module || importRawOption)
    return module;
  PassManager pm(&context, ModuleOp::getOperationName());
  buildONNXCleanupPipeline(pm);
  if (failed(pm.run(**module)))
    return llvm::createStringError(path + ": the clean-up after import failed");
  return module;
}

} // namespace ds
