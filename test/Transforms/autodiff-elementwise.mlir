// RUN: ds-opt %s --ds-autodiff --canonicalize --cse --split-input-file | FileCheck %s

// Rules of the binary elementwise ops, select and compare. Each loss is sum(op(...) * w), so
// after canonicalization the incoming gradient of op is %w itself. A broadcast operand gets its
// gradient summed back to its own shape.

// CHECK-LABEL: func.func @add_broadcast
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>, %[[B:.*]]: tensor<3xf32>, %[[W:.*]]: tensor<2x3xf32>)
// CHECK: %[[DB:.*]] = ds.reduce_sum %[[W]] axes = [0] : tensor<2x3xf32> -> tensor<3xf32>
// CHECK: return %{{.*}}, %[[W]], %[[DB]], %{{.*}} :
func.func @add_broadcast(%x: tensor<2x3xf32>, %b: tensor<3xf32>, %w: tensor<2x3xf32>) -> tensor<f32> {
  %y = ds.add %x, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %p = ds.mul %y, %w : tensor<2x3xf32>
  %l = ds.reduce_sum %p axes = [0, 1] : tensor<2x3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// Size-1 dimensions that were broadcast are summed and kept.
// CHECK-LABEL: func.func @sub_broadcasts_both
// CHECK-SAME: (%{{.*}}: tensor<2x1xf32>, %{{.*}}: tensor<1x3xf32>, %[[W:.*]]: tensor<2x3xf32>)
// CHECK: %[[SX:.*]] = ds.reduce_sum %[[W]] axes = [1] : tensor<2x3xf32> -> tensor<2xf32>
// CHECK: %[[DX:.*]] = ds.reshape %[[SX]] : tensor<2xf32> -> tensor<2x1xf32>
// CHECK: %[[NEG:.*]] = ds.neg %[[W]]
// CHECK: %[[SB:.*]] = ds.reduce_sum %[[NEG]] axes = [0] : tensor<2x3xf32> -> tensor<3xf32>
// CHECK: %[[DB:.*]] = ds.reshape %[[SB]] : tensor<3xf32> -> tensor<1x3xf32>
// CHECK: return %{{.*}}, %[[DX]], %[[DB]], %{{.*}} :
func.func @sub_broadcasts_both(%x: tensor<2x1xf32>, %b: tensor<1x3xf32>, %w: tensor<2x3xf32>) -> tensor<f32> {
  %y = ds.sub %x, %b : (tensor<2x1xf32>, tensor<1x3xf32>) -> tensor<2x3xf32>
  %p = ds.mul %y, %w : tensor<2x3xf32>
  %l = ds.reduce_sum %p axes = [0, 1] : tensor<2x3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// CHECK-LABEL: func.func @mul_by_scalar
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>, %[[S:.*]]: tensor<f32>, %[[W:.*]]: tensor<2x3xf32>)
// CHECK: %[[DX:.*]] = ds.mul %[[W]], %[[S]] : (tensor<2x3xf32>, tensor<f32>) -> tensor<2x3xf32>
// CHECK: %[[P:.*]] = ds.mul %[[W]], %[[X]] : tensor<2x3xf32>
// CHECK: %[[DS:.*]] = ds.reduce_sum %[[P]] axes = [0, 1] : tensor<2x3xf32> -> tensor<f32>
// CHECK: return %{{.*}}, %[[DX]], %[[DS]], %{{.*}} :
func.func @mul_by_scalar(%x: tensor<2x3xf32>, %s: tensor<f32>, %w: tensor<2x3xf32>) -> tensor<f32> {
  %y = ds.mul %x, %s : (tensor<2x3xf32>, tensor<f32>) -> tensor<2x3xf32>
  %p = ds.mul %y, %w : tensor<2x3xf32>
  %l = ds.reduce_sum %p axes = [0, 1] : tensor<2x3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// A constant operand gets no gradient built.
// CHECK-LABEL: func.func @mul_by_constant
// CHECK: ds.mul
// CHECK-NEXT: ds.reduce_sum
// CHECK-NEXT: %[[DX:.*]] = ds.mul
// CHECK-NEXT: return %{{.*}}, %[[DX]] :
func.func @mul_by_constant(%x: tensor<4xf32>) -> tensor<f32> {
  %c = ds.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %y = ds.mul %x, %c : tensor<4xf32>
  %l = ds.reduce_sum %y axes = [0] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// d(a/b)/da = 1/b, d(a/b)/db = -(a/b)/b, reusing the quotient.
// CHECK-LABEL: func.func @div
// CHECK-SAME: (%[[A:.*]]: tensor<2x3xf32>, %[[B:.*]]: tensor<2x3xf32>, %[[W:.*]]: tensor<2x3xf32>)
// CHECK: %[[Q:.*]] = ds.div %[[A]], %[[B]]
// CHECK: %[[DA:.*]] = ds.div %[[W]], %[[B]]
// CHECK: %[[QB:.*]] = ds.div %[[Q]], %[[B]]
// CHECK: %[[T:.*]] = ds.mul %[[W]], %[[QB]]
// CHECK: %[[DB:.*]] = ds.neg %[[T]]
// CHECK: return %{{.*}}, %[[DA]], %[[DB]], %{{.*}} :
func.func @div(%a: tensor<2x3xf32>, %b: tensor<2x3xf32>, %w: tensor<2x3xf32>) -> tensor<f32> {
  %y = ds.div %a, %b : tensor<2x3xf32>
  %p = ds.mul %y, %w : tensor<2x3xf32>
  %l = ds.reduce_sum %p axes = [0, 1] : tensor<2x3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// torch's masks: d/dx is 0 where y == 0; d/dy is 0 where x == 0 and y >= 0.
// CHECK-LABEL: func.func @pow
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>, %[[E:.*]]: tensor<2x3xf32>, %[[W:.*]]: tensor<2x3xf32>)
// CHECK-DAG: %[[ZERO:.*]] = ds.constant dense<0.000000e+00> : tensor<f32>
// CHECK-DAG: %[[ONE:.*]] = ds.constant dense<1.000000e+00> : tensor<f32>
// CHECK: %[[Z:.*]] = ds.pow %[[X]], %[[E]]
// CHECK: %[[EM1:.*]] = ds.sub %[[E]], %[[ONE]]
// CHECK: %[[XP:.*]] = ds.pow %[[X]], %[[EM1]]
// CHECK: %[[T:.*]] = ds.mul %[[E]], %[[XP]]
// CHECK: %[[RAW:.*]] = ds.mul %[[W]], %[[T]]
// CHECK: %[[EZ:.*]] = ds.compare eq, %[[E]], %[[ZERO]]
// CHECK: %[[DX:.*]] = ds.select %[[EZ]], %[[ZERO]], %[[RAW]]
// CHECK: %[[LOG:.*]] = ds.log %[[X]]
// CHECK: %[[ZL:.*]] = ds.mul %[[Z]], %[[LOG]]
// CHECK: %[[RAWE:.*]] = ds.mul %[[W]], %[[ZL]]
// CHECK: %[[XZ:.*]] = ds.compare eq, %[[X]], %[[ZERO]]
// CHECK: %[[EGE:.*]] = ds.compare ge, %[[E]], %[[ZERO]]
// CHECK: %[[IN:.*]] = ds.select %[[EGE]], %[[ZERO]], %[[RAWE]]
// CHECK: %[[DE:.*]] = ds.select %[[XZ]], %[[IN]], %[[RAWE]]
// CHECK: return %{{.*}}, %[[DX]], %[[DE]], %{{.*}} :
func.func @pow(%x: tensor<2x3xf32>, %e: tensor<2x3xf32>, %w: tensor<2x3xf32>) -> tensor<f32> {
  %y = ds.pow %x, %e : tensor<2x3xf32>
  %p = ds.mul %y, %w : tensor<2x3xf32>
  %l = ds.reduce_sum %p axes = [0, 1] : tensor<2x3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// x^2 (as the importer writes squares): 2x, no mask, no exponent gradient.
// CHECK-LABEL: func.func @square
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>, %[[W:.*]]: tensor<2x3xf32>)
// CHECK: %[[TWO:.*]] = ds.constant dense<2.000000e+00> : tensor<f32>
// CHECK: ds.reduce_sum
// CHECK-NEXT: %[[T:.*]] = ds.mul %[[X]], %[[TWO]]
// CHECK-NEXT: %[[DX:.*]] = ds.mul %[[W]], %[[T]]
// CHECK-NEXT: return %{{.*}}, %[[DX]], %{{.*}} :
func.func @square(%x: tensor<2x3xf32>, %w: tensor<2x3xf32>) -> tensor<f32> {
  %two = ds.constant dense<2.0> : tensor<f32>
  %y = ds.pow %x, %two : (tensor<2x3xf32>, tensor<f32>) -> tensor<2x3xf32>
  %p = ds.mul %y, %w : tensor<2x3xf32>
  %l = ds.reduce_sum %p axes = [0, 1] : tensor<2x3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// CHECK-LABEL: func.func @cube
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
// CHECK-DAG: %[[TWO:.*]] = ds.constant dense<2.000000e+00> : tensor<f32>
// CHECK-DAG: %[[THREE:.*]] = ds.constant dense<3.000000e+00> : tensor<f32>
// CHECK: %[[SQ:.*]] = ds.pow %[[X]], %[[TWO]]
// CHECK: %[[DX:.*]] = ds.mul %[[SQ]], %[[THREE]]
// CHECK: return %{{.*}}, %[[DX]] :
func.func @cube(%x: tensor<4xf32>) -> tensor<f32> {
  %three = ds.constant dense<3.0> : tensor<f32>
  %y = ds.pow %x, %three : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %l = ds.reduce_sum %y axes = [0] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// torch.maximum: the larger operand gets the gradient, a tie gives each half.
// CHECK-LABEL: func.func @max
// CHECK-SAME: (%[[A:.*]]: tensor<2x3xf32>, %[[B:.*]]: tensor<2x3xf32>, %[[W:.*]]: tensor<2x3xf32>)
// CHECK-DAG: %[[HALF:.*]] = ds.constant dense<5.000000e-01> : tensor<f32>
// CHECK-DAG: %[[ZERO:.*]] = ds.constant dense<0.000000e+00> : tensor<f32>
// CHECK: %[[HW:.*]] = ds.mul %[[W]], %[[HALF]]
// CHECK: %[[TIE:.*]] = ds.compare eq, %[[A]], %[[B]]
// CHECK: %[[G:.*]] = ds.select %[[TIE]], %[[HW]], %[[W]]
// CHECK: %[[ALOSES:.*]] = ds.compare lt, %[[A]], %[[B]]
// CHECK: %[[DA:.*]] = ds.select %[[ALOSES]], %[[ZERO]], %[[G]]
// CHECK: %[[BLOSES:.*]] = ds.compare gt, %[[A]], %[[B]]
// CHECK: %[[DB:.*]] = ds.select %[[BLOSES]], %[[ZERO]], %[[G]]
// CHECK: return %{{.*}}, %[[DA]], %[[DB]], %{{.*}} :
func.func @max(%a: tensor<2x3xf32>, %b: tensor<2x3xf32>, %w: tensor<2x3xf32>) -> tensor<f32> {
  %y = ds.max %a, %b : tensor<2x3xf32>
  %p = ds.mul %y, %w : tensor<2x3xf32>
  %l = ds.reduce_sum %p axes = [0, 1] : tensor<2x3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// CHECK-LABEL: func.func @min_broadcast
// CHECK-SAME: (%[[A:.*]]: tensor<2x3xf32>, %[[B:.*]]: tensor<3xf32>, %[[W:.*]]: tensor<2x3xf32>)
// CHECK: %[[TIE:.*]] = ds.compare eq, %[[A]], %[[B]]
// CHECK: %[[G:.*]] = ds.select %[[TIE]]
// CHECK: %[[ALOSES:.*]] = ds.compare gt, %[[A]], %[[B]]
// CHECK: %[[DA:.*]] = ds.select %[[ALOSES]], %{{.*}}, %[[G]]
// CHECK: %[[BLOSES:.*]] = ds.compare lt, %[[A]], %[[B]]
// CHECK: %[[GB:.*]] = ds.select %[[BLOSES]], %{{.*}}, %[[G]]
// CHECK: %[[DB:.*]] = ds.reduce_sum %[[GB]] axes = [0] : tensor<2x3xf32> -> tensor<3xf32>
// CHECK: return %{{.*}}, %[[DA]], %[[DB]], %{{.*}} :
func.func @min_broadcast(%a: tensor<2x3xf32>, %b: tensor<3xf32>, %w: tensor<2x3xf32>) -> tensor<f32> {
  %y = ds.min %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %p = ds.mul %y, %w : tensor<2x3xf32>
  %l = ds.reduce_sum %p axes = [0, 1] : tensor<2x3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// max(x, 0): only x gets a mask.
// CHECK-LABEL: func.func @max_with_constant
// CHECK-COUNT-2: ds.compare
// CHECK-NOT: ds.compare
// CHECK: return
func.func @max_with_constant(%x: tensor<4xf32>) -> tensor<f32> {
  %zero = ds.constant dense<0.0> : tensor<f32>
  %y = ds.max %x, %zero : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %l = ds.reduce_sum %y axes = [0] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// The condition gets nothing; each branch gets the gradient where it was chosen.
// CHECK-LABEL: func.func @select
// CHECK-SAME: (%[[C:.*]]: tensor<2x3xi1>, %{{.*}}: tensor<2x3xf32>, %{{.*}}: tensor<3xf32>, %[[W:.*]]: tensor<2x3xf32>)
// CHECK-SAME: -> (tensor<f32>, tensor<2x3xf32>, tensor<3xf32>, tensor<2x3xf32>)
// CHECK: %[[ZERO:.*]] = ds.constant dense<0.000000e+00> : tensor<f32>
// CHECK: %[[DT:.*]] = ds.select %[[C]], %[[W]], %[[ZERO]]
// CHECK: %[[GF:.*]] = ds.select %[[C]], %[[ZERO]], %[[W]]
// CHECK: %[[DF:.*]] = ds.reduce_sum %[[GF]] axes = [0] : tensor<2x3xf32> -> tensor<3xf32>
// CHECK: return %{{.*}}, %[[DT]], %[[DF]], %{{.*}} :
func.func @select(%c: tensor<2x3xi1>, %t: tensor<2x3xf32>, %f: tensor<3xf32>, %w: tensor<2x3xf32>) -> tensor<f32> {
  %y = ds.select %c, %t, %f : (tensor<2x3xi1>, tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %p = ds.mul %y, %w : tensor<2x3xf32>
  %l = ds.reduce_sum %p axes = [0, 1] : tensor<2x3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// x reaches the loss through the select only; the comparison contributes nothing.
// CHECK-LABEL: func.func @compare_feeds_select
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>, %[[W:.*]]: tensor<4xf32>)
// CHECK-DAG: %[[ONES:.*]] = ds.constant dense<1.000000e+00> : tensor<4xf32>
// CHECK-DAG: %[[ZERO:.*]] = ds.constant dense<0.000000e+00> : tensor<f32>
// CHECK: %[[C:.*]] = ds.compare gt, %[[X]], %[[ZERO]]
// CHECK: %[[DX:.*]] = ds.select %[[C]], %[[ONES]], %[[ZERO]]
// CHECK: %[[DW:.*]] = ds.select %[[C]], %[[ZERO]], %[[ONES]]
// CHECK: return %{{.*}}, %[[DX]], %[[DW]] :
func.func @compare_feeds_select(%x: tensor<4xf32>, %w: tensor<4xf32>) -> tensor<f32> {
  %zero = ds.constant dense<0.0> : tensor<f32>
  %c = ds.compare gt, %x, %zero : (tensor<4xf32>, tensor<f32>) -> tensor<4xi1>
  %y = ds.select %c, %x, %w : (tensor<4xi1>, tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %l = ds.reduce_sum %y axes = [0] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// Integer arguments get no gradient result; the cast from an integer is not differentiated.
// CHECK-LABEL: func.func @integer_operands
// CHECK-SAME: -> (tensor<f32>, tensor<4xf32>)
// CHECK: %[[F:.*]] = ds.cast
// CHECK: return %{{.*}}, %[[F]] :
func.func @integer_operands(%x: tensor<4xf32>, %i: tensor<4xi64>) -> tensor<f32> {
  %f = ds.cast %i : tensor<4xi64> to tensor<4xf32>
  %y = ds.mul %x, %f : tensor<4xf32>
  %l = ds.reduce_sum %y axes = [0] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}
