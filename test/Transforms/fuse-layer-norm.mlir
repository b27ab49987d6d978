// RUN: ds-opt %s --ds-fuse-layer-norm --split-input-file | FileCheck %s

// torch.nn.LayerNorm(8) as torch 1.13 exports it (opset 13), weight and bias as parameters.
// CHECK-LABEL: func.func @torch_layer_norm
// CHECK-SAME: (%[[X:.*]]: tensor<2x8xf32>)
// CHECK-DAG: %[[W:.*]] = ds.load_param @weight
// CHECK-DAG: %[[B:.*]] = ds.load_param @bias
// CHECK: %[[Y:.*]] = ds.layer_norm %[[X]] weight %[[W]] bias %[[B]] axis = -1 epsilon = 9.99999974{{[0-9]*}}E-6
// CHECK-SAME: (tensor<2x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
// CHECK-NEXT: return %[[Y]]
ds.param @weight : tensor<8xf32> init #ds.init<ones>
ds.param @bias : tensor<8xf32> init #ds.init<zeros>
func.func @torch_layer_norm(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %w = ds.load_param @weight : tensor<8xf32>
  %b = ds.load_param @bias : tensor<8xf32>
  %mean = ds.reduce_mean %x axes = [-1] keepdim : tensor<2x8xf32> -> tensor<2x1xf32>
  %d = ds.sub %x, %mean : (tensor<2x8xf32>, tensor<2x1xf32>) -> tensor<2x8xf32>
  %two = ds.constant dense<2.0> : tensor<f32>
  %p = ds.pow %d, %two : (tensor<2x8xf32>, tensor<f32>) -> tensor<2x8xf32>
  %var = ds.reduce_mean %p axes = [-1] keepdim : tensor<2x8xf32> -> tensor<2x1xf32>
  %eps = ds.constant dense<9.99999974E-6> : tensor<f32>
  %v = ds.add %var, %eps : (tensor<2x1xf32>, tensor<f32>) -> tensor<2x1xf32>
  %s = ds.sqrt %v : tensor<2x1xf32>
  %n = ds.div %d, %s : (tensor<2x8xf32>, tensor<2x1xf32>) -> tensor<2x8xf32>
  %y = ds.mul %n, %w : (tensor<2x8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
  %z = ds.add %y, %b : (tensor<2x8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
  return %z : tensor<2x8xf32>
}

// -----

// elementwise_affine=False: no weight, no bias; the axis given as the positive last axis, eps
// as a tensor<1xf32>.
// CHECK-LABEL: func.func @no_affine_positive_axis
// CHECK-SAME: (%[[X:.*]]: tensor<3x4x8xf32>)
// CHECK-NEXT: %[[Y:.*]] = ds.layer_norm %[[X]] axis = -1 epsilon = 9.99999974{{[0-9]*}}E-6 : (tensor<3x4x8xf32>) -> tensor<3x4x8xf32>
// CHECK-NEXT: return %[[Y]]
func.func @no_affine_positive_axis(%x: tensor<3x4x8xf32>) -> tensor<3x4x8xf32> {
  %mean = ds.reduce_mean %x axes = [2] keepdim : tensor<3x4x8xf32> -> tensor<3x4x1xf32>
  %d = ds.sub %x, %mean : (tensor<3x4x8xf32>, tensor<3x4x1xf32>) -> tensor<3x4x8xf32>
  %two = ds.constant dense<2.0> : tensor<1xf32>
  %p = ds.pow %d, %two : (tensor<3x4x8xf32>, tensor<1xf32>) -> tensor<3x4x8xf32>
  %var = ds.reduce_mean %p axes = [2] keepdim : tensor<3x4x8xf32> -> tensor<3x4x1xf32>
  %eps = ds.constant dense<9.99999974E-6> : tensor<1xf32>
  %v = ds.add %var, %eps : (tensor<3x4x1xf32>, tensor<1xf32>) -> tensor<3x4x1xf32>
  %s = ds.sqrt %v : tensor<3x4x1xf32>
  %n = ds.div %d, %s : (tensor<3x4x8xf32>, tensor<3x4x1xf32>) -> tensor<3x4x8xf32>
  return %n : tensor<3x4x8xf32>
}

// -----

// LayerNorm([4, 8]): two normalized dims (axes [-2, -1]), weight and bias [4, 8]; every
// commutative operand swapped, d * d for the square, eps 1e-6.
// CHECK-LABEL: func.func @two_dims_commuted
// CHECK-SAME: (%[[X:.*]]: tensor<2x4x8xf32>, %[[W:.*]]: tensor<4x8xf32>, %[[B:.*]]: tensor<4x8xf32>)
// CHECK-NEXT: %[[Y:.*]] = ds.layer_norm %[[X]] weight %[[W]] bias %[[B]] axis = -2 epsilon = 9.99999997{{[0-9]*}}E-7
// CHECK-NEXT: return %[[Y]]
func.func @two_dims_commuted(%x: tensor<2x4x8xf32>, %w: tensor<4x8xf32>, %b: tensor<4x8xf32>) -> tensor<2x4x8xf32> {
  %mean = ds.reduce_mean %x axes = [-1, -2] keepdim : tensor<2x4x8xf32> -> tensor<2x1x1xf32>
  %d = ds.sub %x, %mean : (tensor<2x4x8xf32>, tensor<2x1x1xf32>) -> tensor<2x4x8xf32>
  %p = ds.mul %d, %d : tensor<2x4x8xf32>
  %var = ds.reduce_mean %p axes = [1, 2] keepdim : tensor<2x4x8xf32> -> tensor<2x1x1xf32>
  %eps = ds.constant dense<1.0e-6> : tensor<f32>
  %v = ds.add %eps, %var : (tensor<f32>, tensor<2x1x1xf32>) -> tensor<2x1x1xf32>
  %s = ds.sqrt %v : tensor<2x1x1xf32>
  %n = ds.div %d, %s : (tensor<2x4x8xf32>, tensor<2x1x1xf32>) -> tensor<2x4x8xf32>
  %y = ds.mul %w, %n : (tensor<4x8xf32>, tensor<2x4x8xf32>) -> tensor<2x4x8xf32>
  %z = ds.add %b, %y : (tensor<4x8xf32>, tensor<2x4x8xf32>) -> tensor<2x4x8xf32>
  return %z : tensor<2x4x8xf32>
}

// -----

// The division written as a multiplication by rsqrt.
// CHECK-LABEL: func.func @rsqrt_form
// CHECK-NEXT: %[[Y:.*]] = ds.layer_norm %{{.*}} axis = -1 epsilon = 9.99999974{{[0-9]*}}E-6
// CHECK-NEXT: return %[[Y]]
func.func @rsqrt_form(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %mean = ds.reduce_mean %x axes = [-1] keepdim : tensor<2x8xf32> -> tensor<2x1xf32>
  %d = ds.sub %x, %mean : (tensor<2x8xf32>, tensor<2x1xf32>) -> tensor<2x8xf32>
  %two = ds.constant dense<2.0> : tensor<f32>
  %p = ds.pow %d, %two : (tensor<2x8xf32>, tensor<f32>) -> tensor<2x8xf32>
  %var = ds.reduce_mean %p axes = [-1] keepdim : tensor<2x8xf32> -> tensor<2x1xf32>
  %eps = ds.constant dense<9.99999974E-6> : tensor<f32>
  %v = ds.add %var, %eps : (tensor<2x1xf32>, tensor<f32>) -> tensor<2x1xf32>
  %r = ds.rsqrt %v : tensor<2x1xf32>
  %n = ds.mul %r, %d : (tensor<2x1xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  return %n : tensor<2x8xf32>
}

// -----

// d = x - mean with another user: the fused op is still exact, and the sub (with its mean)
// stays for that user only.
// CHECK-LABEL: func.func @centered_used_elsewhere
// CHECK-SAME: (%[[X:.*]]: tensor<2x8xf32>)
// CHECK-DAG: %[[MEAN:.*]] = ds.reduce_mean %[[X]] axes = [-1] keepdim
// CHECK-DAG: %[[D:.*]] = ds.sub %[[X]], %[[MEAN]]
// CHECK-DAG: %[[Y:.*]] = ds.layer_norm %[[X]] axis = -1
// CHECK-NOT: ds.pow
// CHECK-NOT: ds.sqrt
// CHECK: return %[[Y]], %[[D]]
func.func @centered_used_elsewhere(%x: tensor<2x8xf32>) -> (tensor<2x8xf32>, tensor<2x8xf32>) {
  %mean = ds.reduce_mean %x axes = [-1] keepdim : tensor<2x8xf32> -> tensor<2x1xf32>
  %d = ds.sub %x, %mean : (tensor<2x8xf32>, tensor<2x1xf32>) -> tensor<2x8xf32>
  %two = ds.constant dense<2.0> : tensor<f32>
  %p = ds.pow %d, %two : (tensor<2x8xf32>, tensor<f32>) -> tensor<2x8xf32>
  %var = ds.reduce_mean %p axes = [-1] keepdim : tensor<2x8xf32> -> tensor<2x1xf32>
  %eps = ds.constant dense<9.99999974E-6> : tensor<f32>
  %v = ds.add %var, %eps : (tensor<2x1xf32>, tensor<f32>) -> tensor<2x1xf32>
  %s = ds.sqrt %v : tensor<2x1xf32>
  %n = ds.div %d, %s : (tensor<2x8xf32>, tensor<2x1xf32>) -> tensor<2x8xf32>
  return %n, %d : tensor<2x8xf32>, tensor<2x8xf32>
}

// -----

// The normalized value itself also returned: the weight cannot fold in (the unscaled value is
// still needed), so the normalization fuses and the affine mul/add stay.
// CHECK-LABEL: func.func @normalized_used_elsewhere
// CHECK: %[[N:.*]] = ds.layer_norm %{{.*}} axis = -1 epsilon
// CHECK-NEXT: %[[Y:.*]] = ds.mul %[[N]], %{{.*}}
// CHECK-NEXT: %[[Z:.*]] = ds.add %[[Y]], %{{.*}}
// CHECK-NEXT: return %[[Z]], %[[N]]
func.func @normalized_used_elsewhere(%x: tensor<2x8xf32>, %w: tensor<8xf32>, %b: tensor<8xf32>) -> (tensor<2x8xf32>, tensor<2x8xf32>) {
  %mean = ds.reduce_mean %x axes = [-1] keepdim : tensor<2x8xf32> -> tensor<2x1xf32>
  %d = ds.sub %x, %mean : (tensor<2x8xf32>, tensor<2x1xf32>) -> tensor<2x8xf32>
  %two = ds.constant dense<2.0> : tensor<f32>
  %p = ds.pow %d, %two : (tensor<2x8xf32>, tensor<f32>) -> tensor<2x8xf32>
  %var = ds.reduce_mean %p axes = [-1] keepdim : tensor<2x8xf32> -> tensor<2x1xf32>
  %eps = ds.constant dense<9.99999974E-6> : tensor<f32>
  %v = ds.add %var, %eps : (tensor<2x1xf32>, tensor<f32>) -> tensor<2x1xf32>
  %s = ds.sqrt %v : tensor<2x1xf32>
  %n = ds.div %d, %s : (tensor<2x8xf32>, tensor<2x1xf32>) -> tensor<2x8xf32>
  %y = ds.mul %n, %w : (tensor<2x8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
  %z = ds.add %y, %b : (tensor<2x8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
  return %z, %n : tensor<2x8xf32>, tensor<2x8xf32>
}

// -----

// Negative for the weight: a [2, 8] "weight" is not the normalized shape [8] (it differs per
// row), so it stays a mul; the bias after it cannot fold either (the kernel adds the bias
// after scaling by its own weight).
// CHECK-LABEL: func.func @weight_not_normalized_shape
// CHECK: %[[N:.*]] = ds.layer_norm %{{.*}} axis = -1 epsilon
// CHECK-SAME: (tensor<2x8xf32>) -> tensor<2x8xf32>
// CHECK-NEXT: %[[Y:.*]] = ds.mul %[[N]], %{{.*}} : tensor<2x8xf32>
// CHECK-NEXT: %[[Z:.*]] = ds.add %[[Y]], %{{.*}}
// CHECK-NEXT: return %[[Z]]
func.func @weight_not_normalized_shape(%x: tensor<2x8xf32>, %w: tensor<2x8xf32>, %b: tensor<8xf32>) -> tensor<2x8xf32> {
  %mean = ds.reduce_mean %x axes = [-1] keepdim : tensor<2x8xf32> -> tensor<2x1xf32>
  %d = ds.sub %x, %mean : (tensor<2x8xf32>, tensor<2x1xf32>) -> tensor<2x8xf32>
  %two = ds.constant dense<2.0> : tensor<f32>
  %p = ds.pow %d, %two : (tensor<2x8xf32>, tensor<f32>) -> tensor<2x8xf32>
  %var = ds.reduce_mean %p axes = [-1] keepdim : tensor<2x8xf32> -> tensor<2x1xf32>
  %eps = ds.constant dense<9.99999974E-6> : tensor<f32>
  %v = ds.add %var, %eps : (tensor<2x1xf32>, tensor<f32>) -> tensor<2x1xf32>
  %s = ds.sqrt %v : tensor<2x1xf32>
  %n = ds.div %d, %s : (tensor<2x8xf32>, tensor<2x1xf32>) -> tensor<2x8xf32>
  %y = ds.mul %n, %w : tensor<2x8xf32>
  %z = ds.add %y, %b : (tensor<2x8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
  return %z : tensor<2x8xf32>
}

// -----

// Negative: the mean over the last axis, the variance over the one before.
// CHECK-LABEL: func.func @different_axes
// CHECK-NOT: ds.layer_norm
// CHECK: ds.sqrt
func.func @different_axes(%x: tensor<2x4x8xf32>) -> tensor<2x4x8xf32> {
  %mean = ds.reduce_mean %x axes = [-1] keepdim : tensor<2x4x8xf32> -> tensor<2x4x1xf32>
  %d = ds.sub %x, %mean : (tensor<2x4x8xf32>, tensor<2x4x1xf32>) -> tensor<2x4x8xf32>
  %two = ds.constant dense<2.0> : tensor<f32>
  %p = ds.pow %d, %two : (tensor<2x4x8xf32>, tensor<f32>) -> tensor<2x4x8xf32>
  %var = ds.reduce_mean %p axes = [-2] keepdim : tensor<2x4x8xf32> -> tensor<2x1x8xf32>
  %eps = ds.constant dense<9.99999974E-6> : tensor<f32>
  %v = ds.add %var, %eps : (tensor<2x1x8xf32>, tensor<f32>) -> tensor<2x1x8xf32>
  %s = ds.sqrt %v : tensor<2x1x8xf32>
  %n = ds.div %d, %s : (tensor<2x4x8xf32>, tensor<2x1x8xf32>) -> tensor<2x4x8xf32>
  return %n : tensor<2x4x8xf32>
}

// -----

// Negative: both means over a middle axis: a normalization, but not over trailing dims.
// CHECK-LABEL: func.func @middle_axis
// CHECK-NOT: ds.layer_norm
// CHECK: ds.sqrt
func.func @middle_axis(%x: tensor<2x4x8xf32>) -> tensor<2x4x8xf32> {
  %mean = ds.reduce_mean %x axes = [1] keepdim : tensor<2x4x8xf32> -> tensor<2x1x8xf32>
  %d = ds.sub %x, %mean : (tensor<2x4x8xf32>, tensor<2x1x8xf32>) -> tensor<2x4x8xf32>
  %two = ds.constant dense<2.0> : tensor<f32>
  %p = ds.pow %d, %two : (tensor<2x4x8xf32>, tensor<f32>) -> tensor<2x4x8xf32>
  %var = ds.reduce_mean %p axes = [1] keepdim : tensor<2x4x8xf32> -> tensor<2x1x8xf32>
  %eps = ds.constant dense<9.99999974E-6> : tensor<f32>
  %v = ds.add %var, %eps : (tensor<2x1x8xf32>, tensor<f32>) -> tensor<2x1x8xf32>
  %s = ds.sqrt %v : tensor<2x1x8xf32>
  %n = ds.div %d, %s : (tensor<2x4x8xf32>, tensor<2x1x8xf32>) -> tensor<2x4x8xf32>
  return %n : tensor<2x4x8xf32>
}

// -----

// Negative: without keepdim the [8] mean of an 8x8 x broadcasts along rows, not columns: x minus
// its column means, which is not a layer norm even though every op is the same.
// CHECK-LABEL: func.func @mean_without_keepdim
// CHECK-NOT: ds.layer_norm
// CHECK: ds.sqrt
func.func @mean_without_keepdim(%x: tensor<8x8xf32>) -> tensor<8x8xf32> {
  %mean = ds.reduce_mean %x axes = [-1] : tensor<8x8xf32> -> tensor<8xf32>
  %d = ds.sub %x, %mean : (tensor<8x8xf32>, tensor<8xf32>) -> tensor<8x8xf32>
  %two = ds.constant dense<2.0> : tensor<f32>
  %p = ds.pow %d, %two : (tensor<8x8xf32>, tensor<f32>) -> tensor<8x8xf32>
  %var = ds.reduce_mean %p axes = [-1] : tensor<8x8xf32> -> tensor<8xf32>
  %eps = ds.constant dense<9.99999974E-6> : tensor<f32>
  %v = ds.add %var, %eps : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %s = ds.sqrt %v : tensor<8xf32>
  %n = ds.div %d, %s : (tensor<8x8xf32>, tensor<8xf32>) -> tensor<8x8xf32>
  return %n : tensor<8x8xf32>
}

// -----

// Negative: exponent 3 is not a variance.
// CHECK-LABEL: func.func @exponent_not_two
// CHECK-NOT: ds.layer_norm
// CHECK: ds.pow
func.func @exponent_not_two(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %mean = ds.reduce_mean %x axes = [-1] keepdim : tensor<2x8xf32> -> tensor<2x1xf32>
  %d = ds.sub %x, %mean : (tensor<2x8xf32>, tensor<2x1xf32>) -> tensor<2x8xf32>
  %three = ds.constant dense<3.0> : tensor<f32>
  %p = ds.pow %d, %three : (tensor<2x8xf32>, tensor<f32>) -> tensor<2x8xf32>
  %var = ds.reduce_mean %p axes = [-1] keepdim : tensor<2x8xf32> -> tensor<2x1xf32>
  %eps = ds.constant dense<9.99999974E-6> : tensor<f32>
  %v = ds.add %var, %eps : (tensor<2x1xf32>, tensor<f32>) -> tensor<2x1xf32>
  %s = ds.sqrt %v : tensor<2x1xf32>
  %n = ds.div %d, %s : (tensor<2x8xf32>, tensor<2x1xf32>) -> tensor<2x8xf32>
  return %n : tensor<2x8xf32>
}

// -----

// Negative: an epsilon that is not a constant, and a centring by another tensor's mean.
// CHECK-LABEL: func.func @eps_not_constant
// CHECK-NOT: ds.layer_norm
// CHECK: return
func.func @eps_not_constant(%x: tensor<2x8xf32>, %eps: tensor<f32>) -> tensor<2x8xf32> {
  %mean = ds.reduce_mean %x axes = [-1] keepdim : tensor<2x8xf32> -> tensor<2x1xf32>
  %d = ds.sub %x, %mean : (tensor<2x8xf32>, tensor<2x1xf32>) -> tensor<2x8xf32>
  %two = ds.constant dense<2.0> : tensor<f32>
  %p = ds.pow %d, %two : (tensor<2x8xf32>, tensor<f32>) -> tensor<2x8xf32>
  %var = ds.reduce_mean %p axes = [-1] keepdim : tensor<2x8xf32> -> tensor<2x1xf32>
  %v = ds.add %var, %eps : (tensor<2x1xf32>, tensor<f32>) -> tensor<2x1xf32>
  %s = ds.sqrt %v : tensor<2x1xf32>
  %n = ds.div %d, %s : (tensor<2x8xf32>, tensor<2x1xf32>) -> tensor<2x8xf32>
  return %n : tensor<2x8xf32>
}

// -----

// CHECK-LABEL: func.func @mean_of_other_tensor
// CHECK-NOT: ds.layer_norm
// CHECK: return
func.func @mean_of_other_tensor(%x: tensor<2x8xf32>, %other: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %mean = ds.reduce_mean %other axes = [-1] keepdim : tensor<2x8xf32> -> tensor<2x1xf32>
  %d = ds.sub %x, %mean : (tensor<2x8xf32>, tensor<2x1xf32>) -> tensor<2x8xf32>
  %two = ds.constant dense<2.0> : tensor<f32>
  %p = ds.pow %d, %two : (tensor<2x8xf32>, tensor<f32>) -> tensor<2x8xf32>
  %var = ds.reduce_mean %p axes = [-1] keepdim : tensor<2x8xf32> -> tensor<2x1xf32>
  %eps = ds.constant dense<9.99999974E-6> : tensor<f32>
  %v = ds.add %var, %eps : (tensor<2x1xf32>, tensor<f32>) -> tensor<2x1xf32>
  %s = ds.sqrt %v : tensor<2x1xf32>
  %n = ds.div %d, %s : (tensor<2x8xf32>, tensor<2x1xf32>) -> tensor<2x8xf32>
  return %n : tensor<2x8xf32>
}
