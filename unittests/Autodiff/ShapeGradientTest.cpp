// Gradient checks of matmul, the data-movement ops and the reductions.
#include "GradientCheck.h"

#include <gtest/gtest.h>

namespace ds::gradcheck {
namespace {

Case oneInput(const std::string &name, std::vector<int64_t> shape, std::vector<double> x,
              std::string body, std::vector<int64_t> resultShape) {
  Case c;
  c.name = name;
  c.inputs = {floatInput("x", std::move(shape), std::move(x))};
  c.body = std::move(body);
  c.resultShape = std::move(resultShape);
  return c;
}

TEST(ContractionGradient, Matmul) {
  Inputs r(30);
  Case c;
  c.name = "matmul";
  c.inputs = {floatInput("a", {3, 4}, r.uniform(12, -1, 1)),
              floatInput("b", {4, 2}, r.uniform(8, -1, 1))};
  c.body = "%y = ds.matmul %a, %b : (tensor<3x4x{T}>, tensor<4x2x{T}>) -> tensor<3x2x{T}>";
  c.resultShape = {3, 2};
  checkGradients(c);
}

TEST(ContractionGradient, MatmulTransposedOperands) {
  Inputs r(31);
  Case c;
  c.name = "matmul_transposed";
  c.inputs = {floatInput("a", {4, 3}, r.uniform(12, -1, 1)),
              floatInput("b", {2, 4}, r.uniform(8, -1, 1))};
  c.body = "%y = ds.matmul %a, %b transpose_lhs transpose_rhs : (tensor<4x3x{T}>, "
           "tensor<2x4x{T}>) -> tensor<3x2x{T}>";
  c.resultShape = {3, 2};
  checkGradients(c);
}

// A weight shared by every batch entry gets the sum over the batch.
TEST(ContractionGradient, MatmulBroadcastsBatch) {
  Inputs r(32);
  Case c;
  c.name = "matmul_batch";
  c.inputs = {floatInput("a", {2, 3, 4}, r.uniform(24, -1, 1)),
              floatInput("b", {4, 2}, r.uniform(8, -1, 1))};
  c.body = "%y = ds.matmul %a, %b : (tensor<2x3x4x{T}>, tensor<4x2x{T}>) -> tensor<2x3x2x{T}>";
  c.resultShape = {2, 3, 2};
  checkGradients(c);
}

TEST(ShapeGradient, Reshape) {
  checkGradients(oneInput("reshape", {2, 6}, Inputs(33).uniform(12, -1, 1),
                          "%y = ds.reshape %x : tensor<2x6x{T}> -> tensor<3x4x{T}>", {3, 4}));
}

TEST(ShapeGradient, Transpose) {
  checkGradients(oneInput(
      "transpose", {2, 3, 4}, Inputs(34).uniform(24, -1, 1),
      "%y = ds.transpose %x perm = [2, 0, 1] : tensor<2x3x4x{T}> -> tensor<4x2x3x{T}>", {4, 2, 3}));
}

TEST(ShapeGradient, Expand) {
  checkGradients(oneInput("expand", {3, 1}, Inputs(35).uniform(3, -1, 1),
                          "%y = ds.expand %x : tensor<3x1x{T}> -> tensor<2x3x4x{T}>", {2, 3, 4}));
}

TEST(ShapeGradient, Slice) {
  checkGradients(oneInput("slice", {4, 5}, Inputs(36).uniform(20, -1, 1),
                          "%y = ds.slice %x starts = [1, 0] ends = [4, 5] steps = [1, 2] : "
                          "tensor<4x5x{T}> -> tensor<3x3x{T}>",
                          {3, 3}));
}

TEST(ShapeGradient, Concat) {
  Inputs r(37);
  Case c;
  c.name = "concat";
  c.inputs = {floatInput("a", {2, 3}, r.uniform(6, -1, 1)),
              floatInput("b", {2, 1}, r.uniform(2, -1, 1))};
  c.body = "%y = ds.concat %a, %b axis = 1 : (tensor<2x3x{T}>, tensor<2x1x{T}>) -> tensor<2x4x{T}>";
  c.resultShape = {2, 4};
  checkGradients(c);
}

// The middle piece is unused: its part of the gradient is zero.
TEST(ShapeGradient, SplitWithAnUnusedPiece) {
  checkGradients(oneInput("split", {2, 6}, Inputs(38).uniform(12, -1, 1), R"(
%p:3 = ds.split %x axis = 1 : tensor<2x6x{T}> -> tensor<2x1x{T}>, tensor<2x2x{T}>, tensor<2x3x{T}>
%e = ds.expand %p#0 : tensor<2x1x{T}> -> tensor<2x3x{T}>
%y = ds.mul %e, %p#2 : tensor<2x3x{T}>)",
                          {2, 3}));
}

// Index 1 appears twice: its rows of the gradient add up.
TEST(ShapeGradient, GatherRowsWithRepeats) {
  Case c;
  c.name = "gather_rows";
  c.inputs = {floatInput("table", {5, 3}, Inputs(39).uniform(15, -1, 1)),
              indexInput("ids", {2, 2}, {1, 4, 1, -2})};
  c.body = "%y = ds.gather %table[%ids] axis = 0 : (tensor<5x3x{T}>, tensor<2x2xi64>) -> "
           "tensor<2x2x3x{T}>";
  c.resultShape = {2, 2, 3};
  checkGradients(c);
}

TEST(ShapeGradient, GatherColumns) {
  Case c;
  c.name = "gather_columns";
  c.inputs = {floatInput("x", {2, 4}, Inputs(40).uniform(8, -1, 1)),
              indexInput("ids", {3}, {3, 0, 3})};
  c.body = "%y = ds.gather %x[%ids] axis = 1 : (tensor<2x4x{T}>, tensor<3xi64>) -> tensor<2x3x{T}>";
  c.resultShape = {2, 3};
  checkGradients(c);
}

TEST(ReductionGradient, Sum) {
  checkGradients(
      oneInput("reduce_sum", {2, 3, 4}, Inputs(41).uniform(24, -1, 1),
               "%y = ds.reduce_sum %x axes = [0, 2] : tensor<2x3x4x{T}> -> tensor<3x{T}>", {3}));
}

TEST(ReductionGradient, MeanKeepdim) {
  checkGradients(oneInput(
      "reduce_mean", {2, 3, 4}, Inputs(42).uniform(24, -1, 1),
      "%y = ds.reduce_mean %x axes = [-1] keepdim : tensor<2x3x4x{T}> -> tensor<2x3x1x{T}>",
      {2, 3, 1}));
}

// Distinct values: the maximum of each row is unique, so f is smooth around the inputs.
TEST(ReductionGradient, Max) {
  checkGradients(oneInput("reduce_max", {3, 4}, Inputs(43).distinct(12, -1, 0.2),
                          "%y = ds.reduce_max %x axes = [1] : tensor<3x4x{T}> -> tensor<3x{T}>",
                          {3}));
}

TEST(ReductionGradient, MaxOverAllKeepdim) {
  checkGradients(oneInput(
      "reduce_max_all", {3, 4}, Inputs(44).distinct(12, -1, 0.2),
      "%y = ds.reduce_max %x axes = [0, 1] keepdim : tensor<3x4x{T}> -> tensor<1x1x{T}>", {1, 1}));
}

} // namespace
} // namespace ds::gradcheck
