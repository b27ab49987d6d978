// MPICommunicator under mpirun (-np 2 and -np 4): every collective on the world and on mesh-axis
// sub-groups, byte counters, a send/recv ring, and timeouts that return errors instead of hanging.
// Every rank runs the same tests in the same order; its own main brackets them with MPI_Init and
// MPI_Finalize.
#include "ds/Runtime/MPICommunicator.h"

#include "TestUtil.h"

#include <mpi.h>

#include <chrono>
#include <cstring>

using namespace ds::rt;

namespace {

// Generous for a loaded 2-core machine, well under ctest's 60 s.
constexpr double kWait = 30.0;

Communicator *gWorld = nullptr;

class WorldEnvironment : public ::testing::Environment {
public:
  void SetUp() override {
    StatusOr<std::unique_ptr<Communicator>> world = createMPIWorldCommunicator();
    ASSERT_TRUE(world.isOk()) << world.status().message();
    owned_ = std::move(*world);
    gWorld = owned_.get();
  }
  void TearDown() override {
    gWorld = nullptr;
    owned_.reset();
  }

private:
  std::unique_ptr<Communicator> owned_;
};

// Issues and waits; the Status says what failed.
Status finish(StatusOr<CommHandle> handle, double timeout = kWait) {
  if (!handle)
    return handle.status();
  return (*handle)->wait(timeout);
}

// Input of rank r for reductions: distinct per rank and element, never zero.
float reduceInput(int r, int64_t i) { return (r + 1) * 0.75f + static_cast<float>(i) * ((r % 2) ? -0.5f : 0.25f); }

double reduceExpected(ReduceOp op, const std::vector<int> &ranks, int64_t i) {
  double acc = op == ReduceOp::Max ? -INFINITY : op == ReduceOp::Min ? INFINITY : 0.0;
  for (int r : ranks) {
    double v = reduceInput(r, i);
    acc = op == ReduceOp::Max ? std::max(acc, v) : op == ReduceOp::Min ? std::min(acc, v) : acc + v;
  }
  return op == ReduceOp::Avg ? acc / ranks.size() : acc;
}

std::vector<int> allRanks(int n) {
  std::vector<int> r(n);
  for (int i = 0; i < n; ++i)
    r[i] = i;
  return r;
}

const ReduceOp kOps[] = {ReduceOp::Sum, ReduceOp::Avg, ReduceOp::Max, ReduceOp::Min};

TEST(Comm, AllGatherWorld) {
  Communicator &c = *gWorld;
  const int n = c.size(), r = c.rank();
  std::vector<float> send(5), recv(5 * n, NAN);
  for (int i = 0; i < 5; ++i)
    send[i] = r * 100 + i + 0.5f;
  ASSERT_OK(finish(c.allGather(send.data(), recv.data(), 5, DType::F32)));
  for (int j = 0; j < n; ++j)
    for (int i = 0; i < 5; ++i)
      ASSERT_EQ(recv[j * 5 + i], j * 100 + i + 0.5f);

  // In place: each rank's shard already sits in its slot. bf16 travels as raw 16-bit words.
  std::vector<BFloat16> buf(3 * n, BFloat16{0});
  for (int i = 0; i < 3; ++i)
    buf[r * 3 + i] = BFloat16{static_cast<uint16_t>(0x3f80 + r * 16 + i)};
  ASSERT_OK(finish(c.allGather(buf.data() + r * 3, buf.data(), 3, DType::BF16)));
  for (int j = 0; j < n; ++j)
    for (int i = 0; i < 3; ++i)
      ASSERT_EQ(buf[j * 3 + i].bits, 0x3f80 + j * 16 + i);
}

TEST(Comm, ReduceScatterWorld) {
  Communicator &c = *gWorld;
  const int n = c.size(), r = c.rank();
  const int64_t chunk = 3;
  for (ReduceOp op : kOps) {
    SCOPED_TRACE(reduceOpName(op));
    std::vector<float> send(chunk * n), recv(chunk, NAN);
    for (int64_t i = 0; i < chunk * n; ++i)
      send[i] = reduceInput(r, i);
    ASSERT_OK(finish(c.reduceScatter(send.data(), recv.data(), chunk, DType::F32, op)));
    std::vector<double> want(chunk);
    for (int64_t i = 0; i < chunk; ++i)
      want[i] = reduceExpected(op, allRanks(n), r * chunk + i);
    EXPECT_TRUE(ds::rt::test::allClose(recv, want, 1e-6, 1e-6));
  }
}

TEST(Comm, AllReduceWorld) {
  Communicator &c = *gWorld;
  const int n = c.size(), r = c.rank();
  for (ReduceOp op : kOps) {
    SCOPED_TRACE(reduceOpName(op));
    std::vector<float> send(7), recv(7, NAN);
    for (int64_t i = 0; i < 7; ++i)
      send[i] = reduceInput(r, i);
    std::vector<double> want(7);
    for (int64_t i = 0; i < 7; ++i)
      want[i] = reduceExpected(op, allRanks(n), i);
    ASSERT_OK(finish(c.allReduce(send.data(), recv.data(), 7, DType::F32, op)));
    EXPECT_TRUE(ds::rt::test::allClose(recv, want, 1e-6, 1e-6));
    // In place.
    ASSERT_OK(finish(c.allReduce(send.data(), send.data(), 7, DType::F32, op)));
    EXPECT_TRUE(ds::rt::test::allClose(send, want, 1e-6, 1e-6));
  }
  // f64 (gradient checks) reduces in double: 1 + k 1e-12 is exact there and not in f32.
  auto valueOf = [](int k, int i) { return i == 0 ? 1.0 + k * 1e-12 : -(k + 1) * 0.1; };
  for (ReduceOp op : kOps) {
    SCOPED_TRACE(reduceOpName(op));
    double sendD[2] = {valueOf(r, 0), valueOf(r, 1)}, recvD[2] = {NAN, NAN};
    ASSERT_OK(finish(c.allReduce(sendD, recvD, 2, DType::F64, op)));
    for (int i = 0; i < 2; ++i) {
      double want = valueOf(0, i);
      for (int k = 1; k < n; ++k)
        want = op == ReduceOp::Max   ? std::max(want, valueOf(k, i))
               : op == ReduceOp::Min ? std::min(want, valueOf(k, i))
                                     : want + valueOf(k, i);
      if (op == ReduceOp::Avg)
        want /= n;
      EXPECT_NEAR(recvD[i], want, 1e-14) << i;
    }
  }
  // Integer sums (token counts) are exact.
  int64_t tokens = 1000 + r, total = 0;
  ASSERT_OK(finish(c.allReduce(&tokens, &total, 1, DType::I64, ReduceOp::Sum)));
  EXPECT_EQ(total, 1000 * n + n * (n - 1) / 2);
}

// Mixed-precision gradients: 16-bit sums, each addition rounded to nearest even. The inputs
// (small multiples of 1/4) and their partial sums are exact in bf16 and fp16, so any order of
// additions gives the exact sum; rank r's element i is (r + 1) * (i - 2) / 4.
TEST(Comm, SixteenBitSums) {
  Communicator &c = *gWorld;
  const int n = c.size(), r = c.rank();
  std::vector<BFloat16> bf(6), bfOut(6);
  std::vector<Half> h(6), hOut(6);
  for (int i = 0; i < 6; ++i) {
    float v = (r + 1) * (i - 2) / 4.0f;
    bf[i] = toBFloat16(v);
    h[i] = toHalf(v);
  }
  ASSERT_OK(finish(c.allReduce(bf.data(), bfOut.data(), 6, DType::BF16, ReduceOp::Sum)));
  ASSERT_OK(finish(c.allReduce(h.data(), hOut.data(), 6, DType::F16, ReduceOp::Sum)));
  for (int i = 0; i < 6; ++i) {
    float want = n * (n + 1) / 2 * (i - 2) / 4.0f;
    EXPECT_EQ(toFloat(bfOut[i]), want) << i;
    EXPECT_EQ(toFloat(hOut[i]), want) << i;
  }
  // reduce_scatter: member r gets its slice of the sum.
  std::vector<BFloat16> whole(2 * n), piece(2);
  for (int i = 0; i < 2 * n; ++i)
    whole[i] = toBFloat16(static_cast<float>(i + r));
  ASSERT_OK(finish(c.reduceScatter(whole.data(), piece.data(), 2, DType::BF16, ReduceOp::Sum)));
  for (int i = 0; i < 2; ++i)
    EXPECT_EQ(toFloat(piece[i]), static_cast<float>(n * (2 * r + i) + n * (n - 1) / 2)) << i;
}

TEST(Comm, TestPollsToCompletion) {
  Communicator &c = *gWorld;
  float one = 1.0f, sum = 0.0f;
  StatusOr<CommHandle> h = c.allReduce(&one, &sum, 1, DType::F32, ReduceOp::Sum);
  ASSERT_OK(h);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  bool done = false;
  while (!done && std::chrono::steady_clock::now() < deadline) {
    StatusOr<bool> t = (*h)->test();
    ASSERT_OK(t);
    done = *t;
  }
  ASSERT_TRUE(done);
  EXPECT_EQ(sum, static_cast<float>(c.size()));
  EXPECT_OK((*h)->wait(0.0)); // completed handles answer at once
}

TEST(Comm, AllToAllWorld) {
  Communicator &c = *gWorld;
  const int n = c.size(), r = c.rank();
  std::vector<float> send(3 * n), recv(3 * n, NAN);
  for (int j = 0; j < n; ++j)
    for (int k = 0; k < 3; ++k)
      send[j * 3 + k] = r * 1000 + j * 10 + k + 1;
  ASSERT_OK(finish(c.allToAll(send.data(), recv.data(), 3, DType::F32)));
  for (int i = 0; i < n; ++i)
    for (int k = 0; k < 3; ++k)
      ASSERT_EQ(recv[i * 3 + k], i * 1000 + r * 10 + k + 1);

  std::vector<Half> hs(2 * n), hr(2 * n);
  for (int j = 0; j < 2 * n; ++j)
    hs[j] = Half{static_cast<uint16_t>(r * 256 + j + 1)};
  ASSERT_OK(finish(c.allToAll(hs.data(), hr.data(), 2, DType::F16)));
  for (int i = 0; i < n; ++i)
    for (int k = 0; k < 2; ++k)
      ASSERT_EQ(hr[i * 2 + k].bits, i * 256 + r * 2 + k + 1);
}

TEST(Comm, BroadcastWorld) {
  Communicator &c = *gWorld;
  const int root = c.size() - 1;
  std::vector<Half> buf(6, Half{0});
  if (c.rank() == root)
    for (int i = 0; i < 6; ++i)
      buf[i] = toHalf(1.5f * (i + 1));
  ASSERT_OK(finish(c.broadcast(buf.data(), 6, DType::F16, root)));
  for (int i = 0; i < 6; ++i)
    EXPECT_EQ(toFloat(buf[i]), 1.5f * (i + 1));
}

TEST(Comm, SendRecvRing) {
  Communicator &c = *gWorld;
  const int n = c.size(), r = c.rank();
  std::vector<float> out(4), in(4, NAN);
  for (int i = 0; i < 4; ++i)
    out[i] = r * 10.0f + i + 1;
  StatusOr<CommHandle> rh = c.recv(in.data(), 4, DType::F32, (r + n - 1) % n, 7);
  StatusOr<CommHandle> sh = c.send(out.data(), 4, DType::F32, (r + 1) % n, 7);
  ASSERT_OK(finish(std::move(sh)));
  ASSERT_OK(finish(std::move(rh)));
  const int left = (r + n - 1) % n;
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(in[i], left * 10.0f + i + 1);
}

// Runs every collective on the group along `axis` of `mesh` and checks against meshGroup.
void checkSubGroup(const MeshShape &mesh, const std::string &axis) {
  SCOPED_TRACE("axis " + axis + " of mesh " + std::to_string(mesh[0].size) + "x" +
               std::to_string(mesh[1].size));
  const int worldRank = gWorld->rank();
  StatusOr<MeshGroup> expect = meshGroup(mesh, {axis}, worldRank);
  ASSERT_OK(expect);
  StatusOr<std::unique_ptr<Communicator>> subOr = gWorld->subGroup(mesh, {axis});
  ASSERT_OK(subOr);
  Communicator &g = **subOr;
  const int n = g.size();
  ASSERT_EQ(n, static_cast<int>(expect->members.size()));
  ASSERT_EQ(g.rank(), expect->key);
  EXPECT_EQ(g.name(), axis);
  std::vector<int> members(expect->members.begin(), expect->members.end());

  // all_gather of world ranks lists the members in group order.
  int64_t mine = worldRank;
  std::vector<int64_t> gathered(n, -1);
  ASSERT_OK(finish(g.allGather(&mine, gathered.data(), 1, DType::I64)));
  EXPECT_EQ(gathered, expect->members);

  std::vector<float> send(2 * n), recv(2 * n, NAN);
  for (int64_t i = 0; i < 2 * n; ++i)
    send[i] = reduceInput(worldRank, i);
  ASSERT_OK(finish(g.allReduce(send.data(), recv.data(), 2 * n, DType::F32, ReduceOp::Sum)));
  std::vector<double> want(2 * n);
  for (int64_t i = 0; i < 2 * n; ++i)
    want[i] = reduceExpected(ReduceOp::Sum, members, i);
  EXPECT_TRUE(ds::rt::test::allClose(recv, want, 1e-6, 1e-6));

  std::vector<float> part(2, NAN);
  ASSERT_OK(finish(g.reduceScatter(send.data(), part.data(), 2, DType::F32, ReduceOp::Max)));
  EXPECT_TRUE(ds::rt::test::allClose(part,
                                     {reduceExpected(ReduceOp::Max, members, g.rank() * 2),
                                      reduceExpected(ReduceOp::Max, members, g.rank() * 2 + 1)},
                                     1e-6, 1e-6));

  std::vector<int32_t> a2aSend(n), a2aRecv(n, -1);
  for (int j = 0; j < n; ++j)
    a2aSend[j] = worldRank * 100 + j;
  ASSERT_OK(finish(g.allToAll(a2aSend.data(), a2aRecv.data(), 1, DType::I32)));
  for (int i = 0; i < n; ++i)
    EXPECT_EQ(a2aRecv[i], members[i] * 100 + g.rank());

  int64_t fromRoot = worldRank;
  ASSERT_OK(finish(g.broadcast(&fromRoot, 1, DType::I64, 0)));
  EXPECT_EQ(fromRoot, members[0]);

  // Counters use the group's size: 2(n-1)/n of the 8n-byte all_reduce.
  EXPECT_EQ(g.counters().bytesOf(CollectiveKind::AllReduce), uint64_t(2 * (n - 1) * 8 * n / n));
  EXPECT_EQ(g.counters().bytesOf(CollectiveKind::AllGather), uint64_t(8 * (n - 1)));
}

TEST(Comm, MeshAxisSubGroups) {
  const int n = gWorld->size();
  if (n % 2 != 0)
    GTEST_SKIP() << "needs an even number of ranks";
  // With 4 ranks both meshes are 2x2; with 2 ranks one axis has size 1.
  for (const MeshShape &mesh :
       {MeshShape{{"dp", n / 2}, {"tp", 2}}, MeshShape{{"dp", 2}, {"tp", n / 2}}})
    for (const char *axis : {"dp", "tp"})
      checkSubGroup(mesh, axis);
}

TEST(Comm, SubGroupErrors) {
  const int n = gWorld->size();
  EXPECT_ERROR_CONTAINS(gWorld->subGroup({{"dp", n + 1}}, {"dp"}),
                        "the mesh has " + std::to_string(n + 1) + " ranks but the group has " +
                            std::to_string(n));
  EXPECT_ERROR_CONTAINS(gWorld->subGroup({{"dp", n}}, {"tp"}), "mesh has no axis 'tp'");
}

TEST(Comm, ByteCountersPerKind) {
  // A fresh communicator starts from zero.
  StatusOr<std::unique_ptr<Communicator>> fresh = createMPIWorldCommunicator();
  ASSERT_OK(fresh);
  Communicator &c = **fresh;
  const uint64_t n = c.size();
  const int r = c.rank();
  EXPECT_EQ(c.counters().totalBytes(), 0u);
  std::vector<float> a(4 * n, 1.0f), b(4 * n, 0.0f);
  ASSERT_OK(finish(c.allGather(a.data(), b.data(), 4, DType::F32)));          // full 16n bytes
  ASSERT_OK(finish(c.reduceScatter(a.data(), b.data(), 4, DType::F32, ReduceOp::Sum))); // 16n
  ASSERT_OK(finish(c.allReduce(a.data(), b.data(), 8, DType::F32, ReduceOp::Avg)));     // 32
  ASSERT_OK(finish(c.allReduce(a.data(), b.data(), 8, DType::F32, ReduceOp::Sum)));     // 32
  ASSERT_OK(finish(c.allToAll(a.data(), b.data(), 2, DType::F32)));           // 8n
  ASSERT_OK(finish(c.broadcast(a.data(), 3, DType::F32, 0)));                 // 12
  Half h[5] = {};
  StatusOr<CommHandle> rh = c.recv(h, 5, DType::F16, (r + n - 1) % n, 3);
  ASSERT_OK(finish(c.send(h, 5, DType::F16, (r + 1) % n, 3)));               // 10
  ASSERT_OK(finish(std::move(rh)));
  const CommCounters &k = c.counters();
  EXPECT_EQ(k.bytesOf(CollectiveKind::AllGather), 16 * (n - 1));
  EXPECT_EQ(k.bytesOf(CollectiveKind::ReduceScatter), 16 * (n - 1));
  EXPECT_EQ(k.bytesOf(CollectiveKind::AllReduce), 2 * (2 * 32 * (n - 1) / n));
  EXPECT_EQ(k.callsOf(CollectiveKind::AllReduce), 2u);
  EXPECT_EQ(k.bytesOf(CollectiveKind::AllToAll), 8 * (n - 1));
  EXPECT_EQ(k.bytesOf(CollectiveKind::Broadcast), 12u);
  EXPECT_EQ(k.bytesOf(CollectiveKind::Send), 10u);
  EXPECT_EQ(k.bytesOf(CollectiveKind::Recv), 0u);
  EXPECT_EQ(k.callsOf(CollectiveKind::Recv), 1u);
  c.resetCounters();
  EXPECT_EQ(c.counters().totalBytes(), 0u);
}

TEST(Comm, ArgumentErrorsBeforeAnythingIsSent) {
  Communicator &c = *gWorld;
  float f[4] = {1, 2, 3, 4};
  BFloat16 bf[4] = {};
  int32_t i32[4] = {};
  const CommCounters before = c.counters();
  EXPECT_ERROR_CONTAINS(c.allReduce(f, f, -1, DType::F32, ReduceOp::Sum), "negative element count");
  EXPECT_ERROR_CONTAINS(c.allReduce(bf, bf, 4, DType::BF16, ReduceOp::Max),
                        "16-bit reductions only sum, got bf16");
  EXPECT_ERROR_CONTAINS(c.reduceScatter(i32, i32, 1, DType::I32, ReduceOp::Avg), "avg needs f32");
  EXPECT_ERROR_CONTAINS(c.broadcast(f, 4, DType::F32, c.size()), "root " + std::to_string(c.size()) +
                                                                     " is not a rank of the group");
  EXPECT_ERROR_CONTAINS(c.send(f, 4, DType::F32, -1, 0), "peer -1 is not a rank");
  EXPECT_ERROR_CONTAINS(c.recv(f, 4, DType::F32, 0, -3), "tag must be in [0,");
  EXPECT_ERROR_CONTAINS(c.allToAll(f, f, 1, DType::F32), "different buffers");
  EXPECT_ERROR_CONTAINS(c.allGather(nullptr, f, 1, DType::F32), "null buffer");
  EXPECT_EQ(c.counters().calls, before.calls) << "failed calls must not count";
  EXPECT_EQ(c.counters().bytes, before.bytes);
}

TEST(Comm, RecvOfWrongLengthIsAnError) {
  Communicator &c = *gWorld;
  if (c.rank() == 0) {
    float three[3] = {1, 2, 3};
    ASSERT_OK(finish(c.send(three, 3, DType::F32, 1, 11)));
  } else if (c.rank() == 1) {
    float four[4] = {};
    EXPECT_ERROR_CONTAINS(finish(c.recv(four, 4, DType::F32, 0, 11)),
                          "received 3 elements, expected 4");
  }
  float x = 1, y = 0;
  ASSERT_OK(finish(c.allReduce(&x, &y, 1, DType::F32, ReduceOp::Sum)));
}

TEST(Comm, RecvThatNobodySendsTimesOut) {
  Communicator &c = *gWorld;
  if (c.rank() == 0) {
    float buf[2];
    StatusOr<CommHandle> h = c.recv(buf, 2, DType::F32, 1, 99);
    ASSERT_OK(h);
    auto start = std::chrono::steady_clock::now();
    Status s = (*h)->wait(0.2);
    double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    ASSERT_FALSE(s.isOk());
    EXPECT_NE(s.message().find("recv(2 x f32) on group 'world' (rank 0 of"), std::string::npos)
        << s.message();
    EXPECT_NE(s.message().find("did not complete within 0.2 s"), std::string::npos)
        << s.message();
    EXPECT_GE(elapsed, 0.2);
    EXPECT_LT(elapsed, 5.0);
    // Dropping the handle withdraws the receive, so nothing is left pending.
  }
  float x = 1, y = 0;
  ASSERT_OK(finish(c.allReduce(&x, &y, 1, DType::F32, ReduceOp::Sum)));
  EXPECT_EQ(y, static_cast<float>(c.size()));
}

TEST(Comm, CollectiveTimesOutUntilPeersJoin) {
  Communicator &c = *gWorld;
  const int n = c.size(), r = c.rank();
  float one = 1.0f, sum = 0.0f;
  if (r == 0) {
    StatusOr<CommHandle> h = c.allReduce(&one, &sum, 1, DType::F32, ReduceOp::Sum);
    ASSERT_OK(h);
    // The others wait for our go, so this cannot complete yet.
    Status s = (*h)->wait(0.1);
    ASSERT_FALSE(s.isOk());
    EXPECT_NE(s.message().find("all_reduce(sum, 1 x f32) on group 'world' (rank 0 of " +
                               std::to_string(n) + ", world rank 0) did not complete"),
              std::string::npos)
        << s.message();
    int go = 1;
    for (int peer = 1; peer < n; ++peer)
      ASSERT_OK(finish(c.send(&go, 1, DType::I32, peer, 5)));
    // A timed-out request stays pending and completes once everyone has joined.
    ASSERT_OK((*h)->wait(kWait));
  } else {
    int go = 0;
    ASSERT_OK(finish(c.recv(&go, 1, DType::I32, 0, 5)));
    ASSERT_OK(finish(c.allReduce(&one, &sum, 1, DType::F32, ReduceOp::Sum)));
  }
  EXPECT_EQ(sum, static_cast<float>(n));
}

// Prints only failures, tagged with the rank, so 4 ranks do not interleave 4 full reports.
class RankFailurePrinter : public ::testing::EmptyTestEventListener {
public:
  explicit RankFailurePrinter(int rank) : rank_(rank) {}
  void OnTestPartResult(const ::testing::TestPartResult &result) override {
    if (result.failed())
      std::printf("[rank %d] %s:%d: Failure\n%s\n", rank_, result.file_name() ? result.file_name() : "?",
                  result.line_number(), result.summary());
  }
  void OnTestEnd(const ::testing::TestInfo &info) override {
    if (info.result()->Failed())
      std::printf("[rank %d] FAILED %s.%s\n", rank_, info.test_suite_name(), info.name());
  }

private:
  int rank_;
};

} // namespace

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  ::testing::InitGoogleTest(&argc, argv);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (rank != 0) {
    ::testing::TestEventListeners &listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
    listeners.Append(new RankFailurePrinter(rank));
  }
  ::testing::AddGlobalTestEnvironment(new WorldEnvironment);
  int failed = RUN_ALL_TESTS();
  MPI_Finalize();
  return failed;
}
