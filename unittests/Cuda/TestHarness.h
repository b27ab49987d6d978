// The CUDA kernel tests run under GoogleTest when it is installed and otherwise under this small
// stand-in (the GPU machines that run scripts/gpu-check.sh may lack GoogleTest): TEST, EXPECT_TRUE,
// ASSERT_TRUE and GTEST_SKIP with streamed messages, and a main that prints gtest-style lines and
// exits 77 (ctest's SKIP_RETURN_CODE) when a test skipped and none failed. The main is compiled
// into the one file that defines DS_CUDA_TEST_HARNESS_MAIN (TestMain.cpp), so several test files
// can share it.
#ifndef DS_UNITTESTS_CUDA_TESTHARNESS_H
#define DS_UNITTESTS_CUDA_TESTHARNESS_H

#if DS_CUDA_TESTS_USE_GTEST
#include <gtest/gtest.h>
#else

#include <cstdio>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

namespace dsmini {

struct TestCase {
  const char *suite, *name;
  void (*fn)();
};
inline std::vector<TestCase> &registry() {
  static std::vector<TestCase> tests;
  return tests;
}
struct Registrar {
  Registrar(const char *suite, const char *name, void (*fn)()) {
    registry().push_back({suite, name, fn});
  }
};

struct State {
  int failures = 0;
  bool skipped = false;
};
inline State &state() {
  static State s;
  return s;
}

struct Message {
  std::ostringstream os;
  template <typename T> Message &operator<<(const T &v) {
    os << v;
    return *this;
  }
};

// `Failure(...) = Message() << ...` records a failure; the assignment binds after every <<.
struct Failure {
  const char *file;
  int line;
  const char *expr;
  void operator=(const Message &m) const {
    ++state().failures;
    std::printf("%s:%d: Failure\n  %s is false\n  %s\n", file, line, expr, m.os.str().c_str());
  }
};
struct Skip {
  void operator=(const Message &m) const {
    state().skipped = true;
    std::printf("  Skipped: %s\n", m.os.str().c_str());
  }
};

} // namespace dsmini

#define TEST(suite, name)                                                                          \
  static void dsmini_##suite##_##name();                                                           \
  static ::dsmini::Registrar dsminiReg_##suite##_##name(#suite, #name, dsmini_##suite##_##name); \
  static void dsmini_##suite##_##name()

#define EXPECT_TRUE(cond)                                                                          \
  if (cond)                                                                                        \
    ;                                                                                              \
  else                                                                                             \
    ::dsmini::Failure{__FILE__, __LINE__, #cond} = ::dsmini::Message()
#define ASSERT_TRUE(cond)                                                                          \
  if (cond)                                                                                        \
    ;                                                                                              \
  else                                                                                             \
    return ::dsmini::Failure{__FILE__, __LINE__, #cond} = ::dsmini::Message()
#define GTEST_SKIP() return ::dsmini::Skip{} = ::dsmini::Message()

#ifdef DS_CUDA_TEST_HARNESS_MAIN
int main(int argc, char **argv) {
  // --gtest_filter=SUBSTRING runs the tests whose "Suite.Name" contains SUBSTRING.
  const char *filter = nullptr;
  for (int i = 1; i < argc; ++i)
    if (std::strncmp(argv[i], "--gtest_filter=", 15) == 0)
      filter = argv[i] + 15;
  int ran = 0, failed = 0, skipped = 0;
  for (const dsmini::TestCase &t : dsmini::registry()) {
    std::string full = std::string(t.suite) + "." + t.name;
    if (filter && full.find(filter) == std::string::npos)
      continue;
    dsmini::state() = dsmini::State();
    std::printf("[ RUN      ] %s\n", full.c_str());
    std::fflush(stdout);
    t.fn();
    ++ran;
    if (dsmini::state().failures) {
      ++failed;
      std::printf("[  FAILED  ] %s\n", full.c_str());
    } else if (dsmini::state().skipped) {
      ++skipped;
      std::printf("[  SKIPPED ] %s\n", full.c_str());
    } else {
      std::printf("[       OK ] %s\n", full.c_str());
    }
    std::fflush(stdout);
  }
  std::printf("%d tests: %d passed, %d skipped, %d failed\n", ran, ran - failed - skipped, skipped,
              failed);
  if (failed)
    return 1;
  // Tests skip only for want of a device, and a few argument checks pass without one; reporting
  // that run as passed would claim a check that did not happen.
  return skipped > 0 ? 77 : 0;
}
#endif // DS_CUDA_TEST_HARNESS_MAIN

#endif // DS_CUDA_TESTS_USE_GTEST
#endif // DS_UNITTESTS_CUDA_TESTHARNESS_H
