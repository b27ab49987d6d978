// RUN: ds-opt %s --ds-autodiff --canonicalize --cse --split-input-file | FileCheck %s

// Rules of the unary math and activations. Each loss is sum(op(x) * w), so the incoming
// gradient is %w. Rules use the forward result where torch's derivative does.

// CHECK-LABEL: func.func @neg
// CHECK-SAME: (%{{.*}}: tensor<2x3xf32>, %[[W:.*]]: tensor<2x3xf32>)
// CHECK: %[[DX:.*]] = ds.neg %[[W]]
// CHECK: return %{{.*}}, %[[DX]], %{{.*}} :
func.func @neg(%x: tensor<2x3xf32>, %w: tensor<2x3xf32>) -> tensor<f32> {
  %y = ds.neg %x : tensor<2x3xf32>
  %p = ds.mul %y, %w : tensor<2x3xf32>
  %l = ds.reduce_sum %p axes = [0, 1] : tensor<2x3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// dy * sign(x), with sign(0) = 0.
// CHECK-LABEL: func.func @abs
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>, %[[W:.*]]: tensor<2x3xf32>)
// CHECK: %[[ZERO:.*]] = ds.constant dense<0.000000e+00> : tensor<f32>
// CHECK: %[[NW:.*]] = ds.neg %[[W]]
// CHECK: %[[LT:.*]] = ds.compare lt, %[[X]], %[[ZERO]]
// CHECK: %[[NEG:.*]] = ds.select %[[LT]], %[[NW]], %[[ZERO]]
// CHECK: %[[GT:.*]] = ds.compare gt, %[[X]], %[[ZERO]]
// CHECK: %[[DX:.*]] = ds.select %[[GT]], %[[W]], %[[NEG]]
// CHECK: return %{{.*}}, %[[DX]], %{{.*}} :
func.func @abs(%x: tensor<2x3xf32>, %w: tensor<2x3xf32>) -> tensor<f32> {
  %y = ds.abs %x : tensor<2x3xf32>
  %p = ds.mul %y, %w : tensor<2x3xf32>
  %l = ds.reduce_sum %p axes = [0, 1] : tensor<2x3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// CHECK-LABEL: func.func @exp
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>, %[[W:.*]]: tensor<2x3xf32>)
// CHECK: %[[Y:.*]] = ds.exp %[[X]]
// CHECK: %[[DX:.*]] = ds.mul %[[Y]], %[[W]]
// CHECK: return %{{.*}}, %[[DX]], %{{.*}} :
func.func @exp(%x: tensor<2x3xf32>, %w: tensor<2x3xf32>) -> tensor<f32> {
  %y = ds.exp %x : tensor<2x3xf32>
  %p = ds.mul %y, %w : tensor<2x3xf32>
  %l = ds.reduce_sum %p axes = [0, 1] : tensor<2x3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// CHECK-LABEL: func.func @log
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>, %[[W:.*]]: tensor<2x3xf32>)
// CHECK: %[[DX:.*]] = ds.div %[[W]], %[[X]]
// CHECK: return %{{.*}}, %[[DX]], %{{.*}} :
func.func @log(%x: tensor<2x3xf32>, %w: tensor<2x3xf32>) -> tensor<f32> {
  %y = ds.log %x : tensor<2x3xf32>
  %p = ds.mul %y, %w : tensor<2x3xf32>
  %l = ds.reduce_sum %p axes = [0, 1] : tensor<2x3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// dy * (1 - y^2)
// CHECK-LABEL: func.func @tanh
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>, %[[W:.*]]: tensor<2x3xf32>)
// CHECK: %[[ONE:.*]] = ds.constant dense<1.000000e+00> : tensor<f32>
// CHECK: %[[Y:.*]] = ds.tanh %[[X]]
// CHECK: %[[Y2:.*]] = ds.mul %[[Y]], %[[Y]]
// CHECK: %[[D:.*]] = ds.sub %[[ONE]], %[[Y2]]
// CHECK: %[[DX:.*]] = ds.mul %[[W]], %[[D]]
// CHECK: return %{{.*}}, %[[DX]], %{{.*}} :
func.func @tanh(%x: tensor<2x3xf32>, %w: tensor<2x3xf32>) -> tensor<f32> {
  %y = ds.tanh %x : tensor<2x3xf32>
  %p = ds.mul %y, %w : tensor<2x3xf32>
  %l = ds.reduce_sum %p axes = [0, 1] : tensor<2x3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// dy * 2/sqrt(pi) * exp(-x^2)
// CHECK-LABEL: func.func @erf
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>, %[[W:.*]]: tensor<2x3xf32>)
// CHECK: %[[K:.*]] = ds.constant dense<1.12837923> : tensor<f32>
// CHECK: %[[X2:.*]] = ds.mul %[[X]], %[[X]]
// CHECK: %[[N:.*]] = ds.neg %[[X2]]
// CHECK: %[[E:.*]] = ds.exp %[[N]]
// CHECK: %[[D:.*]] = ds.mul %[[E]], %[[K]]
// CHECK: %[[DX:.*]] = ds.mul %[[W]], %[[D]]
// CHECK: return %{{.*}}, %[[DX]], %{{.*}} :
func.func @erf(%x: tensor<2x3xf32>, %w: tensor<2x3xf32>) -> tensor<f32> {
  %y = ds.erf %x : tensor<2x3xf32>
  %p = ds.mul %y, %w : tensor<2x3xf32>
  %l = ds.reduce_sum %p axes = [0, 1] : tensor<2x3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// dy / (2 y)
// CHECK-LABEL: func.func @sqrt
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>, %[[W:.*]]: tensor<2x3xf32>)
// CHECK: %[[TWO:.*]] = ds.constant dense<2.000000e+00> : tensor<f32>
// CHECK: %[[Y:.*]] = ds.sqrt %[[X]]
// CHECK: %[[D:.*]] = ds.mul %[[Y]], %[[TWO]]
// CHECK: %[[DX:.*]] = ds.div %[[W]], %[[D]]
// CHECK: return %{{.*}}, %[[DX]], %{{.*}} :
func.func @sqrt(%x: tensor<2x3xf32>, %w: tensor<2x3xf32>) -> tensor<f32> {
  %y = ds.sqrt %x : tensor<2x3xf32>
  %p = ds.mul %y, %w : tensor<2x3xf32>
  %l = ds.reduce_sum %p axes = [0, 1] : tensor<2x3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// -1/2 dy y^3
// CHECK-LABEL: func.func @rsqrt
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>, %[[W:.*]]: tensor<2x3xf32>)
// CHECK: %[[K:.*]] = ds.constant dense<-5.000000e-01> : tensor<f32>
// CHECK: %[[Y:.*]] = ds.rsqrt %[[X]]
// CHECK: %[[Y2:.*]] = ds.mul %[[Y]], %[[Y]]
// CHECK: %[[Y3:.*]] = ds.mul %[[Y2]], %[[Y]]
// CHECK: %[[D:.*]] = ds.mul %[[Y3]], %[[K]]
// CHECK: %[[DX:.*]] = ds.mul %[[W]], %[[D]]
// CHECK: return %{{.*}}, %[[DX]], %{{.*}} :
func.func @rsqrt(%x: tensor<2x3xf32>, %w: tensor<2x3xf32>) -> tensor<f32> {
  %y = ds.rsqrt %x : tensor<2x3xf32>
  %p = ds.mul %y, %w : tensor<2x3xf32>
  %l = ds.reduce_sum %p axes = [0, 1] : tensor<2x3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// -dy y^2
// CHECK-LABEL: func.func @reciprocal
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>, %[[W:.*]]: tensor<2x3xf32>)
// CHECK: %[[Y:.*]] = ds.reciprocal %[[X]]
// CHECK: %[[Y2:.*]] = ds.mul %[[Y]], %[[Y]]
// CHECK: %[[D:.*]] = ds.mul %[[W]], %[[Y2]]
// CHECK: %[[DX:.*]] = ds.neg %[[D]]
// CHECK: return %{{.*}}, %[[DX]], %{{.*}} :
func.func @reciprocal(%x: tensor<2x3xf32>, %w: tensor<2x3xf32>) -> tensor<f32> {
  %y = ds.reciprocal %x : tensor<2x3xf32>
  %p = ds.mul %y, %w : tensor<2x3xf32>
  %l = ds.reduce_sum %p axes = [0, 1] : tensor<2x3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// torch's threshold_backward: zero where the result is <= 0.
// CHECK-LABEL: func.func @relu
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>, %[[W:.*]]: tensor<2x3xf32>)
// CHECK: %[[ZERO:.*]] = ds.constant dense<0.000000e+00> : tensor<f32>
// CHECK: %[[Y:.*]] = ds.relu %[[X]]
// CHECK: %[[OFF:.*]] = ds.compare le, %[[Y]], %[[ZERO]]
// CHECK: %[[DX:.*]] = ds.select %[[OFF]], %[[ZERO]], %[[W]]
// CHECK: return %{{.*}}, %[[DX]], %{{.*}} :
func.func @relu(%x: tensor<2x3xf32>, %w: tensor<2x3xf32>) -> tensor<f32> {
  %y = ds.relu %x : tensor<2x3xf32>
  %p = ds.mul %y, %w : tensor<2x3xf32>
  %l = ds.reduce_sum %p axes = [0, 1] : tensor<2x3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// dy y (1 - y)
// CHECK-LABEL: func.func @sigmoid
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>, %[[W:.*]]: tensor<2x3xf32>)
// CHECK: %[[ONE:.*]] = ds.constant dense<1.000000e+00> : tensor<f32>
// CHECK: %[[Y:.*]] = ds.sigmoid %[[X]]
// CHECK: %[[C:.*]] = ds.sub %[[ONE]], %[[Y]]
// CHECK: %[[D:.*]] = ds.mul %[[Y]], %[[C]]
// CHECK: %[[DX:.*]] = ds.mul %[[W]], %[[D]]
// CHECK: return %{{.*}}, %[[DX]], %{{.*}} :
func.func @sigmoid(%x: tensor<2x3xf32>, %w: tensor<2x3xf32>) -> tensor<f32> {
  %y = ds.sigmoid %x : tensor<2x3xf32>
  %p = ds.mul %y, %w : tensor<2x3xf32>
  %l = ds.reduce_sum %p axes = [0, 1] : tensor<2x3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// dy s (1 + x (1 - s)), s = sigmoid(x)
// CHECK-LABEL: func.func @silu
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>, %[[W:.*]]: tensor<2x3xf32>)
// CHECK: %[[ONE:.*]] = ds.constant dense<1.000000e+00> : tensor<f32>
// CHECK: %[[S:.*]] = ds.sigmoid %[[X]]
// CHECK: %[[C:.*]] = ds.sub %[[ONE]], %[[S]]
// CHECK: %[[XC:.*]] = ds.mul %[[X]], %[[C]]
// CHECK: %[[I:.*]] = ds.add %[[XC]], %[[ONE]]
// CHECK: %[[D:.*]] = ds.mul %[[S]], %[[I]]
// CHECK: %[[DX:.*]] = ds.mul %[[W]], %[[D]]
// CHECK: return %{{.*}}, %[[DX]], %{{.*}} :
func.func @silu(%x: tensor<2x3xf32>, %w: tensor<2x3xf32>) -> tensor<f32> {
  %y = ds.silu %x : tensor<2x3xf32>
  %p = ds.mul %y, %w : tensor<2x3xf32>
  %l = ds.reduce_sum %p axes = [0, 1] : tensor<2x3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// gelu' is one fused op in either form.
// CHECK-LABEL: func.func @gelu
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>, %[[W:.*]]: tensor<2x3xf32>)
// CHECK: %[[DX:.*]] = ds.gelu_grad %[[X]], %[[W]] approximate = none : tensor<2x3xf32>
// CHECK: return %{{.*}}, %[[DX]], %{{.*}} :
func.func @gelu(%x: tensor<2x3xf32>, %w: tensor<2x3xf32>) -> tensor<f32> {
  %y = ds.gelu %x approximate = none : tensor<2x3xf32>
  %p = ds.mul %y, %w : tensor<2x3xf32>
  %l = ds.reduce_sum %p axes = [0, 1] : tensor<2x3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// CHECK-LABEL: func.func @gelu_tanh
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>, %[[W:.*]]: tensor<2x3xf32>)
// CHECK: %[[DX:.*]] = ds.gelu_grad %[[X]], %[[W]] approximate = tanh : tensor<2x3xf32>
// CHECK: return %{{.*}}, %[[DX]], %{{.*}} :
func.func @gelu_tanh(%x: tensor<2x3xf32>, %w: tensor<2x3xf32>) -> tensor<f32> {
  %y = ds.gelu %x approximate = tanh : tensor<2x3xf32>
  %p = ds.mul %y, %w : tensor<2x3xf32>
  %l = ds.reduce_sum %p axes = [0, 1] : tensor<2x3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// The same ratio and seed drop the same elements of the gradient.
// CHECK-LABEL: func.func @dropout
// CHECK-SAME: (%{{.*}}: tensor<2x3xf32>, %[[W:.*]]: tensor<2x3xf32>)
// CHECK: %[[DX:.*]] = ds.dropout %[[W]] ratio = 1.000000e-01 seed = 42
// CHECK: return %{{.*}}, %[[DX]], %{{.*}} :
func.func @dropout(%x: tensor<2x3xf32>, %w: tensor<2x3xf32>) -> tensor<f32> {
  %y = ds.dropout %x ratio = 1.000000e-01 seed = 42 : tensor<2x3xf32>
  %p = ds.mul %y, %w : tensor<2x3xf32>
  %l = ds.reduce_sum %p axes = [0, 1] : tensor<2x3xf32> -> tensor<f32>
  return %l : tensor<f32>
}
