// The "optimizer" and "scheduler" blocks. DeepSpeed passes their params straight to a
// constructor (FusedAdam / DeepSpeedCPUAdam / torch.optim.SGD, deepspeed.runtime.lr_schedules),
// so the defaults here are those constructors' defaults.
#include "ConfigReader.h"
#include "Sections.h"

#include "llvm/ADT/StringExtras.h"

#include <algorithm>

using namespace llvm;

namespace ds::config {
using detail::Diagnostics;
using detail::Section;

StringRef OptimizerConfig::updateRule() const {
  if (kind == Kind::SGD)
    return "SGD";
  return effectiveAdamWMode() ? "AdamW" : "Adam";
}

double SchedulerConfig::resolvedWarmupMaxLR(double optimizerLR) const {
  if (warmupMaxLR)
    return *warmupMaxLR;
  // WarmupLR's default is None (the optimizer's lr); WarmupDecayLR's signature says 0.001.
  return kind == Kind::WarmupDecayLR ? 0.001 : optimizerLR;
}

namespace detail {
namespace {

// deepspeed/runtime/config.py DEEPSPEED_OPTIMIZERS plus the 1-bit family: names DeepSpeed
// matches case-insensitively and builds itself.
constexpr StringRef kOtherDeepSpeedOptimizers[] = {
    "adagrad", "lamb", "lion", "muadam", "muadamw", "musgd", "muon", "onebitadam",
    "onebitlamb", "zerooneadam"};

void readBetas(Section &params, OptimizerConfig &opt) {
  const json::Value *value = params.get("betas");
  if (!value)
    return;
  const json::Array *array = value->getAsArray();
  if (!array || array->size() != 2 || !(*array)[0].getAsNumber() ||
      !(*array)[1].getAsNumber()) {
    params.error("betas", "expected two numbers [beta1, beta2], " + describe(*value));
    return;
  }
  for (size_t i = 0; i < 2; ++i) {
    double beta = *(*array)[i].getAsNumber();
    // torch.optim.Adam's own checks; FusedAdam would silently diverge instead.
    if (beta < 0.0 || beta >= 1.0) {
      params.error("betas", "expected each beta in [0, 1), " + describe((*array)[i]) +
                                " at index " + Twine(i));
      return;
    }
    opt.betas[i] = beta;
  }
}

void readAdamParams(Section &params, OptimizerConfig &opt) {
  params.read("lr", opt.lr, 0.0);
  readBetas(params, opt);
  params.read("eps", opt.eps, 0.0);
  params.read("adam_w_mode", opt.adamWMode);
  params.read("bias_correction", opt.biasCorrection);
  params.read("torch_adam", opt.torchAdam);
  // torch.optim.AdamW, chosen by torch_adam, defaults to weight_decay 0.01; FusedAdam and
  // DeepSpeedCPUAdam default to 0.
  if (opt.torchAdam && opt.effectiveAdamWMode())
    opt.weightDecay = 0.01;
  params.read("weight_decay", opt.weightDecay, 0.0);
  if (params.boolean("amsgrad").value_or(false))
    params.error("amsgrad", "DeepSpeed's FusedAdam does not support the AMSGrad variant");
  params.accept({"set_grad_none", "fp32_optimizer_states", "foreach"});
}

void readSGDParams(Section &params, OptimizerConfig &opt) {
  params.read("lr", opt.lr, 0.0);
  params.read("momentum", opt.momentum, 0.0);
  params.read("dampening", opt.dampening);
  params.read("weight_decay", opt.weightDecay, 0.0);
  params.read("nesterov", opt.nesterov);
  params.read("maximize", opt.maximize);
  params.accept({"foreach", "differentiable", "fused"});
  if (opt.nesterov && (opt.momentum <= 0.0 || opt.dampening != 0.0))
    params.error("nesterov", "Nesterov momentum requires a momentum > 0 and zero dampening "
                             "(torch.optim.SGD refuses it otherwise)");
}

} // namespace

void parseOptimizer(Section &top, DSConfig &config) {
  const json::Object *block = top.object("optimizer");
  if (!block)
    return;
  Section section(*block, "optimizer", top.diagnostics(), /*autoIsDefault=*/false);
  section.accept({"legacy_fusion"});
  std::optional<std::string> type = section.string("type");
  if (!type) {
    if (!section.has("type"))
      section.error("type", "missing; expected \"Adam\", \"AdamW\" or \"SGD\"");
    section.reportUnknown();
    return;
  }

  OptimizerConfig opt;
  opt.type = *type;
  std::string lower = StringRef(*type).lower();
  bool known = true;
  if (lower == "adam") {
    opt.kind = OptimizerConfig::Kind::Adam;
  } else if (lower == "adamw") {
    opt.kind = OptimizerConfig::Kind::AdamW;
  } else if (*type == "SGD") {
    opt.kind = OptimizerConfig::Kind::SGD;
  } else if (lower == "sgd") {
    // Not a DeepSpeed optimizer: DeepSpeed looks it up as getattr(torch.optim, type).
    section.error("type", "expected \"SGD\" (DeepSpeed finds torch.optim.SGD by its exact "
                          "name), got \"" + *type + "\"");
    known = false;
  } else if (is_contained(kOtherDeepSpeedOptimizers, lower)) {
    section.error("type", "\"" + *type + "\" is a DeepSpeed optimizer ds does not implement "
                          "yet; expected \"Adam\", \"AdamW\" or \"SGD\"");
    known = false;
  } else {
    section.error("type", "expected \"Adam\", \"AdamW\" or \"SGD\", got \"" + *type + "\"");
    known = false;
  }

  if (const json::Object *paramsObject = section.object("params"); paramsObject && known) {
    Section params(*paramsObject, "optimizer.params", top.diagnostics(), false);
    if (params.has("max_grad_norm"))
      params.error("max_grad_norm", "not an optimizer parameter in DeepSpeed; use the "
                                    "top-level 'gradient_clipping'");
    if (opt.kind == OptimizerConfig::Kind::SGD)
      readSGDParams(params, opt);
    else
      readAdamParams(params, opt);
    params.reportUnknown();
  }
  section.reportUnknown();
  if (known)
    config.optimizer = opt;
}

namespace {

// DeepSpeed takes a list per parameter group; ds has one group, so only a number.
void readLR(Section &params, StringRef key, double &out) {
  if (const json::Value *value = params.get(key); value && value->getAsArray()) {
    params.error(key, "expected a number (ds has one parameter group, so no per-group list), " +
                          describe(*value));
    return;
  }
  params.read(key, out, 0.0);
}

void readWarmupType(Section &params, SchedulerConfig &sched) {
  std::optional<std::string> type = params.string("warmup_type");
  if (!type)
    return;
  if (*type == "log") {
    sched.warmupType = SchedulerConfig::WarmupType::Log;
  } else if (*type == "linear") {
    sched.warmupType = SchedulerConfig::WarmupType::Linear;
  } else {
    // DeepSpeed logs a warning and falls back to log; so do we.
    params.diagnostics().warning("'" + params.pathOf("warmup_type") + "': unknown warmup type \"" +
                                 *type + "\"; DeepSpeed falls back to \"log\"");
    sched.warmupType = SchedulerConfig::WarmupType::Log;
  }
}

void readSchedulerParams(Section &params, SchedulerConfig &sched) {
  using Kind = SchedulerConfig::Kind;
  const bool cosine = sched.kind == Kind::WarmupCosineLR;
  if (cosine) {
    for (StringRef key : {"warmup_min_lr", "warmup_max_lr"})
      if (params.has(key))
        params.error(key, "not a parameter of WarmupCosineLR, which scales the optimizer's lr "
                          "(optimizer.params.lr) by a ratio; use warmup_min_ratio");
    params.read("warmup_min_ratio", sched.warmupMinRatio, 0.0);
    params.read("cos_min_ratio", sched.cosMinRatio, 0.0);
  } else {
    readLR(params, "warmup_min_lr", sched.warmupMinLR);
    if (params.has("warmup_max_lr")) {
      double maxLR = 0.0;
      readLR(params, "warmup_max_lr", maxLR);
      sched.warmupMaxLR = maxLR;
    }
    for (StringRef key : {"warmup_min_ratio", "cos_min_ratio"})
      if (params.has(key))
        params.error(key, "only WarmupCosineLR takes this parameter, not " + sched.type);
  }
  params.read("warmup_num_steps", sched.warmupNumSteps, 1);
  readWarmupType(params, sched);

  if (sched.kind != Kind::WarmupLR) {
    if (!params.has("total_num_steps"))
      params.error("total_num_steps", "missing; " + sched.type + " requires it");
    else
      sched.totalNumSteps = params.integer("total_num_steps", 1);
    int64_t warmup = std::max<int64_t>(2, sched.warmupNumSteps);
    if (sched.totalNumSteps && *sched.totalNumSteps < warmup)
      params.diagnostics().warning("'" + params.pathOf("total_num_steps") + "' (" +
                                   Twine(*sched.totalNumSteps) + ") is less than warmup_num_steps (" +
                                   Twine(warmup) + ")");
  } else if (params.has("total_num_steps")) {
    params.error("total_num_steps", "WarmupLR takes no total_num_steps (it holds the peak lr "
                                    "after warmup); use WarmupDecayLR to decay");
  }

  // A schedule resumed mid-way is restored from a checkpoint, not from the config.
  if (auto last = params.integer("last_batch_iteration"); last && *last != -1)
    params.error("last_batch_iteration", "expected -1 (resuming is done from a checkpoint), got " +
                                             Twine(*last));
}

} // namespace

void parseScheduler(Section &top, DSConfig &config) {
  const json::Object *block = top.object("scheduler");
  if (!block)
    return;
  Section section(*block, "scheduler", top.diagnostics(), /*autoIsDefault=*/false);
  std::optional<std::string> type = section.string("type");
  if (!type) {
    if (!section.has("type"))
      section.error("type", "missing; expected \"WarmupLR\", \"WarmupDecayLR\" or "
                            "\"WarmupCosineLR\"");
    section.reportUnknown();
    return;
  }

  SchedulerConfig sched;
  sched.type = *type;
  // DeepSpeed finds the class with getattr(lr_schedules, type): the spelling must be exact.
  if (*type == "WarmupLR") {
    sched.kind = SchedulerConfig::Kind::WarmupLR;
  } else if (*type == "WarmupDecayLR") {
    sched.kind = SchedulerConfig::Kind::WarmupDecayLR;
  } else if (*type == "WarmupCosineLR") {
    sched.kind = SchedulerConfig::Kind::WarmupCosineLR;
  } else {
    if (*type == "OneCycle" || *type == "LRRangeTest")
      section.error("type", "\"" + *type + "\" is a DeepSpeed schedule ds does not implement "
                            "yet; expected \"WarmupLR\", \"WarmupDecayLR\" or \"WarmupCosineLR\"");
    else
      section.error("type", "expected \"WarmupLR\", \"WarmupDecayLR\" or \"WarmupCosineLR\" "
                            "(spelled exactly; torch.optim.lr_scheduler classes are not "
                            "supported), got \"" + *type + "\"");
    section.accept({"params"});
    section.reportUnknown();
    return;
  }

  // DeepSpeed would call the class with **None and fail; ds takes the class's defaults.
  static const json::Object empty;
  const json::Object *paramsObject = section.object("params");
  if (!paramsObject && section.has("params")) {
    section.reportUnknown();
    return;
  }
  Section params(paramsObject ? *paramsObject : empty, "scheduler.params", top.diagnostics(),
                 false);
  readSchedulerParams(params, sched);
  params.reportUnknown();
  section.reportUnknown();
  config.scheduler = sched;
}

} // namespace detail
} // namespace ds::config
