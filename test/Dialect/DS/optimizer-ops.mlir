// ds.adam_update and ds.sgd_update print and parse back to the same IR, in the textual, the
// bytecode and the generic form, and are Pure: an unused update disappears.
// RUN: ds-opt %s | ds-opt | FileCheck %s
// RUN: ds-opt %s --emit-bytecode | ds-opt | FileCheck %s
// RUN: ds-opt %s --mlir-print-op-generic | ds-opt | FileCheck %s
// RUN: ds-opt %s --canonicalize | FileCheck %s --check-prefix=DEAD

ds.param @w : tensor<4x8xf32> init #ds.init<normal, mean = 0.0, std = 0.02, seed = 1>
ds.param @w_exp_avg : tensor<4x8xf32> init #ds.init<zeros>
ds.param @w_exp_avg_sq : tensor<4x8xf32> init #ds.init<zeros>

// CHECK-LABEL: func.func @adamw
// CHECK-SAME: (%[[G:.*]]: tensor<4x8xf32>, %[[LR:.*]]: tensor<f32>, %[[STEP:.*]]: tensor<f32>, %[[S:.*]]: tensor<f32>)
func.func @adamw(%g: tensor<4x8xf32>, %lr: tensor<f32>, %step: tensor<f32>, %gscale: tensor<f32>) {
  // CHECK: %[[P:.*]] = ds.load_param @w
  // CHECK: %[[M:.*]] = ds.load_param @w_exp_avg
  // CHECK: %[[V:.*]] = ds.load_param @w_exp_avg_sq
  %p = ds.load_param @w : tensor<4x8xf32>
  %m = ds.load_param @w_exp_avg : tensor<4x8xf32>
  %v = ds.load_param @w_exp_avg_sq : tensor<4x8xf32>
  // CHECK: %[[P2:[^,]*]], %[[M2:[^,]*]], %[[V2:[^ ]*]] = ds.adam_update %[[P]], %[[G]], %[[M]], %[[V]], %[[LR]], %[[STEP]], %[[S]]
  // CHECK-SAME: beta1 = 9.000000e-01 beta2 = 0.99899999999999999 epsilon = 1.000000e-08
  // CHECK-SAME: weight_decay = 1.000000e-02 adam_w_mode = true : tensor<4x8xf32>{{$}}
  %p2, %m2, %v2 = ds.adam_update %p, %g, %m, %v, %lr, %step, %gscale
      beta1 = 0.9 beta2 = 0.999 epsilon = 1.0e-8 weight_decay = 0.01 adam_w_mode = true
      : tensor<4x8xf32>
  // CHECK: ds.store_param %[[M2]], @w_exp_avg
  // CHECK: ds.store_param %[[V2]], @w_exp_avg_sq
  // CHECK: ds.store_param %[[P2]], @w
  ds.store_param %m2, @w_exp_avg : tensor<4x8xf32>
  ds.store_param %v2, @w_exp_avg_sq : tensor<4x8xf32>
  ds.store_param %p2, @w : tensor<4x8xf32>
  return
}

// CHECK-LABEL: func.func @adam_l2
func.func @adam_l2(%p: tensor<3xf32>, %g: tensor<3xf32>, %m: tensor<3xf32>, %v: tensor<3xf32>,
                   %lr: tensor<f32>, %step: tensor<f32>, %gscale: tensor<f32>)
    -> (tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) {
  // CHECK: ds.adam_update {{.*}} beta1 = 0.000000e+00 beta2 = 0.000000e+00 epsilon = 9.9999999999999995E-7
  // CHECK-SAME: weight_decay = 0.000000e+00 adam_w_mode = false : tensor<3xf32>
  %0:3 = ds.adam_update %p, %g, %m, %v, %lr, %step, %gscale
      beta1 = 0.0 beta2 = 0.0 epsilon = 1.0e-6 weight_decay = 0.0 adam_w_mode = false
      : tensor<3xf32>
  return %0#0, %0#1, %0#2 : tensor<3xf32>, tensor<3xf32>, tensor<3xf32>
}

// CHECK-LABEL: func.func @sgd
func.func @sgd(%p: tensor<2x3xf32>, %g: tensor<2x3xf32>, %buf: tensor<2x3xf32>,
               %lr: tensor<f32>, %step: tensor<f32>, %gscale: tensor<f32>)
    -> (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>) {
  // CHECK: %[[P2:[^,]*]], %[[B2:[^ ]*]] = ds.sgd_update %[[P:[^,]*]], %[[G:[^,]*]], %[[B:[^,]*]], %{{[^,]*}}, %{{[^,]*}}, %{{[^ ]*}}
  // CHECK-SAME: momentum = 9.000000e-01 dampening = 0.000000e+00 weight_decay = 1.000000e-04 nesterov = true : tensor<2x3xf32>
  %p2, %buf2 = ds.sgd_update %p, %g, %buf, %lr, %step, %gscale
      momentum = 0.9 dampening = 0.0 weight_decay = 1.0e-4 nesterov = true : tensor<2x3xf32>
  // CHECK: ds.sgd_update %[[P2]], %[[G]], %[[B2]], {{.*}} momentum = 0.000000e+00 dampening = 0.000000e+00 weight_decay = 0.000000e+00 nesterov = false : tensor<2x3xf32>
  %p3, %buf3 = ds.sgd_update %p2, %g, %buf2, %lr, %step, %gscale
      momentum = 0.0 dampening = 0.0 weight_decay = 0.0 nesterov = false : tensor<2x3xf32>
  return %p3, %buf2, %buf3 : tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>
}

// The long form, every operand and result type spelled out, reads back into the short one.
// CHECK-LABEL: func.func @long_form
func.func @long_form(%p: tensor<3xf32>, %s: tensor<f32>) -> tensor<3xf32> {
  // CHECK: ds.sgd_update {{.*}} nesterov = false : tensor<3xf32>{{$}}
  %0:2 = ds.sgd_update %p, %p, %p, %s, %s, %s
      momentum = 0.5 dampening = 0.5 weight_decay = 0.0 nesterov = false
      : (tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<f32>, tensor<f32>, tensor<f32>)
        -> (tensor<3xf32>, tensor<3xf32>)
  return %0#0 : tensor<3xf32>
}

// The updates have no side effects: nothing uses them here, so they go.
// DEAD-LABEL: func.func @unused
// DEAD-NOT: ds.adam_update
// DEAD-NOT: ds.sgd_update
// DEAD: return
func.func @unused(%p: tensor<3xf32>, %lr: tensor<f32>) {
  %0:3 = ds.adam_update %p, %p, %p, %p, %lr, %lr, %lr
      beta1 = 0.9 beta2 = 0.999 epsilon = 1.0e-8 weight_decay = 0.0 adam_w_mode = true
      : tensor<3xf32>
  %1:2 = ds.sgd_update %p, %p, %p, %lr, %lr, %lr
      momentum = 0.0 dampening = 0.0 weight_decay = 0.0 nesterov = false : tensor<3xf32>
  return
}
