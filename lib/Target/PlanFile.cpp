//===- PlanFile.cpp - reading, writing and printing plan files ------------===//

#include "ds/Target/PlanFile.h"

#include "ds/Plan/PlanVersion.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/text_format.h>

#include <limits>

using namespace ds;

/// The plan's bytes. Protobuf writes map fields (instruction attrs) in hash
/// order unless asked not to; deterministic bytes let a build compare or cache
/// plans.
static std::string serializeDeterministically(const plan::Plan &plan) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    plan.SerializeToCodedStream(&coded);
  }
  return bytes;
}

llvm::Error ds::writePlanFile(const plan::Plan &plan, llvm::StringRef path) {
  auto fail = [&](const llvm::Twine &why) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "cannot write '" + path + "': " + why);
  };
  // Protobuf cannot serialize or parse a message past 2 GiB.
  size_t size = plan.ByteSizeLong();
  if (size > static_cast<size_t>(std::numeric_limits<int>::max()))
    return fail(
        "the plan is " + llvm::Twine(size) +
        " bytes, over protobuf's 2 GiB limit on one message (give large "
        "parameters an initializer instead of a stored value)");
  std::string bytes = serializeDeterministically(plan);

  // The temporary lives in the target's directory so the rename stays on one
  // file system.
  llvm::SmallString<256> tempPath;
  int fd = -1;
  if (std::error_code ec =
          llvm::sys::fs::createUniqueFile(path + ".tmp-%%%%%%", fd, tempPath))
    return fail(ec.message());
  {
    llvm::raw_fd_ostream out(fd, /*shouldClose=*/true);
    out.write(bytes.data(), bytes.size());
    out.close();
    if (out.has_error()) {
      std::string why = out.error().message();
      out.clear_error();
      llvm::sys::fs::remove(tempPath);
      return fail(why);
    }
  }
  if (std::error_code ec = llvm::sys::fs::rename(tempPath, path)) {
    llvm::sys::fs::remove(tempPath);
    return fail(ec.message());
  }
  return llvm::Error::success();
}

llvm::Expected<plan::Plan> ds::readPlanFile(llvm::StringRef path) {
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getFileOrSTDIN(path, /*IsText=*/false);
  if (!buffer)
    return llvm::createStringError(buffer.getError(),
                                   "cannot open '" + path +
                                       "': " + buffer.getError().message());
  plan::Plan plan;
  llvm::StringRef bytes = (*buffer)->getBuffer();
  if (!plan.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "'" + path + "' is not a plan file");
  // An empty file parses as an empty message; a real plan always says its
  // version.
  if (!plan.has_version())
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        "'" + path + "' is not a plan file (it has no version)");
  if (plan.version().major() != plan::kPlanVersionMajor)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "'" + path + "' is a version " +
                                       llvm::Twine(plan.version().major()) +
                                       " plan; this build reads version " +
                                       llvm::Twine(plan::kPlanVersionMajor));
  return plan;
}

std::string ds::formatPlanAsText(const plan::Plan &plan) {
  std::string text;
  google::protobuf::TextFormat::PrintToString(plan, &text);
  return text;
}
