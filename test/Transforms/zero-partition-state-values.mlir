// Optimizer state that does not start as zeros (an fp32 master copy starts as its weight) is
// sharded like zero state: the param becomes this rank's flat piece, and its value or initializer,
// untouched, still describes the whole tensor, whose shape ds.shard records.
// RUN: ds-opt %s --ds-build-training="dp-size=5 micro-batches=5" -o %t.trained.mlir
// RUN: sed -e 's/@w.exp_avg : tensor<4x3xf32> init #ds.init<zeros>/@w.exp_avg : tensor<4x3xf32> = dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0], [10.0, 11.0, 12.0]]>/' \
// RUN:     -e 's/@b.exp_avg_sq : tensor<3xf32> init #ds.init<zeros>/@b.exp_avg_sq : tensor<3xf32> init #ds.init<uniform, low = -1.0, high = 1.0, seed = 4>/' \
// RUN:     %t.trained.mlir > %t.values.mlir
// RUN: ds-opt %t.values.mlir --ds-zero="stage=1" | FileCheck %s
// The sharded IR parses back.
// RUN: ds-opt %t.values.mlir --ds-zero="stage=1" | ds-opt | FileCheck %s

// CHECK-DAG: ds.param @w.exp_avg : tensor<3xf32> = whole dense<{{\[\[}}1.000000e+00, 2.000000e+00, 3.000000e+00], [4.000000e+00, 5.000000e+00, 6.000000e+00], [7.000000e+00, 8.000000e+00, 9.000000e+00], [1.000000e+01, 1.100000e+01, 1.200000e+01]]> : tensor<4x3xf32> {ds.owner = "w", ds.role = "optimizer_state", ds.shard = {axis = "dp", mesh = @dp_mesh, numel = 12 : i64, padded = 15 : i64, shape = array<i64: 4, 3>}, ds.state = "exp_avg"}
// CHECK-DAG: ds.param @b.exp_avg_sq : tensor<1xf32> init #ds.init<uniform, low = -1.000000e+00, high = 1.000000e+00, seed = 4> {ds.owner = "b", ds.role = "optimizer_state", ds.shard = {axis = "dp", mesh = @dp_mesh, numel = 3 : i64, padded = 5 : i64, shape = array<i64: 3>}, ds.state = "exp_avg_sq"}

ds.param @w : tensor<4x3xf32> init #ds.init<normal, mean = 0.0, std = 0.5, seed = 1>
ds.param @b : tensor<3xf32> init #ds.init<zeros>
func.func @forward(%x: tensor<2x4xf32>) -> tensor<f32> {
  %w = ds.load_param @w : tensor<4x3xf32>
  %b = ds.load_param @b : tensor<3xf32>
  %h = ds.matmul %x, %w : (tensor<2x4xf32>, tensor<4x3xf32>) -> tensor<2x3xf32>
  %hb = ds.add %h, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %l = ds.reduce_sum %hb axes = [0, 1] : tensor<2x3xf32> -> tensor<f32>
  return %l : tensor<f32>
}
