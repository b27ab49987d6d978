// "fp16", "bf16" and "zero_optimization": pydantic models in DeepSpeed, so "auto" means the
// default, numbers like 5e8 are integers, and each stage3_* key has a second spelling.
#include "ConfigTestUtil.h"

using namespace ds::config;
using namespace ds::config::test;

namespace {

bool contains(const std::string &text, const std::string &part) {
  return text.find(part) != std::string::npos;
}

TEST(PrecisionConfig, Defaults) {
  ParsedConfig parsed = parseOK(R"({"train_batch_size": 8})");
  EXPECT_EQ(parsed.config.precision(), "fp32");
  EXPECT_FALSE(parsed.config.fp16.enabled);
  EXPECT_FALSE(parsed.config.bf16.enabled);
  EXPECT_EQ(parsed.config.gradientClipping, 1.0); // DeepSpeed 0.19.8's default
}

TEST(PrecisionConfig, FP16DynamicDefaults) {
  ParsedConfig parsed = parseOK(R"({"fp16": {"enabled": true}})");
  const FP16Config &fp16 = parsed.config.fp16;
  EXPECT_EQ(parsed.config.precision(), "fp16");
  EXPECT_TRUE(fp16.dynamic());
  EXPECT_EQ(fp16.initialScalePower, 16);
  EXPECT_EQ(fp16.lossScaleWindow, 1000);
  EXPECT_EQ(fp16.hysteresis, 2);
  EXPECT_FALSE(fp16.consecutiveHysteresis);
  EXPECT_EQ(fp16.minLossScale, 1);
}

TEST(PrecisionConfig, AutoMeansDefaultInsidePydanticBlocks) {
  ParsedConfig parsed = parseOK(
      R"({"fp16": {"enabled": "auto", "loss_scale": "auto", "initial_scale_power": "auto"}})");
  EXPECT_FALSE(parsed.config.fp16.enabled);
  EXPECT_EQ(parsed.config.fp16.lossScale, 0.0);
  EXPECT_EQ(parsed.config.fp16.initialScalePower, 16);
  EXPECT_TRUE(parsed.warnings.empty());
}

TEST(PrecisionConfig, FP16Errors) {
  EXPECT_EQ(parseError(R"({"fp16": {"enabled": true, "loss_scale": -1}})"),
            "ds_config.json: error: 'fp16.loss_scale': expected a number >= 0, got -1");
  EXPECT_TRUE(contains(parseError(R"({"fp16": {"loss_scale": true}})"),
                       "'fp16.loss_scale': expected a number >= 0, got true"));
  EXPECT_TRUE(contains(parseError(R"({"fp16": {"enabled": true, "min_loss_scale": 0}})"),
                       "'fp16.min_loss_scale': must be > 0 with dynamic loss scaling"));
  EXPECT_TRUE(contains(parseError(R"({"fp16": {"enabled": true, "loss_scale_window": 0}})"),
                       "'fp16.loss_scale_window': must be > 0"));
  EXPECT_TRUE(contains(parseError(R"({"fp16": {"enabled": true, "hysteresis": 0}})"),
                       "'fp16.hysteresis': must be >= 1 with dynamic loss scaling"));
  EXPECT_TRUE(contains(parseError(R"({"fp16": {"min_loss_scale": 0.5}})"),
                       "'fp16.min_loss_scale': expected an integer, got 0.5"));
  EXPECT_TRUE(contains(parseError(R"({"fp16": {"initial_scale_power": 200}})"),
                       "'fp16.initial_scale_power': expected an integer from -126 to 127"));
}

TEST(PrecisionConfig, StaticScaleIgnoresDynamicOnlyChecks) {
  ParsedConfig parsed =
      parseOK(R"({"fp16": {"enabled": true, "loss_scale": 128, "min_loss_scale": 0}})");
  EXPECT_FALSE(parsed.config.fp16.dynamic());
  EXPECT_EQ(parsed.config.fp16.lossScale, 128.0);
}

TEST(PrecisionConfig, FP16AndBF16Together) {
  EXPECT_EQ(parseError(R"({"fp16": {"enabled": true}, "bf16": {"enabled": true}})"),
            "ds_config.json: error: 'fp16.enabled' and 'bf16.enabled' are both true: bfloat16 "
            "and fp16 modes cannot be simultaneously enabled");
}

TEST(PrecisionConfig, LegacyBfloat16Key) {
  ParsedConfig parsed = parseOK(R"({"bfloat16": {"enabled": true}})");
  EXPECT_EQ(parsed.config.precision(), "bf16");
  EXPECT_TRUE(parsed.warnings.empty());

  // DeepSpeed reads "bfloat16" only when "bf16" is absent.
  parsed = parseOK(R"({"bf16": {"enabled": false}, "bfloat16": {"enabled": true}})");
  EXPECT_FALSE(parsed.config.bf16.enabled);
  ASSERT_EQ(parsed.warnings.size(), 1u);
  EXPECT_TRUE(contains(parsed.warnings[0], "'bfloat16' is ignored because 'bf16' is present"));
}

TEST(PrecisionConfig, MasterWeightOptionsNeedZero) {
  EXPECT_TRUE(contains(
      parseError(R"({"bf16": {"enabled": true, "bf16_master_weights_and_grads": true}})"),
      "'bf16.bf16_master_weights_and_grads': is only supported with ZeRO stage 1, 2 or 3"));
  EXPECT_TRUE(contains(parseError(R"({"bf16": {"enabled": true, "bf16_optimizer_states": true},
                                     "zero_optimization": {"stage": 2}})"),
                       "requires bf16.bf16_master_weights_and_grads"));
}

TEST(ZeroConfig, Defaults) {
  ParsedConfig parsed = parseOK(R"({"train_batch_size": 8})");
  const ZeroConfig &zero = parsed.config.zero;
  EXPECT_EQ(zero.stage, 0);
  EXPECT_FALSE(zero.overlapComm);
  EXPECT_TRUE(zero.contiguousGradients);
  EXPECT_EQ(zero.reduceBucketSize, 500000000);
  EXPECT_EQ(zero.allgatherBucketSize, 500000000);
  EXPECT_EQ(zero.prefetchBucketSize, 50000000);
  EXPECT_EQ(zero.paramPersistenceThreshold, 100000);
  EXPECT_EQ(zero.hpzPartitionSize, 1);
  EXPECT_FALSE(zero.quantizedWeights);
  EXPECT_FALSE(zero.quantizedGradients);
  EXPECT_FALSE(zero.offloadParam);
  EXPECT_FALSE(zero.offloadOptimizer);
}

TEST(ZeroConfig, Stage3AndItsKeys) {
  ParsedConfig parsed = parseOK(R"({"zero_optimization": {
      "stage": 3, "reduce_bucket_size": 5e7, "stage3_prefetch_bucket_size": "auto",
      "stage3_param_persistence_threshold": 1e4, "zero_quantized_weights": true,
      "zero_hpz_partition_size": 8, "zero_quantized_gradients": true,
      "stage3_max_live_parameters": 1e9, "stage3_gather_16bit_weights_on_model_save": true}})");
  const ZeroConfig &zero = parsed.config.zero;
  EXPECT_EQ(zero.stage, 3);
  EXPECT_TRUE(zero.overlapComm); // DeepSpeed's default for stage 3
  EXPECT_EQ(zero.reduceBucketSize, 50000000);
  EXPECT_EQ(zero.prefetchBucketSize, 50000000); // "auto": the default
  EXPECT_EQ(zero.paramPersistenceThreshold, 10000);
  EXPECT_TRUE(zero.quantizedWeights);
  EXPECT_EQ(zero.hpzPartitionSize, 8);
  EXPECT_TRUE(zero.quantizedGradients);
  EXPECT_TRUE(zero.raw.get("stage3_max_live_parameters"));
  EXPECT_TRUE(parsed.warnings.empty());
}

TEST(ZeroConfig, FieldNamesWorkLikeTheirAliases) {
  ParsedConfig parsed =
      parseOK(R"({"zero_optimization": {"stage": 3, "prefetch_bucket_size": 7}})");
  EXPECT_EQ(parsed.config.zero.prefetchBucketSize, 7);
  EXPECT_TRUE(contains(parseError(R"({"zero_optimization": {"prefetch_bucket_size": 7,
                                     "stage3_prefetch_bucket_size": 9}})"),
                       "'zero_optimization.stage3_prefetch_bucket_size': given twice"));
}

TEST(ZeroConfig, Errors) {
  EXPECT_EQ(parseError(R"({"zero_optimization": {"stage": 4}})"),
            "ds_config.json: error: 'zero_optimization.stage': expected an integer from 0 to 3, "
            "got 4");
  EXPECT_TRUE(contains(parseError(R"({"zero_optimization": {"reduce_bucket_size": 0}})"),
                       "'zero_optimization.reduce_bucket_size': expected an integer >= 1, got 0"));
  EXPECT_TRUE(
      contains(parseError(R"({"zero_optimization": {"stage3_param_persistence_threshold": -5}})"),
               "'zero_optimization.stage3_param_persistence_threshold': expected an integer >= "
               "0, got -5"));
  EXPECT_TRUE(contains(parseError(R"({"zero_optimization": {"zero_hpz_partition_size": 1.5}})"),
                       "'zero_optimization.zero_hpz_partition_size': expected an integer >= 0, "
                       "got 1.5"));
  EXPECT_TRUE(contains(parseError(R"({"zero_optimization": {"overlap_comm": "yes"}})"),
                       "'zero_optimization.overlap_comm': expected true or false"));
  EXPECT_TRUE(contains(parseError(R"({"zero_optimization": {"mics_shard_size": 8}})"),
                       "'zero_optimization.mics_shard_size': MiCS ZeRO-3 sharding has been "
                       "removed"));
  EXPECT_TRUE(contains(parseError(R"({"zero_optimization": {"compute_grad_norm": false}})"),
                       "false is supported only with ZeRO stage 1 or 2"));
  EXPECT_TRUE(contains(parseError(R"({"gradient_allreduce_op": "SUM",
                                     "zero_optimization": {"stage": 3}})"),
                       "'gradient_allreduce_op': \"sum\" is not supported with ZeRO stage 3"));
}

TEST(ZeroConfig, Offload) {
  ParsedConfig parsed = parseOK(R"({"zero_optimization": {"stage": 3,
      "offload_param": {"device": "nvme", "nvme_path": "/local_nvme", "buffer_count": 6},
      "offload_optimizer": {"device": "cpu", "pin_memory": false, "ratio": 0.3}}})");
  const ZeroConfig &zero = parsed.config.zero;
  ASSERT_TRUE(zero.offloadParam);
  EXPECT_EQ(zero.offloadParam->device, OffloadConfig::Device::NVMe);
  EXPECT_EQ(zero.offloadParam->nvmePath, "/local_nvme");
  EXPECT_EQ(zero.offloadParam->bufferCount, 6);
  ASSERT_TRUE(zero.offloadOptimizer);
  EXPECT_EQ(zero.offloadOptimizer->device, OffloadConfig::Device::CPU);
  EXPECT_FALSE(zero.offloadOptimizer->pinMemory);
  EXPECT_EQ(zero.offloadOptimizer->ratio, 0.3);
  EXPECT_EQ(zero.offloadOptimizer->bufferCount, 4);

  EXPECT_TRUE(contains(parseError(R"({"zero_optimization": {"offload_param": {"device": "gpu"}}})"),
                       "'zero_optimization.offload_param.device': expected \"none\", \"cpu\" or "
                       "\"nvme\", got \"gpu\""));
  EXPECT_TRUE(
      contains(parseError(R"({"zero_optimization": {"offload_param": {"device": "nvme"}}})"),
               "'zero_optimization.offload_param.nvme_path': missing"));
  EXPECT_TRUE(contains(parseError(R"({"zero_optimization": {"stage": 2,
                                     "offload_optimizer": {"device": "cpu", "ratio": 0.5}}})"),
                       "a ratio below 1 (partial offload) needs ZeRO stage 3"));
}

TEST(ZeroConfig, DeprecatedForms) {
  ParsedConfig parsed = parseOK(R"({"zero_optimization": true, "allgather_size": 1000})");
  EXPECT_EQ(parsed.config.zero.stage, 1);
  EXPECT_EQ(parsed.config.zero.allgatherBucketSize, 1000);
  ASSERT_EQ(parsed.warnings.size(), 1u);
  EXPECT_TRUE(contains(parsed.warnings[0], "deprecated form"));

  parsed = parseOK(R"({"zero_optimization": {"stage": 2, "cpu_offload": true}})");
  ASSERT_TRUE(parsed.config.zero.offloadOptimizer);
  EXPECT_EQ(parsed.config.zero.offloadOptimizer->device, OffloadConfig::Device::CPU);
}

} // namespace
