// Typed, path-aware access to one JSON object of ds_config.json. Each getter reports a wrong type
// or value under the key's full path and remembers the key as known, so that whatever was never
// asked for can be reported as unknown at the end.
#ifndef DS_LIB_CONFIG_CONFIGREADER_H
#define DS_LIB_CONFIG_CONFIGREADER_H

#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

namespace ds::config::detail {

// Errors and warnings of one file, as complete "FILE: error: ..." lines.
class Diagnostics {
public:
  explicit Diagnostics(std::string fileName) : fileName(std::move(fileName)) {}

  void error(llvm::StringRef path, const llvm::Twine &message);
  // An error not about one key (e.g. two keys that disagree).
  void error(const llvm::Twine &message);
  void warning(const llvm::Twine &message);
  void unknownKey(llvm::StringRef path, llvm::StringRef why = "");

  bool hasErrors() const { return !errors.empty(); }
  std::vector<std::string> takeWarnings() { return std::move(warnings); }
  // All errors, one per line; success when there were none.
  llvm::Error takeError();
  const std::string &file() const { return fileName; }

private:
  std::string fileName;
  std::vector<std::string> errors;
  std::vector<std::string> warnings;
};

// "got 4", "got string \"abc\"", "got an object": the value an error message quotes.
std::string describe(const llvm::json::Value &value);

class Section {
public:
  // `autoIsDefault`: the section is a pydantic model in DeepSpeed, whose (non-strict)
  // DeepSpeedConfigModel drops every "auto" value so the field keeps its default.
  Section(const llvm::json::Object &object, std::string path, Diagnostics &diag,
          bool autoIsDefault);

  // Joined key path of `key` in this section ("zero_optimization.stage").
  std::string pathOf(llvm::StringRef key) const;
  const std::string &path() const { return prefix; }
  Diagnostics &diagnostics() { return diag; }

  // The value of `key`, marking it known; null when absent (or "auto" in a pydantic section).
  const llvm::json::Value *get(llvm::StringRef key);
  bool has(llvm::StringRef key) { return get(key) != nullptr; }
  // Marks keys DeepSpeed knows but ds does not read (they stay in the raw object).
  void accept(std::initializer_list<llvm::StringRef> keys);

  // Each returns nullopt when the key is absent or wrong (the error is then recorded).
  std::optional<int64_t> integer(llvm::StringRef key, std::optional<int64_t> min = std::nullopt,
                                 std::optional<int64_t> max = std::nullopt);
  std::optional<double> number(llvm::StringRef key, std::optional<double> min = std::nullopt,
                               std::optional<double> max = std::nullopt,
                               bool maxExclusive = false);
  std::optional<bool> boolean(llvm::StringRef key);
  std::optional<std::string> string(llvm::StringRef key);
  // A nested object; an error when the value is something else.
  const llvm::json::Object *object(llvm::StringRef key);

  // Convenience: assign when present and valid.
  void read(llvm::StringRef key, bool &out);
  void read(llvm::StringRef key, int64_t &out, std::optional<int64_t> min = std::nullopt,
            std::optional<int64_t> max = std::nullopt);
  void read(llvm::StringRef key, double &out, std::optional<double> min = std::nullopt,
            std::optional<double> max = std::nullopt);

  void error(llvm::StringRef key, const llvm::Twine &message);
  // Warns about every key no getter or accept() asked for.
  void reportUnknown();

private:
  // Records the type error of `key`; "auto" outside pydantic sections gets its own explanation.
  void typeError(llvm::StringRef key, const llvm::json::Value &value, llvm::StringRef expected);

  const llvm::json::Object &obj;
  std::string prefix;
  Diagnostics &diag;
  bool autoIsDefault;
  llvm::StringSet<> seen;
};

} // namespace ds::config::detail

#endif // DS_LIB_CONFIG_CONFIGREADER_H
