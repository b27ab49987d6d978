// RUN: ds-opt %s --ds-autodiff --canonicalize --cse --split-input-file | FileCheck %s

// Rules of softmax, log_softmax and the causal mask.

// Masked entries were overwritten by the fill: their gradient is 0, the rest passes through.
// CHECK-LABEL: func.func @causal_mask
// CHECK-SAME: (%{{.*}}: tensor<2x4x4xf32>, %[[W:.*]]: tensor<2x4x4xf32>)
// CHECK: %[[DX:.*]] = ds.causal_mask %[[W]] fill = 0.000000e+00 : tensor<2x4x4xf32>
// CHECK: return %{{.*}}, %[[DX]], %{{.*}} :
func.func @causal_mask(%x: tensor<2x4x4xf32>, %w: tensor<2x4x4xf32>) -> tensor<f32> {
  %y = ds.causal_mask %x fill = 0xFFF0000000000000 : tensor<2x4x4xf32>
  %p = ds.mul %y, %w : tensor<2x4x4xf32>
  %l = ds.reduce_sum %p axes = [0, 1, 2] : tensor<2x4x4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// The fused backward op takes the forward output.
// CHECK-LABEL: func.func @softmax
// CHECK-SAME: (%[[X:.*]]: tensor<2x5xf32>, %[[W:.*]]: tensor<2x5xf32>)
// CHECK: %[[Y:.*]] = ds.softmax %[[X]] axis = -1
// CHECK: %[[DX:.*]] = ds.softmax_grad %[[Y]], %[[W]] axis = -1 : tensor<2x5xf32>
// CHECK: return %{{.*}}, %[[DX]], %{{.*}} :
func.func @softmax(%x: tensor<2x5xf32>, %w: tensor<2x5xf32>) -> tensor<f32> {
  %y = ds.softmax %x axis = -1 : tensor<2x5xf32>
  %p = ds.mul %y, %w : tensor<2x5xf32>
  %l = ds.reduce_sum %p axes = [0, 1] : tensor<2x5xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// y is 0 at the masked entries, so the plain softmax_grad gives them no gradient.
// CHECK-LABEL: func.func @softmax_causal
// CHECK-SAME: (%[[X:.*]]: tensor<2x4x4xf32>, %[[W:.*]]: tensor<2x4x4xf32>)
// CHECK: %[[Y:.*]] = ds.softmax %[[X]] axis = -1 causal
// CHECK: %[[DX:.*]] = ds.softmax_grad %[[Y]], %[[W]] axis = -1 : tensor<2x4x4xf32>
// CHECK: return %{{.*}}, %[[DX]], %{{.*}} :
func.func @softmax_causal(%x: tensor<2x4x4xf32>, %w: tensor<2x4x4xf32>) -> tensor<f32> {
  %y = ds.softmax %x axis = -1 causal : tensor<2x4x4xf32>
  %p = ds.mul %y, %w : tensor<2x4x4xf32>
  %l = ds.reduce_sum %p axes = [0, 1, 2] : tensor<2x4x4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// CHECK-LABEL: func.func @log_softmax
// CHECK-SAME: (%[[X:.*]]: tensor<2x5xf32>, %[[W:.*]]: tensor<2x5xf32>)
// CHECK: %[[Y:.*]] = ds.log_softmax %[[X]] axis = 1
// CHECK: %[[DX:.*]] = ds.log_softmax_grad %[[Y]], %[[W]] axis = 1 : tensor<2x5xf32>
// CHECK: return %{{.*}}, %[[DX]], %{{.*}} :
func.func @log_softmax(%x: tensor<2x5xf32>, %w: tensor<2x5xf32>) -> tensor<f32> {
  %y = ds.log_softmax %x axis = 1 : tensor<2x5xf32>
  %p = ds.mul %y, %w : tensor<2x5xf32>
  %l = ds.reduce_sum %p axes = [0, 1] : tensor<2x5xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// Attention as exported before fusion: mask with -inf, then softmax.
// CHECK-LABEL: func.func @masked_scores
// CHECK-SAME: (%[[X:.*]]: tensor<4x4xf32>, %[[W:.*]]: tensor<4x4xf32>)
// CHECK: %[[S:.*]] = ds.softmax
// CHECK: %[[DS:.*]] = ds.softmax_grad %[[S]], %[[W]] axis = -1
// CHECK: %[[DX:.*]] = ds.causal_mask %[[DS]] fill = 0.000000e+00
// CHECK: return %{{.*}}, %[[DX]], %{{.*}} :
func.func @masked_scores(%x: tensor<4x4xf32>, %w: tensor<4x4xf32>) -> tensor<f32> {
  %y = ds.causal_mask %x fill = 0xFFF0000000000000 : tensor<4x4xf32>
  %s = ds.softmax %y axis = -1 : tensor<4x4xf32>
  %p = ds.mul %s, %w : tensor<4x4xf32>
  %l = ds.reduce_sum %p axes = [0, 1] : tensor<4x4xf32> -> tensor<f32>
  return %l : tensor<f32>
}
