// POSIX implementations; every error message is "PATH: what failed: strerror".
#include "FileOps.h"

#include "Crc32.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>

namespace ds::rt::fileops {

namespace {
Status errnoError(const std::string &path, const char *what, int err = errno) {
  return Status::error(path + ": " + what + ": " + std::error_code(err, std::generic_category()).message());
}

std::string parentOf(const std::string &path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos)
    return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// Writes are split so one call never exceeds what write(2) accepts at once on Linux.
constexpr size_t kMaxChunk = size_t{1} << 30;
} // namespace

StatusOr<NewFile> NewFile::create(const std::string &path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0)
    return errnoError(path, "cannot create");
  return NewFile(path, fd);
}

NewFile::NewFile(NewFile &&other) noexcept
    : path_(std::move(other.path_)), fd_(other.fd_), crc_(other.crc_), bytes_(other.bytes_) {
  other.fd_ = -1;
}

NewFile::~NewFile() {
  if (fd_ >= 0)
    ::close(fd_);
}

Status NewFile::write(const void *data, size_t size) {
  if (fd_ < 0)
    return Status::error(path_ + ": write after close");
  const char *p = static_cast<const char *>(data);
  crc_ = crc32Update(crc_, p, size);
  while (size > 0) {
    ssize_t n = ::write(fd_, p, std::min(size, kMaxChunk));
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return errnoError(path_, "write failed");
    // A short write without an error is how some filesystems report a full disk; the next write
    // then fails with the reason.
    p += n;
    size -= static_cast<size_t>(n);
    bytes_ += static_cast<uint64_t>(n);
  }
  return Status::ok();
}

Status NewFile::finish() {
  if (fd_ < 0)
    return Status::error(path_ + ": closed twice");
  // fsync is where delayed-allocation filesystems report ENOSPC and I/O errors.
  int rc;
  do
    rc = ::fsync(fd_);
  while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    Status s = errnoError(path_, "fsync failed");
    ::close(fd_);
    fd_ = -1;
    return s;
  }
  rc = ::close(fd_);
  fd_ = -1;
  if (rc != 0)
    return errnoError(path_, "close failed");
  return Status::ok();
}

Status writeNewFile(const std::string &path, std::string_view contents) {
  DS_ASSIGN_OR_RETURN(file, NewFile::create(path));
  DS_RETURN_IF_ERROR(file.write(contents.data(), contents.size()));
  return file.finish();
}

StatusOr<std::string> readFile(const std::string &path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return errnoError(path, "cannot open");
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    Status s = errnoError(path, "cannot stat");
    ::close(fd);
    return s;
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return Status::error(path + ": not a regular file");
  }
  std::string data(static_cast<size_t>(st.st_size), '\0');
  size_t got = 0;
  while (got < data.size()) {
    ssize_t n = ::read(fd, data.data() + got, std::min(data.size() - got, kMaxChunk));
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      Status s = errnoError(path, "read failed");
      ::close(fd);
      return s;
    }
    if (n == 0)
      break; // the file shrank while we read it; the caller's size checks report it
    got += static_cast<size_t>(n);
  }
  ::close(fd);
  data.resize(got);
  return data;
}

bool exists(const std::string &path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

bool isDirectory(const std::string &path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

Status makeDirectories(const std::string &path) {
  if (path.empty() || isDirectory(path))
    return Status::ok();
  std::string parent = parentOf(path);
  if (parent != path)
    DS_RETURN_IF_ERROR(makeDirectories(parent));
  if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST)
    return errnoError(path, "cannot create directory");
  if (!isDirectory(path))
    return Status::error(path + ": exists and is not a directory");
  return syncDirectory(parent);
}

Status syncDirectory(const std::string &path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return errnoError(path, "cannot open directory");
  int rc;
  do
    rc = ::fsync(fd);
  while (rc != 0 && errno == EINTR);
  // Some filesystems cannot fsync a directory (EINVAL); their renames are as durable as they get.
  Status s = (rc != 0 && errno != EINVAL) ? errnoError(path, "fsync failed") : Status::ok();
  ::close(fd);
  return s;
}

StatusOr<std::vector<std::string>> listDirectory(const std::string &path) {
  DIR *dir = ::opendir(path.c_str());
  if (!dir)
    return errnoError(path, "cannot list directory");
  std::vector<std::string> names;
  while (struct dirent *entry = ::readdir(dir)) {
    std::string name = entry->d_name;
    if (name != "." && name != "..")
      names.push_back(std::move(name));
  }
  ::closedir(dir);
  std::sort(names.begin(), names.end());
  return names;
}

void removeTree(const std::string &path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0)
    return;
  if (S_ISDIR(st.st_mode)) {
    if (auto names = listDirectory(path))
      for (const std::string &name : *names)
        removeTree(path + "/" + name);
    ::rmdir(path.c_str());
  } else {
    ::unlink(path.c_str());
  }
}

Status renameNoReplace(const std::string &from, const std::string &to) {
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0)
    return Status::ok();
  if (errno != EINVAL && errno != ENOSYS)
    return errnoError(to, "cannot rename into place");
  // The filesystem has no RENAME_NOREPLACE (some network filesystems): check, then rename. A
  // non-empty directory at `to` still makes rename(2) fail rather than replace it.
  if (exists(to))
    return errnoError(to, "cannot rename into place", EEXIST);
  return renameReplace(from, to);
}

Status renameReplace(const std::string &from, const std::string &to) {
  if (::rename(from.c_str(), to.c_str()) != 0)
    return errnoError(to, "cannot rename into place");
  return Status::ok();
}

} // namespace ds::rt::fileops
