// The language-model data convention of DESIGN.md: token windows and next-token targets for
// each rank and step, read from a flat file of uint16 (nanoGPT's train.bin) or int32 ids.
#ifndef DS_LIB_RUNTIME_RUN_DATAFEED_H
#define DS_LIB_RUNTIME_RUN_DATAFEED_H

#include "ds/Runtime/Status.h"

#include <string>
#include <vector>

namespace ds::rt {

class DataFeed {
public:
  static StatusOr<DataFeed> open(const std::string &path, const std::string &dtype);

  int64_t numTokens() const { return static_cast<int64_t>(tokens_.size()); }
  // Samples `first .. first+count` of length `seqLen` (wrapping), as int64 row-major
  // [count, seqLen]; targets are the same windows shifted by one token.
  Status windows(int64_t first, int64_t count, int64_t seqLen, bool targets,
                 std::vector<int64_t> &out) const;

private:
  std::string path_;
  std::vector<int64_t> tokens_;
};

} // namespace ds::rt

#endif // DS_LIB_RUNTIME_RUN_DATAFEED_H
