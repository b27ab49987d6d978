// Training checkpoints: the fp32 master weights, the optimizer state and the trainer's own state
// (step, schedules, data position, ...), saved so that a crash at any moment leaves the previous
// checkpoint loadable, and loaded so that a bad file never half-applies.
//
// On disk, DIR/step_00000012/ holds model.safetensors and optimizer.safetensors (one entry per
// tensor name, so a later tool can reshard without a new format) and trainer_state.json (format
// version, step, the state map, the size and CRC-32 of each file). DIR/latest names the newest
// complete step directory. One process writes a given DIR at a time.
#ifndef DS_RUNTIME_TRAIN_CHECKPOINT_H
#define DS_RUNTIME_TRAIN_CHECKPOINT_H

#include "ds/Runtime/DType.h"
#include "ds/Runtime/Shape.h"
#include "ds/Runtime/Status.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace ds::rt {

// One tensor to save, or the destination of one to load (which must match its dtype and shape).
struct CheckpointTensor {
  std::string name; // kept as given, e.g. "blocks.0.attn.c_attn.weight.exp_avg"
  DType dtype = DType::F32;
  Shape shape;
  void *data = nullptr; // save: read from here; load: written here
};

struct CheckpointContents {
  std::vector<CheckpointTensor> weights;        // -> model.safetensors
  std::vector<CheckpointTensor> optimizerState; // -> optimizer.safetensors
  // Trainer state as strings: lr-schedule and loss-scale state, data position, world size, plan
  // fingerprint, ... Write doubles with formatExactDouble so they round-trip exactly.
  std::map<std::string, std::string> state;
};

struct LoadedCheckpoint {
  uint64_t step = 0;
  std::string directory; // the step directory that was read
  std::map<std::string, std::string> state;
};

// Writes DIR/step_<8-digit step>/ (creating DIR if needed) through a temporary sibling directory:
// each file is fsync'ed, the directory is renamed into place and DIR fsync'ed, then DIR/latest is
// replaced atomically. An existing step directory is an error, never modified. On any error the
// temporary is removed and the previous checkpoint and `latest` are untouched. Temporaries left
// by a crashed save are removed by the next save.
Status saveCheckpoint(const std::string &dir, uint64_t step, const CheckpointContents &contents);

// Reads the step directory DIR/latest names, or DIR itself if it is a step directory. Every
// requested tensor must exist in its file with the same dtype and shape; the files must match the
// sizes and checksums trainer_state.json records. Everything is read and checked before the first
// destination is written, so an error (naming the file and the tensor or key) changes nothing.
// Tensors in the files that nobody requested are ignored.
StatusOr<LoadedCheckpoint> loadCheckpoint(const std::string &dir,
                                          const std::vector<CheckpointTensor> &weights,
                                          const std::vector<CheckpointTensor> &optimizerState);

// "step_00000012": the directory name of a step.
std::string checkpointStepName(uint64_t step);
// A double as text that strtod reads back to the same bits (%.17g; inf and nan as "inf", "nan").
std::string formatExactDouble(double value);

// Tests only: called with a stage name ("model.safetensors", "optimizer.safetensors",
// "trainer_state.json" once each file is durable, "renamed" once the step directory is in place,
// "latest" at the end) so a test can make the process die there. nullptr turns it off.
void setCheckpointSaveHookForTesting(void (*hook)(const char *stage));

} // namespace ds::rt

#endif // DS_RUNTIME_TRAIN_CHECKPOINT_H
