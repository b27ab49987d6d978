// A small JSON reader and string escaper for checkpoint headers. The runtime links no JSON library
// (LLVM's is off limits here), and these files only need objects, arrays, strings and integers.
#ifndef DS_LIB_RUNTIME_TRAIN_JSON_H
#define DS_LIB_RUNTIME_TRAIN_JSON_H

#include "ds/Runtime/Status.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ds::rt::json {

struct Value {
  enum class Kind { Null, Bool, Number, String, Array, Object };
  Kind kind = Kind::Null;
  bool boolean = false;
  // A String's decoded value, or a Number's text as written (so 64-bit integers stay exact).
  std::string text;
  std::vector<Value> items;
  // Members in file order; the parser rejects duplicate keys, which safetensors forbids.
  std::vector<std::pair<std::string, Value>> members;

  bool isObject() const { return kind == Kind::Object; }
  bool isArray() const { return kind == Kind::Array; }
  bool isString() const { return kind == Kind::String; }
  // The member named `key` of an object, or null.
  const Value *find(std::string_view key) const;
  // A Number written as a plain non-negative integer that fits in 64 bits.
  std::optional<uint64_t> asUint64() const;
};

// Parses exactly one JSON value surrounded by optional whitespace. Errors give the byte offset.
StatusOr<Value> parse(std::string_view text);

// Appends `s` as a quoted JSON string. Bytes >= 0x80 pass through, so UTF-8 stays UTF-8.
void appendQuoted(std::string &out, std::string_view s);

} // namespace ds::rt::json

#endif // DS_LIB_RUNTIME_TRAIN_JSON_H
