// Helpers for the ds_config.json tests: parse a string and get either the config or the text of
// the error.
#ifndef DS_UNITTESTS_CONFIG_CONFIGTESTUTIL_H
#define DS_UNITTESTS_CONFIG_CONFIGTESTUTIL_H

#include "ds/Config/DSConfig.h"

#include <gtest/gtest.h>

#include <string>

namespace ds::config::test {

inline std::string inputPath(const std::string &name) {
  return std::string(DS_CONFIG_TEST_INPUTS) + "/" + name;
}

// The parsed config; fails the test (and returns defaults) when parsing fails.
inline ParsedConfig parseOK(llvm::StringRef text) {
  llvm::Expected<ParsedConfig> parsed = parseDSConfig(text);
  if (!parsed) {
    ADD_FAILURE() << "unexpected error: " << llvm::toString(parsed.takeError());
    return {};
  }
  return std::move(*parsed);
}

// The error text; fails the test when parsing succeeds.
inline std::string parseError(llvm::StringRef text) {
  llvm::Expected<ParsedConfig> parsed = parseDSConfig(text);
  if (parsed) {
    ADD_FAILURE() << "expected an error for: " << text.str();
    return "";
  }
  return llvm::toString(parsed.takeError());
}

// The error of an Expected that must have failed.
template <typename T> std::string errorOf(llvm::Expected<T> value) {
  if (value) {
    ADD_FAILURE() << "expected an error";
    return "";
  }
  return llvm::toString(value.takeError());
}

} // namespace ds::config::test

#endif // DS_UNITTESTS_CONFIG_CONFIGTESTUTIL_H
