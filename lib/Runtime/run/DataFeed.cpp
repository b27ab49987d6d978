// Token files: little-endian ids, sample i is tokens[i*T : i*T+T], wrapping modulo (len-1)//T.
#include "DataFeed.h"

#include <cstring>
#include <fstream>

namespace ds::rt {

StatusOr<DataFeed> DataFeed::open(const std::string &path, const std::string &dtype) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in)
    return Status::error(path + ": cannot open data file");
  std::streamsize bytes = in.tellg();
  in.seekg(0);
  size_t width = dtype == "int32" ? 4 : 2;
  if (bytes % width != 0)
    return Status::error(path + ": " + std::to_string(bytes) + " bytes is not a whole number of " +
                         dtype + " tokens");
  std::vector<char> raw(static_cast<size_t>(bytes));
  in.read(raw.data(), bytes);
  DataFeed feed;
  feed.path_ = path;
  feed.tokens_.resize(raw.size() / width);
  for (size_t i = 0; i < feed.tokens_.size(); ++i) {
    if (width == 2) {
      uint16_t v;
      std::memcpy(&v, raw.data() + 2 * i, 2);
      feed.tokens_[i] = v;
    } else {
      int32_t v;
      std::memcpy(&v, raw.data() + 4 * i, 4);
      feed.tokens_[i] = v;
    }
  }
  return feed;
}

Status DataFeed::windows(int64_t first, int64_t count, int64_t seqLen, bool targets,
                         std::vector<int64_t> &out) const {
  int64_t samples = (numTokens() - 1) / seqLen;
  if (samples < 1)
    return Status::error(path_ + ": " + std::to_string(numTokens()) +
                         " tokens are fewer than one sample of length " + std::to_string(seqLen) +
                         " plus its target");
  out.resize(static_cast<size_t>(count * seqLen));
  for (int64_t s = 0; s < count; ++s) {
    int64_t sample = (first + s) % samples;
    const int64_t *src = tokens_.data() + sample * seqLen + (targets ? 1 : 0);
    std::memcpy(out.data() + s * seqLen, src, static_cast<size_t>(seqLen) * sizeof(int64_t));
  }
  return Status::ok();
}

} // namespace ds::rt
