// The file as a whole: malformed JSON, duplicate keys, unknown keys, keys DeepSpeed removed,
// the example configs under Inputs/, and the plan's Training block built from them.
#include "ConfigTestUtil.h"

#include "ds/Config/TrainingPlan.h"

#include <cmath>

using namespace ds::config;
using namespace ds::config::test;
namespace plan = ds::plan;

namespace {

bool contains(const std::string &text, const std::string &part) {
  return text.find(part) != std::string::npos;
}

TEST(ConfigFile, MalformedJSONNamesLineAndColumn) {
  std::string err = errorOf(readDSConfigFile(inputPath("malformed.json")));
  EXPECT_EQ(err, inputPath("malformed.json") +
                     ":3:33: error: malformed JSON: Expected object key (ds reads strict JSON: "
                     "no comments, trailing commas or unquoted keys)");
  EXPECT_TRUE(contains(parseError("{\n  \"a\": 1,\n  \"b\": ]\n}"),
                       "ds_config.json:3:8: error: malformed JSON: Invalid JSON value"));
}

TEST(ConfigFile, DuplicateKeysAreErrors) {
  EXPECT_EQ(parseError(R"({"train_batch_size": 8, "train_batch_size": 16})"),
            "ds_config.json:1:25: error: duplicate key 'train_batch_size' (DeepSpeed refuses a "
            "config with duplicate keys)");
  EXPECT_TRUE(contains(
      parseError("{\"optimizer\": {\"type\": \"Adam\",\n  \"params\": {\"lr\": 1, \"lr\": 2}}}"),
      "ds_config.json:2:23: error: duplicate key 'optimizer.params.lr'"));
  // The same key in two different objects is fine.
  parseOK(R"({"fp16": {"enabled": false}, "bf16": {"enabled": false}})");
}

TEST(ConfigFile, TopLevelMustBeAnObject) {
  EXPECT_EQ(parseError("[1, 2]"),
            "ds_config.json: error: the top level must be a JSON object, got an array");
}

TEST(ConfigFile, MissingFile) {
  EXPECT_TRUE(contains(errorOf(readDSConfigFile(inputPath("no_such_config.json"))),
                       "no_such_config.json: error: cannot read: "));
}

TEST(ConfigFile, UnknownKeysAreWarningsWithTheirFullPath) {
  llvm::Expected<ParsedConfig> parsed = readDSConfigFile(inputPath("unknown_keys.json"));
  ASSERT_TRUE(static_cast<bool>(parsed)) << llvm::toString(parsed.takeError());
  const std::string file = inputPath("unknown_keys.json");
  std::vector<std::string> want = {
      file + ": warning: unknown key 'optimizer.params.foo'",
      file + ": warning: unknown key 'zero_optimization.offload_param.bar'",
      file + ": warning: unknown key 'my_custom_key'",
  };
  EXPECT_EQ(parsed->warnings, want);
  EXPECT_EQ(parsed->config.optimizer->lr, 1e-3);
}

TEST(ConfigFile, KnownKeysAreSilent) {
  ParsedConfig parsed = parseOK(R"({
    "train_batch_size": 8, "steps_per_print": 100, "wall_clock_breakdown": true,
    "prescale_gradients": false, "gradient_predivide_factor": 1.0,
    "communication_data_type": "BF16", "activation_checkpointing": {"partition_activations": true},
    "flops_profiler": {"enabled": false}, "tensorboard": {"enabled": false},
    "checkpoint": {"tag_validation": "fail", "load_universal": true,
                   "parallel_write": {"pipeline_stage": true}},
    "data_types": {"grad_accum_dtype": "fp32"}, "dump_state": false})");
  EXPECT_TRUE(parsed.warnings.empty());
  EXPECT_EQ(*parsed.config.stepsPerPrint, 100);
  EXPECT_TRUE(parsed.config.wallClockBreakdown);
  EXPECT_EQ(parsed.config.communicationDataType, "bf16");
  EXPECT_EQ(parsed.config.checkpoint.tagValidation, "FAIL");
  EXPECT_TRUE(parsed.config.checkpoint.loadUniversal);
  EXPECT_TRUE(parsed.config.checkpoint.parallelWritePipelineStage);
}

TEST(ConfigFile, WrongTopLevelValues) {
  EXPECT_EQ(parseError(R"({"gradient_clipping": "1.0"})"),
            "ds_config.json: error: 'gradient_clipping': expected a number >= 0, got string "
            "\"1.0\"");
  EXPECT_TRUE(contains(parseError(R"({"steps_per_print": 0})"),
                       "'steps_per_print': expected an integer >= 1, got 0"));
  EXPECT_TRUE(contains(parseError(R"({"checkpoint": {"tag_validation": "loud"}})"),
                       "'checkpoint.tag_validation': expected \"Warn\", \"Ignore\" or \"Fail\""));
  EXPECT_TRUE(contains(parseError(R"({"amp": {"enabled": true}})"),
                       "'amp': NVIDIA Apex AMP integration has been removed"));
}

TEST(ConfigFile, EveryErrorIsReported) {
  std::string err = parseError(R"({"train_batch_size": -1, "gradient_clipping": "x",
                                   "zero_optimization": {"stage": 9}})");
  EXPECT_TRUE(contains(err, "'train_batch_size'"));
  EXPECT_TRUE(contains(err, "'gradient_clipping'"));
  EXPECT_TRUE(contains(err, "'zero_optimization.stage'"));
}

TEST(ConfigFile, ExampleConfigsParseCleanly) {
  for (const char *name :
       {"gpt_zero3_bf16_cosine.json", "fp16_dynamic_warmup_decay.json", "sgd_minimal.json"}) {
    llvm::Expected<ParsedConfig> parsed = readDSConfigFile(inputPath(name));
    ASSERT_TRUE(static_cast<bool>(parsed)) << name << ": " << llvm::toString(parsed.takeError());
    EXPECT_TRUE(parsed->warnings.empty()) << name << ": " << parsed->warnings.front();
  }
}

plan::Training trainingOf(const std::string &file, int64_t dp) {
  llvm::Expected<ParsedConfig> parsed = readDSConfigFile(inputPath(file));
  if (!parsed) {
    ADD_FAILURE() << llvm::toString(parsed.takeError());
    return {};
  }
  llvm::Expected<plan::Training> training = buildTraining(parsed->config, dp);
  if (!training) {
    ADD_FAILURE() << llvm::toString(training.takeError());
    return {};
  }
  return *training;
}

TEST(TrainingPlan, ZeRO3BF16Cosine) {
  plan::Training t = trainingOf("gpt_zero3_bf16_cosine.json", 4);
  EXPECT_EQ(t.train_batch_size(), 64);
  EXPECT_EQ(t.micro_batch_size(), 4);
  EXPECT_EQ(t.gradient_accumulation_steps(), 4);
  EXPECT_EQ(t.data_parallel_size(), 4);
  EXPECT_EQ(t.gradient_clipping(), 1.0);
  EXPECT_EQ(t.precision(), "bf16");
  EXPECT_EQ(t.optimizer(), "AdamW");
  EXPECT_EQ(t.zero_stage(), 3);
  EXPECT_FALSE(t.loss_scaling().enabled());
  const plan::LRSchedule &s = t.schedule();
  EXPECT_EQ(s.type(), plan::LRSchedule::WARMUP_COSINE_LR);
  EXPECT_EQ(s.base_lr(), 6e-4);
  EXPECT_EQ(s.warmup_num_steps(), 200);
  EXPECT_EQ(s.total_num_steps(), 5000);
  EXPECT_EQ(s.warmup_type(), plan::LRSchedule::LINEAR);
  EXPECT_EQ(s.warmup_min_ratio(), 0.0);
  EXPECT_EQ(s.cos_min_ratio(), 0.1);
}

TEST(TrainingPlan, FP16DynamicWarmupDecay) {
  plan::Training t = trainingOf("fp16_dynamic_warmup_decay.json", 2);
  EXPECT_EQ(t.train_batch_size(), 16);
  EXPECT_EQ(t.micro_batch_size(), 2);
  EXPECT_EQ(t.gradient_accumulation_steps(), 4);
  EXPECT_EQ(t.precision(), "fp16");
  EXPECT_EQ(t.optimizer(), "AdamW"); // "Adam" with DeepSpeed's default adam_w_mode
  EXPECT_EQ(t.zero_stage(), 2);
  const plan::LossScaling &ls = t.loss_scaling();
  EXPECT_TRUE(ls.enabled());
  EXPECT_TRUE(ls.dynamic());
  EXPECT_EQ(ls.initial_scale(), 4096.0);
  EXPECT_EQ(ls.window(), 500);
  EXPECT_EQ(ls.hysteresis(), 2);
  EXPECT_EQ(ls.min_scale(), 1.0);
  EXPECT_FALSE(ls.consecutive_hysteresis());
  const plan::LRSchedule &s = t.schedule();
  EXPECT_EQ(s.type(), plan::LRSchedule::WARMUP_DECAY_LR);
  EXPECT_EQ(s.base_lr(), 1e-4);
  EXPECT_EQ(s.warmup_min_lr(), 0.0);
  EXPECT_EQ(s.warmup_max_lr(), 1e-4);
  EXPECT_EQ(s.warmup_num_steps(), 100);
  EXPECT_EQ(s.warmup_type(), plan::LRSchedule::LOG);
  EXPECT_EQ(s.total_num_steps(), 1000);
}

TEST(TrainingPlan, SGDWithoutSchedulerIsConstant) {
  plan::Training t = trainingOf("sgd_minimal.json", 2);
  EXPECT_EQ(t.optimizer(), "SGD");
  EXPECT_EQ(t.precision(), "fp32");
  EXPECT_EQ(t.schedule().type(), plan::LRSchedule::CONSTANT);
  EXPECT_EQ(t.schedule().base_lr(), 0.1);
  EXPECT_EQ(t.micro_batch_size(), 4);
}

TEST(TrainingPlan, StaticLossScale) {
  ParsedConfig parsed = parseOK(R"({"train_batch_size": 2, "optimizer": {"type": "AdamW"},
                                    "fp16": {"enabled": true, "loss_scale": 128}})");
  llvm::Expected<plan::Training> t = buildTraining(parsed.config, 1);
  ASSERT_TRUE(static_cast<bool>(t)) << llvm::toString(t.takeError());
  EXPECT_TRUE(t->loss_scaling().enabled());
  EXPECT_FALSE(t->loss_scaling().dynamic());
  EXPECT_EQ(t->loss_scaling().initial_scale(), 128.0);
}

TEST(TrainingPlan, WarmupPeakDefaults) {
  ParsedConfig warmup = parseOK(R"({"train_batch_size": 2,
      "optimizer": {"type": "AdamW", "params": {"lr": 3e-4}}, "scheduler": {"type": "WarmupLR"}})");
  EXPECT_EQ(buildTraining(warmup.config, 1)->schedule().warmup_max_lr(), 3e-4);
  ParsedConfig decay = parseOK(R"({"train_batch_size": 2,
      "optimizer": {"type": "AdamW", "params": {"lr": 3e-4}},
      "scheduler": {"type": "WarmupDecayLR", "params": {"total_num_steps": 10}}})");
  EXPECT_EQ(buildTraining(decay.config, 1)->schedule().warmup_max_lr(), 0.001);
}

TEST(TrainingPlan, Errors) {
  ParsedConfig noOptimizer = parseOK(R"({"train_batch_size": 2})");
  EXPECT_TRUE(contains(errorOf(buildTraining(noOptimizer.config, 1)), "'optimizer': missing"));
  ParsedConfig badBatch = parseOK(R"({"train_batch_size": 6, "optimizer": {"type": "SGD"}})");
  EXPECT_TRUE(contains(errorOf(buildTraining(badBatch.config, 4)),
                       "batch sizes disagree: train_batch_size 6 != train_micro_batch_size_per_gpu "
                       "1 (derived as train_batch_size 6 // data-parallel size 4)"));
}

} // namespace
