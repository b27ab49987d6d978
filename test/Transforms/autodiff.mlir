// RUN: ds-opt %s --ds-autodiff --canonicalize --cse --split-input-file -verify-diagnostics | FileCheck %s

// The walk itself: gradients accumulate over uses, parameters loaded several times get one
// summed gradient, frozen parameters get none, and an op without a rule is an error.

// A parameter loaded twice (tied weights): the two contributions are added into one result
// (CSE merges the two loads after the pass).
ds.param @w : tensor<4x4xf32> init #ds.init<normal, mean = 0.0, std = 0.02, seed = 1>

// CHECK-LABEL: func.func @tied_parameter
// CHECK-SAME: (%[[X:.*]]: tensor<2x4xf32>) -> (tensor<f32>, tensor<2x4xf32>, tensor<4x4xf32>)
// CHECK: %[[W:.*]] = ds.load_param @w
// CHECK: %[[H:.*]] = ds.matmul %[[X]], %[[W]]
// CHECK: %[[D2:.*]] = ds.matmul %{{.*}}, %[[H]] transpose_lhs
// CHECK: %[[D1:.*]] = ds.matmul %[[X]], %{{.*}} transpose_lhs
// CHECK: %[[SUM:.*]] = ds.add %[[D1]], %[[D2]] : tensor<4x4xf32>
// CHECK: return %{{.*}}, %{{.*}}, %[[SUM]] :
func.func @tied_parameter(%x: tensor<2x4xf32>) -> tensor<f32> {
  %w1 = ds.load_param @w : tensor<4x4xf32>
  %h = ds.matmul %x, %w1 : (tensor<2x4xf32>, tensor<4x4xf32>) -> tensor<2x4xf32>
  %w2 = ds.load_param @w : tensor<4x4xf32>
  %y = ds.matmul %h, %w2 transpose_rhs : (tensor<2x4xf32>, tensor<4x4xf32>) -> tensor<2x4xf32>
  %l = ds.reduce_sum %y axes = [0, 1] : tensor<2x4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// GPT's tied embedding: the token table feeds the gather and, transposed, the output head. Its
// one gradient is the scatter-add from the gather plus the head's matmul gradient.
ds.param @wte : tensor<6x4xf32> init #ds.init<normal, mean = 0.0, std = 0.02, seed = 1>
ds.param @wpe : tensor<3x4xf32> init #ds.init<normal, mean = 0.0, std = 0.02, seed = 2>

// CHECK-LABEL: func.func @tied_embedding
// CHECK-SAME: (%[[IDS:.*]]: tensor<3xi64>) -> (tensor<f32>, tensor<6x4xf32>, tensor<3x4xf32>)
// CHECK: %[[H:.*]] = ds.add
// CHECK: %[[LOGITS:.*]] = ds.matmul %[[H]]
// CHECK: %[[DL:.*]] = ds.cross_entropy_grad %[[LOGITS]], %[[IDS]]
// CHECK: %[[DH:.*]] = ds.matmul %[[DL]], %{{.*}} : (tensor<3x6xf32>, tensor<6x4xf32>) -> tensor<3x4xf32>
// CHECK: %[[DHEAD:.*]] = ds.matmul %[[DL]], %[[H]] transpose_lhs
// CHECK: %[[DEMB:.*]] = ds.gather_grad %[[IDS]], %[[DH]] axis = 0
// CHECK: %[[DWTE:.*]] = ds.add %[[DEMB]], %[[DHEAD]] : tensor<6x4xf32>
// CHECK: return %{{.*}}, %[[DWTE]], %[[DH]] :
func.func @tied_embedding(%ids: tensor<3xi64>) -> tensor<f32> {
  %e = ds.load_param @wte : tensor<6x4xf32>
  %x = ds.gather %e[%ids] axis = 0 : (tensor<6x4xf32>, tensor<3xi64>) -> tensor<3x4xf32>
  %pos = ds.load_param @wpe : tensor<3x4xf32>
  %h = ds.add %x, %pos : tensor<3x4xf32>
  %head = ds.load_param @wte : tensor<6x4xf32>
  %logits = ds.matmul %h, %head transpose_rhs : (tensor<3x4xf32>, tensor<6x4xf32>) -> tensor<3x6xf32>
  %l = ds.cross_entropy %logits, %ids reduction = mean ignore_index = -100 : (tensor<3x6xf32>, tensor<3xi64>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// A value used twice gets the sum of both uses' gradients.
// CHECK-LABEL: func.func @used_twice
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
// CHECK: %[[DX:.*]] = ds.add %[[X]], %[[X]] : tensor<4xf32>
// CHECK: return %{{.*}}, %[[DX]] :
func.func @used_twice(%x: tensor<4xf32>) -> tensor<f32> {
  %y = ds.mul %x, %x : tensor<4xf32>
  %l = ds.reduce_sum %y axes = [0] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// A value feeding two ops: exp(x) and x * c both flow back into x.
// CHECK-LABEL: func.func @two_users
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
// CHECK: %[[E:.*]] = ds.exp %[[X]]
// CHECK: %[[DX:.*]] = ds.add %{{.*}}, %[[E]] : tensor<4xf32>
// CHECK: return %{{.*}}, %[[DX]] :
func.func @two_users(%x: tensor<4xf32>) -> tensor<f32> {
  %e = ds.exp %x : tensor<4xf32>
  %c = ds.constant dense<3.0> : tensor<f32>
  %m = ds.mul %x, %c : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %s = ds.add %e, %m : tensor<4xf32>
  %l = ds.reduce_sum %s axes = [0] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// Frozen parameters are constants to autodiff: only @w and the argument get gradients.
ds.param @w : tensor<4xf32> init #ds.init<ones>
ds.param frozen @scale : tensor<4xf32> init #ds.init<ones>

// CHECK-LABEL: func.func @frozen_parameter
// CHECK-SAME: -> (tensor<f32>, tensor<4xf32>, tensor<4xf32>)
// CHECK: %[[W:.*]] = ds.load_param @w
// CHECK: %[[S:.*]] = ds.load_param @scale
// CHECK: %[[DX:.*]] = ds.mul %[[S]], %[[W]]
// CHECK: %[[DW:.*]] = ds.mul %[[S]], %{{.*}}
// CHECK: return %{{.*}}, %[[DX]], %[[DW]] :
func.func @frozen_parameter(%x: tensor<4xf32>) -> tensor<f32> {
  %w = ds.load_param @w : tensor<4xf32>
  %s = ds.load_param @scale : tensor<4xf32>
  %a = ds.mul %x, %w : tensor<4xf32>
  %b = ds.mul %a, %s : tensor<4xf32>
  %l = ds.reduce_sum %b axes = [0] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// A parameter that does not reach the loss gets zeros.
ds.param @unused : tensor<3xf32> init #ds.init<ones>

// CHECK-LABEL: func.func @unused_parameter
// CHECK: %[[Z:.*]] = ds.constant dense<0.000000e+00> : tensor<3xf32>
// CHECK: return %{{.*}}, %{{.*}}, %[[Z]] :
func.func @unused_parameter(%x: tensor<4xf32>) -> tensor<f32> {
  %u = ds.load_param @unused : tensor<3xf32>
  %l = ds.reduce_sum %x axes = [0] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// Functions that do not return a float scalar are not losses: left alone.
// CHECK-LABEL: func.func @not_a_loss
// CHECK-SAME: -> tensor<4xf32>
// CHECK-NEXT: ds.exp
// CHECK-NEXT: return
func.func @not_a_loss(%x: tensor<4xf32>) -> tensor<4xf32> {
  %y = ds.exp %x : tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// Collectives have no rule: a gradient that must flow through one is an error naming it.
ds.mesh @mesh(dp = 2)

func.func @no_rule(%x: tensor<4xf32>) -> tensor<f32> {
  // expected-error @+1 {{cannot differentiate 'ds.all_reduce': it has no derivative rule}}
  %y = ds.all_reduce sum %x on @mesh["dp"] : tensor<4xf32>
  %l = ds.reduce_sum %y axes = [0] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// A collective off the gradient's path is fine.
ds.mesh @mesh(dp = 2)

// CHECK-LABEL: func.func @collective_off_the_path
// CHECK: ds.all_reduce
// CHECK: return
func.func @collective_off_the_path(%x: tensor<4xf32>, %stat: tensor<4xf32>) -> tensor<f32> {
  %r = ds.all_reduce sum %stat on @mesh["dp"] : tensor<4xf32>
  %y = ds.mul %x, %x : tensor<4xf32>
  %l = ds.reduce_sum %y axes = [0] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}
