// The safetensors file format (8-byte little-endian header length, a JSON header naming each
// tensor's dtype, shape and byte range, then the raw little-endian data), as Hugging Face's
// reference implementation writes and checks it. Checkpoints use it so any tool can read them.
#ifndef DS_RUNTIME_TRAIN_SAFETENSORS_H
#define DS_RUNTIME_TRAIN_SAFETENSORS_H

#include "ds/Runtime/DType.h"
#include "ds/Runtime/Shape.h"
#include "ds/Runtime/Status.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ds::rt {

// One tensor's header entry. The dtype is kept as safetensors spells it ("F32", "BF16", "I64",
// ...) because a file may hold types the runtime has no DType for (F64, BOOL).
struct SafetensorsEntry {
  std::string name;
  std::string dtype;
  Shape shape;
  // data_offsets: the tensor's bytes, relative to the first byte after the header.
  uint64_t begin = 0, end = 0;
};

// "F32" for DType::F32 and so on.
const char *safetensorsDTypeName(DType dtype);
// The runtime type of a safetensors dtype, if the runtime has one.
std::optional<DType> dtypeFromSafetensors(std::string_view name);
// Bytes per element of any dtype the format defines; 0 when `name` is not one.
int64_t safetensorsElementSize(std::string_view name);

struct SafetensorsLayout {
  // Written first: the 8-byte length, then the JSON header padded with spaces to a multiple of 8.
  std::string header;
  // The tensors' data follows the header in this order (indices into the entries).
  std::vector<size_t> order;
  uint64_t fileBytes = 0;
};

// Orders the data as the reference writer does (wider dtypes first, then by name, so every tensor
// is aligned to its element size), fills each entry's begin/end, and encodes the header. Errors
// name the tensor: an empty, reserved or repeated name, an unknown dtype, a negative dim.
StatusOr<SafetensorsLayout> layoutSafetensors(std::vector<SafetensorsEntry> &entries,
                                              const std::map<std::string, std::string> &metadata);

struct SafetensorsHeader {
  std::vector<SafetensorsEntry> entries; // in data order
  std::map<std::string, std::string> metadata;
  uint64_t dataStart = 0; // file offset of the data section
};

// Parses the header of a whole file's bytes and checks what the reference reader checks: a
// plausible header length, valid JSON, known dtypes, byte ranges that match dtype x shape and
// tile the data section exactly (so a truncated or extended file is an error).
StatusOr<SafetensorsHeader> parseSafetensors(std::string_view file);

} // namespace ds::rt

#endif // DS_RUNTIME_TRAIN_SAFETENSORS_H
