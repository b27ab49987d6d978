// The "zero_optimization" block: DeepSpeed's DeepSpeedZeroConfig and its offload configs
// (deepspeed/runtime/zero/config.py, offload_config.py). Pydantic models, so "auto" means the
// default and each stage3_* key may also be spelled by its field name.
#include "ConfigReader.h"
#include "Sections.h"

using namespace llvm;

namespace ds::config::detail {
namespace {

// Keys DeepSpeed 0.19.8 refuses outright (_REMOVED_ZERO_CONFIG_KEYS).
struct RemovedKey {
  StringRef key;
  StringRef why;
};
constexpr RemovedKey kRemovedZeroKeys[] = {
    {"mics_shard_size", "MiCS ZeRO-3 sharding has been removed from DeepSpeed"},
    {"mics_hierarchical_params_gather", "MiCS ZeRO-3 sharding has been removed from DeepSpeed"},
    {"zeropp_loco_param", "LoCo-ZeRO++ has been removed from DeepSpeed; drop the key to use "
                          "plain quantized gradients"},
};

// Flags ds keeps only in the raw block for now; still type-checked.
constexpr StringRef kOtherBoolKeys[] = {
    "use_multi_rank_bucket_allreduce", "load_from_fp32_weights",
    "ignore_unused_parameters", "legacy_stage1", "round_robin_gradients",
    "parameter_alignment", "memory_efficient_linear", "pipeline_loading_checkpoint",
    "override_module_apply", "log_trace_cache_warnings", "enable_sanity_checks",
    "save_muon_momentum_buffer_in_memory"};

// A field with a pydantic alias (populate_by_name): either spelling sets it. Returns the key
// present, or "" when neither is; both at once is an error rather than a silent choice.
StringRef aliasedKey(Section &section, StringRef alias, StringRef name) {
  bool hasAlias = section.has(alias), hasName = section.has(name);
  if (hasAlias && hasName) {
    section.error(alias, "given twice, also as '" + section.pathOf(name) + "'; keep one");
    return "";
  }
  return hasAlias ? alias : hasName ? name : StringRef();
}

void readAliasedInt(Section &section, StringRef alias, StringRef name, int64_t &out,
                    std::optional<int64_t> min) {
  if (StringRef key = aliasedKey(section, alias, name); !key.empty())
    section.read(key, out, min);
}

void readAliasedBool(Section &section, StringRef alias, StringRef name) {
  if (StringRef key = aliasedKey(section, alias, name); !key.empty())
    section.boolean(key);
}

std::optional<OffloadConfig> parseOffload(Section &zero, StringRef key, bool forParams) {
  const json::Value *value = zero.get(key);
  if (!value || value->kind() == json::Value::Null)
    return std::nullopt; // Optional[...] = None: no offload
  const json::Object *block = zero.object(key);
  if (!block)
    return std::nullopt;
  Section section(*block, zero.pathOf(key), zero.diagnostics(), /*autoIsDefault=*/true);
  OffloadConfig offload;
  offload.raw = *block;
  offload.bufferCount = forParams ? 5 : 4;
  if (auto device = section.string("device")) {
    if (*device == "none")
      offload.device = OffloadConfig::Device::None;
    else if (*device == "cpu")
      offload.device = OffloadConfig::Device::CPU;
    else if (*device == "nvme")
      offload.device = OffloadConfig::Device::NVMe;
    else
      section.error("device", "expected \"none\", \"cpu\" or \"nvme\", got \"" + *device + "\"");
  }
  if (const json::Value *path = section.get("nvme_path"); path && path->kind() != json::Value::Null)
    if (auto text = section.string("nvme_path"))
      offload.nvmePath = *text;
  if (offload.device == OffloadConfig::Device::NVMe && offload.nvmePath.empty())
    section.error("nvme_path", "missing; device \"nvme\" needs a directory to swap to");
  section.read("buffer_count", offload.bufferCount, 0);
  section.read("pin_memory", offload.pinMemory);
  if (forParams) {
    section.read("buffer_size", offload.bufferSize, 0);
    section.read("max_in_cpu", offload.maxInCPU, 0);
  } else {
    section.read("pipeline_read", offload.pipelineRead);
    section.read("pipeline_write", offload.pipelineWrite);
    section.read("fast_init", offload.fastInit);
    section.read("ratio", offload.ratio, 0.0, 1.0);
    section.boolean("super_offload");
    section.number("cpuadam_cores_perc", 0.0, 1.0);
  }
  section.reportUnknown();
  return offload;
}

// The pre-dict form `"zero_optimization": true` (read_zero_config_deprecated).
void parseLegacyBool(Section &top, bool enabled, ZeroConfig &zero) {
  top.diagnostics().warning("'zero_optimization': a boolean is DeepSpeed's deprecated form; "
                            "write {\"stage\": N}");
  zero.stage = enabled ? 1 : 0;
  if (enabled)
    top.read("allgather_size", zero.allgatherBucketSize, 0);
}

// cpu_offload / cpu_offload_param: deprecated booleans meaning a cpu offload block.
void readDeprecatedOffload(Section &section, StringRef oldKey, StringRef newKey,
                           std::optional<OffloadConfig> &target, bool forParams) {
  std::optional<bool> value = section.boolean(oldKey);
  if (!value)
    return;
  section.diagnostics().warning("'" + section.pathOf(oldKey) + "' is deprecated; use '" +
                                section.pathOf(newKey) + "'");
  if (target) {
    section.error(oldKey, "cannot be given together with '" + section.pathOf(newKey) + "'");
    return;
  }
  if (*value) {
    OffloadConfig offload;
    offload.device = OffloadConfig::Device::CPU;
    offload.bufferCount = forParams ? 5 : 4;
    target = offload;
  }
}

} // namespace

void parseZero(Section &top, DSConfig &config) {
  ZeroConfig &zero = config.zero;
  const json::Value *value = top.get("zero_optimization");
  if (value && value->getAsBoolean()) {
    parseLegacyBool(top, *value->getAsBoolean(), zero);
    return;
  }
  const json::Object *block = top.object("zero_optimization");
  if (!block)
    return;
  zero.raw = *block;
  Section section(*block, "zero_optimization", top.diagnostics(), /*autoIsDefault=*/true);
  for (const RemovedKey &removed : kRemovedZeroKeys)
    if (section.has(removed.key))
      section.error(removed.key, removed.why);

  if (auto stage = section.integer("stage", 0, 3))
    zero.stage = static_cast<int>(*stage);
  section.read("contiguous_gradients", zero.contiguousGradients);
  section.read("reduce_scatter", zero.reduceScatter);
  section.read("reduce_bucket_size", zero.reduceBucketSize, 1);
  section.read("allgather_partitions", zero.allgatherPartitions);
  section.read("allgather_bucket_size", zero.allgatherBucketSize, 0);
  zero.overlapComm = zero.stage == 3;
  if (const json::Value *overlap = section.get("overlap_comm");
      overlap && overlap->kind() != json::Value::Null)
    section.read("overlap_comm", zero.overlapComm);
  if (section.boolean("compute_grad_norm") == std::optional<bool>(false) && zero.stage != 1 &&
      zero.stage != 2)
    section.error("compute_grad_norm", "false is supported only with ZeRO stage 1 or 2");
  if (section.boolean("elastic_checkpoint").value_or(false) && zero.stage == 3)
    section.diagnostics().warning("'zero_optimization.elastic_checkpoint': ZeRO-3 elastic "
                                  "checkpointing is no longer supported; use universal "
                                  "checkpoints");
  section.read("sub_group_size", zero.subGroupSize, 0);
  section.read("zero_hpz_partition_size", zero.hpzPartitionSize, 0);
  section.read("zero_quantized_weights", zero.quantizedWeights);
  section.read("zero_quantized_nontrainable_weights", zero.quantizedNontrainableWeights);
  section.read("zero_quantized_gradients", zero.quantizedGradients);
  for (StringRef key : kOtherBoolKeys)
    section.boolean(key);

  readAliasedInt(section, "stage3_prefetch_bucket_size", "prefetch_bucket_size",
                 zero.prefetchBucketSize, 0);
  readAliasedInt(section, "stage3_param_persistence_threshold", "param_persistence_threshold",
                 zero.paramPersistenceThreshold, 0);
  readAliasedInt(section, "stage3_model_persistence_threshold", "model_persistence_threshold",
                 zero.modelPersistenceThreshold, 0);
  readAliasedInt(section, "stage3_max_live_parameters", "max_live_parameters",
                 zero.maxLiveParameters, 0);
  readAliasedInt(section, "stage3_max_reuse_distance", "max_reuse_distance",
                 zero.maxReuseDistance, 0);
  // DeepSpeed's runtime decides when to release a fetched parameter by these two; ds decides at
  // compile time (each gathered weight is freed after its last use in the forward or the
  // backward pass), so a value other than the default changes nothing: say so rather than
  // ignore it.
  const ZeroConfig defaults;
  const std::tuple<const char *, int64_t, int64_t> releaseKnobs[] = {
      {"stage3_max_live_parameters", zero.maxLiveParameters, defaults.maxLiveParameters},
      {"stage3_max_reuse_distance", zero.maxReuseDistance, defaults.maxReuseDistance}};
  for (auto [key, value, fallback] : releaseKnobs)
    if (zero.stage == 3 && value != fallback)
      section.diagnostics().warning(
          "'zero_optimization." + std::string(key) + "' (" + std::to_string(value) +
          ") is not applied: ds frees each gathered parameter after its last use in the "
          "forward or the backward pass (ds-opt --ds-memory-report shows what stays live)");
  int64_t granularity = 0;
  readAliasedInt(section, "stage3_module_granularity_threshold", "module_granularity_threshold",
                 granularity, std::nullopt);
  readAliasedBool(section, "stage3_gather_16bit_weights_on_model_save",
                  "gather_16bit_weights_on_model_save");
  readAliasedBool(section, "stage3_use_all_reduce_for_fetch_params",
                  "use_all_reduce_for_fetch_params");
  readAliasedBool(section, "stage3_allgather_sequential", "allgather_sequential");
  if (section.boolean("stage3_gather_fp16_weights_on_model_save"))
    section.diagnostics().warning(
        "'zero_optimization.stage3_gather_fp16_weights_on_model_save' is deprecated; use "
        "'zero_optimization.stage3_gather_16bit_weights_on_model_save'");

  zero.offloadParam = parseOffload(section, "offload_param", /*forParams=*/true);
  zero.offloadOptimizer = parseOffload(section, "offload_optimizer", /*forParams=*/false);
  readDeprecatedOffload(section, "cpu_offload_param", "offload_param", zero.offloadParam, true);
  readDeprecatedOffload(section, "cpu_offload", "offload_optimizer", zero.offloadOptimizer,
                        false);
  if (section.boolean("cpu_offload_use_pin_memory"))
    section.diagnostics().warning("'zero_optimization.cpu_offload_use_pin_memory' is "
                                  "deprecated; use pin_memory in offload_param or "
                                  "offload_optimizer");
  if (zero.offloadOptimizer && zero.offloadOptimizer->ratio < 1.0 && zero.stage != 3)
    section.error("offload_optimizer", "a ratio below 1 (partial offload) needs ZeRO stage 3");

  // Blocks later work will read; kept in raw.
  section.accept({"zenflow", "leaf_module"});
  section.reportUnknown();
}

void checkCrossSection(Diagnostics &diag, const DSConfig &config) {
  if (config.fp16.enabled && config.bf16.enabled)
    diag.error("'fp16.enabled' and 'bf16.enabled' are both true: bfloat16 and fp16 modes cannot "
               "be simultaneously enabled");
  const bool zeroPartitions = config.zero.stage >= 1;
  if (config.fp16.masterWeightsAndGrads && !zeroPartitions)
    diag.error("fp16.fp16_master_weights_and_grads",
               "is only supported with ZeRO stage 1, 2 or 3 (zero_optimization.stage is 0)");
  if (config.bf16.masterWeightsAndGrads && !zeroPartitions)
    diag.error("bf16.bf16_master_weights_and_grads",
               "is only supported with ZeRO stage 1, 2 or 3 (zero_optimization.stage is 0)");
  if (config.bf16.optimizerStates) {
    if (!zeroPartitions)
      diag.error("bf16.bf16_optimizer_states",
                 "is only supported with ZeRO stage 1, 2 or 3 (zero_optimization.stage is 0)");
    else if (!config.bf16.masterWeightsAndGrads)
      diag.error("bf16.bf16_optimizer_states",
                 "requires bf16.bf16_master_weights_and_grads to be enabled");
  }
  if (config.gradientAllreduceOp == "sum" && config.zero.stage == 3)
    diag.error("gradient_allreduce_op", "\"sum\" is not supported with ZeRO stage 3");
}

} // namespace ds::config::detail
