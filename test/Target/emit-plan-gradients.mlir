// The backward ops reach the plan with their attributes: enums by keyword, the optional weight
// of layer_norm_grad as a third operand, slice bounds as integer lists.
// RUN: ds-opt %s -o %t.dsplan
// RUN: ds-opt --ds-print-plan %t.dsplan | FileCheck %s

// CHECK:      op: "gelu_grad"
// CHECK-NEXT:   operands: 0
// CHECK-NEXT:   operands: 1
// CHECK-NEXT:   results: [[GELU:[0-9]+]]
// CHECK-NEXT:   attrs {
// CHECK-NEXT:     key: "approximate"
// CHECK-NEXT:     value {
// CHECK-NEXT:       s: "tanh"
// CHECK-NEXT:     }
// CHECK-NEXT:   }

// CHECK:      op: "layer_norm_grad"
// CHECK-NEXT:   operands: 0
// CHECK-NEXT:   operands: [[GELU]]
// CHECK-NEXT:   operands: 2
// CHECK-NEXT:   results:
// CHECK-NEXT:   attrs {
// CHECK-NEXT:     key: "axis"
// CHECK-NEXT:     value {
// CHECK-NEXT:       i: -1
// CHECK-NEXT:     }
// CHECK-NEXT:   }
// CHECK-NEXT:   attrs {
// CHECK-NEXT:     key: "epsilon"
// CHECK-NEXT:     value {
// CHECK-NEXT:       f: 1e-05
// CHECK-NEXT:     }
// CHECK-NEXT:   }
// CHECK-NOT:    operandSegmentSizes

// CHECK:      op: "layer_norm_param_grad"
// CHECK-NEXT:   operands: 0
// CHECK-NEXT:   operands: [[GELU]]
// CHECK-NEXT:   results:
// CHECK-NEXT:   results:

// CHECK:      op: "cross_entropy_grad"
// CHECK-NEXT:   operands: 4
// CHECK-NEXT:   operands: 3
// CHECK-NEXT:   operands: 5
// CHECK-NEXT:   results:
// CHECK-NEXT:   attrs {
// CHECK-NEXT:     key: "ignore_index"
// CHECK-NEXT:     value {
// CHECK-NEXT:       i: -1
// CHECK-NEXT:     }
// CHECK-NEXT:   }
// CHECK-NEXT:   attrs {
// CHECK-NEXT:     key: "reduction"
// CHECK-NEXT:     value {
// CHECK-NEXT:       s: "mean"
// CHECK-NEXT:     }
// CHECK-NEXT:   }

// CHECK:      op: "gather_grad"
// CHECK-NEXT:   operands: 3
// CHECK:          key: "axis"
// CHECK-NEXT:     value {
// CHECK-NEXT:       i: 0

// CHECK:      op: "slice_grad"
// CHECK:          key: "steps"
// CHECK-NEXT:     value {
// CHECK-NEXT:       ints {
// CHECK-NEXT:         values: 1
// CHECK-NEXT:         values: 2

func.func @forward(%x: tensor<2x8xf32>, %dy: tensor<2x8xf32>, %w: tensor<8xf32>,
                   %ids: tensor<2xi64>, %logits: tensor<2x5xf32>, %dloss: tensor<f32>)
    -> (tensor<2x8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<2x5xf32>, tensor<6x8xf32>, tensor<2x16xf32>) {
  %g = ds.gelu_grad %x, %dy approximate = tanh : tensor<2x8xf32>
  %dx = ds.layer_norm_grad %x, %g weight %w axis = -1 epsilon = 1.0e-05
          : (tensor<2x8xf32>, tensor<2x8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
  %dw, %db = ds.layer_norm_param_grad %x, %g axis = -1 epsilon = 1.0e-05
               : (tensor<2x8xf32>, tensor<2x8xf32>) -> (tensor<8xf32>, tensor<8xf32>)
  %dl = ds.cross_entropy_grad %logits, %ids, %dloss reduction = mean ignore_index = -1
          : (tensor<2x5xf32>, tensor<2xi64>, tensor<f32>) -> tensor<2x5xf32>
  %de = ds.gather_grad %ids, %dx axis = 0 : (tensor<2xi64>, tensor<2x8xf32>) -> tensor<6x8xf32>
  %ds = ds.slice_grad %dx starts = [0, 0] ends = [2, 16] steps = [1, 2] : tensor<2x8xf32> -> tensor<2x16xf32>
  return %dx, %dw, %db, %dl, %de, %ds : tensor<2x8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<2x5xf32>, tensor<6x8xf32>, tensor<2x16xf32>
}
