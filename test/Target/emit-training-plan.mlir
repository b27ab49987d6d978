// RUN: ds-opt %s --ds-build-training="dp-size=2 micro-batches=2" --canonicalize --ds-world-size=2 -o %t.dsplan
// RUN: ds-opt --ds-print-plan %t.dsplan | FileCheck %s

// A training module becomes one instruction list per rank cut into the four functions the
// runtime calls, in its order; the per-step scalars become inputs by their names, and the
// state ds-build-training adds keeps its role and owner.

// CHECK: params {
// CHECK:   name: "w"
// CHECK:   trainable: true
// CHECK: params {
// CHECK:   name: "w.grad"
// CHECK-NOT: trainable
// CHECK:   role: GRADIENT
// CHECK:   owner: "w"
// CHECK: params {
// CHECK:   name: "w.exp_avg"
// CHECK:   role: OPTIMIZER_STATE
// CHECK:   owner: "w"
// CHECK:   state: "exp_avg"
// CHECK: inputs {
// CHECK:   name: "tokens"
// CHECK:   source: TOKENS
// CHECK:   function: "micro_step"
// CHECK: inputs {
// CHECK:   name: "targets"
// CHECK:   source: TARGETS
// CHECK:   function: "micro_step"
// CHECK: inputs {
// CHECK:   name: "loss_scale"
// CHECK:   source: LOSS_SCALE
// CHECK:   function: "micro_step"
// CHECK: inputs {
// CHECK:   name: "learning_rate"
// CHECK:   source: LEARNING_RATE
// CHECK:   function: "apply_update"
// CHECK: inputs {
// CHECK:   name: "optimizer_step"
// CHECK:   source: OPTIMIZER_STEP
// CHECK: inputs {
// CHECK:   name: "grad_scale"
// CHECK:   source: GRAD_SCALE
// CHECK: outputs {
// CHECK:   name: "loss"
// CHECK:   function: "micro_step"
// CHECK: outputs {
// CHECK:   name: "grad_norm_sq"
// CHECK:   function: "reduce_gradients"
// CHECK: programs {
// CHECK:     op: "all_reduce"
// CHECK:     stream: COMM
// CHECK:     op: "adam_update"
// CHECK:   functions {
// CHECK-NEXT:     name: "micro_step"
// CHECK-NEXT:     end: [[MICRO_END:[0-9]+]]
// CHECK-NEXT:   }
// CHECK-NEXT:   functions {
// CHECK-NEXT:     name: "reduce_gradients"
// CHECK-NEXT:     begin: [[MICRO_END]]
// CHECK-NEXT:     end: [[REDUCE_END:[0-9]+]]
// CHECK-NEXT:   }
// CHECK-NEXT:   functions {
// CHECK-NEXT:     name: "apply_update"
// CHECK-NEXT:     begin: [[REDUCE_END]]
// CHECK-NEXT:     end: [[APPLY_END:[0-9]+]]
// CHECK-NEXT:   }
// CHECK-NEXT:   functions {
// CHECK-NEXT:     name: "zero_gradients"
// CHECK-NEXT:     begin: [[APPLY_END]]
// CHECK: programs {
// CHECK:   rank: 1

ds.param @w : tensor<4x3xf32> init #ds.init<normal, mean = 0.0, std = 0.5, seed = 1>
func.func @forward(%tokens: tensor<2x4xi64> {ds.name = "tokens"}, %targets: tensor<2x4xi64> {ds.name = "targets"}) -> tensor<f32> {
  %w = ds.load_param @w : tensor<4x3xf32>
  %x = ds.cast %tokens : tensor<2x4xi64> to tensor<2x4xf32>
  %h = ds.matmul %x, %w : (tensor<2x4xf32>, tensor<4x3xf32>) -> tensor<2x3xf32>
  %l = ds.reduce_mean %h axes = [0, 1] : tensor<2x3xf32> -> tensor<f32>
  return %l : tensor<f32>
}
