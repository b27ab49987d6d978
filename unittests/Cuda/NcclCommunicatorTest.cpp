// The NCCL communicator on one rank, bootstrapped by SelfCommunicator: every collective on device
// buffers checked exactly (a group of one moves data unchanged), ordering against a compute
// stream, a sub-group, the byte counters, and argument errors. Tests that need a GPU skip without
// one; creation without a device must fail with a Status, which runs everywhere.
#include "CudaTestSupport.h"

#include "ds/Runtime/NCCLCommunicator.h"
#include "ds/Runtime/SelfCommunicator.h"

#include <cuda_runtime.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace {

using namespace ds::rt;
using namespace ds::rt::cuda::test;

constexpr double kTimeout = 60.0;

bool contains(const std::string &s, const std::string &part) {
  return s.find(part) != std::string::npos;
}

// The world NCCL communicator of a one-rank run; the bootstrap may go once it exists.
StatusOr<std::unique_ptr<Communicator>> makeWorld(void *computeStream = nullptr) {
  std::unique_ptr<Communicator> self = createSelfCommunicator();
  NcclOptions options;
  options.computeStream = computeStream;
  return createNcclCommunicator(*self, options);
}

Status waitFor(StatusOr<CommHandle> handle) {
  if (!handle)
    return handle.status();
  return (*handle)->wait(kTimeout);
}

template <typename T> std::vector<T> sequence(size_t n, T start) {
  std::vector<T> v(n);
  for (size_t i = 0; i < n; ++i)
    v[i] = static_cast<T>(start + static_cast<T>(i));
  return v;
}

bool sameBits(const std::vector<float> &a, const std::vector<float> &b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

TEST(NcclCommunicator, CreationWithoutDeviceFailsCleanly) {
  if (noDeviceReason().empty())
    GTEST_SKIP() << "a CUDA device is present; this checks the failure without one";
  StatusOr<std::unique_ptr<Communicator>> world = makeWorld();
  ASSERT_TRUE(!world.isOk());
  EXPECT_TRUE(contains(world.status().message(), "NCCL communicator")) << world.status().message();
}

TEST(NcclCommunicator, WorldOfOne) {
  REQUIRE_CUDA_DEVICE();
  StatusOr<std::unique_ptr<Communicator>> world = makeWorld();
  ASSERT_TRUE(world.isOk()) << world.status().message();
  EXPECT_TRUE((*world)->rank() == 0 && (*world)->size() == 1);
  EXPECT_TRUE((*world)->name() == "world") << (*world)->name();
}

TEST(NcclCommunicator, CollectivesMoveDataExactly) {
  REQUIRE_CUDA_DEVICE();
  StatusOr<std::unique_ptr<Communicator>> worldOr = makeWorld();
  ASSERT_TRUE(worldOr.isOk()) << worldOr.status().message();
  Communicator &world = **worldOr;
  const size_t n = 4099; // not a multiple of anything NCCL chunks by
  const std::vector<float> x = randomFloats(n, 7);

  { // all_gather, out of place and in place
    DeviceBuffer send(x), recv(n * sizeof(float));
    ASSERT_OK(waitFor(world.allGather(send.get(), recv.get(), n, DType::F32)));
    EXPECT_TRUE(sameBits(recv.download<float>(n), x));
    ASSERT_OK(waitFor(world.allGather(recv.get(), recv.get(), n, DType::F32)));
    EXPECT_TRUE(sameBits(recv.download<float>(n), x));
  }
  { // reduce_scatter: sum and avg of one contribution are that contribution
    DeviceBuffer send(x), recv(n * sizeof(float));
    ASSERT_OK(waitFor(world.reduceScatter(send.get(), recv.get(), n, DType::F32, ReduceOp::Sum)));
    EXPECT_TRUE(sameBits(recv.download<float>(n), x));
    ASSERT_OK(waitFor(world.reduceScatter(send.get(), recv.get(), n, DType::F32, ReduceOp::Avg)));
    EXPECT_TRUE(sameBits(recv.download<float>(n), x));
  }
  { // all_reduce: sum, avg, max, in place
    DeviceBuffer send(x), recv(n * sizeof(float));
    for (ReduceOp op : {ReduceOp::Sum, ReduceOp::Avg, ReduceOp::Max, ReduceOp::Min}) {
      ASSERT_OK(waitFor(world.allReduce(send.get(), recv.get(), n, DType::F32, op)));
      EXPECT_TRUE(sameBits(recv.download<float>(n), x)) << reduceOpName(op);
    }
    ASSERT_OK(waitFor(world.allReduce(send.get(), send.get(), n, DType::F32, ReduceOp::Sum)));
    EXPECT_TRUE(sameBits(send.download<float>(n), x));
  }
  { // 16-bit sums (mixed-precision gradients) and integer sums
    const std::vector<uint16_t> bf = toBf16Bits(x);
    DeviceBuffer send(bf), recv(n * sizeof(uint16_t));
    ASSERT_OK(waitFor(world.allReduce(send.get(), recv.get(), n, DType::BF16, ReduceOp::Sum)));
    EXPECT_TRUE(recv.download<uint16_t>(n) == bf);
    ASSERT_OK(waitFor(world.allReduce(send.get(), recv.get(), n, DType::F16, ReduceOp::Sum)));
    EXPECT_TRUE(recv.download<uint16_t>(n) == bf); // any bits but NaNs survive a copy
    const std::vector<int64_t> ints = sequence<int64_t>(n, -100);
    DeviceBuffer isend(ints), irecv(n * sizeof(int64_t));
    ASSERT_OK(waitFor(world.allReduce(isend.get(), irecv.get(), n, DType::I64, ReduceOp::Sum)));
    EXPECT_TRUE(irecv.download<int64_t>(n) == ints);
  }
  { // broadcast from root 0, in place
    DeviceBuffer buf(x);
    ASSERT_OK(waitFor(world.broadcast(buf.get(), n, DType::F32, 0)));
    EXPECT_TRUE(sameBits(buf.download<float>(n), x));
  }
  { // all_to_all of bytes (the one chunk goes to this rank) and of i32
    const std::vector<uint8_t> bytes = sequence<uint8_t>(n, 3);
    DeviceBuffer send(bytes), recv(n);
    ASSERT_OK(waitFor(world.allToAll(send.get(), recv.get(), n, DType::U8)));
    EXPECT_TRUE(recv.download<uint8_t>(n) == bytes);
    const std::vector<int32_t> ints = sequence<int32_t>(n, 11);
    DeviceBuffer isend(ints), irecv(n * sizeof(int32_t));
    ASSERT_OK(waitFor(world.allToAll(isend.get(), irecv.get(), n, DType::I32)));
    EXPECT_TRUE(irecv.download<int32_t>(n) == ints);
  }
  { // an empty message completes without touching NCCL
    ASSERT_OK(waitFor(world.allReduce(nullptr, nullptr, 0, DType::F32, ReduceOp::Sum)));
  }
}

// Data produced on a compute stream, with no host synchronization, is what the collective
// reduces, and a copy queued on that stream after completion sees the result.
TEST(NcclCommunicator, OrderedAgainstTheComputeStream) {
  REQUIRE_CUDA_DEVICE();
  cudaStream_t compute = nullptr;
  ASSERT_TRUE(cudaStreamCreateWithFlags(&compute, cudaStreamNonBlocking) == cudaSuccess);
  {
    StatusOr<std::unique_ptr<Communicator>> worldOr = makeWorld(compute);
    ASSERT_TRUE(worldOr.isOk()) << worldOr.status().message();
    const size_t n = 1 << 22; // 16 MiB, so the producing memset is not instantaneous
    DeviceBuffer send(n * sizeof(float)), recv(n * sizeof(float));
    ASSERT_TRUE(cudaMemsetAsync(send.get(), 0x3f, n * sizeof(float), compute) == cudaSuccess);
    StatusOr<CommHandle> h =
        (*worldOr)->allReduce(send.get(), recv.get(), n, DType::F32, ReduceOp::Sum);
    ASSERT_TRUE(h.isOk()) << h.status().message();
    ASSERT_OK((*h)->wait(kTimeout));
    std::vector<float> host(n);
    ASSERT_TRUE(cudaMemcpyAsync(host.data(), recv.get(), n * sizeof(float), cudaMemcpyDeviceToHost,
                                compute) == cudaSuccess);
    ASSERT_TRUE(cudaStreamSynchronize(compute) == cudaSuccess);
    float want;
    const uint32_t bits = 0x3f3f3f3fu;
    std::memcpy(&want, &bits, sizeof want);
    size_t wrong = 0;
    for (float v : host)
      wrong += std::memcmp(&v, &want, sizeof v) != 0;
    EXPECT_TRUE(wrong == 0) << wrong << " of " << n << " elements differ";
  }
  (void)cudaStreamDestroy(compute);
}

TEST(NcclCommunicator, RequestsDescribeThemselves) {
  REQUIRE_CUDA_DEVICE();
  StatusOr<std::unique_ptr<Communicator>> worldOr = makeWorld();
  ASSERT_TRUE(worldOr.isOk()) << worldOr.status().message();
  DeviceBuffer buf(std::vector<float>(4, 1.0f));
  StatusOr<CommHandle> h =
      (*worldOr)->allReduce(buf.get(), buf.get(), 4, DType::F32, ReduceOp::Sum);
  ASSERT_TRUE(h.isOk()) << h.status().message();
  EXPECT_TRUE((*h)->description() ==
              "all_reduce(sum, 4 x f32) on group 'world' (rank 0 of 1, world rank 0)")
      << (*h)->description();
  Status bad = (*h)->wait(-1.0);
  EXPECT_TRUE(!bad.isOk() && contains(bad.message(), "timeout must be >= 0")) << bad.message();
  ASSERT_OK((*h)->wait(kTimeout));
  StatusOr<bool> done = (*h)->test();
  EXPECT_TRUE(done.isOk() && *done);
}

TEST(NcclCommunicator, SubGroupOfAMesh) {
  REQUIRE_CUDA_DEVICE();
  StatusOr<std::unique_ptr<Communicator>> worldOr = makeWorld();
  ASSERT_TRUE(worldOr.isOk()) << worldOr.status().message();
  StatusOr<std::unique_ptr<Communicator>> dp = (*worldOr)->subGroup({{"dp", 1}}, {"dp"});
  ASSERT_TRUE(dp.isOk()) << dp.status().message();
  EXPECT_TRUE((*dp)->name() == "dp" && (*dp)->rank() == 0 && (*dp)->size() == 1);
  const std::vector<float> x = randomFloats(257, 3);
  DeviceBuffer send(x), recv(x.size() * sizeof(float));
  StatusOr<CommHandle> h =
      (*dp)->allReduce(send.get(), recv.get(), x.size(), DType::F32, ReduceOp::Avg);
  ASSERT_TRUE(h.isOk()) << h.status().message();
  EXPECT_TRUE(contains((*h)->description(), "on group 'dp' (rank 0 of 1, world rank 0)"))
      << (*h)->description();
  ASSERT_OK((*h)->wait(kTimeout));
  EXPECT_TRUE(sameBits(recv.download<float>(x.size()), x));
  // The child shares the parent's stream; the parent keeps working after the child is gone.
  dp = Status::error("dropped");
  ASSERT_OK(waitFor((*worldOr)->allGather(send.get(), recv.get(), x.size(), DType::F32)));

  StatusOr<std::unique_ptr<Communicator>> wrong = (*worldOr)->subGroup({{"dp", 2}}, {"dp"});
  ASSERT_TRUE(!wrong.isOk());
  EXPECT_TRUE(contains(wrong.status().message(), "the mesh has 2 ranks but the group has 1"))
      << wrong.status().message();
  StatusOr<std::unique_ptr<Communicator>> noAxis = (*worldOr)->subGroup({{"dp", 1}}, {"tp"});
  ASSERT_TRUE(!noAxis.isOk());
  EXPECT_TRUE(contains(noAxis.status().message(), "no axis 'tp'")) << noAxis.status().message();
}

TEST(NcclCommunicator, CountersMatchBusBytes) {
  REQUIRE_CUDA_DEVICE();
  StatusOr<std::unique_ptr<Communicator>> worldOr = makeWorld();
  ASSERT_TRUE(worldOr.isOk()) << worldOr.status().message();
  Communicator &world = **worldOr;
  const int64_t n = 1000;
  DeviceBuffer a(n * sizeof(float)), b(n * sizeof(float));
  ASSERT_OK(waitFor(world.allGather(a.get(), b.get(), n, DType::F32)));
  ASSERT_OK(waitFor(world.reduceScatter(a.get(), b.get(), n, DType::BF16, ReduceOp::Sum)));
  ASSERT_OK(waitFor(world.allReduce(a.get(), b.get(), n, DType::F32, ReduceOp::Sum)));
  ASSERT_OK(waitFor(world.allReduce(a.get(), b.get(), n, DType::F32, ReduceOp::Sum)));
  ASSERT_OK(waitFor(world.allToAll(a.get(), b.get(), n, DType::I32)));
  ASSERT_OK(waitFor(world.broadcast(a.get(), n, DType::F32, 0)));
  const CommCounters &c = world.counters();
  EXPECT_TRUE(c.callsOf(CollectiveKind::AllGather) == 1);
  EXPECT_TRUE(c.callsOf(CollectiveKind::ReduceScatter) == 1);
  EXPECT_TRUE(c.callsOf(CollectiveKind::AllReduce) == 2);
  EXPECT_TRUE(c.callsOf(CollectiveKind::AllToAll) == 1);
  EXPECT_TRUE(c.callsOf(CollectiveKind::Broadcast) == 1);
  EXPECT_TRUE(c.bytesOf(CollectiveKind::AllGather) == busBytes(CollectiveKind::AllGather, 4000, 1));
  EXPECT_TRUE(c.bytesOf(CollectiveKind::ReduceScatter) ==
              busBytes(CollectiveKind::ReduceScatter, 2000, 1));
  EXPECT_TRUE(c.bytesOf(CollectiveKind::AllReduce) ==
              2 * busBytes(CollectiveKind::AllReduce, 4000, 1));
  EXPECT_TRUE(c.bytesOf(CollectiveKind::Broadcast) == 4000) << c.bytesOf(CollectiveKind::Broadcast);
  EXPECT_TRUE(c.totalBytes() == 4000) << c.totalBytes(); // a group of one moves only broadcasts
  world.resetCounters();
  EXPECT_TRUE(world.counters().totalBytes() == 0 &&
              world.counters().callsOf(CollectiveKind::AllReduce) == 0);
}

TEST(NcclCommunicator, ArgumentErrorsIssueNothing) {
  REQUIRE_CUDA_DEVICE();
  StatusOr<std::unique_ptr<Communicator>> worldOr = makeWorld();
  ASSERT_TRUE(worldOr.isOk()) << worldOr.status().message();
  Communicator &world = **worldOr;
  DeviceBuffer a(64 * sizeof(int64_t)), b(64 * sizeof(int64_t));
  struct Case {
    StatusOr<CommHandle> result;
    const char *expect;
  };
  Case cases[] = {
      {world.broadcast(a.get(), 8, DType::F32, 1), "root 1 is not a rank of the group"},
      {world.broadcast(a.get(), 8, DType::F32, -1), "root -1 is not a rank of the group"},
      {world.allReduce(a.get(), b.get(), 8, DType::I32, ReduceOp::Avg), "avg needs f32 or f64"},
      {world.allReduce(a.get(), b.get(), 8, DType::BF16, ReduceOp::Max),
       "16-bit reductions only sum"},
      {world.reduceScatter(a.get(), b.get(), 8, DType::U8, ReduceOp::Sum),
       "reductions take f32, f64, bf16, f16, i32 or i64, got u8"},
      {world.allGather(a.get(), b.get(), -1, DType::F32), "negative element count"},
      {world.allReduce(nullptr, b.get(), 8, DType::F32, ReduceOp::Sum), "null buffer"},
      {world.allToAll(a.get(), a.get(), 8, DType::F32), "must be different buffers"},
      {world.send(a.get(), 8, DType::F32, 1, 0), "peer 1 is not a rank of the group"},
      {world.recv(a.get(), 8, DType::F32, 0, -2), "tag must be >= 0"},
      {world.send(a.get(), 8, DType::F32, 0, 0), "to itself"},
  };
  for (const Case &c : cases) {
    ASSERT_TRUE(!c.result.isOk()) << "expected an error containing '" << c.expect << "'";
    EXPECT_TRUE(contains(c.result.status().message(), c.expect)) << c.result.status().message();
    EXPECT_TRUE(contains(c.result.status().message(), "on group 'world' (rank 0 of 1"))
        << c.result.status().message();
  }
  EXPECT_TRUE(world.counters().totalBytes() == 0);
  uint64_t calls = 0;
  for (uint64_t k : world.counters().calls)
    calls += k;
  EXPECT_TRUE(calls == 0) << calls << " calls counted for rejected arguments";
}

} // namespace
