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
