// Duplicate keys in ds_config.json. llvm::json keeps the last of two equal keys without a word;
// DeepSpeed loads the file with dict_raise_error_on_duplicate_keys and refuses it. This scanner
// runs on text llvm::json already accepted, so it only tracks structure.
#include "Sections.h"

#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FormatVariadic.h"

#include <vector>

using namespace llvm;

namespace ds::config::detail {
namespace {

struct Frame {
  bool isObject = false;
  bool expectKey = false;
  std::string path;       // of this object or array
  std::string currentKey; // objects: the key whose value comes next
  int64_t index = 0;      // arrays: the element being read
  StringSet<> keys;
};

std::string childPath(const Frame &frame) {
  if (!frame.isObject)
    return frame.path + "[" + std::to_string(frame.index) + "]";
  return frame.path.empty() ? frame.currentKey : frame.path + "." + frame.currentKey;
}

// The decoded text of the string literal starting at text[begin] == '"'; sets `end` past it.
std::string readString(StringRef text, size_t begin, size_t &end) {
  size_t i = begin + 1;
  while (i < text.size() && text[i] != '"')
    i += text[i] == '\\' ? 2 : 1;
  end = i + 1;
  // The literal is valid JSON already; let llvm::json decode its escapes.
  Expected<json::Value> decoded = json::parse(text.slice(begin, end));
  if (!decoded) {
    consumeError(decoded.takeError());
    return text.slice(begin + 1, i).str();
  }
  return decoded->getAsString()->str();
}

} // namespace

std::vector<std::string> findDuplicateKeys(StringRef text, StringRef fileName) {
  std::vector<std::string> errors;
  std::vector<Frame> stack;
  unsigned line = 1;
  size_t lineStart = 0;
  for (size_t i = 0; i < text.size();) {
    char c = text[i];
    if (c == '\n') {
      ++line;
      lineStart = ++i;
      continue;
    }
    if (c == '{' || c == '[') {
      Frame frame;
      frame.isObject = c == '{';
      frame.expectKey = frame.isObject;
      frame.path = stack.empty() ? "" : childPath(stack.back());
      stack.push_back(std::move(frame));
      ++i;
      continue;
    }
    if (c == '}' || c == ']') {
      if (!stack.empty())
        stack.pop_back();
      ++i;
      continue;
    }
    if (c == ',' && !stack.empty()) {
      Frame &top = stack.back();
      if (top.isObject)
        top.expectKey = true;
      else
        ++top.index;
      ++i;
      continue;
    }
    if (c == '"') {
      size_t end = i;
      std::string value = readString(text, i, end);
      if (!stack.empty() && stack.back().isObject && stack.back().expectKey) {
        Frame &top = stack.back();
        top.expectKey = false;
        top.currentKey = value;
        if (!top.keys.insert(value).second)
          errors.push_back(formatv("{0}:{1}:{2}: error: duplicate key '{3}' (DeepSpeed refuses "
                                   "a config with duplicate keys)",
                                   fileName, line, i - lineStart + 1, childPath(top))
                               .str());
      }
      i = end; // strings hold no raw newlines in valid JSON
      continue;
    }
    ++i;
  }
  return errors;
}

} // namespace ds::config::detail
