// The "fp16" and "bf16" (or legacy "bfloat16") blocks: DeepSpeed's DeepSpeedFP16Config and
// DeepSpeedBF16Config (deepspeed/runtime/precision_config.py), pydantic models, so "auto" means
// the default.
#include "ConfigReader.h"
#include "Sections.h"

using namespace llvm;

namespace ds::config::detail {
namespace {

void parseFP16(Section &top, FP16Config &fp16) {
  const json::Object *block = top.object("fp16");
  if (!block)
    return;
  Section section(*block, "fp16", top.diagnostics(), /*autoIsDefault=*/true);
  section.read("enabled", fp16.enabled);
  section.read("auto_cast", fp16.autoCast);
  section.read("loss_scale", fp16.lossScale, 0.0); // 0 selects dynamic scaling
  // 2^power must be a finite float32 scale: the loss is multiplied by it.
  section.read("initial_scale_power", fp16.initialScalePower, -126, 127);
  section.read("loss_scale_window", fp16.lossScaleWindow);
  section.read("hysteresis", fp16.hysteresis);
  section.read("consecutive_hysteresis", fp16.consecutiveHysteresis);
  section.read("min_loss_scale", fp16.minLossScale);
  section.read("fp16_master_weights_and_grads", fp16.masterWeightsAndGrads);

  // DeepSpeed validates these only when they take effect (enabled, dynamic): a static-scale
  // config may carry unused values.
  if (fp16.enabled && fp16.dynamic()) {
    if (fp16.lossScaleWindow <= 0)
      section.error("loss_scale_window", "must be > 0 with dynamic loss scaling (loss_scale 0), "
                                         "got " + Twine(fp16.lossScaleWindow));
    if (fp16.minLossScale <= 0)
      section.error("min_loss_scale", "must be > 0 with dynamic loss scaling (loss_scale 0), "
                                      "got " + Twine(fp16.minLossScale));
    // DeepSpeed accepts 0 or less, and its DynamicLossScaler then never lowers the scale: every
    // later step overflows and is skipped.
    if (fp16.hysteresis < 1)
      section.error("hysteresis", "must be >= 1 with dynamic loss scaling (with " +
                                      Twine(fp16.hysteresis) +
                                      " DeepSpeed's scaler never lowers the scale), got " +
                                      Twine(fp16.hysteresis));
  }
  section.reportUnknown();
}

void parseBF16(Section &top, BF16Config &bf16) {
  // DeepSpeed reads "bfloat16" only when "bf16" is absent or null.
  StringRef key = "bf16";
  const json::Value *bf16Value = top.get("bf16");
  if (!bf16Value || bf16Value->kind() == json::Value::Null) {
    key = "bfloat16";
  } else if (top.get("bfloat16")) {
    top.diagnostics().warning("'bfloat16' is ignored because 'bf16' is present");
  }
  const json::Object *block = top.object(key);
  if (!block)
    return;
  Section section(*block, key.str(), top.diagnostics(), /*autoIsDefault=*/true);
  section.read("enabled", bf16.enabled);
  section.read("immediate_grad_update", bf16.immediateGradUpdate);
  section.read("check_grad_overflow", bf16.checkGradOverflow);
  section.read("bf16_master_weights_and_grads", bf16.masterWeightsAndGrads);
  section.read("bf16_optimizer_states", bf16.optimizerStates);
  section.reportUnknown();
}

} // namespace

void parsePrecision(Section &top, DSConfig &config) {
  parseFP16(top, config.fp16);
  parseBF16(top, config.bf16);
}

} // namespace ds::config::detail
