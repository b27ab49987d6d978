// Saving and loading checkpoints: the crash-safe write protocol and the validate-then-apply load.
#include "ds/Runtime/Train/Checkpoint.h"

#include "Crc32.h"
#include "FileOps.h"
#include "TrainerStateFile.h"
#include "ds/Runtime/Train/Safetensors.h"

#include <cstdio>
#include <cstring>
#include <unistd.h>

namespace ds::rt {

namespace {
constexpr const char *kModelFile = "model.safetensors";
constexpr const char *kOptimizerFile = "optimizer.safetensors";
constexpr const char *kStateFile = "trainer_state.json";
constexpr const char *kLatestFile = "latest";
// Names of in-progress saves; anything in DIR starting with it is a leftover of a crashed save.
constexpr const char *kTempPrefix = ".tmp.";

void (*saveHook)(const char *stage) = nullptr;
void reached(const char *stage) {
  if (saveHook)
    saveHook(stage);
}

std::string hex32(uint32_t v) {
  char text[16];
  std::snprintf(text, sizeof text, "0x%08x", v);
  return text;
}

std::string quoted(const std::string &s) { return "\"" + s + "\""; }

// Removes a temporary on every path out of a failed save.
class RemoveOnFailure {
public:
  explicit RemoveOnFailure(std::string path) : path_(std::move(path)) {}
  ~RemoveOnFailure() {
    if (!path_.empty())
      fileops::removeTree(path_);
  }
  void keep() { path_.clear(); }

private:
  std::string path_;
};

StatusOr<CheckpointFileRecord> writeTensorFile(const std::string &path,
                                               const std::vector<CheckpointTensor> &tensors) {
  std::vector<SafetensorsEntry> entries;
  for (const CheckpointTensor &t : tensors) {
    if (!t.data && numElements(t.shape) > 0)
      return Status::error(path + ": tensor " + quoted(t.name) + " has no data");
    entries.push_back({t.name, safetensorsDTypeName(t.dtype), t.shape});
  }
  auto layout = layoutSafetensors(entries, {{"format", "pt"}});
  if (!layout)
    return layout.status().withContext(path);
  DS_ASSIGN_OR_RETURN(file, fileops::NewFile::create(path));
  DS_RETURN_IF_ERROR(file.write(layout->header.data(), layout->header.size()));
  for (size_t index : layout->order) {
    const SafetensorsEntry &e = entries[index];
    DS_RETURN_IF_ERROR(file.write(tensors[index].data, e.end - e.begin));
  }
  DS_RETURN_IF_ERROR(file.finish());
  return CheckpointFileRecord{file.bytes(), file.crc32()};
}

// "ckpt/" and "ckpt" name the same directory; keep paths in messages clean.
StatusOr<std::string> normalizeDirectory(std::string dir) {
  while (dir.size() > 1 && dir.back() == '/')
    dir.pop_back();
  if (dir.empty())
    return Status::error("no checkpoint directory given");
  return dir;
}

void removeStaleTemporaries(const std::string &dir) {
  auto names = fileops::listDirectory(dir);
  if (!names)
    return;
  for (const std::string &name : *names)
    if (name.rfind(kTempPrefix, 0) == 0)
      fileops::removeTree(dir + "/" + name);
}

Status saveInto(const std::string &dir, uint64_t step, const CheckpointContents &contents) {
  DS_RETURN_IF_ERROR(fileops::makeDirectories(dir));
  removeStaleTemporaries(dir);
  std::string name = checkpointStepName(step);
  std::string final = dir + "/" + name;
  if (fileops::exists(final))
    return Status::error(final + " already exists; an existing checkpoint is never overwritten");

  std::string pid = std::to_string(::getpid());
  std::string temp = dir + "/" + kTempPrefix + name + "." + pid;
  DS_RETURN_IF_ERROR(fileops::makeDirectories(temp));
  RemoveOnFailure cleanup(temp);

  TrainerStateFile manifest;
  manifest.step = step;
  manifest.state = contents.state;
  DS_ASSIGN_OR_RETURN(model, writeTensorFile(temp + "/" + kModelFile, contents.weights));
  manifest.files[kModelFile] = model;
  reached(kModelFile);
  DS_ASSIGN_OR_RETURN(optimizer,
                      writeTensorFile(temp + "/" + kOptimizerFile, contents.optimizerState));
  manifest.files[kOptimizerFile] = optimizer;
  reached(kOptimizerFile);
  DS_RETURN_IF_ERROR(
      fileops::writeNewFile(temp + "/" + kStateFile, encodeTrainerState(manifest)));
  reached(kStateFile);

  DS_RETURN_IF_ERROR(fileops::syncDirectory(temp));
  DS_RETURN_IF_ERROR(fileops::renameNoReplace(temp, final));
  cleanup.keep();
  DS_RETURN_IF_ERROR(fileops::syncDirectory(dir));
  reached("renamed");

  // The step directory is complete; only now may `latest` name it.
  std::string latestTemp = dir + "/" + kTempPrefix + kLatestFile + "." + pid;
  RemoveOnFailure latestCleanup(latestTemp);
  Status latest = fileops::writeNewFile(latestTemp, name + "\n");
  if (latest)
    latest = fileops::renameReplace(latestTemp, dir + "/" + kLatestFile);
  if (latest)
    latest = fileops::syncDirectory(dir);
  if (!latest)
    return latest.withContext(final + " is complete but updating " + dir + "/" + kLatestFile +
                              " failed");
  latestCleanup.keep();
  reached(kLatestFile);
  return Status::ok();
}

// DIR itself when it holds a checkpoint, else the step directory DIR/latest names.
StatusOr<std::string> resolveStepDirectory(const std::string &dir) {
  if (fileops::exists(dir + "/" + kStateFile))
    return dir;
  if (!fileops::isDirectory(dir))
    return Status::error(dir + ": no such checkpoint directory");
  std::string latestPath = dir + "/" + kLatestFile;
  if (!fileops::exists(latestPath))
    return Status::error(dir + ": no checkpoint here (neither " + kLatestFile + " nor " +
                         kStateFile + " exists)");
  DS_ASSIGN_OR_RETURN(text, fileops::readFile(latestPath));
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' '))
    text.pop_back();
  bool plain = !text.empty() && text != "." && text != "..";
  for (char c : text)
    plain = plain && c != '/' && static_cast<unsigned char>(c) >= 0x20;
  if (!plain)
    return Status::error(latestPath + ": does not name a step directory");
  std::string stepDir = dir + "/" + text;
  if (!fileops::exists(stepDir + "/" + kStateFile))
    return Status::error(latestPath + " names " + text + ", which holds no complete checkpoint");
  return stepDir;
}

// One file's bytes, checked against the manifest, and where each requested tensor lies in them.
struct VerifiedFile {
  std::string bytes;
  // (offset in bytes, destination); offsets, not pointers, because the struct is moved around.
  std::vector<std::pair<size_t, const CheckpointTensor *>> copies;
};

StatusOr<VerifiedFile> readTensorFile(const std::string &stepDir, const char *fileName,
                                      const TrainerStateFile &manifest,
                                      const std::vector<CheckpointTensor> &requested) {
  std::string path = stepDir + "/" + fileName;
  auto record = manifest.files.find(fileName);
  if (record == manifest.files.end())
    return Status::error(stepDir + "/" + kStateFile + ": no record of " + fileName);
  VerifiedFile file;
  DS_ASSIGN_OR_RETURN(bytes, fileops::readFile(path));
  file.bytes = std::move(bytes);
  if (file.bytes.size() != record->second.bytes)
    return Status::error(path + ": " + std::to_string(file.bytes.size()) + " bytes, but " +
                         kStateFile + " records " + std::to_string(record->second.bytes) +
                         " (truncated or corrupt)");
  uint32_t crc = crc32Update(0, file.bytes.data(), file.bytes.size());
  if (crc != record->second.crc32)
    return Status::error(path + ": checksum mismatch (CRC-32 " + hex32(crc) + ", " + kStateFile +
                         " records " + hex32(record->second.crc32) + "): the file is corrupt");
  auto header = parseSafetensors(file.bytes);
  if (!header)
    return header.status().withContext(path);

  std::map<std::string_view, const SafetensorsEntry *> byName;
  for (const SafetensorsEntry &e : header->entries)
    byName[e.name] = &e;
  for (const CheckpointTensor &want : requested) {
    auto found = byName.find(want.name);
    if (found == byName.end())
      return Status::error(path + ": no tensor " + quoted(want.name));
    const SafetensorsEntry &e = *found->second;
    if (e.dtype != safetensorsDTypeName(want.dtype))
      return Status::error(path + ": tensor " + quoted(want.name) + " is " + e.dtype + ", but " +
                           safetensorsDTypeName(want.dtype) + " was requested");
    if (e.shape != want.shape)
      return Status::error(path + ": tensor " + quoted(want.name) + " has shape " +
                           shapeToString(e.shape) + ", but " + shapeToString(want.shape) +
                           " was requested");
    if (!want.data && e.end > e.begin)
      return Status::error(path + ": tensor " + quoted(want.name) + " has no destination");
    file.copies.emplace_back(header->dataStart + e.begin, &want);
  }
  return file;
}

void copyOut(const VerifiedFile &file) {
  for (const auto &[offset, dst] : file.copies)
    std::memcpy(dst->data, file.bytes.data() + offset,
                static_cast<size_t>(numElements(dst->shape) * dtypeSize(dst->dtype)));
}
} // namespace

std::string checkpointStepName(uint64_t step) {
  char text[32];
  std::snprintf(text, sizeof text, "step_%08llu", static_cast<unsigned long long>(step));
  return text;
}

std::string formatExactDouble(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.17g", value);
  return text;
}

void setCheckpointSaveHookForTesting(void (*hook)(const char *stage)) { saveHook = hook; }

Status saveCheckpoint(const std::string &dir, uint64_t step, const CheckpointContents &contents) {
  auto normalized = normalizeDirectory(dir);
  Status st = normalized ? saveInto(*normalized, step, contents) : normalized.status();
  return st.withContext("saving checkpoint step " + std::to_string(step));
}

StatusOr<LoadedCheckpoint> loadCheckpoint(const std::string &dir,
                                          const std::vector<CheckpointTensor> &weights,
                                          const std::vector<CheckpointTensor> &optimizerState) {
  DS_ASSIGN_OR_RETURN(normalized, normalizeDirectory(dir));
  DS_ASSIGN_OR_RETURN(stepDir, resolveStepDirectory(normalized));
  std::string statePath = stepDir + "/" + kStateFile;
  DS_ASSIGN_OR_RETURN(stateText, fileops::readFile(statePath));
  auto manifest = decodeTrainerState(stateText);
  if (!manifest)
    return manifest.status().withContext(statePath);
  DS_ASSIGN_OR_RETURN(model, readTensorFile(stepDir, kModelFile, *manifest, weights));
  DS_ASSIGN_OR_RETURN(optimizer,
                      readTensorFile(stepDir, kOptimizerFile, *manifest, optimizerState));

  // Everything is checked: only now are the destinations written.
  copyOut(model);
  copyOut(optimizer);
  LoadedCheckpoint loaded;
  loaded.step = manifest->step;
  loaded.directory = stepDir;
  loaded.state = std::move(manifest->state);
  return loaded;
}

} // namespace ds::rt
