// Params that are ZeRO shards (Param.shard), on one rank: the value describes the whole tensor
// and the rank's piece is its zero-padded flat copy; a shard over a missing mesh axis or with a
// buffer of the wrong size is refused with an error naming the param. (The pieces of several
// ranks are checked end to end by test/Integration/runtime-shard-param.test.)
#include "ds/Plan/PlanVersion.h"
#include "ds/Runtime/Exec/Executor.h"
#include "ds/Runtime/SelfCommunicator.h"

#include "TestUtil.h"

#include <cstring>

using namespace ds::rt;
using namespace ds::rt::test;
namespace plan = ds::plan;

namespace {

// A one-rank plan (mesh dp = 1) with one f32 param of `bufferSize` elements sharded over `axis`,
// whose value is `values`, shaped `wholeShape`.
plan::Plan shardPlan(const std::string &axis, int64_t bufferSize, const Shape &wholeShape,
                     const std::vector<float> &values) {
  plan::Plan p;
  p.mutable_version()->set_major(plan::kPlanVersionMajor);
  p.mutable_mesh()->add_axis_names("dp");
  p.mutable_mesh()->add_axis_sizes(1);
  p.add_programs()->set_rank(0);
  plan::Buffer *b = p.add_buffers();
  b->set_dtype(plan::F32);
  b->add_shape(bufferSize);
  b->set_name("@m");
  plan::Param *param = p.add_params();
  param->set_name("m");
  param->set_role(plan::Param::OPTIMIZER_STATE);
  param->set_data(std::string(reinterpret_cast<const char *>(values.data()),
                              values.size() * sizeof(float)));
  param->mutable_shard()->set_axis(axis);
  for (int64_t d : wholeShape)
    param->mutable_shard()->add_whole_shape(d);
  return p;
}

TEST(ExecutorShard, OneRankKeepsTheWholeValue) {
  std::vector<float> values = {1.5f, -2.0f, 3.25f, 4.0f, -5.5f, 6.0f};
  std::unique_ptr<Communicator> self = createSelfCommunicator();
  auto executor = Executor::create(shardPlan("dp", 6, {2, 3}, values), *self, {});
  ASSERT_OK(executor);
  const float *got = static_cast<const float *>((*executor)->slot(0).data);
  EXPECT_EQ(0, std::memcmp(got, values.data(), values.size() * sizeof(float)));
}

TEST(ExecutorShard, InitializerDrawsTheWholeTensorsElements) {
  // The same initializer, sharded and whole, gives the same elements.
  plan::Plan p = shardPlan("dp", 5, {5}, {});
  plan::Param &sharded = *p.mutable_params(0);
  sharded.mutable_init()->set_distribution(plan::Initializer::NORMAL);
  sharded.mutable_init()->set_b(1.0);
  sharded.mutable_init()->set_seed(3);
  plan::Buffer *b = p.add_buffers();
  b->set_id(1);
  b->set_dtype(plan::F32);
  b->add_shape(5);
  b->set_name("@whole");
  plan::Param &whole = *p.add_params();
  whole = sharded;
  whole.set_name("whole");
  whole.set_buffer(1);
  whole.clear_shard();
  std::unique_ptr<Communicator> self = createSelfCommunicator();
  auto executor = Executor::create(p, *self, {});
  ASSERT_OK(executor);
  const float *a = static_cast<const float *>((*executor)->slot(0).data);
  const float *c = static_cast<const float *>((*executor)->slot(1).data);
  EXPECT_EQ(0, std::memcmp(a, c, 5 * sizeof(float)));
  EXPECT_NE(a[0], a[1]);
}

TEST(ExecutorShard, MissingAxisIsAnError) {
  std::unique_ptr<Communicator> self = createSelfCommunicator();
  auto executor = Executor::create(shardPlan("tp", 2, {2}, {1.0f, 2.0f}), *self, {});
  ASSERT_FALSE(executor.isOk());
  EXPECT_NE(executor.status().message().find("parameter m is sharded over mesh axis 'tp'"),
            std::string::npos)
      << executor.status().message();
}

TEST(ExecutorShard, WrongPieceSizeIsAnError) {
  // 5 elements on one rank make a piece of 5, not 3.
  std::unique_ptr<Communicator> self = createSelfCommunicator();
  auto executor = Executor::create(shardPlan("dp", 3, {5}, {1, 2, 3, 4, 5}), *self, {});
  ASSERT_FALSE(executor.isOk());
  EXPECT_NE(executor.status().message().find("parameter m: a shard of 5 elements over the 1 "
                                             "ranks of axis 'dp' has 5 elements, but its buffer "
                                             "holds 3"),
            std::string::npos)
      << executor.status().message();
}

TEST(ExecutorShard, WholeDataOfTheWrongSizeIsAnError) {
  std::unique_ptr<Communicator> self = createSelfCommunicator();
  auto executor = Executor::create(shardPlan("dp", 4, {4}, {1, 2, 3}), *self, {});
  ASSERT_FALSE(executor.isOk());
  EXPECT_NE(executor.status().message().find("parameter m has 12 bytes of data, expected 16"),
            std::string::npos)
      << executor.status().message();
}

} // namespace
