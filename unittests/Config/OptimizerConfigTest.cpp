// The "optimizer" and "scheduler" blocks: DeepSpeed's defaults, its name matching, and an error
// naming the key for each wrong value.
#include "ConfigTestUtil.h"

using namespace ds::config;
using namespace ds::config::test;

namespace {

bool contains(const std::string &text, const std::string &part) {
  return text.find(part) != std::string::npos;
}

TEST(OptimizerConfig, AdamDefaultsToDecoupledWeightDecay) {
  // engine.py: ADAM_W_MODE_DEFAULT = True, so "Adam" runs AdamW's update unless told otherwise.
  ParsedConfig parsed = parseOK(R"({"optimizer": {"type": "Adam"}})");
  ASSERT_TRUE(parsed.config.optimizer);
  const OptimizerConfig &opt = *parsed.config.optimizer;
  EXPECT_EQ(opt.kind, OptimizerConfig::Kind::Adam);
  EXPECT_TRUE(opt.adamWMode);
  EXPECT_EQ(opt.updateRule(), "AdamW");
  // FusedAdam's defaults.
  EXPECT_EQ(opt.lr, 1e-3);
  EXPECT_EQ(opt.betas[0], 0.9);
  EXPECT_EQ(opt.betas[1], 0.999);
  EXPECT_EQ(opt.eps, 1e-8);
  EXPECT_EQ(opt.weightDecay, 0.0);
  EXPECT_TRUE(opt.biasCorrection);
  EXPECT_TRUE(parsed.warnings.empty());
}

TEST(OptimizerConfig, AdamWModeFalseGivesPlainAdam) {
  ParsedConfig parsed =
      parseOK(R"({"optimizer": {"type": "Adam", "params": {"adam_w_mode": false}}})");
  EXPECT_EQ(parsed.config.optimizer->updateRule(), "Adam");
}

TEST(OptimizerConfig, AdamWIgnoresAdamWModeFalse) {
  // effective_adam_w_mode = name == "adamw" or adam_w_mode.
  ParsedConfig parsed =
      parseOK(R"({"optimizer": {"type": "AdamW", "params": {"adam_w_mode": false}}})");
  EXPECT_EQ(parsed.config.optimizer->updateRule(), "AdamW");
}

TEST(OptimizerConfig, AdamNamesAreCaseInsensitive) {
  EXPECT_EQ(parseOK(R"({"optimizer": {"type": "ADAM"}})").config.optimizer->kind,
            OptimizerConfig::Kind::Adam);
  EXPECT_EQ(parseOK(R"({"optimizer": {"type": "adamw"}})").config.optimizer->kind,
            OptimizerConfig::Kind::AdamW);
}

TEST(OptimizerConfig, TorchAdamWDefaultsToItsOwnWeightDecay) {
  ParsedConfig parsed =
      parseOK(R"({"optimizer": {"type": "AdamW", "params": {"torch_adam": true}}})");
  EXPECT_EQ(parsed.config.optimizer->weightDecay, 0.01);
  parsed = parseOK(
      R"({"optimizer": {"type": "AdamW", "params": {"torch_adam": true, "weight_decay": 0.0}}})");
  EXPECT_EQ(parsed.config.optimizer->weightDecay, 0.0);
}

TEST(OptimizerConfig, AdamParams) {
  ParsedConfig parsed = parseOK(R"({"optimizer": {"type": "AdamW", "params": {
      "lr": 3e-4, "betas": [0.8, 0.95], "eps": 1e-6, "weight_decay": 0.1,
      "bias_correction": false}}})");
  const OptimizerConfig &opt = *parsed.config.optimizer;
  EXPECT_EQ(opt.lr, 3e-4);
  EXPECT_EQ(opt.betas[0], 0.8);
  EXPECT_EQ(opt.betas[1], 0.95);
  EXPECT_EQ(opt.eps, 1e-6);
  EXPECT_EQ(opt.weightDecay, 0.1);
  EXPECT_FALSE(opt.biasCorrection);
}

TEST(OptimizerConfig, SGDDefaultsAndParams) {
  ParsedConfig parsed = parseOK(R"({"optimizer": {"type": "SGD"}})");
  const OptimizerConfig &opt = *parsed.config.optimizer;
  EXPECT_EQ(opt.kind, OptimizerConfig::Kind::SGD);
  EXPECT_EQ(opt.updateRule(), "SGD");
  EXPECT_EQ(opt.lr, 1e-3); // current torch.optim.SGD's default (older torch required lr)
  EXPECT_EQ(opt.momentum, 0.0);
  EXPECT_EQ(opt.dampening, 0.0);
  EXPECT_FALSE(opt.nesterov);

  parsed = parseOK(R"({"optimizer": {"type": "SGD", "params":
      {"lr": 0.1, "momentum": 0.9, "nesterov": true, "weight_decay": 1e-4}}})");
  EXPECT_EQ(parsed.config.optimizer->momentum, 0.9);
  EXPECT_TRUE(parsed.config.optimizer->nesterov);
}

TEST(OptimizerConfig, SGDIsSpelledAsTorchSpellsIt) {
  // DeepSpeed finds SGD with getattr(torch.optim, type).
  EXPECT_EQ(parseError(R"({"optimizer": {"type": "sgd"}})"),
            "ds_config.json: error: 'optimizer.type': expected \"SGD\" (DeepSpeed finds "
            "torch.optim.SGD by its exact name), got \"sgd\"");
}

TEST(OptimizerConfig, UnsupportedTypes) {
  EXPECT_TRUE(contains(parseError(R"({"optimizer": {"type": "Lamb"}})"),
                       "'optimizer.type': \"Lamb\" is a DeepSpeed optimizer ds does not "
                       "implement yet"));
  EXPECT_TRUE(contains(parseError(R"({"optimizer": {"type": "RMSprop"}})"),
                       "'optimizer.type': expected \"Adam\", \"AdamW\" or \"SGD\", got "
                       "\"RMSprop\""));
  EXPECT_TRUE(contains(parseError(R"({"optimizer": {"params": {"lr": 1}}})"),
                       "'optimizer.type': missing"));
  EXPECT_TRUE(contains(parseError(R"({"optimizer": "Adam"})"),
                       "'optimizer': expected an object, got string \"Adam\""));
}

TEST(OptimizerConfig, WrongParamValuesNameTheKey) {
  EXPECT_EQ(parseError(R"({"optimizer": {"type": "AdamW", "params": {"lr": "abc"}}})"),
            "ds_config.json: error: 'optimizer.params.lr': expected a number >= 0, got string "
            "\"abc\"");
  EXPECT_TRUE(contains(parseError(R"({"optimizer": {"type": "AdamW", "params": {"lr": -1}}})"),
                       "'optimizer.params.lr': expected a number >= 0, got -1"));
  EXPECT_TRUE(contains(parseError(R"({"optimizer": {"type": "AdamW", "params": {"lr": "auto"}}})"),
                       "'optimizer.params.lr': expected a number >= 0, got \"auto\""));
  EXPECT_TRUE(
      contains(parseError(R"({"optimizer": {"type": "AdamW", "params": {"betas": [0.9]}}})"),
               "'optimizer.params.betas': expected two numbers [beta1, beta2], got an array"));
  EXPECT_TRUE(
      contains(parseError(R"({"optimizer": {"type": "AdamW", "params": {"betas": [0.9, 1.0]}}})"),
               "'optimizer.params.betas': expected each beta in [0, 1), got 1 at index 1"));
  EXPECT_TRUE(contains(
      parseError(R"({"optimizer": {"type": "AdamW", "params": {"bias_correction": 1}}})"),
      "'optimizer.params.bias_correction': expected true or false, got 1"));
  EXPECT_TRUE(
      contains(parseError(R"({"optimizer": {"type": "AdamW", "params": {"amsgrad": true}}})"),
               "'optimizer.params.amsgrad': DeepSpeed's FusedAdam does not support"));
  EXPECT_TRUE(contains(
      parseError(R"({"optimizer": {"type": "AdamW", "params": {"max_grad_norm": 1.0}}})"),
      "'optimizer.params.max_grad_norm': not an optimizer parameter in DeepSpeed; use the "
      "top-level 'gradient_clipping'"));
  EXPECT_TRUE(
      contains(parseError(R"({"optimizer": {"type": "SGD", "params": {"nesterov": true}}})"),
               "'optimizer.params.nesterov': Nesterov momentum requires a momentum > 0"));
}

TEST(SchedulerConfig, WarmupLRDefaults) {
  ParsedConfig parsed = parseOK(R"({"optimizer": {"type": "AdamW", "params": {"lr": 5e-4}},
                                    "scheduler": {"type": "WarmupLR", "params": {}}})");
  ASSERT_TRUE(parsed.config.scheduler);
  const SchedulerConfig &s = *parsed.config.scheduler;
  EXPECT_EQ(s.kind, SchedulerConfig::Kind::WarmupLR);
  EXPECT_EQ(s.warmupMinLR, 0.0);
  EXPECT_FALSE(s.warmupMaxLR);
  EXPECT_EQ(s.resolvedWarmupMaxLR(5e-4), 5e-4); // None: the optimizer's lr
  EXPECT_EQ(s.warmupNumSteps, 1000);
  EXPECT_EQ(s.warmupType, SchedulerConfig::WarmupType::Log);
}

TEST(SchedulerConfig, WarmupDecayLRHasItsOwnPeakDefault) {
  ParsedConfig parsed = parseOK(R"({"scheduler": {"type": "WarmupDecayLR",
                                    "params": {"total_num_steps": 100}}})");
  const SchedulerConfig &s = *parsed.config.scheduler;
  EXPECT_EQ(s.resolvedWarmupMaxLR(5e-4), 0.001); // its signature says 0.001, not the optimizer's
  EXPECT_EQ(*s.totalNumSteps, 100);
}

TEST(SchedulerConfig, WarmupCosineLR) {
  ParsedConfig parsed = parseOK(R"({"scheduler": {"type": "WarmupCosineLR", "params": {
      "total_num_steps": 100, "warmup_num_steps": 10, "warmup_type": "linear"}}})");
  const SchedulerConfig &s = *parsed.config.scheduler;
  EXPECT_EQ(s.kind, SchedulerConfig::Kind::WarmupCosineLR);
  EXPECT_EQ(s.warmupMinRatio, 0.0);
  EXPECT_EQ(s.cosMinRatio, 1e-4);
  EXPECT_EQ(s.warmupType, SchedulerConfig::WarmupType::Linear);
}

TEST(SchedulerConfig, Errors) {
  EXPECT_EQ(parseError(R"({"scheduler": {"type": "WarmupDecayLR", "params": {}}})"),
            "ds_config.json: error: 'scheduler.params.total_num_steps': missing; WarmupDecayLR "
            "requires it");
  EXPECT_TRUE(contains(parseError(R"({"scheduler": {"type": "WarmupCosineLR", "params":
                                     {"total_num_steps": 10, "warmup_max_lr": 0.1}}})"),
                       "'scheduler.params.warmup_max_lr': not a parameter of WarmupCosineLR"));
  EXPECT_TRUE(contains(parseError(R"({"scheduler": {"type": "warmuplr"}})"),
                       "'scheduler.type': expected \"WarmupLR\", \"WarmupDecayLR\" or "
                       "\"WarmupCosineLR\" (spelled exactly"));
  EXPECT_TRUE(contains(parseError(R"({"scheduler": {"type": "OneCycle", "params": {}}})"),
                       "\"OneCycle\" is a DeepSpeed schedule ds does not implement yet"));
  EXPECT_TRUE(contains(
      parseError(R"({"scheduler": {"type": "WarmupLR", "params": {"warmup_num_steps": 0}}})"),
      "'scheduler.params.warmup_num_steps': expected an integer >= 1, got 0"));
  EXPECT_TRUE(contains(
      parseError(R"({"scheduler": {"type": "WarmupLR", "params": {"warmup_min_lr": [0.1]}}})"),
      "'scheduler.params.warmup_min_lr': expected a number (ds has one parameter group"));
}

TEST(SchedulerConfig, UnknownWarmupTypeFallsBackToLog) {
  ParsedConfig parsed = parseOK(R"({"scheduler": {"type": "WarmupLR",
                                    "params": {"warmup_type": "cosine"}}})");
  EXPECT_EQ(parsed.config.scheduler->warmupType, SchedulerConfig::WarmupType::Log);
  ASSERT_EQ(parsed.warnings.size(), 1u);
  EXPECT_EQ(parsed.warnings[0], "ds_config.json: warning: 'scheduler.params.warmup_type': "
                                "unknown warmup type \"cosine\"; DeepSpeed falls back to \"log\"");
}

TEST(SchedulerConfig, TotalBelowWarmupWarns) {
  ParsedConfig parsed = parseOK(R"({"scheduler": {"type": "WarmupDecayLR",
                                    "params": {"total_num_steps": 5, "warmup_num_steps": 10}}})");
  ASSERT_EQ(parsed.warnings.size(), 1u);
  EXPECT_TRUE(contains(parsed.warnings[0], "'scheduler.params.total_num_steps' (5) is less than "
                                           "warmup_num_steps (10)"));
}

} // namespace
