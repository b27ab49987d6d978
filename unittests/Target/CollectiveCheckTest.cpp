// checkCollectiveOrder on hand-built plans: today's emitter writes SPMD plans, which always
// pass, so the mismatches a future pass could introduce are built here by hand.
#include "ds/Target/CollectiveCheck.h"

#include <gtest/gtest.h>

#include <string>

namespace {

using namespace ds;

// A plan on mesh (dp = 2, tp = 2) with buffers 0..2 of f32 [4], [8] and [16].
plan::Plan makePlan() {
  plan::Plan p;
  p.mutable_mesh()->add_axis_names("dp");
  p.mutable_mesh()->add_axis_sizes(2);
  p.mutable_mesh()->add_axis_names("tp");
  p.mutable_mesh()->add_axis_sizes(2);
  for (int64_t n : {4, 8, 16}) {
    plan::Buffer &b = *p.add_buffers();
    b.set_id(p.buffers_size() - 1);
    b.set_dtype(plan::F32);
    b.add_shape(n);
  }
  for (int rank = 0; rank < 4; ++rank)
    p.add_programs()->set_rank(rank);
  return p;
}

plan::Instruction &addCollective(plan::Plan &p, int rank, const std::string &op,
                                 const std::string &axis, uint32_t in, uint32_t out,
                                 const std::string &loc = "") {
  plan::Instruction &inst = *p.mutable_programs(rank)->add_instructions();
  inst.set_op(op);
  inst.set_stream(plan::COMM);
  inst.add_operands(in);
  inst.add_results(out);
  (*inst.mutable_attrs())["axis"].set_s(axis);
  inst.set_loc(loc);
  return inst;
}

void addCompute(plan::Plan &p, int rank) {
  plan::Instruction &inst = *p.mutable_programs(rank)->add_instructions();
  inst.set_op("add");
  inst.add_operands(0);
  inst.add_results(0);
}

std::string errorOf(const plan::Plan &p) {
  llvm::Error error = checkCollectiveOrder(p);
  return error ? llvm::toString(std::move(error)) : "";
}

TEST(CollectiveCheck, SPMDPlanPasses) {
  plan::Plan p = makePlan();
  for (int rank = 0; rank < 4; ++rank) {
    addCompute(p, rank);
    addCollective(p, rank, "all_reduce", "dp", 1, 1);
    addCollective(p, rank, "all_gather", "tp", 0, 1);
  }
  EXPECT_EQ(errorOf(p), "");
}

TEST(CollectiveCheck, DifferentGroupsMayDiffer) {
  // dp groups are {0, 2} and {1, 3}: each agrees within itself, and compute is not checked.
  plan::Plan p = makePlan();
  for (int rank : {0, 2})
    addCollective(p, rank, "all_reduce", "dp", 0, 0);
  for (int rank : {1, 3})
    addCollective(p, rank, "all_reduce", "dp", 2, 2);
  addCompute(p, 3);
  EXPECT_EQ(errorOf(p), "");
}

TEST(CollectiveCheck, SizeMismatchNamesBothInstructions) {
  plan::Plan p = makePlan();
  for (int rank = 0; rank < 4; ++rank)
    addCompute(p, rank);
  addCollective(p, 0, "all_reduce", "dp", 1, 1, "model.mlir:3:5");
  addCollective(p, 2, "all_reduce", "dp", 2, 2, "model.mlir:7:5");
  for (int rank : {1, 3})
    addCollective(p, rank, "all_reduce", "dp", 1, 1);
  std::string error = errorOf(p);
  EXPECT_NE(error.find("mesh axis 'dp'"), std::string::npos) << error;
  EXPECT_NE(error.find("rank 0 instruction 1 (all_reduce in 32 B out 32 B"), std::string::npos)
      << error;
  EXPECT_NE(error.find("at model.mlir:3:5"), std::string::npos) << error;
  EXPECT_NE(error.find("rank 2 instruction 1 (all_reduce in 64 B out 64 B"), std::string::npos)
      << error;
  EXPECT_NE(error.find("at model.mlir:7:5"), std::string::npos) << error;
}

TEST(CollectiveCheck, OrderMismatch) {
  plan::Plan p = makePlan();
  for (int rank : {0, 1}) { // the tp group {0, 1}
    addCollective(p, rank, rank == 0 ? "all_gather" : "reduce_scatter", "tp", 0, 1);
    addCollective(p, rank, rank == 0 ? "reduce_scatter" : "all_gather", "tp", 0, 1);
  }
  std::string error = errorOf(p);
  EXPECT_NE(error.find("rank 0 instruction 0 (all_gather"), std::string::npos) << error;
  EXPECT_NE(error.find("rank 1 instruction 0 (reduce_scatter"), std::string::npos) << error;
}

TEST(CollectiveCheck, AttributeMismatch) {
  plan::Plan p = makePlan();
  for (int rank : {0, 2}) {
    plan::Instruction &inst = addCollective(p, rank, "all_reduce", "dp", 0, 0);
    (*inst.mutable_attrs())["kind"].set_s(rank == 0 ? "sum" : "max");
  }
  std::string error = errorOf(p);
  EXPECT_NE(error.find("kind={s: \"sum\"}"), std::string::npos) << error;
  EXPECT_NE(error.find("kind={s: \"max\"}"), std::string::npos) << error;
}

TEST(CollectiveCheck, MissingCollectiveNamesTheRankWithout) {
  // Rank 3 skips the second all_reduce that rank 1 issues: rank 1 would wait forever.
  plan::Plan p = makePlan();
  for (int rank = 0; rank < 4; ++rank)
    addCollective(p, rank, "all_reduce", "dp", 0, 0);
  addCollective(p, 1, "all_reduce", "dp", 1, 1, "step.mlir:9:3");
  std::string error = errorOf(p);
  EXPECT_NE(error.find("rank 1 instruction 1 (all_reduce in 32 B out 32 B at step.mlir:9:3) "
                       "has no counterpart on rank 3, which issues only 1 collectives"),
            std::string::npos)
      << error;
}

} // namespace
