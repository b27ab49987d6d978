// Typed access to ds_config.json objects, with every message naming the file and the key path.
#include "ConfigReader.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

using namespace llvm;

namespace ds::config::detail {

void Diagnostics::error(StringRef path, const Twine &message) {
  errors.push_back((fileName + ": error: '" + path + "': " + message).str());
}

void Diagnostics::error(const Twine &message) {
  errors.push_back((fileName + ": error: " + message).str());
}

void Diagnostics::warning(const Twine &message) {
  warnings.push_back((fileName + ": warning: " + message).str());
}

void Diagnostics::unknownKey(StringRef path, StringRef why) {
  if (why.empty())
    warning("unknown key '" + path + "'");
  else
    warning("unknown key '" + path + "' (" + why + ")");
}

Error Diagnostics::takeError() {
  if (errors.empty())
    return Error::success();
  std::string all = join(errors, "\n");
  errors.clear();
  return createStringError(inconvertibleErrorCode(), all);
}

// The shortest decimal that reads back as `d`, so messages quote 0.1 and not 0.10000000000000001.
static std::string shortest(double d) {
  char buf[32];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof(buf), "%.*g", precision, d);
    if (std::strtod(buf, nullptr) == d)
      break;
  }
  return buf;
}

// getAsInteger(), except for the one double it would convert out of range (2^63).
static std::optional<int64_t> exactInteger(const json::Value &value) {
  if (!value.getAsUINT64() && value.getAsNumber() && *value.getAsNumber() >= 0x1p63)
    return std::nullopt;
  return value.getAsInteger();
}

std::string describe(const json::Value &value) {
  switch (value.kind()) {
  case json::Value::Null:
    return "got null";
  case json::Value::Boolean:
    return *value.getAsBoolean() ? "got true" : "got false";
  case json::Value::Number:
    if (auto i = exactInteger(value))
      return "got " + std::to_string(*i);
    return "got " + shortest(*value.getAsNumber());
  case json::Value::String:
    return ("got string \"" + *value.getAsString() + "\"").str();
  case json::Value::Array:
    return "got an array";
  case json::Value::Object:
    return "got an object";
  }
  return "got something else";
}

Section::Section(const json::Object &object, std::string path, Diagnostics &diag,
                 bool autoIsDefault)
    : obj(object), prefix(std::move(path)), diag(diag), autoIsDefault(autoIsDefault) {}

std::string Section::pathOf(StringRef key) const {
  return prefix.empty() ? key.str() : prefix + "." + key.str();
}

const json::Value *Section::get(StringRef key) {
  seen.insert(key);
  const json::Value *value = obj.get(key);
  if (value && autoIsDefault && value->getAsString() == std::optional<StringRef>("auto"))
    return nullptr;
  return value;
}

void Section::accept(std::initializer_list<StringRef> keys) {
  for (StringRef key : keys)
    seen.insert(key);
}

void Section::error(StringRef key, const Twine &message) { diag.error(pathOf(key), message); }

void Section::typeError(StringRef key, const json::Value &value, StringRef expected) {
  if (value.getAsString() == std::optional<StringRef>("auto")) {
    // Hugging Face's integration fills "auto" in before DeepSpeed sees the file; DeepSpeed itself
    // would fail on it here.
    error(key, "expected " + expected +
                   ", got \"auto\" (only the Hugging Face Trainer resolves \"auto\", before "
                   "DeepSpeed reads the file; give the value)");
    return;
  }
  error(key, "expected " + expected + ", " + describe(value));
}

// "an integer", "an integer >= 0", "an integer from 0 to 3".
static std::string rangeText(StringRef what, const std::string &lo, const std::string &hi,
                             bool hasLo, bool hasHi, bool hiExclusive) {
  std::string text = what.str();
  if (hasLo && hasHi)
    text += hiExclusive ? " in [" + lo + ", " + hi + ")" : " from " + lo + " to " + hi;
  else if (hasLo)
    text += " >= " + lo;
  else if (hasHi)
    text += hiExclusive ? " < " + hi : " <= " + hi;
  return text;
}

std::optional<int64_t> Section::integer(StringRef key, std::optional<int64_t> min,
                                        std::optional<int64_t> max) {
  const json::Value *value = get(key);
  if (!value)
    return std::nullopt;
  std::string expected = rangeText("an integer", min ? std::to_string(*min) : "",
                                   max ? std::to_string(*max) : "", min.has_value(),
                                   max.has_value(), false);
  // JSON's 5e8 is a double; pydantic's int fields take it when it has no fraction, and so do we.
  std::optional<int64_t> i = exactInteger(*value);
  if (!i) {
    typeError(key, *value, expected);
    return std::nullopt;
  }
  if ((min && *i < *min) || (max && *i > *max)) {
    error(key, "expected " + expected + ", " + describe(*value));
    return std::nullopt;
  }
  return i;
}

std::optional<double> Section::number(StringRef key, std::optional<double> min,
                                      std::optional<double> max, bool maxExclusive) {
  const json::Value *value = get(key);
  if (!value)
    return std::nullopt;
  std::string expected = rangeText("a number", min ? shortest(*min) : "",
                                   max ? shortest(*max) : "", min.has_value(), max.has_value(),
                                   maxExclusive);
  std::optional<double> d = value->getAsNumber();
  if (!d) {
    typeError(key, *value, expected);
    return std::nullopt;
  }
  if ((min && *d < *min) || (max && (maxExclusive ? *d >= *max : *d > *max))) {
    error(key, "expected " + expected + ", " + describe(*value));
    return std::nullopt;
  }
  return d;
}

std::optional<bool> Section::boolean(StringRef key) {
  const json::Value *value = get(key);
  if (!value)
    return std::nullopt;
  std::optional<bool> b = value->getAsBoolean();
  if (!b)
    typeError(key, *value, "true or false");
  return b;
}

std::optional<std::string> Section::string(StringRef key) {
  const json::Value *value = get(key);
  if (!value)
    return std::nullopt;
  std::optional<StringRef> s = value->getAsString();
  if (!s) {
    typeError(key, *value, "a string");
    return std::nullopt;
  }
  return s->str();
}

const json::Object *Section::object(StringRef key) {
  const json::Value *value = get(key);
  if (!value)
    return nullptr;
  const json::Object *o = value->getAsObject();
  if (!o)
    typeError(key, *value, "an object");
  return o;
}

void Section::read(StringRef key, bool &out) {
  if (auto v = boolean(key))
    out = *v;
}

void Section::read(StringRef key, int64_t &out, std::optional<int64_t> min,
                   std::optional<int64_t> max) {
  if (auto v = integer(key, min, max))
    out = *v;
}

void Section::read(StringRef key, double &out, std::optional<double> min,
                   std::optional<double> max) {
  if (auto v = number(key, min, max))
    out = *v;
}

void Section::reportUnknown() {
  // Sorted, so the warnings do not depend on the hash order of the object.
  SmallVector<StringRef> unknown;
  for (const auto &entry : obj)
    if (!seen.contains(entry.first))
      unknown.push_back(entry.first);
  sort(unknown);
  for (StringRef key : unknown)
    diag.unknownKey(pathOf(key));
}

} // namespace ds::config::detail
