// trainer_state.json: the checkpoint's manifest. It holds the trainer's state map and, for each
// data file, its size and CRC-32, and carries a CRC-32 of its own content so that a flipped digit
// in a value (which would still parse) is caught too.
#ifndef DS_LIB_RUNTIME_TRAIN_TRAINERSTATEFILE_H
#define DS_LIB_RUNTIME_TRAIN_TRAINERSTATEFILE_H

#include "ds/Runtime/Status.h"

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace ds::rt {

struct CheckpointFileRecord {
  uint64_t bytes = 0;
  uint32_t crc32 = 0;
};

struct TrainerStateFile {
  uint64_t step = 0;
  std::map<std::string, CheckpointFileRecord> files; // by file name within the step directory
  std::map<std::string, std::string> state;
};

// Bumped when a reader of the old version could misread the new one.
constexpr uint64_t kCheckpointFormatVersion = 1;

std::string encodeTrainerState(const TrainerStateFile &file);
// Errors name the offending key; the caller prefixes the path.
StatusOr<TrainerStateFile> decodeTrainerState(std::string_view text);

} // namespace ds::rt

#endif // DS_LIB_RUNTIME_TRAIN_TRAINERSTATEFILE_H
