// Mesh coordinates and groups (which ranks share a dp/tp group) and bus-byte accounting; no MPI.
#include "ds/Runtime/Communicator.h"

#include "TestUtil.h"

using namespace ds::rt;

namespace {

TEST(Mesh, CoordinatesAreRowMajor) {
  MeshShape mesh = {{"dp", 2}, {"tp", 3}};
  std::vector<std::vector<int64_t>> want = {{0, 0}, {0, 1}, {0, 2}, {1, 0}, {1, 1}, {1, 2}};
  for (int64_t r = 0; r < 6; ++r) {
    StatusOr<std::vector<int64_t>> c = meshCoordinates(mesh, r);
    ASSERT_OK(c);
    EXPECT_EQ(*c, want[r]);
  }
  EXPECT_ERROR_CONTAINS(meshCoordinates(mesh, 6), "rank 6 is outside a mesh of 6 ranks");
}

TEST(Mesh, GroupsOfTwoByTwo) {
  MeshShape mesh = {{"dp", 2}, {"tp", 2}};
  // dp groups are columns {0,2} and {1,3}; tp groups are rows {0,1} and {2,3}.
  const std::vector<int64_t> dpMembers[4] = {{0, 2}, {1, 3}, {0, 2}, {1, 3}};
  const std::vector<int64_t> tpMembers[4] = {{0, 1}, {0, 1}, {2, 3}, {2, 3}};
  for (int64_t r = 0; r < 4; ++r) {
    StatusOr<MeshGroup> dp = meshGroup(mesh, {"dp"}, r), tp = meshGroup(mesh, {"tp"}, r);
    ASSERT_OK(dp);
    ASSERT_OK(tp);
    EXPECT_EQ(dp->members, dpMembers[r]);
    EXPECT_EQ(tp->members, tpMembers[r]);
    EXPECT_EQ(dp->key, r / 2); // position = dp coordinate
    EXPECT_EQ(tp->key, r % 2);
    EXPECT_EQ(dp->color, r % 2); // one color per tp coordinate
    EXPECT_EQ(tp->color, r / 2);
  }
}

TEST(Mesh, ThreeAxesAndMultiAxisGroups) {
  MeshShape mesh = {{"pp", 2}, {"dp", 3}, {"tp", 2}};
  // Rank 7 = (pp 1, dp 0, tp 1).
  StatusOr<MeshGroup> dp = meshGroup(mesh, {"dp"}, 7);
  ASSERT_OK(dp);
  EXPECT_EQ(dp->members, (std::vector<int64_t>{7, 9, 11}));
  EXPECT_EQ(dp->key, 0);
  StatusOr<MeshGroup> dpTp = meshGroup(mesh, {"tp", "dp"}, 7);
  ASSERT_OK(dpTp);
  EXPECT_EQ(dpTp->members, (std::vector<int64_t>{6, 7, 8, 9, 10, 11}));
  EXPECT_EQ(dpTp->key, 1);
  // Position is row-major over the group's axes in mesh order: rank 9 = (1, 1, 1), 10 = (1, 2, 0).
  StatusOr<MeshGroup> g9 = meshGroup(mesh, {"dp", "tp"}, 9), g10 = meshGroup(mesh, {"dp", "tp"}, 10);
  ASSERT_OK(g9);
  ASSERT_OK(g10);
  EXPECT_EQ(g9->key, 3);
  EXPECT_EQ(g10->key, 4);
  EXPECT_EQ(g9->color, dpTp->color);
  StatusOr<MeshGroup> pp = meshGroup(mesh, {"pp"}, 7);
  ASSERT_OK(pp);
  EXPECT_EQ(pp->members, (std::vector<int64_t>{1, 7}));
  // Members of one group share a color; other groups have other colors.
  for (int64_t r = 0; r < 12; ++r) {
    StatusOr<MeshGroup> g = meshGroup(mesh, {"dp"}, r);
    ASSERT_OK(g);
    bool member = std::count(dp->members.begin(), dp->members.end(), r) > 0;
    EXPECT_EQ(g->color == dp->color, member) << "rank " << r;
  }
}

TEST(Mesh, Errors) {
  MeshShape mesh = {{"dp", 2}, {"tp", 2}};
  EXPECT_ERROR_CONTAINS(meshGroup(mesh, {"ep"}, 0), "mesh has no axis 'ep' (axes: dp, tp)");
  EXPECT_ERROR_CONTAINS(meshGroup(mesh, {"dp", "dp"}, 0), "listed twice");
  EXPECT_ERROR_CONTAINS(meshGroup({{"dp", 0}}, {"dp"}, 0), "has size 0");
  EXPECT_ERROR_CONTAINS(meshGroup({{"dp", 2}, {"dp", 2}}, {"dp"}, 0), "appears twice");
}

TEST(CommCounting, BusBytesFollowNcclTests) {
  EXPECT_EQ(busBytes(CollectiveKind::AllGather, 4096, 4), 3072u);
  EXPECT_EQ(busBytes(CollectiveKind::ReduceScatter, 4096, 4), 3072u);
  EXPECT_EQ(busBytes(CollectiveKind::AllToAll, 4096, 4), 3072u);
  EXPECT_EQ(busBytes(CollectiveKind::AllReduce, 4096, 4), 6144u);
  EXPECT_EQ(busBytes(CollectiveKind::AllReduce, 100, 3), 133u); // 2*2/3*100 rounded down
  EXPECT_EQ(busBytes(CollectiveKind::Broadcast, 4096, 4), 4096u);
  EXPECT_EQ(busBytes(CollectiveKind::Send, 12, 4), 12u);
  EXPECT_EQ(busBytes(CollectiveKind::Recv, 12, 4), 0u);
  EXPECT_EQ(busBytes(CollectiveKind::AllReduce, 4096, 1), 0u);
  EXPECT_STREQ(collectiveKindName(CollectiveKind::ReduceScatter), "reduce_scatter");
}

} // namespace
