// Each backward op's verifier rejects what it must, with a message that says why.
// RUN: ds-opt %s --split-input-file --verify-diagnostics

func.func @gelu_grad_types_differ(%x: tensor<2x4xf32>, %dy: tensor<2x4xf16>) {
  // expected-error @+1 {{requires the same type for all operands and results}}
  %0 = "ds.gelu_grad"(%x, %dy) : (tensor<2x4xf32>, tensor<2x4xf16>) -> tensor<2x4xf32>
  return
}

// -----

func.func @gelu_grad_of_integers(%x: tensor<4xi64>) {
  // expected-error @+1 {{operand #0 must be statically shaped tensor of 16-bit float or bfloat16 type or 32-bit float or 64-bit float values}}
  %0 = ds.gelu_grad %x, %x approximate = none : tensor<4xi64>
  return
}

// -----

func.func @softmax_grad_axis_out_of_range(%y: tensor<2x3xf32>) {
  // expected-error @+1 {{axis 2 is out of range for rank 2}}
  %0 = ds.softmax_grad %y, %y axis = 2 : tensor<2x3xf32>
  return
}

// -----

func.func @log_softmax_grad_axis_out_of_range(%y: tensor<2x3xf32>) {
  // expected-error @+1 {{axis -3 is out of range for rank 2}}
  %0 = ds.log_softmax_grad %y, %y axis = -3 : tensor<2x3xf32>
  return
}

// -----

func.func @softmax_grad_shapes_differ(%y: tensor<2x3xf32>, %dy: tensor<3x2xf32>) {
  // expected-error @+1 {{requires the same type for all operands and results}}
  %0 = "ds.softmax_grad"(%y, %dy) {axis = 1 : i64} : (tensor<2x3xf32>, tensor<3x2xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @layer_norm_grad_grad_type(%x: tensor<2x8xf32>, %dy: tensor<2x4xf32>) {
  // expected-error @+1 {{grad type 'tensor<2x4xf32>' must equal the input type 'tensor<2x8xf32>'}}
  %0 = ds.layer_norm_grad %x, %dy axis = -1 epsilon = 1.0e-5 : (tensor<2x8xf32>, tensor<2x4xf32>) -> tensor<2x8xf32>
  return
}

// -----

func.func @layer_norm_grad_result_type(%x: tensor<2x8xf32>) {
  // expected-error @+1 {{result type must equal the input type 'tensor<2x8xf32>'}}
  %0 = ds.layer_norm_grad %x, %x axis = -1 epsilon = 1.0e-5 : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf16>
  return
}

// -----

func.func @layer_norm_grad_weight_shape(%x: tensor<2x8xf32>, %w: tensor<4xf32>) {
  // expected-error @+1 {{weight shape [4] must be the normalized shape [8]}}
  %0 = ds.layer_norm_grad %x, %x weight %w axis = -1 epsilon = 1.0e-5 : (tensor<2x8xf32>, tensor<2x8xf32>, tensor<4xf32>) -> tensor<2x8xf32>
  return
}

// -----

func.func @layer_norm_grad_weight_element_type(%x: tensor<2x8xf32>, %w: tensor<8xbf16>) {
  // expected-error @+1 {{weight element type must be 'f32'}}
  %0 = ds.layer_norm_grad %x, %x weight %w axis = -1 epsilon = 1.0e-5 : (tensor<2x8xf32>, tensor<2x8xf32>, tensor<8xbf16>) -> tensor<2x8xf32>
  return
}

// -----

func.func @layer_norm_grad_axis(%x: tensor<2x8xf32>) {
  // expected-error @+1 {{axis 2 is out of range for rank 2}}
  %0 = ds.layer_norm_grad %x, %x axis = 2 epsilon = 1.0e-5 : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  return
}

// -----

func.func @layer_norm_param_grad_result_shape(%x: tensor<2x3x8xf32>) {
  // expected-error @+1 {{result shape [8] must be the normalized shape [3, 8]}}
  %0:2 = ds.layer_norm_param_grad %x, %x axis = 1 epsilon = 1.0e-5 : (tensor<2x3x8xf32>, tensor<2x3x8xf32>) -> (tensor<3x8xf32>, tensor<8xf32>)
  return
}

// -----

func.func @layer_norm_param_grad_result_element_type(%x: tensor<2x8xf32>) {
  // expected-error @+1 {{result element type must be 'f32'}}
  %0:2 = ds.layer_norm_param_grad %x, %x axis = -1 epsilon = 1.0e-5 : (tensor<2x8xf32>, tensor<2x8xf32>) -> (tensor<8xf64>, tensor<8xf32>)
  return
}

// -----

func.func @rms_norm_grad_negative_epsilon(%x: tensor<2x8xf32>) {
  // expected-error @+1 {{epsilon must be >= 0, got -1}}
  %0 = ds.rms_norm_grad %x, %x axis = -1 epsilon = -1.0 : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  return
}

// -----

func.func @rms_norm_grad_weight_shape(%x: tensor<2x8xf32>, %w: tensor<2x8xf32>) {
  // expected-error @+1 {{weight shape [2, 8] must be the normalized shape [8]}}
  %0 = ds.rms_norm_grad %x, %x weight %w axis = 1 epsilon = 1.0e-5 : (tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  return
}

// -----

func.func @rms_norm_param_grad_result_shape(%x: tensor<2x8xf32>) {
  // expected-error @+1 {{result shape [2, 8] must be the normalized shape [8]}}
  %0 = ds.rms_norm_param_grad %x, %x axis = -1 epsilon = 1.0e-5 : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  return
}

// -----

func.func @rms_norm_param_grad_grad_type(%x: tensor<2x8xf32>, %dy: tensor<2x8xf64>) {
  // expected-error @+1 {{grad type 'tensor<2x8xf64>' must equal the input type 'tensor<2x8xf32>'}}
  %0 = ds.rms_norm_param_grad %x, %dy axis = -1 epsilon = 1.0e-5 : (tensor<2x8xf32>, tensor<2x8xf64>) -> tensor<8xf32>
  return
}

// -----

func.func @cross_entropy_grad_scalar_logits(%l: tensor<f32>, %t: tensor<i64>, %s: tensor<f32>) {
  // expected-error @+1 {{logits must have a class dimension}}
  %0 = ds.cross_entropy_grad %l, %t, %s reduction = sum ignore_index = -100 : (tensor<f32>, tensor<i64>, tensor<f32>) -> tensor<f32>
  return
}

// -----

func.func @cross_entropy_grad_targets_shape(%l: tensor<2x4x10xf32>, %t: tensor<2x5xi64>, %s: tensor<f32>) {
  // expected-error @+1 {{targets shape [2, 5] must be the logits shape without its last dimension, [2, 4]}}
  %0 = ds.cross_entropy_grad %l, %t, %s reduction = mean ignore_index = -100 : (tensor<2x4x10xf32>, tensor<2x5xi64>, tensor<f32>) -> tensor<2x4x10xf32>
  return
}

// -----

func.func @cross_entropy_grad_mean_takes_scalar(%l: tensor<2x4x10xf32>, %t: tensor<2x4xi64>, %g: tensor<2x4xf32>) {
  // expected-error @+1 {{grad shape [2, 4] should be [] for reduction mean}}
  %0 = ds.cross_entropy_grad %l, %t, %g reduction = mean ignore_index = -100 : (tensor<2x4x10xf32>, tensor<2x4xi64>, tensor<2x4xf32>) -> tensor<2x4x10xf32>
  return
}

// -----

func.func @cross_entropy_grad_none_takes_per_target(%l: tensor<2x4x10xf32>, %t: tensor<2x4xi64>, %g: tensor<f32>) {
  // expected-error @+1 {{grad shape [] should be [2, 4] for reduction none}}
  %0 = ds.cross_entropy_grad %l, %t, %g reduction = none ignore_index = -100 : (tensor<2x4x10xf32>, tensor<2x4xi64>, tensor<f32>) -> tensor<2x4x10xf32>
  return
}

// -----

func.func @cross_entropy_grad_grad_element_type(%l: tensor<2x10xf32>, %t: tensor<2xi64>, %g: tensor<f64>) {
  // expected-error @+1 {{grad element type must be the logits' 'f32'}}
  %0 = ds.cross_entropy_grad %l, %t, %g reduction = sum ignore_index = -100 : (tensor<2x10xf32>, tensor<2xi64>, tensor<f64>) -> tensor<2x10xf32>
  return
}

// -----

func.func @cross_entropy_grad_result_type(%l: tensor<2x10xf32>, %t: tensor<2xi64>, %g: tensor<f32>) {
  // expected-error @+1 {{result type must equal the logits type 'tensor<2x10xf32>'}}
  %0 = ds.cross_entropy_grad %l, %t, %g reduction = sum ignore_index = -100 : (tensor<2x10xf32>, tensor<2xi64>, tensor<f32>) -> tensor<2x9xf32>
  return
}

// -----

func.func @cross_entropy_grad_float_targets(%l: tensor<2x10xf32>, %t: tensor<2xf32>, %g: tensor<f32>) {
  // expected-error @+1 {{operand #1 must be statically shaped tensor of 32-bit signless integer or 64-bit signless integer values}}
  %0 = ds.cross_entropy_grad %l, %t, %g reduction = sum ignore_index = -100 : (tensor<2x10xf32>, tensor<2xf32>, tensor<f32>) -> tensor<2x10xf32>
  return
}

// -----

func.func @gather_grad_axis(%i: tensor<3xi64>, %dy: tensor<3x16xf32>) {
  // expected-error @+1 {{axis 2 is out of range for the result's rank 2}}
  %0 = ds.gather_grad %i, %dy axis = 2 : (tensor<3xi64>, tensor<3x16xf32>) -> tensor<50x16xf32>
  return
}

// -----

func.func @gather_grad_grad_shape(%i: tensor<2x8xi64>, %dy: tensor<16x16xf32>) {
  // expected-error @+1 {{grad shape [16, 16] should be [2, 8, 16], the shape ds.gather gives for these indices}}
  %0 = ds.gather_grad %i, %dy axis = 0 : (tensor<2x8xi64>, tensor<16x16xf32>) -> tensor<50x16xf32>
  return
}

// -----

func.func @gather_grad_element_types(%i: tensor<3xi64>, %dy: tensor<3x16xf16>) {
  // expected-error @+1 {{grad and result element types differ: 'f16' vs 'f32'}}
  %0 = ds.gather_grad %i, %dy axis = 0 : (tensor<3xi64>, tensor<3x16xf16>) -> tensor<50x16xf32>
  return
}

// -----

func.func @gather_grad_float_indices(%i: tensor<3xf32>, %dy: tensor<3x16xf32>) {
  // expected-error @+1 {{operand #0 must be statically shaped tensor of 32-bit signless integer or 64-bit signless integer values}}
  %0 = ds.gather_grad %i, %dy axis = 0 : (tensor<3xf32>, tensor<3x16xf32>) -> tensor<50x16xf32>
  return
}

// -----

func.func @slice_grad_grad_shape(%dy: tensor<2x3xf32>) {
  // expected-error @+1 {{grad shape [2, 3] should be [2, 2], the shape of the slice}}
  %0 = ds.slice_grad %dy starts = [0, 1] ends = [2, 4] steps = [1, 2] : tensor<2x3xf32> -> tensor<2x4xf32>
  return
}

// -----

func.func @slice_grad_out_of_bounds(%dy: tensor<4xf32>) {
  // expected-error @+1 {{dimension 0 of size 4 cannot be sliced [2, 6)}}
  %0 = ds.slice_grad %dy starts = [2] ends = [6] steps = [1] : tensor<4xf32> -> tensor<4xf32>
  return
}

// -----

func.func @slice_grad_zero_step(%dy: tensor<4xf32>) {
  // expected-error @+1 {{step 0 of dimension 0 must be >= 1}}
  %0 = ds.slice_grad %dy starts = [0] ends = [4] steps = [0] : tensor<4xf32> -> tensor<4xf32>
  return
}

// -----

func.func @slice_grad_rank(%dy: tensor<4xf32>) {
  // expected-error @+1 {{starts, ends and steps need one entry per dimension (2)}}
  %0 = ds.slice_grad %dy starts = [0] ends = [4] steps = [1] : tensor<4xf32> -> tensor<4x4xf32>
  return
}

// -----

func.func @slice_grad_element_types(%dy: tensor<2xf16>) {
  // expected-error @+1 {{grad and result element types differ: 'f16' vs 'f32'}}
  %0 = ds.slice_grad %dy starts = [0] ends = [2] steps = [1] : tensor<2xf16> -> tensor<4xf32>
  return
}
