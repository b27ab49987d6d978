// The executor's arena (plan RankProgram.arena_bytes, Buffer.arena_offset) on a hand-built plan:
// transients sit at their offsets, a buffer reusing a freed one's bytes still starts zeroed and
// computes the right values, a step allocates nothing but the outputs it keeps, and the peak
// counts the whole arena.
#include "ds/Plan/PlanVersion.h"
#include "ds/Runtime/Exec/Executor.h"
#include "ds/Runtime/SelfCommunicator.h"

#include "TestUtil.h"

using namespace ds::rt;
namespace plan = ds::plan;

namespace {

constexpr int64_t kN = 16; // f32 elements: 64 bytes a buffer

// x -> a = x + x (arena 0) -> b = a * x (arena 64) -> free a -> c = b + b (arena 0, a's bytes)
// -> free b -> out = c * x (kept, its own buffer) -> free c.
plan::Plan makePlan(uint64_t arenaBytes, uint64_t offsetOfC) {
  plan::Plan p;
  p.mutable_version()->set_major(plan::kPlanVersionMajor);
  p.mutable_version()->set_minor(plan::kPlanVersionMinor);
  p.mutable_mesh()->add_axis_names("dp");
  p.mutable_mesh()->add_axis_sizes(1);
  plan::RankProgram &program = *p.add_programs();
  program.set_arena_bytes(arenaBytes);
  auto buffer = [&](const std::string &name, std::optional<uint64_t> offset) {
    plan::Buffer *b = p.add_buffers();
    b->set_id(p.buffers_size() - 1);
    b->set_dtype(plan::F32);
    b->add_shape(kN);
    b->set_name(name);
    if (offset)
      b->set_arena_offset(*offset);
    return b->id();
  };
  uint32_t x = buffer("x", std::nullopt), a = buffer("a", 0), b = buffer("b", 64),
           c = buffer("c", offsetOfC), out = buffer("out", std::nullopt);
  plan::Input *in = p.add_inputs();
  in->set_name("x");
  in->set_buffer(x);
  plan::Output *o = p.add_outputs();
  o->set_name("out");
  o->set_buffer(out);
  auto inst = [&](const std::string &op, std::vector<uint32_t> operands,
                  std::vector<uint32_t> results) {
    plan::Instruction *i = program.add_instructions();
    i->set_op(op);
    for (uint32_t id : operands)
      i->add_operands(id);
    for (uint32_t id : results)
      i->add_results(id);
  };
  inst("add", {x, x}, {a});
  inst("mul", {a, x}, {b});
  inst("free", {a}, {});
  inst("add", {b, b}, {c});
  inst("free", {b}, {});
  inst("mul", {c, x}, {out});
  inst("free", {c}, {});
  return p;
}

TEST(ExecutorArenaTest, ReusesFreedBytesAndAllocatesNothingInTheStep) {
  std::unique_ptr<Communicator> self = createSelfCommunicator();
  auto executor = Executor::create(makePlan(128, 0), *self, {});
  ASSERT_OK(executor);
  const TrackingAllocator &allocator = (*executor)->allocator();
  // The input (64 bytes) and the arena (128), nothing else yet.
  EXPECT_EQ(allocator.currentBytes(), 64 + 128);
  int64_t before = allocator.allocations();

  std::vector<float> x(kN);
  for (int64_t i = 0; i < kN; ++i)
    x[i] = 0.25f * static_cast<float>(i - 5);
  ASSERT_OK((*executor)->setInput("x", DType::F32, {kN}, x.data()));
  for (uint64_t step = 0; step < 3; ++step) {
    ASSERT_OK((*executor)->runStep(step));
    auto out = (*executor)->output("out");
    ASSERT_OK(out);
    const float *values = static_cast<const float *>(out->data);
    for (int64_t i = 0; i < kN; ++i)
      EXPECT_FLOAT_EQ(values[i], 4 * x[i] * x[i] * x[i]) << "element " << i;
    // The kept output was allocated on the first step; transients never are.
    EXPECT_EQ(allocator.allocations(), before + 1);
  }
  EXPECT_EQ(allocator.peakBytes(), 64 + 128 + 64);

  // a and c share offset 0, and a buffer placed there again starts zeroed, as a fresh
  // allocation would, although c's values were last in those bytes.
  auto a = (*executor)->ensureAllocated(1);
  ASSERT_OK(a);
  for (int64_t i = 0; i < kN; ++i)
    EXPECT_EQ(static_cast<const float *>(*a)[i], 0.0f) << "element " << i;
  auto c = (*executor)->ensureAllocated(3);
  ASSERT_OK(c);
  EXPECT_EQ(*a, *c);
  (*executor)->release(1);
  (*executor)->release(3);
  EXPECT_EQ(allocator.allocations(), before + 1);
}

TEST(ExecutorArenaTest, RejectsABufferPastTheArena) {
  std::unique_ptr<Communicator> self = createSelfCommunicator();
  auto executor = Executor::create(makePlan(128, 128), *self, {});
  ASSERT_FALSE(executor.isOk());
  EXPECT_NE(executor.status().message().find("does not fit the arena of 128 bytes"),
            std::string::npos)
      << executor.status().message();
}

// A plan that puts a buffer over one a collective still reads is refused when the buffer is
// written, instead of racing with the transfer. ds-opt never places one so.
TEST(ExecutorArenaTest, RejectsBytesACollectiveInFlightStillUses) {
  plan::Plan p = makePlan(128, 0);
  plan::RankProgram &program = *p.mutable_programs(0);
  program.clear_instructions();
  auto add = [&](const std::string &op, uint32_t operand, uint32_t result) {
    plan::Instruction *i = program.add_instructions();
    i->set_op(op);
    i->add_operands(operand);
    if (op == "add")
      i->add_operands(operand);
    i->add_results(result);
    return i;
  };
  add("add", 0, 1); // a at 0
  plan::Instruction *reduce = add("all_reduce", 1, 2); // b at 64, reads a asynchronously
  reduce->set_stream(plan::COMM);
  (*reduce->mutable_attrs())["axis"].set_s("dp");
  (*reduce->mutable_attrs())["kind"].set_s("sum");
  p.mutable_buffers(3)->set_arena_offset(32); // c over the second half of a, a still in flight
  add("add", 0, 3);

  std::unique_ptr<Communicator> self = createSelfCommunicator();
  auto executor = Executor::create(p, *self, {});
  ASSERT_OK(executor);
  std::vector<float> x(kN, 1.0f);
  ASSERT_OK((*executor)->setInput("x", DType::F32, {kN}, x.data()));
  Status status = (*executor)->runStep(0);
  ASSERT_FALSE(status.isOk());
  EXPECT_NE(status.message().find("buffer c at arena offset 32 overlaps buffer a, which "
                                  "instruction 1 (all_reduce) still uses"),
            std::string::npos)
      << status.message();
}

// A `free` on the comm stream (behind a collective that reads the buffer) does not wait for the
// collective: the buffer keeps its bytes until the collective completes. When a later buffer is
// placed over those bytes, the collective is completed first instead of the plan being refused.
TEST(ExecutorArenaTest, AFreeBehindACollectiveDefersUntilItsBytesAreNeeded) {
  plan::Plan p = makePlan(128, 0);
  plan::RankProgram &program = *p.mutable_programs(0);
  program.clear_instructions();
  auto inst = [&](const std::string &op, std::vector<uint32_t> operands,
                  std::vector<uint32_t> results) {
    plan::Instruction *i = program.add_instructions();
    i->set_op(op);
    for (uint32_t id : operands)
      i->add_operands(id);
    for (uint32_t id : results)
      i->add_results(id);
    return i;
  };
  // x -> a = x + x (arena 0) -> b = all_reduce(a) (arena 64) -> free a behind it (comm stream)
  // -> c = x + x over a's bytes (arena 0) -> out = b * c -> free b, c.
  inst("add", {0, 0}, {1});
  plan::Instruction *reduce = inst("all_reduce", {1}, {2});
  reduce->set_stream(plan::COMM);
  (*reduce->mutable_attrs())["axis"].set_s("dp");
  (*reduce->mutable_attrs())["kind"].set_s("sum");
  inst("free", {1}, {})->set_stream(plan::COMM);
  inst("add", {0, 0}, {3});
  plan::Instruction *mul = inst("mul", {2, 3}, {4});
  mul->add_waits(1);
  inst("free", {2}, {});
  inst("free", {3}, {});

  std::unique_ptr<Communicator> self = createSelfCommunicator();
  auto executor = Executor::create(p, *self, {});
  ASSERT_OK(executor);
  std::vector<float> x(kN);
  for (int64_t i = 0; i < kN; ++i)
    x[i] = static_cast<float>(i) - 3.0f;
  ASSERT_OK((*executor)->setInput("x", DType::F32, {kN}, x.data()));
  for (uint64_t step = 0; step < 2; ++step) {
    ASSERT_OK((*executor)->runStep(step));
    auto out = (*executor)->output("out");
    ASSERT_OK(out);
    for (int64_t i = 0; i < kN; ++i)
      EXPECT_FLOAT_EQ(static_cast<const float *>(out->data)[i], 4 * x[i] * x[i]) << i;
  }
}

// Collectives along a non-leading dim stage their data in device memory; the blocks go back to
// the executor's pool, so after the first step a step allocates none (on a GPU each allocation
// would also synchronize the stream at its free).
class CountingDevice final : public Device {
public:
  DeviceKind kind() const override { return host_->kind(); }
  const std::string &description() const override { return host_->description(); }
  void *allocate(int64_t bytes) override {
    ++allocations;
    return host_->allocate(bytes);
  }
  void deallocate(void *ptr, int64_t bytes) override { host_->deallocate(ptr, bytes); }
  Status fill(void *dst, int64_t count, const void *element, int64_t elementBytes) override {
    return host_->fill(dst, count, element, elementBytes);
  }
  Status copyFromHost(void *dst, const void *src, int64_t bytes) override {
    return host_->copyFromHost(dst, src, bytes);
  }
  Status copyToHost(void *dst, const void *src, int64_t bytes) override {
    return host_->copyToHost(dst, src, bytes);
  }
  Status copy(void *dst, const void *src, int64_t bytes) override {
    return host_->copy(dst, src, bytes);
  }
  Status copy2D(void *dst, int64_t dstPitch, const void *src, int64_t srcPitch, int64_t width,
                int64_t rows) override {
    return host_->copy2D(dst, dstPitch, src, srcPitch, width, rows);
  }
  Status synchronize() override { return host_->synchronize(); }

  int64_t allocations = 0;

private:
  std::unique_ptr<Device> host_ = createHostDevice();
};

TEST(ExecutorArenaTest, CollectiveStagingIsReusedAcrossSteps) {
  plan::Plan p = makePlan(128, 0);
  plan::RankProgram &program = *p.mutable_programs(0);
  program.clear_instructions();
  // out = all_to_all(x) with split_dim 0 and concat_dim 0 on one rank: staged both ways.
  plan::Instruction *exchange = program.add_instructions();
  exchange->set_op("all_to_all");
  exchange->set_stream(plan::COMM);
  exchange->add_operands(0);
  exchange->add_results(4);
  (*exchange->mutable_attrs())["axis"].set_s("dp");
  (*exchange->mutable_attrs())["split_dim"].set_i(0);
  (*exchange->mutable_attrs())["concat_dim"].set_i(0);

  std::unique_ptr<Communicator> self = createSelfCommunicator();
  auto device = std::make_shared<CountingDevice>();
  ExecutorOptions options;
  options.device = device;
  auto executor = Executor::create(p, *self, options);
  ASSERT_OK(executor);
  std::vector<float> x(kN);
  for (int64_t i = 0; i < kN; ++i)
    x[i] = static_cast<float>(i);
  ASSERT_OK((*executor)->setInput("x", DType::F32, {kN}, x.data()));
  ASSERT_OK((*executor)->runStep(0));
  int64_t afterFirst = device->allocations;
  for (uint64_t step = 1; step < 4; ++step) {
    ASSERT_OK((*executor)->runStep(step));
    auto out = (*executor)->output("out");
    ASSERT_OK(out);
    for (int64_t i = 0; i < kN; ++i)
      EXPECT_EQ(static_cast<const float *>(out->data)[i], x[i]) << i;
  }
  EXPECT_EQ(device->allocations, afterFirst);
}

} // namespace

