//===- Passes.h - every ds pass ---------------------------------*- C++ -*-===//

#ifndef DS_TRANSFORMS_PASSES_H
#define DS_TRANSFORMS_PASSES_H

#include "ds/Dialect/DS/IR/DSDialect.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::ds {

#define GEN_PASS_DECL
#include "ds/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "ds/Transforms/Passes.h.inc"

} // namespace mlir::ds

#endif // DS_TRANSFORMS_PASSES_H
