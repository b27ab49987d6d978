//===- DSOptMain.h - the ds-opt driver --------------------------*- C++ -*-===//
//
// ds-opt is mlir-opt with two more outputs: `-o X.dsplan` compiles to a plan
// file, and
// `--ds-print-plan X.dsplan` prints one as protobuf text.
//
//===----------------------------------------------------------------------===//

#ifndef DS_TOOLS_DSOPTMAIN_H
#define DS_TOOLS_DSOPTMAIN_H

#include "mlir/IR/DialectRegistry.h"

namespace ds {

/// Runs ds-opt with `registry`'s dialects and every pass registered so far;
/// returns the exit code. Any error is one line on stderr naming the file and
/// what is wrong, and exit code 1.
int dsOptMain(int argc, char **argv, mlir::DialectRegistry &registry);

} // namespace ds

#endif // DS_TOOLS_DSOPTMAIN_H
