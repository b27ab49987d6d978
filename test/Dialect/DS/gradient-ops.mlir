// The backward ops print and parse back to the same IR, in the textual, bytecode and generic form.
// RUN: ds-opt %s | ds-opt | FileCheck %s
// RUN: ds-opt %s --emit-bytecode | ds-opt | FileCheck %s
// RUN: ds-opt %s --mlir-print-op-generic | ds-opt | FileCheck %s

// CHECK-LABEL: func.func @activations
func.func @activations(%x: tensor<2x4xf32>, %dy: tensor<2x4xf32>) -> (tensor<2x4xf32>, tensor<2x4xf32>) {
  // CHECK: ds.gelu_grad %{{.*}}, %{{.*}} approximate = none : tensor<2x4xf32>
  %0 = ds.gelu_grad %x, %dy approximate = none : tensor<2x4xf32>
  // CHECK: ds.gelu_grad %{{.*}}, %{{.*}} approximate = tanh : tensor<2x4xf32>
  %1 = ds.gelu_grad %x, %dy approximate = tanh : tensor<2x4xf32>
  return %0, %1 : tensor<2x4xf32>, tensor<2x4xf32>
}

// CHECK-LABEL: func.func @softmax_family
func.func @softmax_family(%y: tensor<2x4x4xf64>, %dy: tensor<2x4x4xf64>) -> (tensor<2x4x4xf64>, tensor<2x4x4xf64>) {
  // CHECK: ds.softmax_grad %{{.*}}, %{{.*}} axis = -1 : tensor<2x4x4xf64>
  %0 = ds.softmax_grad %y, %dy axis = -1 : tensor<2x4x4xf64>
  // CHECK: ds.log_softmax_grad %{{.*}}, %{{.*}} axis = 1 : tensor<2x4x4xf64>
  %1 = ds.log_softmax_grad %y, %dy axis = 1 : tensor<2x4x4xf64>
  return %0, %1 : tensor<2x4x4xf64>, tensor<2x4x4xf64>
}

// CHECK-LABEL: func.func @layer_norm
func.func @layer_norm(%x: tensor<2x3x8xf32>, %dy: tensor<2x3x8xf32>, %w: tensor<8xf32>, %w2: tensor<3x8xf32>)
    -> (tensor<2x3x8xf32>, tensor<2x3x8xf32>, tensor<3x8xf32>, tensor<3x8xf32>) {
  // CHECK: ds.layer_norm_grad %{{.*}}, %{{.*}} weight %{{.*}} axis = -1 epsilon = 1.000000e-05 : (tensor<2x3x8xf32>, tensor<2x3x8xf32>, tensor<8xf32>) -> tensor<2x3x8xf32>
  %0 = ds.layer_norm_grad %x, %dy weight %w axis = -1 epsilon = 1.0e-05
         : (tensor<2x3x8xf32>, tensor<2x3x8xf32>, tensor<8xf32>) -> tensor<2x3x8xf32>
  // CHECK: ds.layer_norm_grad %{{.*}}, %{{.*}} axis = 1 epsilon = 1.000000e-05 : (tensor<2x3x8xf32>, tensor<2x3x8xf32>) -> tensor<2x3x8xf32>
  %1 = ds.layer_norm_grad %x, %dy axis = 1 epsilon = 1.0e-05
         : (tensor<2x3x8xf32>, tensor<2x3x8xf32>) -> tensor<2x3x8xf32>
  // CHECK: %{{.*}}, %{{.*}} = ds.layer_norm_param_grad %{{.*}}, %{{.*}} axis = 1 epsilon = 1.000000e-05 : (tensor<2x3x8xf32>, tensor<2x3x8xf32>) -> (tensor<3x8xf32>, tensor<3x8xf32>)
  %dw, %db = ds.layer_norm_param_grad %x, %dy axis = 1 epsilon = 1.0e-05
               : (tensor<2x3x8xf32>, tensor<2x3x8xf32>) -> (tensor<3x8xf32>, tensor<3x8xf32>)
  return %0, %1, %dw, %db : tensor<2x3x8xf32>, tensor<2x3x8xf32>, tensor<3x8xf32>, tensor<3x8xf32>
}

// CHECK-LABEL: func.func @rms_norm
func.func @rms_norm(%x: tensor<4x16xbf16>, %dy: tensor<4x16xbf16>, %w: tensor<16xbf16>)
    -> (tensor<4x16xbf16>, tensor<4x16xbf16>, tensor<16xbf16>) {
  // CHECK: ds.rms_norm_grad %{{.*}}, %{{.*}} weight %{{.*}} axis = -1 epsilon = 9.9999999999999995E-7 : (tensor<4x16xbf16>, tensor<4x16xbf16>, tensor<16xbf16>) -> tensor<4x16xbf16>
  %0 = ds.rms_norm_grad %x, %dy weight %w axis = -1 epsilon = 1.0e-06
         : (tensor<4x16xbf16>, tensor<4x16xbf16>, tensor<16xbf16>) -> tensor<4x16xbf16>
  // CHECK: ds.rms_norm_grad %{{.*}}, %{{.*}} axis = -1 epsilon
  %1 = ds.rms_norm_grad %x, %dy axis = -1 epsilon = 1.0e-06
         : (tensor<4x16xbf16>, tensor<4x16xbf16>) -> tensor<4x16xbf16>
  // CHECK: ds.rms_norm_param_grad %{{.*}}, %{{.*}} axis = -1 epsilon = {{.*}} : (tensor<4x16xbf16>, tensor<4x16xbf16>) -> tensor<16xbf16>
  %2 = ds.rms_norm_param_grad %x, %dy axis = -1 epsilon = 1.0e-06
         : (tensor<4x16xbf16>, tensor<4x16xbf16>) -> tensor<16xbf16>
  return %0, %1, %2 : tensor<4x16xbf16>, tensor<4x16xbf16>, tensor<16xbf16>
}

// CHECK-LABEL: func.func @cross_entropy
func.func @cross_entropy(%logits: tensor<2x4x10xf32>, %t: tensor<2x4xi64>, %s: tensor<f32>, %per: tensor<2x4xf32>)
    -> (tensor<2x4x10xf32>, tensor<2x4x10xf32>, tensor<2x4x10xf32>) {
  // CHECK: ds.cross_entropy_grad %{{.*}}, %{{.*}}, %{{.*}} reduction = mean ignore_index = -100 : (tensor<2x4x10xf32>, tensor<2x4xi64>, tensor<f32>) -> tensor<2x4x10xf32>
  %0 = ds.cross_entropy_grad %logits, %t, %s reduction = mean ignore_index = -100
         : (tensor<2x4x10xf32>, tensor<2x4xi64>, tensor<f32>) -> tensor<2x4x10xf32>
  // CHECK: ds.cross_entropy_grad %{{.*}}, %{{.*}}, %{{.*}} reduction = sum ignore_index = 0 :
  %1 = ds.cross_entropy_grad %logits, %t, %s reduction = sum ignore_index = 0
         : (tensor<2x4x10xf32>, tensor<2x4xi64>, tensor<f32>) -> tensor<2x4x10xf32>
  // CHECK: ds.cross_entropy_grad %{{.*}}, %{{.*}}, %{{.*}} reduction = none ignore_index = -1 : (tensor<2x4x10xf32>, tensor<2x4xi64>, tensor<2x4xf32>) -> tensor<2x4x10xf32>
  %2 = ds.cross_entropy_grad %logits, %t, %per reduction = none ignore_index = -1
         : (tensor<2x4x10xf32>, tensor<2x4xi64>, tensor<2x4xf32>) -> tensor<2x4x10xf32>
  return %0, %1, %2 : tensor<2x4x10xf32>, tensor<2x4x10xf32>, tensor<2x4x10xf32>
}

// CHECK-LABEL: func.func @data_movement
func.func @data_movement(%ids: tensor<2x8xi64>, %de: tensor<2x8x16xf32>, %ids32: tensor<3xi32>, %dc: tensor<4x3xf32>, %ds: tensor<2x2xf32>)
    -> (tensor<50x16xf32>, tensor<4x7xf32>, tensor<2x4xf32>) {
  // CHECK: ds.gather_grad %{{.*}}, %{{.*}} axis = 0 : (tensor<2x8xi64>, tensor<2x8x16xf32>) -> tensor<50x16xf32>
  %0 = ds.gather_grad %ids, %de axis = 0 : (tensor<2x8xi64>, tensor<2x8x16xf32>) -> tensor<50x16xf32>
  // CHECK: ds.gather_grad %{{.*}}, %{{.*}} axis = -1 : (tensor<3xi32>, tensor<4x3xf32>) -> tensor<4x7xf32>
  %1 = ds.gather_grad %ids32, %dc axis = -1 : (tensor<3xi32>, tensor<4x3xf32>) -> tensor<4x7xf32>
  // CHECK: ds.slice_grad %{{.*}} starts = [0, 1] ends = [2, 4] steps = [1, 2] : tensor<2x2xf32> -> tensor<2x4xf32>
  %2 = ds.slice_grad %ds starts = [0, 1] ends = [2, 4] steps = [1, 2] : tensor<2x2xf32> -> tensor<2x4xf32>
  return %0, %1, %2 : tensor<50x16xf32>, tensor<4x7xf32>, tensor<2x4xf32>
}
