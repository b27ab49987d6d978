// Writing and checking trainer_state.json. The self-checksum covers the canonical text of every
// member before it; the reader re-encodes what it parsed and compares, so the check needs no
// byte-exact slicing of the file and any change to a value is caught.
#include "TrainerStateFile.h"

#include "Crc32.h"
#include "Json.h"

namespace ds::rt {

namespace {
constexpr const char *kFormatName = "ds-checkpoint";

// Everything but the checksum member, without the closing brace.
std::string encodeBody(const TrainerStateFile &file) {
  std::string out = "{\n  \"format\": \"";
  out += kFormatName;
  out += "\",\n  \"format_version\": " + std::to_string(kCheckpointFormatVersion);
  out += ",\n  \"step\": " + std::to_string(file.step);
  out += ",\n  \"files\": {";
  const char *sep = "\n    ";
  for (const auto &[name, record] : file.files) {
    out += sep;
    json::appendQuoted(out, name);
    out += ": {\"bytes\": " + std::to_string(record.bytes) +
           ", \"crc32\": " + std::to_string(record.crc32) + "}";
    sep = ",\n    ";
  }
  out += file.files.empty() ? "}" : "\n  }";
  out += ",\n  \"state\": {";
  sep = "\n    ";
  for (const auto &[key, value] : file.state) {
    out += sep;
    json::appendQuoted(out, key);
    out += ": ";
    json::appendQuoted(out, value);
    sep = ",\n    ";
  }
  out += file.state.empty() ? "}" : "\n  }";
  return out;
}

StatusOr<uint64_t> uintMember(const json::Value &object, const std::string &key,
                              const std::string &where) {
  const json::Value *v = object.find(key);
  if (!v)
    return Status::error("key \"" + where + key + "\" is missing");
  std::optional<uint64_t> n = v->asUint64();
  if (!n)
    return Status::error("key \"" + where + key + "\" is not a non-negative integer");
  return *n;
}
} // namespace

std::string encodeTrainerState(const TrainerStateFile &file) {
  std::string body = encodeBody(file);
  return body + ",\n  \"checksum\": " + std::to_string(crc32Update(0, body.data(), body.size())) +
         "\n}\n";
}

StatusOr<TrainerStateFile> decodeTrainerState(std::string_view text) {
  DS_ASSIGN_OR_RETURN(root, json::parse(text));
  if (!root.isObject())
    return Status::error("not a JSON object");
  const json::Value *format = root.find("format");
  if (!format || !format->isString() || format->text != kFormatName)
    return Status::error("key \"format\" is not \"" + std::string(kFormatName) + "\"");
  DS_ASSIGN_OR_RETURN(version, uintMember(root, "format_version", ""));
  if (version != kCheckpointFormatVersion)
    return Status::error("format_version " + std::to_string(version) + " is not supported (this build reads version " +
                         std::to_string(kCheckpointFormatVersion) + ")");

  TrainerStateFile file;
  DS_ASSIGN_OR_RETURN(step, uintMember(root, "step", ""));
  file.step = step;
  const json::Value *files = root.find("files");
  if (!files || !files->isObject())
    return Status::error("key \"files\" is missing or not an object");
  for (const auto &[name, record] : files->members) {
    std::string where = "files." + name + ".";
    if (!record.isObject())
      return Status::error("key \"files." + name + "\" is not an object");
    DS_ASSIGN_OR_RETURN(bytes, uintMember(record, "bytes", where));
    DS_ASSIGN_OR_RETURN(crc, uintMember(record, "crc32", where));
    if (crc > UINT32_MAX)
      return Status::error("key \"" + where + "crc32\" is out of range");
    file.files[name] = {bytes, static_cast<uint32_t>(crc)};
  }
  const json::Value *state = root.find("state");
  if (!state || !state->isObject())
    return Status::error("key \"state\" is missing or not an object");
  for (const auto &[key, value] : state->members) {
    if (!value.isString())
      return Status::error("key \"state." + key + "\" is not a string");
    file.state[key] = value.text;
  }

  DS_ASSIGN_OR_RETURN(recorded, uintMember(root, "checksum", ""));
  std::string body = encodeBody(file);
  uint32_t actual = crc32Update(0, body.data(), body.size());
  if (recorded != actual)
    return Status::error("checksum mismatch: the file was modified or is corrupt");
  return file;
}

} // namespace ds::rt
