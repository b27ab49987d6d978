// The safetensors header: what the writer lays out is what the reader (ours and the reference
// one) accepts, and every malformed header is refused with a message saying what is wrong.
#include "ds/Runtime/Train/Safetensors.h"

#include <gtest/gtest.h>

namespace ds::rt {
namespace {

TEST(Safetensors, LayoutFollowsTheReferenceWriter) {
  std::vector<SafetensorsEntry> entries = {{"b.weight", "BF16", {3}},
                                           {"a.weight", "F32", {2, 2}},
                                           {"steps", "I64", {}},
                                           {"a.bias", "F32", {2}},
                                           {"empty", "F16", {0, 4}}};
  auto layout = layoutSafetensors(entries, {{"format", "pt"}});
  ASSERT_TRUE(layout) << layout.status().message();
  // 8-byte types first, then 4-byte, then BF16 before F16 (the reference's enum order); by name
  // within a type. Every tensor then starts aligned to its element size.
  std::vector<std::string> order;
  for (size_t i : layout->order)
    order.push_back(entries[i].name);
  EXPECT_EQ(order, (std::vector<std::string>{"steps", "a.bias", "a.weight", "b.weight", "empty"}));
  EXPECT_EQ(layout->header.size() % 8, 0u);
  EXPECT_EQ(layout->fileBytes, layout->header.size() + 8 + 8 + 16 + 6);

  std::string file = layout->header + std::string(layout->fileBytes - layout->header.size(), 'x');
  auto parsed = parseSafetensors(file);
  ASSERT_TRUE(parsed) << parsed.status().message();
  EXPECT_EQ(parsed->dataStart, layout->header.size());
  EXPECT_EQ(parsed->metadata, (std::map<std::string, std::string>{{"format", "pt"}}));
  ASSERT_EQ(parsed->entries.size(), entries.size());
  for (size_t k = 0; k < entries.size(); ++k) {
    const SafetensorsEntry &want = entries[layout->order[k]], &got = parsed->entries[k];
    EXPECT_EQ(got.name, want.name);
    EXPECT_EQ(got.dtype, want.dtype);
    EXPECT_EQ(got.shape, want.shape);
    EXPECT_EQ(got.begin, want.begin);
    EXPECT_EQ(got.end, want.end);
    EXPECT_EQ((parsed->dataStart + got.begin) % safetensorsElementSize(got.dtype), 0u) << got.name;
  }
}

TEST(Safetensors, LayoutRefusesBadEntries) {
  std::vector<SafetensorsEntry> twice = {{"w", "F32", {1}}, {"w", "I64", {1}}};
  auto layout = layoutSafetensors(twice, {});
  ASSERT_FALSE(layout);
  EXPECT_EQ(layout.status().message(), "tensor \"w\" is listed twice");
  std::vector<SafetensorsEntry> reserved = {{"__metadata__", "F32", {1}}};
  EXPECT_FALSE(layoutSafetensors(reserved, {}));
  std::vector<SafetensorsEntry> negative = {{"w", "F32", {2, -1}}};
  layout = layoutSafetensors(negative, {});
  ASSERT_FALSE(layout);
  EXPECT_EQ(layout.status().message(), "tensor \"w\": invalid shape [2,-1]");
}

// A safetensors file from a JSON header and data bytes.
std::string safetensorsFile(const std::string &json, const std::string &data) {
  std::string header(8, '\0');
  for (int i = 0; i < 8; ++i)
    header[i] = static_cast<char>((json.size() >> (8 * i)) & 0xff);
  return header + json + data;
}

void expectParseError(const std::string &file, const std::string &expected) {
  auto header = parseSafetensors(file);
  ASSERT_FALSE(header) << expected;
  EXPECT_NE(header.status().message().find(expected), std::string::npos)
      << header.status().message();
}

TEST(Safetensors, BadHeadersAreCaught) {
  // The checksum catches any change to a checkpoint's file first, so the header checks are
  // tested on the parser itself (they guard files that come from elsewhere).
  const std::string entry = R"("a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]})";
  std::string good = safetensorsFile("{" + entry + "}", std::string(8, 'x'));
  ASSERT_TRUE(parseSafetensors(good)) << parseSafetensors(good).status().message();
  expectParseError(good.substr(0, 5), "too short");
  expectParseError(safetensorsFile("[]", ""), "header is not a JSON object");
  expectParseError(safetensorsFile("{" + entry, ""), "header: invalid JSON at byte");
  expectParseError(good.substr(0, good.size() - 1), "(truncated)");
  expectParseError(good + "xx", "(trailing bytes)");
  std::string huge = good;
  huge[5] = 0x7f;
  expectParseError(huge, "implausible");
  expectParseError(
      safetensorsFile(R"({"a":{"dtype":"Q7","shape":[1],"data_offsets":[0,1]}})", "x"),
      "tensor \"a\": unknown dtype \"Q7\"");
  expectParseError(
      safetensorsFile(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", "12345678"),
      "tensor \"a\": data_offsets [0,8] do not hold F32 [3]");
  expectParseError(safetensorsFile(R"({"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},)"
                                   R"("b":{"dtype":"U8","shape":[1],"data_offsets":[2,3]}})",
                                   "xyz"),
                   "gap or overlap");
  expectParseError(safetensorsFile("{" + entry + "," + entry + "}", std::string(8, 'x')),
                   "duplicate key");
  // Types the runtime has no DType for still parse; only a load of them is refused.
  auto f64 = parseSafetensors(
      safetensorsFile(R"({"d":{"dtype":"F64","shape":[],"data_offsets":[0,8]}})", "12345678"));
  ASSERT_TRUE(f64) << f64.status().message();
  EXPECT_FALSE(dtypeFromSafetensors(f64->entries[0].dtype));
}

} // namespace
} // namespace ds::rt
