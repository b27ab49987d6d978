// Reading ds_config.json: the JSON itself, the top-level keys, and DeepSpeed's batch-size rules.
#include "ds/Config/DSConfig.h"

#include "ConfigReader.h"
#include "Sections.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"

using namespace llvm;

namespace ds::config {
using detail::Diagnostics;
using detail::Section;

StringRef DSConfig::precision() const {
  if (fp16.enabled)
    return "fp16";
  if (bf16.enabled)
    return "bf16";
  return "fp32";
}

namespace {

// Top-level keys DeepSpeed 0.19.8 reads that ds does not (yet) act on: accepted silently and kept
// in DSConfig::raw.
constexpr StringRef kAcceptedTopLevel[] = {
    "activation_checkpointing", "aio", "allgather_size", "autotuning", "comet",
    "comms_logger", "compile", "csv_monitor", "data_efficiency", "data_types",
    "dataloader_drop_last", "datastates_ckpt", "disable_allgather", "disable_python_gc",
    "dump_state", "expert_parallel", "flops_profiler", "hybrid_engine", "log_level",
    "managed_gradient_accumulation", "memory_breakdown", "pipeline",
    "seq_parallel_communication_data_type", "sequence_parallel_size", "tensor_parallel",
    "tensorboard", "timers", "torch_autocast", "use_data_before_expert_parallelism",
    "vocabulary_size", "wandb", "weight_quantization", "zero_allow_untested_optimizer",
    "zero_force_ds_cpu_optimizer"};

// Blocks DeepSpeed 0.19.8 refuses outright (_reject_removed_config_keys): a leftover block would
// otherwise be silently ignored.
struct RemovedKey {
  StringRef key;
  StringRef why;
};
constexpr RemovedKey kRemovedTopLevel[] = {
    {"nebula", "Nebula checkpointing has been removed from DeepSpeed"},
    {"compression_training", "the DeepSpeed compression library has been removed"},
    {"amp", "NVIDIA Apex AMP integration has been removed; use 'fp16' or 'bf16'"},
    {"quantize_training", "Mixture-of-Quantization (MoQ) has been removed"},
    {"sparse_gradients", "sparse compression of dense embedding gradients has been removed"},
    {"eigenvalue", "eigenvalue-based MoQ has been removed"},
    {"sparse_attention", "DeepSpeed Sparse Attention has been removed"},
    {"elasticity", "elastic training has been removed; set the batch keys directly"},
    {"graph_harvesting", "graph harvesting has been removed"},
    {"curriculum_learning",
     "top-level 'curriculum_learning' has been removed; use "
     "'data_efficiency.data_sampling.curriculum_learning'"},
    {"progressive_layer_drop", "Progressive Layer Dropping has been removed"},
};

// DeepSpeed reads the file with hjson, which also takes comments, trailing commas and unquoted
// keys; ds reads plain JSON and says so when that may be the difference.
constexpr StringRef kStrictJSONNote =
    " (ds reads strict JSON: no comments, trailing commas or unquoted keys)";

// "[3:14, byte=40]: Expected , or }" from llvm::json::ParseError, whose fields are private. Its
// line is 1-based; its column counts from 0 but is taken after the parser consumed the offending
// character, so it reads as that character's 1-based column.
std::string jsonParseError(StringRef fileName, Error err) {
  std::string text = toString(std::move(err));
  StringRef rest = text;
  unsigned line = 0, column = 0;
  if (rest.consume_front("[") && !rest.consumeInteger(10, line) && rest.consume_front(":") &&
      !rest.consumeInteger(10, column)) {
    size_t colon = rest.find("]: ");
    StringRef message = colon == StringRef::npos ? rest : rest.drop_front(colon + 3);
    return (fileName + ":" + Twine(line) + ":" + Twine(std::max(column, 1u)) +
            ": error: malformed JSON: " + message + kStrictJSONNote)
        .str();
  }
  return (fileName + ": error: malformed JSON: " + text).str();
}

// A batch key: null means absent, as DeepSpeed's get_scalar_param returns None for both.
std::optional<int64_t> batchKey(Section &top, StringRef key) {
  const json::Value *value = top.get(key);
  if (!value || value->kind() == json::Value::Null)
    return std::nullopt;
  return top.integer(key, 1);
}

void parseTopLevelScalars(Section &top, DSConfig &config) {
  config.trainBatchSize = batchKey(top, "train_batch_size");
  config.microBatchSizePerGPU = batchKey(top, "train_micro_batch_size_per_gpu");
  config.gradientAccumulationSteps = batchKey(top, "gradient_accumulation_steps");

  top.read("gradient_clipping", config.gradientClipping, 0.0);
  if (const json::Value *v = top.get("steps_per_print"); v && v->kind() != json::Value::Null)
    config.stepsPerPrint = top.integer("steps_per_print", 1); // DeepSpeed takes it modulo
  top.read("wall_clock_breakdown", config.wallClockBreakdown);
  top.read("prescale_gradients", config.prescaleGradients);
  top.read("gradient_predivide_factor", config.gradientPredivideFactor, 0.0);

  // DeepSpeed lower-cases both before comparing.
  if (auto op = top.string("gradient_allreduce_op")) {
    std::string lower = StringRef(*op).lower();
    if (lower == "mean" || lower == "sum")
      config.gradientAllreduceOp = lower;
    else
      top.error("gradient_allreduce_op", "expected \"mean\" or \"sum\", got \"" + *op + "\"");
  }
  if (const json::Value *v = top.get("communication_data_type");
      v && v->kind() != json::Value::Null) {
    if (auto type = top.string("communication_data_type")) {
      std::string lower = StringRef(*type).lower();
      if (lower == "fp32" || lower == "fp16" || lower == "bf16")
        config.communicationDataType = lower;
      else
        top.error("communication_data_type",
                  "expected \"fp32\", \"fp16\" or \"bf16\", got \"" + *type + "\"");
    }
  }

  for (const RemovedKey &removed : kRemovedTopLevel)
    if (top.get(removed.key))
      top.error(removed.key, removed.why);
  for (StringRef key : kAcceptedTopLevel)
    top.accept({key});
}

Expected<ParsedConfig> parseObject(const json::Object &root, StringRef fileName) {
  ParsedConfig parsed;
  DSConfig &config = parsed.config;
  config.fileName = fileName.str();
  config.raw = root;
  Diagnostics diag(fileName.str());
  Section top(root, "", diag, /*autoIsDefault=*/false);

  parseTopLevelScalars(top, config);
  detail::parseOptimizer(top, config);
  detail::parseScheduler(top, config);
  detail::parsePrecision(top, config);
  detail::parseZero(top, config);
  detail::parseCheckpoint(top, config);
  detail::checkCrossSection(diag, config);
  top.reportUnknown();

  if (Error err = diag.takeError())
    return std::move(err);
  parsed.warnings = diag.takeWarnings();
  return parsed;
}

// Checked a * b for the batch product; DeepSpeed's Python ints cannot overflow, ours can.
bool mulOverflows(int64_t a, int64_t b, int64_t &out) { return __builtin_mul_overflow(a, b, &out); }

} // namespace

Expected<ParsedConfig> parseDSConfig(StringRef text, StringRef fileName) {
  Expected<json::Value> value = json::parse(text);
  if (!value)
    return createStringError(inconvertibleErrorCode(),
                             jsonParseError(fileName, value.takeError()));
  if (std::vector<std::string> duplicates = detail::findDuplicateKeys(text, fileName);
      !duplicates.empty())
    return createStringError(inconvertibleErrorCode(), join(duplicates, "\n"));
  const json::Object *root = value->getAsObject();
  if (!root)
    return createStringError(inconvertibleErrorCode(),
                             (fileName + ": error: the top level must be a JSON object, " +
                              detail::describe(*value))
                                 .str());
  return parseObject(*root, fileName);
}

Expected<ParsedConfig> readDSConfigFile(StringRef path) {
  ErrorOr<std::unique_ptr<MemoryBuffer>> buffer = MemoryBuffer::getFile(path, /*IsText=*/true);
  if (!buffer)
    return createStringError(buffer.getError(),
                             (path + ": error: cannot read: " + buffer.getError().message()).str());
  return parseDSConfig((*buffer)->getBuffer(), path);
}

Expected<BatchSizes> resolveBatchSizes(const DSConfig &config, int64_t dataParallelSize) {
  auto fail = [&](const Twine &message) {
    return createStringError(inconvertibleErrorCode(),
                             (config.fileName + ": error: " + message).str());
  };
  if (dataParallelSize < 1)
    return fail("the data-parallel size must be at least 1, got " + Twine(dataParallelSize));

  const std::optional<int64_t> &train = config.trainBatchSize;
  const std::optional<int64_t> &micro = config.microBatchSizePerGPU;
  const std::optional<int64_t> &accum = config.gradientAccumulationSteps;
  const int64_t dp = dataParallelSize;
  BatchSizes sizes;
  // How each derived value came about, for the messages: DeepSpeed's floor divisions can make
  // the keys disagree, and a user should see which division did it.
  std::string trainHow, microHow, accumHow;

  if (train && micro && accum) {
    sizes = {*train, *micro, *accum};
  } else if (train && micro) {
    sizes = {*train, *micro, *train / *micro / dp};
    accumHow = formatv("derived as train_batch_size {0} // train_micro_batch_size_per_gpu {1} "
                       "// data-parallel size {2}",
                       *train, *micro, dp);
  } else if (train && accum) {
    sizes = {*train, *train / dp / *accum, *accum};
    microHow = formatv("derived as train_batch_size {0} // data-parallel size {1} "
                       "// gradient_accumulation_steps {2}",
                       *train, dp, *accum);
  } else if (micro && accum) {
    int64_t perRank = 0, total = 0;
    if (mulOverflows(*micro, *accum, perRank) || mulOverflows(perRank, dp, total))
      return fail("train_micro_batch_size_per_gpu * gradient_accumulation_steps * data-parallel "
                  "size overflows a 64-bit integer");
    sizes = {total, *micro, *accum};
  } else if (train) {
    sizes = {*train, *train / dp, 1};
    microHow = formatv("derived as train_batch_size {0} // data-parallel size {1}", *train, dp);
  } else if (micro) {
    int64_t total = 0;
    if (mulOverflows(*micro, dp, total))
      return fail("train_micro_batch_size_per_gpu * data-parallel size overflows a 64-bit "
                  "integer");
    sizes = {total, *micro, 1};
  } else {
    return fail("either 'train_batch_size' or 'train_micro_batch_size_per_gpu' needs to be "
                "provided" +
                Twine(accum ? " ('gradient_accumulation_steps' alone does not fix the batch)"
                            : ""));
  }

  auto how = [](const std::string &text) { return text.empty() ? "" : " (" + text + ")"; };
  // The given keys are >= 1 already; only a derived one can reach 0 here.
  if (sizes.microBatchSizePerGPU <= 0)
    return fail("'train_micro_batch_size_per_gpu' is " + Twine(sizes.microBatchSizePerGPU) +
                how(microHow) + "; it has to be greater than 0");
  if (sizes.gradientAccumulationSteps <= 0)
    return fail("'gradient_accumulation_steps' is " + Twine(sizes.gradientAccumulationSteps) +
                how(accumHow) + "; it has to be greater than 0");

  int64_t perRank = 0, product = 0;
  if (mulOverflows(sizes.microBatchSizePerGPU, sizes.gradientAccumulationSteps, perRank) ||
      mulOverflows(perRank, dp, product) || product != sizes.trainBatchSize)
    return fail(formatv("batch sizes disagree: train_batch_size {0} != "
                        "train_micro_batch_size_per_gpu {1}{2} * gradient_accumulation_steps "
                        "{3}{4} * data-parallel size {5}",
                        sizes.trainBatchSize, sizes.microBatchSizePerGPU, how(microHow),
                        sizes.gradientAccumulationSteps, how(accumHow), dp)
                    .str());
  return sizes;
}

} // namespace ds::config
