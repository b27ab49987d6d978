// The "checkpoint" block (deepspeed/runtime/config.py get_checkpoint_* and
// model_checkpointing/config.py): read with DeepSpeed's case-insensitive enums.
#include "ConfigReader.h"
#include "Sections.h"

#include "llvm/ADT/StringExtras.h"

using namespace llvm;

namespace ds::config::detail {
namespace {

void parseWriter(Section &checkpoint) {
  const json::Value *value = checkpoint.get("writer");
  if (!value || value->kind() == json::Value::Null)
    return;
  const json::Object *block = checkpoint.object("writer");
  if (!block)
    return;
  Section writer(*block, checkpoint.pathOf("writer"), checkpoint.diagnostics(), false);
  if (auto type = writer.string("type")) {
    std::string upper = StringRef(*type).upper();
    if (upper != "MOCK" && upper != "PYTHON" && upper != "FAST")
      writer.error("type", "expected \"mock\", \"python\" or \"fast\", got \"" + *type + "\"");
  }
  if (auto unit = writer.string("data_parallel")) {
    std::string upper = StringRef(*unit).upper();
    if (upper != "REPLICA" && upper != "SOCKET" && upper != "MACHINE")
      writer.error("data_parallel",
                   "expected \"replica\", \"socket\" or \"machine\", got \"" + *unit + "\"");
  }
  writer.boolean("decoupled");
  writer.number("io_buffer_size", 0.0);
  writer.boolean("io_buffer_double");
  writer.boolean("show_statistics");
  writer.number("io_multiplier", 0.0);
  writer.reportUnknown();
}

} // namespace

void parseCheckpoint(Section &top, DSConfig &config) {
  const json::Object *block = top.object("checkpoint");
  if (!block)
    return;
  CheckpointConfig &checkpoint = config.checkpoint;
  checkpoint.raw = *block;
  Section section(*block, "checkpoint", top.diagnostics(), /*autoIsDefault=*/false);
  if (auto mode = section.string("tag_validation")) {
    std::string upper = StringRef(*mode).upper();
    if (upper == "WARN" || upper == "IGNORE" || upper == "FAIL")
      checkpoint.tagValidation = upper;
    else
      section.error("tag_validation",
                    "expected \"Warn\", \"Ignore\" or \"Fail\", got \"" + *mode + "\"");
  }
  section.read("load_universal", checkpoint.loadUniversal);
  section.read("use_node_local_storage", checkpoint.useNodeLocalStorage);
  section.boolean("checkpoint_serialization");
  if (const json::Object *parallel = section.object("parallel_write")) {
    Section parallelWrite(*parallel, "checkpoint.parallel_write", top.diagnostics(), false);
    parallelWrite.read("pipeline_stage", checkpoint.parallelWritePipelineStage);
    parallelWrite.reportUnknown();
  }
  parseWriter(section);
  section.reportUnknown();
}

} // namespace ds::config::detail
