// Each verifier rejects what it must, with a message that says why.
// RUN: ds-opt %s --split-input-file --verify-diagnostics

func.func @add_shapes_do_not_broadcast(%a: tensor<2x3xf32>, %b: tensor<4xf32>) {
  // expected-error @+1 {{operand shapes [2, 3], [4] do not broadcast}}
  %0 = ds.add %a, %b : (tensor<2x3xf32>, tensor<4xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @add_wrong_result_shape(%a: tensor<2x3xf32>, %b: tensor<3xf32>) {
  // expected-error @+1 {{result shape [3] is not the broadcast shape [2, 3]}}
  %0 = ds.add %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<3xf32>
  return
}

// -----

func.func @mul_mixed_element_types(%a: tensor<3xf32>, %b: tensor<3xf16>) {
  // expected-error @+1 {{element types differ: 'f16' vs 'f32'}}
  %0 = ds.mul %a, %b : (tensor<3xf32>, tensor<3xf16>) -> tensor<3xf32>
  return
}

// -----

func.func @compare_mixed_element_types(%a: tensor<3xf32>, %b: tensor<3xi64>) {
  // expected-error @+1 {{compares different element types: 'f32' and 'i64'}}
  %0 = ds.compare eq, %a, %b : (tensor<3xf32>, tensor<3xi64>) -> tensor<3xi1>
  return
}

// -----

func.func @select_wrong_element_type(%c: tensor<3xi1>, %a: tensor<3xf32>, %b: tensor<3xf16>) {
  // expected-error @+1 {{true and false values must have the result's element type 'f32'}}
  %0 = ds.select %c, %a, %b : (tensor<3xi1>, tensor<3xf32>, tensor<3xf16>) -> tensor<3xf32>
  return
}

// -----

func.func @exp_of_integers(%a: tensor<3xi64>) {
  // expected-error @+1 {{operand #0 must be statically shaped tensor of 16-bit float or bfloat16 type or 32-bit float or 64-bit float values}}
  %0 = ds.exp %a : tensor<3xi64>
  return
}

// -----

func.func @unary_changes_type(%a: tensor<3xf32>) {
  // expected-error @+1 {{requires the same type for all operands and results}}
  %0 = "ds.tanh"(%a) : (tensor<3xf32>) -> tensor<3xf16>
  return
}

// -----

func.func @dynamic_shape(%a: tensor<?xf32>) {
  // expected-error @+1 {{must be statically shaped tensor}}
  %0 = ds.relu %a : tensor<?xf32>
  return
}

// -----

func.func @dropout_ratio_one(%a: tensor<3xf32>) {
  // expected-error @+1 {{ratio must be in [0, 1), got 1}}
  %0 = ds.dropout %a ratio = 1.0 seed = 1 : tensor<3xf32>
  return
}

// -----

func.func @matmul_contraction_mismatch(%a: tensor<2x3xf32>, %b: tensor<4x5xf32>) {
  // expected-error @+1 {{contraction sizes differ: lhs has 3, rhs has 4}}
  %0 = ds.matmul %a, %b : (tensor<2x3xf32>, tensor<4x5xf32>) -> tensor<2x5xf32>
  return
}

// -----

func.func @matmul_batch_mismatch(%a: tensor<2x2x3xf32>, %b: tensor<3x3x5xf32>) {
  // expected-error @+1 {{batch dimensions [2] and [3] do not broadcast}}
  %0 = ds.matmul %a, %b : (tensor<2x2x3xf32>, tensor<3x3x5xf32>) -> tensor<2x2x5xf32>
  return
}

// -----

func.func @matmul_wrong_result(%a: tensor<2x3xf32>, %b: tensor<5x3xf32>) {
  // expected-error @+1 {{result shape [2, 3] should be [2, 5]}}
  %0 = ds.matmul %a, %b transpose_rhs : (tensor<2x3xf32>, tensor<5x3xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @softmax_axis_out_of_range(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{axis 2 is out of range for rank 2}}
  %0 = ds.softmax %a axis = 2 : tensor<2x3xf32>
  return
}

// -----

func.func @causal_softmax_not_last_axis(%a: tensor<3x3xf32>) {
  // expected-error @+1 {{causal softmax must normalize over the last axis}}
  %0 = ds.softmax %a axis = 0 causal : tensor<3x3xf32>
  return
}

// -----

func.func @causal_mask_rank_one(%a: tensor<3xf32>) {
  // expected-error @+1 {{needs rank >= 2, got 1}}
  %0 = ds.causal_mask %a fill = -1.0 : tensor<3xf32>
  return
}

// -----

func.func @layer_norm_weight_shape(%x: tensor<2x8xf32>, %g: tensor<4xf32>) {
  // expected-error @+1 {{weight/bias shape [4] must be the normalized shape [8]}}
  %0 = ds.layer_norm %x weight %g axis = -1 epsilon = 1.0e-5 : (tensor<2x8xf32>, tensor<4xf32>) -> tensor<2x8xf32>
  return
}

// -----

func.func @rms_norm_negative_epsilon(%x: tensor<2x8xf32>) {
  // expected-error @+1 {{epsilon must be >= 0, got -1}}
  %0 = ds.rms_norm %x axis = -1 epsilon = -1.0 : (tensor<2x8xf32>) -> tensor<2x8xf32>
  return
}

// -----

func.func @cross_entropy_targets_shape(%l: tensor<2x4x10xf32>, %t: tensor<2x5xi64>) {
  // expected-error @+1 {{targets shape [2, 5] must be the logits shape without its last dimension, [2, 4]}}
  %0 = ds.cross_entropy %l, %t reduction = mean ignore_index = -100 : (tensor<2x4x10xf32>, tensor<2x5xi64>) -> tensor<f32>
  return
}

// -----

func.func @cross_entropy_mean_is_scalar(%l: tensor<2x4x10xf32>, %t: tensor<2x4xi64>) {
  // expected-error @+1 {{result shape [2, 4] should be [] for reduction mean}}
  %0 = ds.cross_entropy %l, %t reduction = mean ignore_index = -100 : (tensor<2x4x10xf32>, tensor<2x4xi64>) -> tensor<2x4xf32>
  return
}

// -----

func.func @reduce_axis_twice(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{axis -1 is listed twice}}
  %0 = ds.reduce_sum %x axes = [1, -1] : tensor<2x3xf32> -> tensor<2xf32>
  return
}

// -----

func.func @reduce_wrong_result(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{result shape [2] should be [2, 1]}}
  %0 = ds.reduce_mean %x axes = [1] keepdim : tensor<2x3xf32> -> tensor<2xf32>
  return
}

// -----

func.func @reshape_element_count(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{cannot reshape 6 elements [2, 3] into 8 elements [2, 4]}}
  %0 = ds.reshape %x : tensor<2x3xf32> -> tensor<2x4xf32>
  return
}

// -----

func.func @transpose_not_a_permutation(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{perm [0, 0] is not a permutation}}
  %0 = ds.transpose %x perm = [0, 0] : tensor<2x3xf32> -> tensor<2x2xf32>
  return
}

// -----

func.func @expand_cannot_broadcast(%x: tensor<3xf32>) {
  // expected-error @+1 {{cannot broadcast [3] to [2, 4]}}
  %0 = ds.expand %x : tensor<3xf32> -> tensor<2x4xf32>
  return
}

// -----

func.func @slice_out_of_bounds(%x: tensor<4xf32>) {
  // expected-error @+1 {{dimension 0 of size 4 cannot be sliced [2, 6)}}
  %0 = ds.slice %x starts = [2] ends = [6] steps = [1] : tensor<4xf32> -> tensor<4xf32>
  return
}

// -----

func.func @slice_zero_step(%x: tensor<4xf32>) {
  // expected-error @+1 {{step 0 of dimension 0 must be >= 1}}
  %0 = ds.slice %x starts = [0] ends = [4] steps = [0] : tensor<4xf32> -> tensor<4xf32>
  return
}

// -----

func.func @concat_mismatched_dims(%a: tensor<2x3xf32>, %b: tensor<2x4xf32>) {
  // expected-error @+1 {{input #1 has size 4 in dimension 1, expected 3}}
  %0 = ds.concat %a, %b axis = 0 : (tensor<2x3xf32>, tensor<2x4xf32>) -> tensor<4x3xf32>
  return
}

// -----

func.func @split_sizes(%x: tensor<5x3xf32>) {
  // expected-error @+1 {{sizes along axis 0 add up to 4, expected 5}}
  %0:2 = ds.split %x axis = 0 : tensor<5x3xf32> -> tensor<2x3xf32>, tensor<2x3xf32>
  return
}

// -----

func.func @gather_result_shape(%w: tensor<50x16xf32>, %i: tensor<2x8xi64>) {
  // expected-error @+1 {{result shape [2, 8] should be [2, 8, 16]}}
  %0 = ds.gather %w[%i] axis = 0 : (tensor<50x16xf32>, tensor<2x8xi64>) -> tensor<2x8xf32>
  return
}

// -----

func.func @gather_float_indices(%w: tensor<50x16xf32>, %i: tensor<2xf32>) {
  // expected-error @+1 {{operand #1 must be statically shaped tensor of 32-bit signless integer or 64-bit signless integer values}}
  %0 = "ds.gather"(%w, %i) {axis = 0 : i64} : (tensor<50x16xf32>, tensor<2xf32>) -> tensor<2x16xf32>
  return
}

// -----

// expected-error @+1 {{initial value of type 'tensor<4xf32>' does not match the parameter type 'tensor<2x2xf32>'}}
"ds.param"() <{sym_name = "w", type = tensor<2x2xf32>, initial_value = dense<1.0> : tensor<4xf32>}> : () -> ()

// -----

// A shard's initial value describes the whole tensor, not the piece.
// expected-error @+1 {{initial value of type 'tensor<2xf32>' does not match the whole tensor's type 'tensor<5xf32>'}}
ds.param @m : tensor<2xf32> = whole dense<1.0> : tensor<2xf32> {ds.shard = {axis = "dp", mesh = @mesh, numel = 5 : i64, padded = 6 : i64, shape = array<i64: 5>}}

// -----

// expected-error @+1 {{initial value of type 'tensor<6xf32>' does not match the whole tensor's type 'tensor<2x3xf32>'}}
ds.param @m : tensor<3xf32> = whole dense<1.0> : tensor<6xf32> {ds.shard = {axis = "dp", mesh = @mesh, numel = 6 : i64, padded = 6 : i64, shape = array<i64: 2, 3>}}

// -----

// expected-error @+1 {{initial value of type 'tensor<5xf16>' does not match the whole tensor's type 'tensor<5xf32>'}}
ds.param @m : tensor<3xf32> = whole dense<1.0> : tensor<5xf16> {ds.shard = {axis = "dp", mesh = @mesh, numel = 5 : i64, padded = 6 : i64, shape = array<i64: 5>}}

// -----

// expected-error @+1 {{ds.shard needs 'shape', the whole tensor's shape (array<i64>)}}
ds.param @m : tensor<3xf32> init #ds.init<zeros> {ds.shard = {axis = "dp", mesh = @mesh, numel = 5 : i64, padded = 6 : i64}}

// -----

// expected-error @+1 {{ds.shard needs 'mesh', the symbol of a ds.mesh}}
ds.param @m : tensor<3xf32> init #ds.init<zeros> {ds.shard = {axis = "dp", numel = 5 : i64, padded = 6 : i64, shape = array<i64: 5>}}

// -----

// expected-error @+1 {{ds.shard needs 'axis', a mesh axis name}}
ds.param @m : tensor<3xf32> init #ds.init<zeros> {ds.shard = {mesh = @mesh, numel = 5 : i64, padded = 6 : i64, shape = array<i64: 5>}}

// -----

// expected-error @+1 {{ds.shard needs integer 'numel' and 'padded'}}
ds.param @m : tensor<3xf32> init #ds.init<zeros> {ds.shard = {axis = "dp", mesh = @mesh, numel = 5 : i64, shape = array<i64: 5>}}

// -----

// expected-error @+1 {{ds.shard must be a dictionary, got "dp"}}
ds.param @m : tensor<3xf32> init #ds.init<zeros> {ds.shard = "dp"}

// -----

// expected-error @+1 {{a shard (ds.shard) must be a flat tensor, got 'tensor<1x3xf32>'}}
ds.param @m : tensor<1x3xf32> init #ds.init<zeros> {ds.shard = {axis = "dp", mesh = @mesh, numel = 5 : i64, padded = 6 : i64, shape = array<i64: 5>}}

// -----

// expected-error @+1 {{ds.shard numel 5 is not the number of elements of shape [2, 3] (6)}}
ds.param @m : tensor<3xf32> init #ds.init<zeros> {ds.shard = {axis = "dp", mesh = @mesh, numel = 5 : i64, padded = 6 : i64, shape = array<i64: 2, 3>}}

// -----

// expected-error @+1 {{ds.shard padded size 4 is smaller than numel 5}}
ds.param @m : tensor<2xf32> init #ds.init<zeros> {ds.shard = {axis = "dp", mesh = @mesh, numel = 5 : i64, padded = 4 : i64, shape = array<i64: 5>}}

// -----

// expected-error @+1 {{ds.shard padded size 7 is not a whole number of shards of 3 elements}}
ds.param @m : tensor<3xf32> init #ds.init<zeros> {ds.shard = {axis = "dp", mesh = @mesh, numel = 5 : i64, padded = 7 : i64, shape = array<i64: 5>}}

// -----

// expected-error @+1 {{ds.shard shape has a negative dimension -5}}
ds.param @m : tensor<3xf32> init #ds.init<zeros> {ds.shard = {axis = "dp", mesh = @mesh, numel = 5 : i64, padded = 6 : i64, shape = array<i64: -5>}}

// -----

// expected-error @+1 {{has both an initial value and an initializer}}
ds.param @w : tensor<2xf32> = dense<1.0> init #ds.init<zeros>

// -----

// expected-error @+1 {{random initializer needs a float parameter, got 'i64'}}
ds.param @w : tensor<2xi64> init #ds.init<uniform, low = 0.0, high = 1.0, seed = 1>

// -----

// expected-error @+1 {{uniform initializer needs low < high, got [1, 1)}}
ds.param @w : tensor<2xf32> init #ds.init<uniform, low = 1.0, high = 1.0, seed = 1>

// -----

// expected-error @+1 {{unknown initializer distribution 'gaussian'}}
ds.param @w : tensor<2xf32> init #ds.init<gaussian, mean = 0.0, std = 1.0, seed = 1>

// -----

func.func @param_inside_function() {
  // expected-error @+1 {{expects parent op 'builtin.module'}}
  ds.param @w : tensor<2xf32>
  return
}

// -----

func.func @load_unknown_param() {
  // expected-error @+1 {{'@nope' does not name a ds.param}}
  %0 = ds.load_param @nope : tensor<2xf32>
  return
}

// -----

ds.param @w : tensor<2xf32>
func.func @store_wrong_type(%v: tensor<3xf32>) {
  // expected-error @+1 {{type 'tensor<3xf32>' does not match @w of type 'tensor<2xf32>'}}
  ds.store_param %v, @w : tensor<3xf32>
  return
}

// -----

ds.param @w : tensor<2x2xf32>
func.func @store_past_end(%v: tensor<3xf32>) {
  // expected-error @+1 {{elements [2, 5) are past the end of @w (4 elements)}}
  ds.store_param %v, @w at 2 : tensor<3xf32>
  return
}

// -----

ds.param @w : tensor<4xf32>
func.func @store_at_wrong_type(%v: tensor<2xbf16>) {
  // expected-error @+1 {{a store at an offset takes a 1-D tensor of @w's element type 'f32', got 'tensor<2xbf16>'}}
  ds.store_param %v, @w at 0 : tensor<2xbf16>
  return
}

// -----

// expected-error @+1 {{axis 'dp' appears twice}}
ds.mesh @mesh(dp = 2, dp = 2)

// -----

// expected-error @+1 {{axis 'tp' has size 0, expected >= 1}}
ds.mesh @mesh(dp = 2, tp = 0)

// -----

ds.mesh @mesh(dp = 2, tp = 2)
func.func @gather_on_unknown_axis(%x: tensor<4xf32>) {
  // expected-error @+1 {{mesh @mesh has no axis 'ep' (its axes: dp, tp)}}
  %0 = ds.all_gather %x on @mesh["ep"] dim = 0 : tensor<4xf32> -> tensor<8xf32>
  return
}

// -----

func.func @gather_on_unknown_mesh(%x: tensor<4xf32>) {
  // expected-error @+1 {{'@mesh' does not name a ds.mesh}}
  %0 = ds.all_gather %x on @mesh["dp"] dim = 0 : tensor<4xf32> -> tensor<8xf32>
  return
}

// -----

ds.mesh @mesh(dp = 4)
func.func @gather_wrong_result(%x: tensor<4x2xf32>) {
  // expected-error @+1 {{result shape [8, 2] should be [16, 2] for a group of 4 ranks}}
  %0 = ds.all_gather %x on @mesh["dp"] dim = 0 : tensor<4x2xf32> -> tensor<8x2xf32>
  return
}

// -----

ds.mesh @mesh(dp = 4)
func.func @reduce_scatter_uneven(%x: tensor<6xf32>) {
  // expected-error @+1 {{dimension 0 of size 6 does not divide evenly over 4 ranks}}
  %0 = ds.reduce_scatter sum %x on @mesh["dp"] dim = 0 : tensor<6xf32> -> tensor<1xf32>
  return
}

// -----

ds.mesh @mesh(dp = 4)
func.func @shard_slice_uneven(%x: tensor<6xf32>) {
  // expected-error @+1 {{dimension 0 of size 6 does not divide evenly over 4 ranks}}
  %0 = ds.shard_slice %x on @mesh["dp"] dim = 0 : tensor<6xf32> -> tensor<1xf32>
  return
}

// -----

ds.mesh @mesh(dp = 2)
func.func @shard_slice_wrong_result(%x: tensor<4x6xf32>) {
  // expected-error @+1 {{result shape [4, 2] should be [4, 3] for a group of 2 ranks}}
  %0 = ds.shard_slice %x on @mesh["dp"] dim = 1 : tensor<4x6xf32> -> tensor<4x2xf32>
  return
}

// -----

ds.mesh @mesh(dp = 2)
func.func @shard_slice_unknown_axis(%x: tensor<4xf32>) {
  // expected-error @+1 {{mesh @mesh has no axis 'tp' (its axes: dp)}}
  %0 = ds.shard_slice %x on @mesh["tp"] dim = 0 : tensor<4xf32> -> tensor<2xf32>
  return
}

// -----

ds.mesh @mesh(ep = 2)
func.func @all_to_all_wrong_result(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{result type 'tensor<4x8xf32>' should have shape [2, 16] and element type 'f32'}}
  %0 = ds.all_to_all %x on @mesh["ep"] split_dim = 0 concat_dim = 1 : tensor<4x8xf32> -> tensor<4x8xf32>
  return
}

// -----

ds.mesh @mesh(tp = 2)
func.func @broadcast_root_outside_group(%x: tensor<4xf32>) {
  // expected-error @+1 {{root 2 is not a member of a group of 2}}
  %0 = ds.broadcast %x on @mesh["tp"] root = 2 : tensor<4xf32>
  return
}

// -----

ds.mesh @mesh(pp = 4)
func.func @send_shift_wraps_to_self(%x: tensor<4xf32>) {
  // expected-error @+1 {{shift -4 must be non-zero and within (-4, 4) for a group of 4}}
  ds.send %x on @mesh["pp"] shift = -4 tag = 0 : tensor<4xf32>
  return
}

// -----

ds.mesh @mesh(dp = 2)
func.func @all_reduce_changes_type(%x: tensor<4xf32>) {
  // expected-error @+1 {{all of {input, result} have same type}}
  %0 = "ds.all_reduce"(%x) <{kind = 0 : i32, mesh = @mesh, axis = "dp"}> : (tensor<4xf32>) -> tensor<4xf16>
  return
}

// -----

func.func @use_after_release(%x: tensor<4xf32>) -> tensor<4xf32> {
  %y = ds.exp %x : tensor<4xf32>
  // expected-error @+1 {{value is used after its release}}
  ds.release %y : tensor<4xf32>
  // expected-note @+1 {{used here}}
  %z = ds.tanh %y : tensor<4xf32>
  return %z : tensor<4xf32>
}
