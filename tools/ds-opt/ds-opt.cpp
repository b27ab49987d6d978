//===- ds-opt.cpp - the ds compiler driver --------------------------------===//
//
// mlir-opt with the ds dialect, the upstream dialects ds programs use, and
// every ds pass; it also writes plans (-o X.dsplan) and prints them
// (--ds-print-plan). See ds/Tools/DSOptMain.h.
//
//===----------------------------------------------------------------------===//

#include "ds/Dialect/DS/IR/DSDialect.h"
#include "ds/Tools/DSOptMain.h"
#include "ds/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Transforms/Passes.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  registry.insert<mlir::ds::DSDialect, mlir::func::FuncDialect,
                  mlir::arith::ArithDialect>();
  mlir::registerTransformsPasses(); // canonicalize, cse, symbol-dce, ...
  mlir::ds::registerDSPasses();
  return ds::dsOptMain(argc, argv, registry);
}
