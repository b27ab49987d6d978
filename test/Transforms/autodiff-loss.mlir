// RUN: ds-opt %s --ds-autodiff --canonicalize --cse --split-input-file | FileCheck %s

// Rules of the losses: the logits get the fused cross_entropy_grad, the integer targets nothing.

// The loss returned as is: the gradient seed 1.0 is the incoming gradient.
// CHECK-LABEL: func.func @cross_entropy_mean
// CHECK-SAME: (%[[LOGITS:.*]]: tensor<2x4x10xf32>, %[[T:.*]]: tensor<2x4xi64>) -> (tensor<f32>, tensor<2x4x10xf32>)
// CHECK: %[[ONE:.*]] = ds.constant dense<1.000000e+00> : tensor<f32>
// CHECK: %[[D:.*]] = ds.cross_entropy_grad %[[LOGITS]], %[[T]], %[[ONE]] reduction = mean ignore_index = -100 : (tensor<2x4x10xf32>, tensor<2x4xi64>, tensor<f32>) -> tensor<2x4x10xf32>
// CHECK: return %{{.*}}, %[[D]] :
func.func @cross_entropy_mean(%logits: tensor<2x4x10xf32>, %targets: tensor<2x4xi64>) -> tensor<f32> {
  %l = ds.cross_entropy %logits, %targets reduction = mean ignore_index = -100 : (tensor<2x4x10xf32>, tensor<2x4xi64>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// Per-token losses: the gradient is shaped like the targets.
// CHECK-LABEL: func.func @cross_entropy_none
// CHECK-SAME: (%[[LOGITS:.*]]: tensor<2x4x10xf32>, %[[T:.*]]: tensor<2x4xi32>, %[[W:.*]]: tensor<2x4xf32>)
// CHECK: %[[D:.*]] = ds.cross_entropy_grad %[[LOGITS]], %[[T]], %[[W]] reduction = none ignore_index = 0 : (tensor<2x4x10xf32>, tensor<2x4xi32>, tensor<2x4xf32>) -> tensor<2x4x10xf32>
// CHECK: return %{{.*}}, %[[D]], %{{.*}} :
func.func @cross_entropy_none(%logits: tensor<2x4x10xf32>, %targets: tensor<2x4xi32>, %w: tensor<2x4xf32>) -> tensor<f32> {
  %c = ds.cross_entropy %logits, %targets reduction = none ignore_index = 0 : (tensor<2x4x10xf32>, tensor<2x4xi32>) -> tensor<2x4xf32>
  %p = ds.mul %c, %w : tensor<2x4xf32>
  %l = ds.reduce_sum %p axes = [0, 1] : tensor<2x4xf32> -> tensor<f32>
  return %l : tensor<f32>
}
