//===- OpRegistry.cpp - which handler imports which ONNX op ---------------===//

#include "OpRegistry.h"

using namespace ::ds::importer;

void OpRegistry::add(llvm::StringRef opType, int64_t sinceOpset, int64_t untilOpset,
                     OpHandler handler) {
  entries[opType].push_back({sinceOpset, untilOpset, handler});
}

OpHandler OpRegistry::lookup(llvm::StringRef opType, int64_t opset) const {
  auto it = entries.find(opType);
  if (it == entries.end())
    return nullptr;
  for (const Entry &entry : it->second)
    if (entry.sinceOpset <= opset && opset <= entry.untilOpset)
      return entry.handler;
  return nullptr;
}

const OpRegistry & ::ds::importer::getOpRegistry() {
  static const OpRegistry registry = [] {
    OpRegistry r;
    registerElementwiseOps(r);
    registerLogicalOps(r);
    registerMatMulOps(r);
    registerReductionOps(r);
    registerShapeOps(r);
    registerSlicingOps(r);
    registerGeneratorOps(r);
    registerNNOps(r);
    registerLossOps(r);
    return r;
  }();
  return registry;
}
