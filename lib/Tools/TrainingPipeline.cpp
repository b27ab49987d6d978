//===- TrainingPipeline.cpp - what --ds-config compiles -------------------===//

#include "TrainingPipeline.h"

#include "ds/Config/TrainingPlan.h"
#include "ds/Dialect/DS/IR/DSOps.h"
#include "ds/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

namespace ds {

namespace {
llvm::Error notYet(const config::DSConfig &config, const llvm::Twine &what) {
  return llvm::createStringError(config.fileName + ": error: " + what +
                                 " is not implemented in ds yet; remove it from the config");
}

/// The parts of a valid DeepSpeed config that ds cannot honour yet.
llvm::Error checkImplemented(const config::DSConfig &config) {
  const config::ZeroConfig &zero = config.zero;
  if (zero.offloadOptimizer && zero.offloadOptimizer->device != config::OffloadConfig::Device::None)
    return notYet(config, "'zero_optimization.offload_optimizer'");
  if (zero.offloadParam && zero.offloadParam->device != config::OffloadConfig::Device::None)
    return notYet(config, "'zero_optimization.offload_param'");
  if (zero.quantizedWeights || zero.quantizedGradients || zero.hpzPartitionSize > 1)
    return notYet(config, "ZeRO++ ('zero_quantized_weights', 'zero_quantized_gradients', "
                          "'zero_hpz_partition_size')");
  const config::OptimizerConfig &optimizer = *config.optimizer;
  if (!optimizer.biasCorrection)
    return notYet(config, "'optimizer.params.bias_correction' false");
  if (optimizer.maximize)
    return notYet(config, "'optimizer.params.maximize'");
  if (config.prescaleGradients || config.gradientPredivideFactor != 1.0)
    return notYet(config, "'prescale_gradients' / 'gradient_predivide_factor'");
  return llvm::Error::success();
}
} // namespace

llvm::Expected<TrainingSetup> loadTrainingSetup(llvm::StringRef configPath, int64_t worldSize) {
  llvm::Expected<config::ParsedConfig> parsed = config::readDSConfigFile(configPath);
  if (!parsed)
    return parsed.takeError();
  for (const std::string &warning : parsed->warnings)
    llvm::errs() << warning << "\n";
  TrainingSetup setup{std::move(parsed->config), {}};
  if (!setup.config.optimizer)
    return llvm::createStringError(setup.config.fileName +
                                   ": error: 'optimizer': ds builds the optimizer from the "
                                   "config, so it needs an optimizer block");
  if (llvm::Error error = checkImplemented(setup.config))
    return std::move(error);
  llvm::Expected<plan::Training> training = config::buildTraining(setup.config, worldSize);
  if (!training)
    return training.takeError();
  setup.training = std::move(*training);
  return setup;
}

LogicalResult checkMicroBatch(ModuleOp module, const TrainingSetup &setup) {
  int64_t micro = setup.training.micro_batch_size();
  for (auto func : module.getOps<func::FuncOp>()) {
    for (BlockArgument argument : func.getArguments()) {
      auto type = dyn_cast<RankedTensorType>(argument.getType());
      if (!type || !type.getElementType().isSignlessInteger() ||
          type.getElementType().isInteger(1) || type.getRank() < 1)
        continue;
      if (type.getDimSize(0) != micro)
        return func.emitError("the token input of @")
               << func.getSymName() << " has batch " << type.getDimSize(0) << " but "
               << setup.config.fileName << " gives a micro batch of " << micro
               << " per rank (train_micro_batch_size_per_gpu)";
      return success(); // the first integer input is the token window
    }
  }
  return success();
}

void addTrainingPasses(OpPassManager &pm, const TrainingSetup &setup) {
  const config::OptimizerConfig &optimizer = *setup.config.optimizer;
  mlir::ds::BuildTrainingOptions options;
  switch (optimizer.kind) {
  case config::OptimizerConfig::Kind::SGD:
    options.optimizer = "sgd";
    break;
  default:
    options.optimizer = optimizer.effectiveAdamWMode() ? "adamw" : "adam";
    options.adamWMode = optimizer.effectiveAdamWMode();
    break;
  }
  options.beta1 = optimizer.betas[0];
  options.beta2 = optimizer.betas[1];
  options.epsilon = optimizer.eps;
  options.weightDecay = optimizer.weightDecay;
  options.momentum = optimizer.momentum;
  options.dampening = optimizer.dampening;
  options.nesterov = optimizer.nesterov;
  options.dpSize = setup.training.data_parallel_size();
  options.microBatches =
      setup.training.gradient_accumulation_steps() * setup.training.data_parallel_size();
  options.precision = setup.training.precision();
  int64_t zeroStage = setup.config.zero.stage;
  // ZeRO shards over the dp axis even on one rank, so the plan is the same program at any size.
  options.declareMesh = zeroStage > 0;
  pm.addPass(mlir::ds::createBuildTraining(options));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  if (zeroStage > 0) {
    mlir::ds::ZeroPartitionOptions zero;
    zero.stage = zeroStage;
    zero.reduceBucketSize = setup.config.zero.reduceBucketSize;
    zero.prefetchBucketSize = setup.config.zero.prefetchBucketSize;
    zero.paramPersistenceThreshold = setup.config.zero.paramPersistenceThreshold;
    zero.modelPersistenceThreshold = setup.config.zero.modelPersistenceThreshold;
    zero.overlapComm = setup.config.zero.overlapComm;
    pm.addPass(mlir::ds::createZeroPartition(zero));
    pm.addPass(createCanonicalizerPass());
    pm.addPass(createCSEPass());
  }
}

} // namespace ds
