// RUN: ds-opt %s --ds-autodiff --canonicalize --cse --split-input-file | FileCheck %s

// Rules of layer_norm and rms_norm: one fused op for the input (it needs the weight, never the
// bias) and one for the affine parameters, built only when the forward op has any.

// CHECK-LABEL: func.func @layer_norm_affine
// CHECK-SAME: (%[[X:.*]]: tensor<2x8xf32>, %[[G:.*]]: tensor<8xf32>, %{{.*}}: tensor<8xf32>, %[[W:.*]]: tensor<2x8xf32>)
// CHECK: %[[DX:.*]] = ds.layer_norm_grad %[[X]], %[[W]] weight %[[G]] axis = -1 epsilon = 1.000000e-05 : (tensor<2x8xf32>, tensor<2x8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
// CHECK: %[[DG:.*]], %[[DB:.*]] = ds.layer_norm_param_grad %[[X]], %[[W]] axis = -1 epsilon = 1.000000e-05 : (tensor<2x8xf32>, tensor<2x8xf32>) -> (tensor<8xf32>, tensor<8xf32>)
// CHECK: return %{{.*}}, %[[DX]], %[[DG]], %[[DB]], %{{.*}} :
func.func @layer_norm_affine(%x: tensor<2x8xf32>, %g: tensor<8xf32>, %b: tensor<8xf32>, %w: tensor<2x8xf32>) -> tensor<f32> {
  %y = ds.layer_norm %x weight %g bias %b axis = -1 epsilon = 1.000000e-05 : (tensor<2x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
  %p = ds.mul %y, %w : tensor<2x8xf32>
  %l = ds.reduce_sum %p axes = [0, 1] : tensor<2x8xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// A bias without a weight: the input's gradient takes no weight, the bias gets the second result.
// CHECK-LABEL: func.func @layer_norm_bias_only
// CHECK-SAME: (%[[X:.*]]: tensor<2x4x8xf32>, %{{.*}}: tensor<4x8xf32>, %[[W:.*]]: tensor<2x4x8xf32>)
// CHECK-SAME: -> (tensor<f32>, tensor<2x4x8xf32>, tensor<4x8xf32>, tensor<2x4x8xf32>)
// CHECK: %[[DX:.*]] = ds.layer_norm_grad %[[X]], %[[W]] axis = 1 epsilon = 1.000000e-05 : (tensor<2x4x8xf32>, tensor<2x4x8xf32>) -> tensor<2x4x8xf32>
// CHECK: %{{.*}}, %[[DB:.*]] = ds.layer_norm_param_grad %[[X]], %[[W]] axis = 1
// CHECK-SAME: -> (tensor<4x8xf32>, tensor<4x8xf32>)
// CHECK: return %{{.*}}, %[[DX]], %[[DB]], %{{.*}} :
func.func @layer_norm_bias_only(%x: tensor<2x4x8xf32>, %b: tensor<4x8xf32>, %w: tensor<2x4x8xf32>) -> tensor<f32> {
  %y = ds.layer_norm %x bias %b axis = 1 epsilon = 1.000000e-05 : (tensor<2x4x8xf32>, tensor<4x8xf32>) -> tensor<2x4x8xf32>
  %p = ds.mul %y, %w : tensor<2x4x8xf32>
  %l = ds.reduce_sum %p axes = [0, 1, 2] : tensor<2x4x8xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// CHECK-LABEL: func.func @layer_norm_plain
// CHECK-SAME: (%[[X:.*]]: tensor<2x8xf32>, %[[W:.*]]: tensor<2x8xf32>)
// CHECK: %[[DX:.*]] = ds.layer_norm_grad %[[X]], %[[W]] axis = -1 epsilon = 1.000000e-05 : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
// CHECK-NOT: layer_norm_param_grad
// CHECK: return %{{.*}}, %[[DX]], %{{.*}} :
func.func @layer_norm_plain(%x: tensor<2x8xf32>, %w: tensor<2x8xf32>) -> tensor<f32> {
  %y = ds.layer_norm %x axis = -1 epsilon = 1.000000e-05 : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %p = ds.mul %y, %w : tensor<2x8xf32>
  %l = ds.reduce_sum %p axes = [0, 1] : tensor<2x8xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// CHECK-LABEL: func.func @rms_norm_weight
// CHECK-SAME: (%[[X:.*]]: tensor<2x8xf32>, %[[G:.*]]: tensor<8xf32>, %[[W:.*]]: tensor<2x8xf32>)
// CHECK: %[[DX:.*]] = ds.rms_norm_grad %[[X]], %[[W]] weight %[[G]] axis = -1 epsilon = 9.9999999999999995E-7 : (tensor<2x8xf32>, tensor<2x8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
// CHECK: %[[DG:.*]] = ds.rms_norm_param_grad %[[X]], %[[W]] axis = -1 epsilon = 9.9999999999999995E-7 : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<8xf32>
// CHECK: return %{{.*}}, %[[DX]], %[[DG]], %{{.*}} :
func.func @rms_norm_weight(%x: tensor<2x8xf32>, %g: tensor<8xf32>, %w: tensor<2x8xf32>) -> tensor<f32> {
  %y = ds.rms_norm %x weight %g axis = -1 epsilon = 1.000000e-06 : (tensor<2x8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
  %p = ds.mul %y, %w : tensor<2x8xf32>
  %l = ds.reduce_sum %p axes = [0, 1] : tensor<2x8xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// CHECK-LABEL: func.func @rms_norm_plain
// CHECK-SAME: (%[[X:.*]]: tensor<2x8xf32>, %[[W:.*]]: tensor<2x8xf32>)
// CHECK: %[[DX:.*]] = ds.rms_norm_grad %[[X]], %[[W]] axis = -1 epsilon = 9.9999999999999995E-7 : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
// CHECK-NOT: rms_norm_param_grad
// CHECK: return %{{.*}}, %[[DX]], %{{.*}} :
func.func @rms_norm_plain(%x: tensor<2x8xf32>, %w: tensor<2x8xf32>) -> tensor<f32> {
  %y = ds.rms_norm %x axis = -1 epsilon = 1.000000e-06 : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %p = ds.mul %y, %w : tensor<2x8xf32>
  %l = ds.reduce_sum %p axes = [0, 1] : tensor<2x8xf32> -> tensor<f32>
  return %l : tensor<f32>
}
