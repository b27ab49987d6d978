// RUN: ds-opt %s --ds-autodiff --canonicalize --cse --split-input-file | FileCheck %s

// Rules of the reductions: the gradient is broadcast back over the reduced dims.

// CHECK-LABEL: func.func @reduce_sum
// CHECK-SAME: (%{{.*}}: tensor<2x3x4xf32>, %[[W:.*]]: tensor<3xf32>)
// CHECK: %[[K:.*]] = ds.reshape %[[W]] : tensor<3xf32> -> tensor<1x3x1xf32>
// CHECK: %[[DX:.*]] = ds.expand %[[K]] : tensor<1x3x1xf32> -> tensor<2x3x4xf32>
// CHECK: return %{{.*}}, %[[DX]], %{{.*}} :
func.func @reduce_sum(%x: tensor<2x3x4xf32>, %w: tensor<3xf32>) -> tensor<f32> {
  %y = ds.reduce_sum %x axes = [0, 2] : tensor<2x3x4xf32> -> tensor<3xf32>
  %p = ds.mul %y, %w : tensor<3xf32>
  %l = ds.reduce_sum %p axes = [0] : tensor<3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// CHECK-LABEL: func.func @reduce_mean_keepdim
// CHECK-SAME: (%{{.*}}: tensor<2x3x4xf32>, %[[W:.*]]: tensor<2x3x1xf32>)
// CHECK: %[[QUARTER:.*]] = ds.constant dense<2.500000e-01> : tensor<f32>
// CHECK: %[[S:.*]] = ds.mul %[[W]], %[[QUARTER]]
// CHECK: %[[DX:.*]] = ds.expand %[[S]] : tensor<2x3x1xf32> -> tensor<2x3x4xf32>
// CHECK: return %{{.*}}, %[[DX]], %{{.*}} :
func.func @reduce_mean_keepdim(%x: tensor<2x3x4xf32>, %w: tensor<2x3x1xf32>) -> tensor<f32> {
  %y = ds.reduce_mean %x axes = [-1] keepdim : tensor<2x3x4xf32> -> tensor<2x3x1xf32>
  %p = ds.mul %y, %w : tensor<2x3x1xf32>
  %l = ds.reduce_sum %p axes = [0, 1, 2] : tensor<2x3x1xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// As torch's amax: the maximum positions share the gradient evenly (mask * dy / count).
// CHECK-LABEL: func.func @reduce_max
// CHECK-SAME: (%[[X:.*]]: tensor<3x4xf32>, %[[W:.*]]: tensor<3xf32>)
// CHECK-DAG: %[[ZERO:.*]] = ds.constant dense<0.000000e+00> : tensor<f32>
// CHECK-DAG: %[[ONE:.*]] = ds.constant dense<1.000000e+00> : tensor<f32>
// CHECK: %[[Y:.*]] = ds.reduce_max %[[X]] axes = [1]
// CHECK: %[[YK:.*]] = ds.reshape %[[Y]] : tensor<3xf32> -> tensor<3x1xf32>
// CHECK: %[[EQ:.*]] = ds.compare eq, %[[X]], %[[YK]] : (tensor<3x4xf32>, tensor<3x1xf32>) -> tensor<3x4xi1>
// CHECK: %[[MASK:.*]] = ds.select %[[EQ]], %[[ONE]], %[[ZERO]]
// CHECK: %[[COUNT:.*]] = ds.reduce_sum %[[MASK]] axes = [1] keepdim : tensor<3x4xf32> -> tensor<3x1xf32>
// CHECK: %[[WK:.*]] = ds.reshape %[[W]] : tensor<3xf32> -> tensor<3x1xf32>
// CHECK: %[[SHARE:.*]] = ds.div %[[WK]], %[[COUNT]]
// CHECK: %[[DX:.*]] = ds.mul %[[MASK]], %[[SHARE]] : (tensor<3x4xf32>, tensor<3x1xf32>) -> tensor<3x4xf32>
// CHECK: return %{{.*}}, %[[DX]], %{{.*}} :
func.func @reduce_max(%x: tensor<3x4xf32>, %w: tensor<3xf32>) -> tensor<f32> {
  %y = ds.reduce_max %x axes = [1] : tensor<3x4xf32> -> tensor<3xf32>
  %p = ds.mul %y, %w : tensor<3xf32>
  %l = ds.reduce_sum %p axes = [0] : tensor<3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// With keepdim the result already has the input's rank: no reshapes.
// CHECK-LABEL: func.func @reduce_max_keepdim
// CHECK-NOT: ds.reshape
// CHECK: return
func.func @reduce_max_keepdim(%x: tensor<2x3xf32>) -> tensor<f32> {
  %y = ds.reduce_max %x axes = [0, 1] keepdim : tensor<2x3xf32> -> tensor<1x1xf32>
  %s = ds.reduce_sum %y axes = [0, 1] : tensor<1x1xf32> -> tensor<f32>
  return %s : tensor<f32>
}
