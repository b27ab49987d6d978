// Collectives are messages every rank must send: CSE must not merge two identical ones and
// canonicalization must not drop one whose result is unused, or the other ranks would hang.
// Pure compute ops in the same function are merged and dropped as usual, for contrast.
// RUN: ds-opt %s --cse --canonicalize --symbol-dce | FileCheck %s

// The mesh and the parameter are still referenced, so symbol-dce keeps them.
// CHECK: ds.mesh @mesh
// CHECK: ds.param @w
ds.mesh @mesh(dp = 2, tp = 2)
ds.param @w : tensor<4x8xf32>

// CHECK-LABEL: func.func @duplicates_and_dead_results
func.func @duplicates_and_dead_results(%x: tensor<4x8xf32>) -> (tensor<8x8xf32>, tensor<8x8xf32>) {
  // CHECK: ds.all_gather
  // CHECK: ds.all_gather
  %0 = ds.all_gather %x on @mesh["dp"] dim = 0 : tensor<4x8xf32> -> tensor<8x8xf32>
  %1 = ds.all_gather %x on @mesh["dp"] dim = 0 : tensor<4x8xf32> -> tensor<8x8xf32>
  // CHECK: ds.all_reduce sum
  %2 = ds.all_reduce sum %x on @mesh["tp"] : tensor<4x8xf32>
  // CHECK: ds.reduce_scatter sum
  %3 = ds.reduce_scatter sum %x on @mesh["dp"] dim = 0 : tensor<4x8xf32> -> tensor<2x8xf32>
  // CHECK: ds.all_to_all
  %4 = ds.all_to_all %x on @mesh["dp"] split_dim = 0 concat_dim = 1 : tensor<4x8xf32> -> tensor<2x16xf32>
  // CHECK: ds.broadcast
  %5 = ds.broadcast %x on @mesh["tp"] root = 0 : tensor<4x8xf32>
  // CHECK: ds.send
  ds.send %x on @mesh["dp"] shift = 1 tag = 0 : tensor<4x8xf32>
  // CHECK: ds.recv
  %6 = ds.recv on @mesh["dp"] shift = 1 tag = 0 : tensor<4x8xf32>
  // CHECK: %[[E:.*]] = ds.exp
  // CHECK-NOT: ds.exp
  // CHECK-NOT: ds.tanh
  %7 = ds.exp %0 : tensor<8x8xf32>
  %8 = ds.exp %0 : tensor<8x8xf32>
  %9 = ds.tanh %x : tensor<4x8xf32>
  // Reads of a parameter between which nothing writes merge; a store stays.
  // CHECK: ds.load_param @w
  // CHECK-NOT: ds.load_param
  // CHECK: ds.store_param
  %10 = ds.load_param @w : tensor<4x8xf32>
  %11 = ds.load_param @w : tensor<4x8xf32>
  %12 = ds.add %10, %11 : tensor<4x8xf32>
  ds.store_param %12, @w : tensor<4x8xf32>
  // CHECK: return %[[E]], %[[E]]
  return %7, %8 : tensor<8x8xf32>, tensor<8x8xf32>
}

// A release has no result but frees a buffer: canonicalization keeps it.
// CHECK-LABEL: func.func @release_is_kept
// CHECK: ds.release
func.func @release_is_kept(%x: tensor<4xf32>) {
  ds.release %x : tensor<4xf32>
  return
}
