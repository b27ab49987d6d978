// The POSIX file operations a crash-safe checkpoint needs (create-exclusive, fsync of files and
// directories, rename without replacing), each returning a Status that names the path and errno.
#ifndef DS_LIB_RUNTIME_TRAIN_FILEOPS_H
#define DS_LIB_RUNTIME_TRAIN_FILEOPS_H

#include "ds/Runtime/Status.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ds::rt::fileops {

// A new file (it must not exist) written front to back. The CRC-32 of the bytes is computed as
// they go out, so the data is read once. finish() fsyncs and closes; a writer destroyed before
// that closes the file and leaves it for the caller to delete.
class NewFile {
public:
  static StatusOr<NewFile> create(const std::string &path);
  NewFile(NewFile &&other) noexcept;
  NewFile &operator=(NewFile &&) = delete;
  ~NewFile();

  Status write(const void *data, size_t size);
  Status finish();
  uint32_t crc32() const { return crc_; }
  uint64_t bytes() const { return bytes_; }

private:
  NewFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  std::string path_;
  int fd_ = -1;
  uint32_t crc_ = 0;
  uint64_t bytes_ = 0;
};

// create + write + finish in one call.
Status writeNewFile(const std::string &path, std::string_view contents);
// The whole file.
StatusOr<std::string> readFile(const std::string &path);

bool exists(const std::string &path);
bool isDirectory(const std::string &path);
// Creates `path` and any missing parents (mkdir -p); fsyncs the parent of each one it creates.
Status makeDirectories(const std::string &path);
// Makes a directory's entries (created, renamed files) durable.
Status syncDirectory(const std::string &path);
// Names in a directory, without "." and "..".
StatusOr<std::vector<std::string>> listDirectory(const std::string &path);
// Removes a file or a directory tree; best effort, for cleaning up temporaries.
void removeTree(const std::string &path);
// rename(2) that fails with EEXIST instead of replacing `to` (where the filesystem allows).
Status renameNoReplace(const std::string &from, const std::string &to);
// rename(2): atomically replaces `to`.
Status renameReplace(const std::string &from, const std::string &to);

} // namespace ds::rt::fileops

#endif // DS_LIB_RUNTIME_TRAIN_FILEOPS_H
