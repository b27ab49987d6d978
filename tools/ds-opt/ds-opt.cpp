//===- ds-opt.cpp - the ds compiler driver --------------------------------===//
//
// mlir-opt with the ds dialect, the upstream dialects ds programs use, and every ds pass.
//
//===----------------------------------------------------------------------===//

#include "ds/Dialect/DS/IR/DSDialect.h"
#include "ds/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  registry.insert<mlir::ds::DSDialect, mlir::func::FuncDialect,
                  mlir::arith::ArithDialect>();
  mlir::registerTransformsPasses(); // canonicalize, cse, symbol-dce, ...
  mlir::ds::registerDSPasses();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "ds compiler driver\n", registry));
}
