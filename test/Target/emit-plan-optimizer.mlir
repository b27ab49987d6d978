// RUN: ds-opt %s -o %t.dsplan
// RUN: ds-opt --ds-print-plan %t.dsplan | FileCheck %s

// The fused optimizer updates reach the plan as one instruction each, with one result buffer per
// new value; float hyperparameters travel as f, the mode flags as i (0 or 1).

ds.param @w : tensor<4x8xf32> init #ds.init<normal, mean = 0.0, std = 0.02, seed = 1>
ds.param @w_exp_avg : tensor<4x8xf32> init #ds.init<zeros>
ds.param @w_exp_avg_sq : tensor<4x8xf32> init #ds.init<zeros>
ds.param @b : tensor<8xf32> init #ds.init<zeros>
ds.param @b_momentum : tensor<8xf32> init #ds.init<zeros>

func.func @train_step(%gw: tensor<4x8xf32>, %gb: tensor<8xf32>, %lr: tensor<f32>,
                      %step: tensor<f32>, %gscale: tensor<f32>) {
  %p = ds.load_param @w : tensor<4x8xf32>
  %m = ds.load_param @w_exp_avg : tensor<4x8xf32>
  %v = ds.load_param @w_exp_avg_sq : tensor<4x8xf32>
  %p2, %m2, %v2 = ds.adam_update %p, %gw, %m, %v, %lr, %step, %gscale
      beta1 = 0.9 beta2 = 0.95 epsilon = 1.0e-8 weight_decay = 0.1 adam_w_mode = true
      : tensor<4x8xf32>
  ds.store_param %m2, @w_exp_avg : tensor<4x8xf32>
  ds.store_param %v2, @w_exp_avg_sq : tensor<4x8xf32>
  ds.store_param %p2, @w : tensor<4x8xf32>
  %b = ds.load_param @b : tensor<8xf32>
  %buf = ds.load_param @b_momentum : tensor<8xf32>
  %b2, %buf2 = ds.sgd_update %b, %gb, %buf, %lr, %step, %gscale
      momentum = 0.9 dampening = 0.0 weight_decay = 0.0 nesterov = true : tensor<8xf32>
  ds.store_param %buf2, @b_momentum : tensor<8xf32>
  ds.store_param %b2, @b : tensor<8xf32>
  return
}

// Buffers 0-4 are the params, 5-9 the arguments; the update's results follow.
// CHECK:      programs {
// CHECK:        op: "adam_update"
// CHECK-NEXT:   operands: 0
// CHECK-NEXT:   operands: 5
// CHECK-NEXT:   operands: 1
// CHECK-NEXT:   operands: 2
// CHECK-NEXT:   operands: 7
// CHECK-NEXT:   operands: 8
// CHECK-NEXT:   operands: 9
// CHECK-NEXT:   results: 10
// CHECK-NEXT:   results: 11
// CHECK-NEXT:   results: 12
// CHECK-NEXT:   attrs {
// CHECK-NEXT:     key: "adam_w_mode"
// CHECK-NEXT:     value {
// CHECK-NEXT:       i: 1
// CHECK-NEXT:     }
// CHECK-NEXT:   }
// CHECK-NEXT:   attrs {
// CHECK-NEXT:     key: "beta1"
// CHECK-NEXT:     value {
// CHECK-NEXT:       f: 0.9
// CHECK-NEXT:     }
// CHECK-NEXT:   }
// CHECK-NEXT:   attrs {
// CHECK-NEXT:     key: "beta2"
// CHECK-NEXT:     value {
// CHECK-NEXT:       f: 0.95
// CHECK-NEXT:     }
// CHECK-NEXT:   }
// CHECK-NEXT:   attrs {
// CHECK-NEXT:     key: "epsilon"
// CHECK-NEXT:     value {
// CHECK-NEXT:       f: 1e-08
// CHECK-NEXT:     }
// CHECK-NEXT:   }
// CHECK-NEXT:   attrs {
// CHECK-NEXT:     key: "weight_decay"
// CHECK-NEXT:     value {
// CHECK-NEXT:       f: 0.1
// CHECK-NEXT:     }
// CHECK-NEXT:   }
// CHECK:        op: "store_param"
// CHECK-NEXT:   operands: 11
// CHECK-NEXT:   results: 1
// CHECK:        op: "store_param"
// CHECK-NEXT:   operands: 12
// CHECK-NEXT:   results: 2
// CHECK:        op: "store_param"
// CHECK-NEXT:   operands: 10
// CHECK-NEXT:   results: 0
// CHECK:        op: "sgd_update"
// CHECK-NEXT:   operands: 3
// CHECK-NEXT:   operands: 6
// CHECK-NEXT:   operands: 4
// CHECK-NEXT:   operands: 7
// CHECK-NEXT:   operands: 8
// CHECK-NEXT:   operands: 9
// CHECK-NEXT:   results: 13
// CHECK-NEXT:   results: 14
// CHECK-NEXT:   attrs {
// CHECK-NEXT:     key: "dampening"
// CHECK-NEXT:     value {
// CHECK-NEXT:       f: 0
// CHECK-NEXT:     }
// CHECK-NEXT:   }
// CHECK-NEXT:   attrs {
// CHECK-NEXT:     key: "momentum"
// CHECK-NEXT:     value {
// CHECK-NEXT:       f: 0.9
// CHECK-NEXT:     }
// CHECK-NEXT:   }
// CHECK-NEXT:   attrs {
// CHECK-NEXT:     key: "nesterov"
// CHECK-NEXT:     value {
// CHECK-NEXT:       i: 1
// CHECK-NEXT:     }
// CHECK-NEXT:   }
// CHECK-NEXT:   attrs {
// CHECK-NEXT:     key: "weight_decay"
// CHECK-NEXT:     value {
// CHECK-NEXT:       f: 0
// CHECK-NEXT:     }
// CHECK-NEXT:   }
