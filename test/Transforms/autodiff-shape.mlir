// RUN: ds-opt %s --ds-autodiff --canonicalize --cse --split-input-file | FileCheck %s

// Rules of matmul and the data-movement ops: each moves the gradient back the way the data came.

// dA = dY B^T, dB = A^T dY, with the transposes folded into matmul's flags.
// CHECK-LABEL: func.func @matmul
// CHECK-SAME: (%[[A:.*]]: tensor<3x4xf32>, %[[B:.*]]: tensor<4x2xf32>, %[[W:.*]]: tensor<3x2xf32>)
// CHECK: %[[DA:.*]] = ds.matmul %[[W]], %[[B]] transpose_rhs : (tensor<3x2xf32>, tensor<4x2xf32>) -> tensor<3x4xf32>
// CHECK: %[[DB:.*]] = ds.matmul %[[A]], %[[W]] transpose_lhs : (tensor<3x4xf32>, tensor<3x2xf32>) -> tensor<4x2xf32>
// CHECK: return %{{.*}}, %[[DA]], %[[DB]], %{{.*}} :
func.func @matmul(%a: tensor<3x4xf32>, %b: tensor<4x2xf32>, %w: tensor<3x2xf32>) -> tensor<f32> {
  %y = ds.matmul %a, %b : (tensor<3x4xf32>, tensor<4x2xf32>) -> tensor<3x2xf32>
  %p = ds.mul %y, %w : tensor<3x2xf32>
  %l = ds.reduce_sum %p axes = [0, 1] : tensor<3x2xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// CHECK-LABEL: func.func @matmul_transposed
// CHECK-SAME: (%[[A:.*]]: tensor<4x3xf32>, %[[B:.*]]: tensor<2x4xf32>, %[[W:.*]]: tensor<3x2xf32>)
// CHECK: %[[DA:.*]] = ds.matmul %[[B]], %[[W]] transpose_lhs transpose_rhs : (tensor<2x4xf32>, tensor<3x2xf32>) -> tensor<4x3xf32>
// CHECK: %[[DB:.*]] = ds.matmul %[[W]], %[[A]] transpose_lhs transpose_rhs : (tensor<3x2xf32>, tensor<4x3xf32>) -> tensor<2x4xf32>
// CHECK: return %{{.*}}, %[[DA]], %[[DB]], %{{.*}} :
func.func @matmul_transposed(%a: tensor<4x3xf32>, %b: tensor<2x4xf32>, %w: tensor<3x2xf32>) -> tensor<f32> {
  %y = ds.matmul %a, %b transpose_lhs transpose_rhs : (tensor<4x3xf32>, tensor<2x4xf32>) -> tensor<3x2xf32>
  %p = ds.mul %y, %w : tensor<3x2xf32>
  %l = ds.reduce_sum %p axes = [0, 1] : tensor<3x2xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// A weight shared over the batch gets the sum of the per-batch gradients.
// CHECK-LABEL: func.func @matmul_batch_broadcast
// CHECK-SAME: (%[[A:.*]]: tensor<2x3x4xf32>, %[[B:.*]]: tensor<4x2xf32>, %[[W:.*]]: tensor<2x3x2xf32>)
// CHECK: %[[DA:.*]] = ds.matmul %[[W]], %[[B]] transpose_rhs : (tensor<2x3x2xf32>, tensor<4x2xf32>) -> tensor<2x3x4xf32>
// CHECK: %[[PER:.*]] = ds.matmul %[[A]], %[[W]] transpose_lhs : (tensor<2x3x4xf32>, tensor<2x3x2xf32>) -> tensor<2x4x2xf32>
// CHECK: %[[DB:.*]] = ds.reduce_sum %[[PER]] axes = [0] : tensor<2x4x2xf32> -> tensor<4x2xf32>
// CHECK: return %{{.*}}, %[[DA]], %[[DB]], %{{.*}} :
func.func @matmul_batch_broadcast(%a: tensor<2x3x4xf32>, %b: tensor<4x2xf32>, %w: tensor<2x3x2xf32>) -> tensor<f32> {
  %y = ds.matmul %a, %b : (tensor<2x3x4xf32>, tensor<4x2xf32>) -> tensor<2x3x2xf32>
  %p = ds.mul %y, %w : tensor<2x3x2xf32>
  %l = ds.reduce_sum %p axes = [0, 1, 2] : tensor<2x3x2xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// CHECK-LABEL: func.func @reshape
// CHECK-SAME: (%{{.*}}: tensor<2x6xf32>, %[[W:.*]]: tensor<3x4xf32>)
// CHECK: %[[DX:.*]] = ds.reshape %[[W]] : tensor<3x4xf32> -> tensor<2x6xf32>
// CHECK: return %{{.*}}, %[[DX]], %{{.*}} :
func.func @reshape(%x: tensor<2x6xf32>, %w: tensor<3x4xf32>) -> tensor<f32> {
  %y = ds.reshape %x : tensor<2x6xf32> -> tensor<3x4xf32>
  %p = ds.mul %y, %w : tensor<3x4xf32>
  %l = ds.reduce_sum %p axes = [0, 1] : tensor<3x4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// CHECK-LABEL: func.func @transpose
// CHECK-SAME: (%{{.*}}: tensor<2x3x4xf32>, %[[W:.*]]: tensor<4x2x3xf32>)
// CHECK: %[[DX:.*]] = ds.transpose %[[W]] perm = [1, 2, 0] : tensor<4x2x3xf32> -> tensor<2x3x4xf32>
// CHECK: return %{{.*}}, %[[DX]], %{{.*}} :
func.func @transpose(%x: tensor<2x3x4xf32>, %w: tensor<4x2x3xf32>) -> tensor<f32> {
  %y = ds.transpose %x perm = [2, 0, 1] : tensor<2x3x4xf32> -> tensor<4x2x3xf32>
  %p = ds.mul %y, %w : tensor<4x2x3xf32>
  %l = ds.reduce_sum %p axes = [0, 1, 2] : tensor<4x2x3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// CHECK-LABEL: func.func @expand
// CHECK-SAME: (%{{.*}}: tensor<3x1xf32>, %[[W:.*]]: tensor<2x3x4xf32>)
// CHECK: %[[S:.*]] = ds.reduce_sum %[[W]] axes = [0, 2] : tensor<2x3x4xf32> -> tensor<3xf32>
// CHECK: %[[DX:.*]] = ds.reshape %[[S]] : tensor<3xf32> -> tensor<3x1xf32>
// CHECK: return %{{.*}}, %[[DX]], %{{.*}} :
func.func @expand(%x: tensor<3x1xf32>, %w: tensor<2x3x4xf32>) -> tensor<f32> {
  %y = ds.expand %x : tensor<3x1xf32> -> tensor<2x3x4xf32>
  %p = ds.mul %y, %w : tensor<2x3x4xf32>
  %l = ds.reduce_sum %p axes = [0, 1, 2] : tensor<2x3x4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// Mixed precision: the gradient is cast back to the input's type.
// CHECK-LABEL: func.func @cast
// CHECK-SAME: (%{{.*}}: tensor<2x3xf32>, %[[W:.*]]: tensor<2x3xbf16>)
// CHECK: %[[G:.*]] = ds.mul %{{.*}}, %[[W]] : tensor<2x3xbf16>
// CHECK: %[[DX:.*]] = ds.cast %{{.*}} : tensor<2x3xbf16> to tensor<2x3xf32>
// CHECK: return %{{.*}}, %[[DX]], %{{.*}} :
func.func @cast(%x: tensor<2x3xf32>, %w: tensor<2x3xbf16>) -> tensor<f32> {
  %y = ds.cast %x : tensor<2x3xf32> to tensor<2x3xbf16>
  %p = ds.mul %y, %w : tensor<2x3xbf16>
  %s = ds.reduce_sum %p axes = [0, 1] : tensor<2x3xbf16> -> tensor<bf16>
  %l = ds.cast %s : tensor<bf16> to tensor<f32>
  return %l : tensor<f32>
}

// -----

// Pieces that do not reach the loss get zeros in the concatenated gradient.
// CHECK-LABEL: func.func @split_unused_piece
// CHECK-SAME: (%{{.*}}: tensor<2x6xf32>, %[[W:.*]]: tensor<2x3xf32>)
// CHECK-DAG: %[[Z1:.*]] = ds.constant dense<0.000000e+00> : tensor<2x2xf32>
// CHECK-DAG: %[[Z0:.*]] = ds.constant dense<0.000000e+00> : tensor<2x1xf32>
// CHECK: %[[DX:.*]] = ds.concat %[[Z0]], %[[Z1]], %[[W]] axis = 1 : (tensor<2x1xf32>, tensor<2x2xf32>, tensor<2x3xf32>) -> tensor<2x6xf32>
// CHECK: return %{{.*}}, %[[DX]], %{{.*}} :
func.func @split_unused_piece(%x: tensor<2x6xf32>, %w: tensor<2x3xf32>) -> tensor<f32> {
  %p:3 = ds.split %x axis = 1 : tensor<2x6xf32> -> tensor<2x1xf32>, tensor<2x2xf32>, tensor<2x3xf32>
  %y = ds.mul %p#2, %w : tensor<2x3xf32>
  %l = ds.reduce_sum %y axes = [0, 1] : tensor<2x3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// CHECK-LABEL: func.func @concat
// CHECK-SAME: (%{{.*}}: tensor<2x3xf32>, %{{.*}}: tensor<2x1xf32>, %[[W:.*]]: tensor<2x4xf32>)
// CHECK: %[[DA:.*]] = ds.slice %[[W]] starts = [0, 0] ends = [2, 3] steps = [1, 1] : tensor<2x4xf32> -> tensor<2x3xf32>
// CHECK: %[[DB:.*]] = ds.slice %[[W]] starts = [0, 3] ends = [2, 4] steps = [1, 1] : tensor<2x4xf32> -> tensor<2x1xf32>
// CHECK: return %{{.*}}, %[[DA]], %[[DB]], %{{.*}} :
func.func @concat(%a: tensor<2x3xf32>, %b: tensor<2x1xf32>, %w: tensor<2x4xf32>) -> tensor<f32> {
  %y = ds.concat %a, %b axis = 1 : (tensor<2x3xf32>, tensor<2x1xf32>) -> tensor<2x4xf32>
  %p = ds.mul %y, %w : tensor<2x4xf32>
  %l = ds.reduce_sum %p axes = [0, 1] : tensor<2x4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// CHECK-LABEL: func.func @slice
// CHECK-SAME: (%{{.*}}: tensor<4x5xf32>, %[[W:.*]]: tensor<3x3xf32>)
// CHECK: %[[DX:.*]] = ds.slice_grad %[[W]] starts = [1, 0] ends = [4, 5] steps = [1, 2] : tensor<3x3xf32> -> tensor<4x5xf32>
// CHECK: return %{{.*}}, %[[DX]], %{{.*}} :
func.func @slice(%x: tensor<4x5xf32>, %w: tensor<3x3xf32>) -> tensor<f32> {
  %y = ds.slice %x starts = [1, 0] ends = [4, 5] steps = [1, 2] : tensor<4x5xf32> -> tensor<3x3xf32>
  %p = ds.mul %y, %w : tensor<3x3xf32>
  %l = ds.reduce_sum %p axes = [0, 1] : tensor<3x3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// The table gets a scatter-add of the gradient; the indices get nothing.
// CHECK-LABEL: func.func @gather
// CHECK-SAME: (%{{.*}}: tensor<10x4xf32>, %[[IDS:.*]]: tensor<2x3xi64>, %[[W:.*]]: tensor<2x3x4xf32>)
// CHECK-SAME: -> (tensor<f32>, tensor<10x4xf32>, tensor<2x3x4xf32>)
// CHECK: %[[DT:.*]] = ds.gather_grad %[[IDS]], %[[W]] axis = 0 : (tensor<2x3xi64>, tensor<2x3x4xf32>) -> tensor<10x4xf32>
// CHECK: return %{{.*}}, %[[DT]], %{{.*}} :
func.func @gather(%table: tensor<10x4xf32>, %ids: tensor<2x3xi64>, %w: tensor<2x3x4xf32>) -> tensor<f32> {
  %y = ds.gather %table[%ids] axis = 0 : (tensor<10x4xf32>, tensor<2x3xi64>) -> tensor<2x3x4xf32>
  %p = ds.mul %y, %w : tensor<2x3x4xf32>
  %l = ds.reduce_sum %p axes = [0, 1, 2] : tensor<2x3x4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// Slicing an integer tensor carries no gradient and needs no rule output.
// CHECK-LABEL: func.func @integer_slice
// CHECK-NOT: slice_grad
// CHECK: return
func.func @integer_slice(%x: tensor<4xf32>, %i: tensor<4xi64>) -> tensor<f32> {
  %s = ds.slice %i starts = [0] ends = [4] steps = [1] : tensor<4xi64> -> tensor<4xi64>
  %f = ds.cast %s : tensor<4xi64> to tensor<4xf32>
  %y = ds.mul %x, %f : tensor<4xf32>
  %l = ds.reduce_sum %y axes = [0] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}
