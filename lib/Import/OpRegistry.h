//===- OpRegistry.h - which handler imports which ONNX op ------*- C++ -*-===//
//
// A table from (op type, opset range) to handler, as onnx-mlir keeps one: an op whose meaning
// changed at some opset (ReduceMean's axes became an input at 18) gets one entry per meaning.
// Each concept file registers its ops; the importer looks nodes up by the model's opset.
//
//===----------------------------------------------------------------------===//

#ifndef DS_LIB_IMPORT_OPREGISTRY_H
#define DS_LIB_IMPORT_OPREGISTRY_H

#include "Importer.h"

#include "ds/Import/ONNXImporter.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"

namespace ds::importer {

using OpHandler = mlir::LogicalResult (*)(NodeImporter &);

class OpRegistry {
public:
  /// `handler` imports `opType` for default-domain opsets [sinceOpset, untilOpset].
  void add(llvm::StringRef opType, int64_t sinceOpset, int64_t untilOpset, OpHandler handler);
  /// The handler for `opType` at `opset`, or null.
  OpHandler lookup(llvm::StringRef opType, int64_t opset) const;

private:
  struct Entry {
    int64_t sinceOpset, untilOpset;
    OpHandler handler;
  };
  llvm::StringMap<llvm::SmallVector<Entry, 1>> entries;
};

/// Every supported op, registered once.
const OpRegistry &getOpRegistry();

// One per concept file.
void registerElementwiseOps(OpRegistry &registry);
void registerLogicalOps(OpRegistry &registry);
void registerMatMulOps(OpRegistry &registry);
void registerReductionOps(OpRegistry &registry);
void registerShapeOps(OpRegistry &registry);
void registerSlicingOps(OpRegistry &registry);
void registerGeneratorOps(OpRegistry &registry);
void registerNNOps(OpRegistry &registry);
void registerLossOps(OpRegistry &registry);

} // namespace ds::importer

#endif // DS_LIB_IMPORT_OPREGISTRY_H
