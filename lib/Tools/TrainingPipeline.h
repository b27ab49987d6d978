//===- TrainingPipeline.h - what --ds-config compiles ------------*- C++ -*-===//
//
// A DeepSpeed config turns ds-opt's input into a training step: the config is read and resolved
// against the world size, the model is imported at the config's micro batch, and the passes the
// config implies run before any requested on the command line.
//
//===----------------------------------------------------------------------===//

#ifndef DS_LIB_TOOLS_TRAININGPIPELINE_H
#define DS_LIB_TOOLS_TRAININGPIPELINE_H

#include "ds/Config/DSConfig.h"
#include "ds/Plan/Plan.pb.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassManager.h"

namespace ds {

struct TrainingSetup {
  config::DSConfig config;
  plan::Training training; // what the plan carries for the runtime
};

/// Reads `configPath` (warnings go to stderr) and resolves it for `worldSize` data-parallel
/// ranks. Errors name the file and key; features ds does not implement yet are errors too, so a
/// config never silently trains differently than it says.
llvm::Expected<TrainingSetup> loadTrainingSetup(llvm::StringRef configPath, int64_t worldSize);

/// Checks that the model's token input has the config's micro batch (a model given as MLIR has
/// its shapes fixed), naming both numbers when not.
mlir::LogicalResult checkMicroBatch(mlir::ModuleOp module, const TrainingSetup &setup);

/// ds-build-training with the config's optimizer, precision and batch, then clean-up; with
/// zero_optimization.stage 1 or 2, ds-zero (and clean-up again) shards the step over dp.
void addTrainingPasses(mlir::OpPassManager &pm, const TrainingSetup &setup);

} // namespace ds

#endif // DS_LIB_TOOLS_TRAININGPIPELINE_H
