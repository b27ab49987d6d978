// DeepSpeed's ds_config.json, read with DeepSpeed's own semantics (checked against DeepSpeed
// 0.19.8: deepspeed/runtime/config.py, constants.py, precision_config.py, zero/config.py,
// zero/offload_config.py, lr_schedules.py and the optimizer set-up in engine.py).
//
// Defaults are DeepSpeed's. Where DeepSpeed would only fail later (a TypeError from a constructor,
// a crash on "auto"), reading fails here with the key path instead. Unknown keys are warnings,
// not errors (DeepSpeed's pydantic sections reject them; ds keeps going so a config written for a
// newer DeepSpeed still compiles). Plain LLVM Support, no MLIR.
#ifndef DS_CONFIG_DSCONFIG_H
#define DS_CONFIG_DSCONFIG_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ds::config {

struct OptimizerConfig {
  enum class Kind { Adam, AdamW, SGD };
  Kind kind = Kind::AdamW;
  std::string type; // as written in the file

  // Adam / AdamW (DeepSpeed's FusedAdam or DeepSpeedCPUAdam; torch's with torch_adam).
  double lr = 1e-3;
  std::array<double, 2> betas = {0.9, 0.999};
  double eps = 1e-8;
  double weightDecay = 0.0;
  // DeepSpeed's "Adam" defaults to decoupled weight decay (ADAM_W_MODE_DEFAULT = True), and
  // "AdamW" is AdamW whatever adam_w_mode says: effectiveAdamWMode() is what the update uses.
  bool adamWMode = true;
  bool biasCorrection = true;
  bool torchAdam = false;

  // SGD (torch.optim.SGD; lr defaults to 1e-3 as in current torch, older torch required it).
  double momentum = 0.0;
  double dampening = 0.0;
  bool nesterov = false;
  bool maximize = false;

  bool effectiveAdamWMode() const { return kind == Kind::AdamW || adamWMode; }
  // The update rule: "AdamW" (decoupled weight decay), "Adam" (L2 added to the gradient) or "SGD".
  llvm::StringRef updateRule() const;
};

struct SchedulerConfig {
  enum class Kind { WarmupLR, WarmupDecayLR, WarmupCosineLR };
  enum class WarmupType { Log, Linear };
  Kind kind = Kind::WarmupLR;
  std::string type;
  double warmupMinLR = 0.0;
  // Unset: WarmupLR uses the optimizer's lr, WarmupDecayLR its own default of 0.001.
  std::optional<double> warmupMaxLR;
  // As written; the schedule itself uses max(2, warmupNumSteps) as DeepSpeed does.
  int64_t warmupNumSteps = 1000;
  WarmupType warmupType = WarmupType::Log;
  std::optional<int64_t> totalNumSteps; // required by WarmupDecayLR and WarmupCosineLR
  double warmupMinRatio = 0.0;          // WarmupCosineLR
  double cosMinRatio = 1e-4;            // WarmupCosineLR

  // The warmup's peak lr, given the optimizer's lr (WarmupLR, WarmupDecayLR).
  double resolvedWarmupMaxLR(double optimizerLR) const;
};

struct FP16Config {
  bool enabled = false;
  bool autoCast = false;
  double lossScale = 0.0; // 0: dynamic loss scaling
  int64_t initialScalePower = 16;
  int64_t lossScaleWindow = 1000;
  int64_t hysteresis = 2;
  bool consecutiveHysteresis = false;
  int64_t minLossScale = 1;
  bool masterWeightsAndGrads = false;

  bool dynamic() const { return lossScale == 0.0; }
};

struct BF16Config {
  bool enabled = false;
  bool immediateGradUpdate = false;
  bool checkGradOverflow = true;
  bool masterWeightsAndGrads = false;
  bool optimizerStates = false;
};

struct OffloadConfig {
  enum class Device { None, CPU, NVMe };
  Device device = Device::None;
  std::string nvmePath;
  int64_t bufferCount = 0; // 5 for parameters, 4 for optimizer state
  int64_t bufferSize = 100000000;  // parameters only
  int64_t maxInCPU = 1000000000;   // parameters only
  bool pinMemory = true;
  bool pipelineRead = false;        // optimizer only
  bool pipelineWrite = false;       // optimizer only
  bool fastInit = false;            // optimizer only
  double ratio = 1.0;               // optimizer only: partial offload (stage 3)
  llvm::json::Object raw;           // the block as written
};

struct ZeroConfig {
  int stage = 0;
  bool contiguousGradients = true;
  bool reduceScatter = true;
  int64_t reduceBucketSize = 500000000;
  bool allgatherPartitions = true;
  int64_t allgatherBucketSize = 500000000;
  bool overlapComm = false; // DeepSpeed's default: true exactly for stage 3
  int64_t prefetchBucketSize = 50000000;
  int64_t paramPersistenceThreshold = 100000;
  int64_t modelPersistenceThreshold = INT64_MAX; // sys.maxsize
  int64_t maxLiveParameters = 1000000000;
  int64_t maxReuseDistance = 1000000000;
  int64_t subGroupSize = 1000000000;
  int64_t hpzPartitionSize = 1;
  bool quantizedWeights = false;
  bool quantizedNontrainableWeights = false;
  bool quantizedGradients = false;
  std::optional<OffloadConfig> offloadParam;
  std::optional<OffloadConfig> offloadOptimizer;
  // The block as written, for the keys later passes implement.
  llvm::json::Object raw;
};

struct CheckpointConfig {
  std::string tagValidation = "WARN"; // WARN, IGNORE or FAIL
  bool loadUniversal = false;
  bool useNodeLocalStorage = false;
  bool parallelWritePipelineStage = false;
  llvm::json::Object raw;
};

struct DSConfig {
  std::string fileName; // names the file in messages about it

  // As written; resolveBatchSizes() applies DeepSpeed's rules once the data-parallel size is known.
  std::optional<int64_t> trainBatchSize;
  std::optional<int64_t> microBatchSizePerGPU;
  std::optional<int64_t> gradientAccumulationSteps;

  std::optional<OptimizerConfig> optimizer; // absent: DeepSpeed would need a client optimizer
  std::optional<SchedulerConfig> scheduler; // absent: constant lr
  double gradientClipping = 1.0;            // 0.19.8's default (it was 0, off, before)
  FP16Config fp16;
  BF16Config bf16;
  ZeroConfig zero;
  CheckpointConfig checkpoint;

  std::optional<int64_t> stepsPerPrint;
  bool wallClockBreakdown = false;
  bool prescaleGradients = false;
  double gradientPredivideFactor = 1.0;
  std::string gradientAllreduceOp = "mean"; // "mean" or "sum"
  std::string communicationDataType;        // "", "fp32", "fp16" or "bf16"

  llvm::json::Object raw; // the whole file

  // "fp32", "bf16" or "fp16".
  llvm::StringRef precision() const;
};

struct ParsedConfig {
  DSConfig config;
  // Complete lines: "ds_config.json: warning: unknown key 'optimizer.params.foo'".
  std::vector<std::string> warnings;
};

// Reads `text` as the config file `fileName` (used only in messages). Every error found is in
// the returned Error, one per line: "FILE: error: 'KEY.PATH': what was expected, got what", or
// "FILE:LINE:COLUMN: error: ..." for malformed JSON.
llvm::Expected<ParsedConfig> parseDSConfig(llvm::StringRef text,
                                           llvm::StringRef fileName = "ds_config.json");
llvm::Expected<ParsedConfig> readDSConfigFile(llvm::StringRef path);

struct BatchSizes {
  int64_t trainBatchSize = 0;
  int64_t microBatchSizePerGPU = 0;
  int64_t gradientAccumulationSteps = 0;
};

// DeepSpeed's _set_batch_related_parameters + _batch_assertion: any two of the three batch keys
// imply the third (with integer division, so they may then disagree), one alone sets
// gradient_accumulation_steps to 1, and finally train = micro * accumulation * dp must hold.
llvm::Expected<BatchSizes> resolveBatchSizes(const DSConfig &config, int64_t dataParallelSize);

} // namespace ds::config

#endif // DS_CONFIG_DSCONFIG_H
