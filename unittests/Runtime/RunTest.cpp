// ds-run's pieces that need no MPI: the data convention, .npy files and plan checks.
#include "../../lib/Runtime/run/DataFeed.h"
#include "ds/Plan/PlanVersion.h"
#include "ds/Runtime/Exec/Npy.h"
#include "ds/Runtime/Exec/PlanReader.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <random>

namespace ds::rt {
namespace {

std::string tempPath(const std::string &name) {
  return ::testing::TempDir() + "/ds_run_test_" + name;
}

TEST(DataFeed, WindowsFollowTheConventionAndWrap) {
  // 23 tokens of length-4 samples: (23 - 1) / 4 = 5 whole samples with targets.
  std::string path = tempPath("tokens.bin");
  {
    std::ofstream out(path, std::ios::binary);
    for (uint16_t t = 0; t < 23; ++t) {
      uint16_t id = static_cast<uint16_t>(1000 + t);
      out.write(reinterpret_cast<const char *>(&id), 2);
    }
  }
  auto feed = DataFeed::open(path, "uint16");
  ASSERT_TRUE(feed) << feed.status().message();
  std::vector<int64_t> tokens, targets;
  // Samples 4, 5, 6 = 4, 0, 1 after wrapping.
  ASSERT_TRUE(feed->windows(4, 3, 4, false, tokens));
  ASSERT_TRUE(feed->windows(4, 3, 4, true, targets));
  std::vector<int64_t> expectedTokens = {1016, 1017, 1018, 1019, 1000, 1001, 1002, 1003,
                                         1004, 1005, 1006, 1007};
  EXPECT_EQ(tokens, expectedTokens);
  for (size_t i = 0; i < targets.size(); ++i)
    EXPECT_EQ(targets[i], tokens[i] + 1) << i;
  std::remove(path.c_str());
}

TEST(DataFeed, Int32TokensAndTooShortFiles) {
  std::string path = tempPath("tokens32.bin");
  {
    std::ofstream out(path, std::ios::binary);
    for (int32_t id : {70000, 70001, 70002}) // beyond uint16
      out.write(reinterpret_cast<const char *>(&id), 4);
  }
  auto feed = DataFeed::open(path, "int32");
  ASSERT_TRUE(feed);
  std::vector<int64_t> tokens;
  ASSERT_TRUE(feed->windows(0, 1, 2, false, tokens));
  EXPECT_EQ(tokens, (std::vector<int64_t>{70000, 70001}));
  Status tooShort = feed->windows(0, 1, 3, false, tokens);
  ASSERT_FALSE(tooShort);
  EXPECT_NE(tooShort.message().find("fewer than one sample of length 3"), std::string::npos);
  auto odd = DataFeed::open(path, "uint16"); // 12 bytes is fine for uint16 ...
  EXPECT_TRUE(odd);
  std::ofstream(path, std::ios::binary | std::ios::app).put('x'); // ... 13 is not
  auto broken = DataFeed::open(path, "uint16");
  ASSERT_FALSE(broken);
  EXPECT_NE(broken.status().message().find("not a whole number of uint16 tokens"), std::string::npos);
  std::remove(path.c_str());
}

TEST(Npy, RoundTripsEveryWritableType) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> dist(-3.0f, 3.0f);
  std::vector<float> values(2 * 3 * 5);
  for (float &v : values)
    v = dist(rng);
  std::string path = tempPath("a.npy");
  ASSERT_TRUE(writeNpy(path, DType::F32, {2, 3, 5}, values.data()));
  auto read = readNpy(path);
  ASSERT_TRUE(read) << read.status().message();
  EXPECT_EQ(read->dtype, DType::F32);
  EXPECT_EQ(read->shape, (Shape{2, 3, 5}));
  EXPECT_EQ(0, std::memcmp(read->data.data(), values.data(), values.size() * 4));

  std::vector<int64_t> ids = {5, -7, 1LL << 40};
  ASSERT_TRUE(writeNpy(path, DType::I64, {3}, ids.data()));
  read = readNpy(path);
  ASSERT_TRUE(read);
  EXPECT_EQ(read->dtype, DType::I64);
  EXPECT_EQ(read->shape, (Shape{3}));
  float scalar = 2.5f;
  ASSERT_TRUE(writeNpy(path, DType::F32, {}, &scalar));
  read = readNpy(path);
  ASSERT_TRUE(read);
  EXPECT_TRUE(read->shape.empty());
  std::remove(path.c_str());
}

TEST(Npy, RejectsWhatItCannotRead) {
  std::string path = tempPath("bad.npy");
  std::ofstream(path) << "not numpy";
  auto read = readNpy(path);
  ASSERT_FALSE(read);
  EXPECT_NE(read.status().message().find("not a .npy file"), std::string::npos);
  EXPECT_FALSE(readNpy(tempPath("missing.npy")));
  std::remove(path.c_str());
}

plan::Plan onePlan() {
  plan::Plan p;
  p.mutable_version()->set_major(plan::kPlanVersionMajor);
  p.mutable_mesh()->add_axis_names("dp");
  p.mutable_mesh()->add_axis_sizes(1);
  plan::Buffer *b = p.add_buffers();
  b->set_id(0);
  b->set_dtype(plan::F32);
  b->add_shape(4);
  plan::RankProgram *program = p.add_programs();
  program->set_rank(0);
  plan::Instruction *inst = program->add_instructions();
  inst->set_op("exp");
  inst->add_operands(0);
  inst->add_results(0);
  return p;
}

TEST(PlanReader, AcceptsAConsistentPlan) {
  plan::Plan p = onePlan();
  EXPECT_TRUE(validatePlan(p, "p.dsplan"));
  EXPECT_EQ(planWorldSize(p), 1);
}

TEST(PlanReader, RefusesAnotherMajorVersion) {
  plan::Plan p = onePlan();
  p.mutable_version()->set_major(plan::kPlanVersionMajor + 1);
  Status s = validatePlan(p, "p.dsplan");
  ASSERT_FALSE(s);
  // Spelled from the constant, so that bumping the schema version does not break this test.
  const std::string expected = "p.dsplan: plan version " +
                               std::to_string(plan::kPlanVersionMajor + 1) +
                               ".0 is not supported";
  EXPECT_NE(s.message().find(expected), std::string::npos) << s.message();
}

TEST(PlanReader, RefusesDanglingBuffersAndMissingRanks) {
  plan::Plan p = onePlan();
  p.mutable_programs(0)->mutable_instructions(0)->add_operands(9);
  Status s = validatePlan(p, "p.dsplan");
  ASSERT_FALSE(s);
  EXPECT_NE(s.message().find("rank 0 instruction 0 (exp) names buffer 9 but the plan has 1"),
            std::string::npos)
      << s.message();

  plan::Plan q = onePlan();
  q.mutable_mesh()->set_axis_sizes(0, 2);
  s = validatePlan(q, "q.dsplan");
  ASSERT_FALSE(s);
  EXPECT_NE(s.message().find("the mesh has 2 ranks but the plan has 1 rank programs"),
            std::string::npos)
      << s.message();
}

} // namespace
} // namespace ds::rt
