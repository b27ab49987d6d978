// RUN: ds-opt %s --ds-insert-releases --split-input-file --allow-unregistered-dialect --verify-diagnostics | FileCheck %s

// Each value dies right after its last use; the returned one lives on.
// CHECK-LABEL: func.func @chain
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
// CHECK-NEXT: %[[A:.*]] = ds.exp %[[X]]
// CHECK-NEXT: ds.release %[[X]] : tensor<4xf32>
// CHECK-NEXT: %[[B:.*]] = ds.tanh %[[A]]
// CHECK-NEXT: ds.release %[[A]] : tensor<4xf32>
// CHECK-NEXT: return %[[B]]
func.func @chain(%x: tensor<4xf32>) -> tensor<4xf32> {
  %a = ds.exp %x : tensor<4xf32>
  %b = ds.tanh %a : tensor<4xf32>
  return %b : tensor<4xf32>
}

// -----

// The release follows the last of several uses, not the first.
// CHECK-LABEL: func.func @several_uses
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
// CHECK-NEXT: %[[A:.*]] = ds.exp %[[X]]
// CHECK-NEXT: %[[B:.*]] = ds.add %[[A]], %[[X]]
// CHECK-NEXT: ds.release %[[X]]
// CHECK-NEXT: ds.release %[[A]]
// CHECK-NEXT: %[[C:.*]] = ds.mul %[[B]], %[[B]]
// CHECK-NEXT: ds.release %[[B]]
// CHECK-NEXT: return %[[C]]
func.func @several_uses(%x: tensor<4xf32>) -> tensor<4xf32> {
  %a = ds.exp %x : tensor<4xf32>
  %b = ds.add %a, %x : tensor<4xf32>
  %c = ds.mul %b, %b : tensor<4xf32>
  return %c : tensor<4xf32>
}

// -----

// Unused values die where they are born: arguments at the start of the body.
// CHECK-LABEL: func.func @unused
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>, %[[UNUSED:.*]]: tensor<2xi64>)
// CHECK-NEXT: ds.release %[[UNUSED]] : tensor<2xi64>
// CHECK-NEXT: %[[DEAD:.*]] = ds.exp %[[X]]
// CHECK-NEXT: ds.release %[[DEAD]]
// CHECK-NEXT: %[[Y:.*]] = ds.neg %[[X]]
// CHECK-NEXT: ds.release %[[X]]
// CHECK-NEXT: return %[[Y]]
func.func @unused(%x: tensor<4xf32>, %unused: tensor<2xi64>) -> tensor<4xf32> {
  %dead = ds.exp %x : tensor<4xf32>
  %y = ds.neg %x : tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// Values with a release already keep only that one, so running the pass twice changes nothing.
// CHECK-LABEL: func.func @already_released
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
// CHECK-NEXT: %[[A:.*]] = ds.exp %[[X]]
// CHECK-NEXT: %[[B:.*]] = ds.exp %[[A]]
// CHECK-NEXT: ds.release %[[A]]
// CHECK-NEXT: ds.release %[[X]]
// CHECK-NOT: ds.release
// CHECK: return %[[B]]
func.func @already_released(%x: tensor<4xf32>) -> tensor<4xf32> {
  %a = ds.exp %x : tensor<4xf32>
  %b = ds.exp %a : tensor<4xf32>
  ds.release %a : tensor<4xf32>
  ds.release %x : tensor<4xf32>
  return %b : tensor<4xf32>
}

// -----

// A loaded parameter is the parameter's storage, which must survive the step.
ds.param @w : tensor<4x4xf32> init #ds.init<zeros>

// CHECK-LABEL: func.func @params_are_not_released
// CHECK-SAME: (%[[X:.*]]: tensor<2x4xf32>)
// CHECK-NEXT: %[[W:.*]] = ds.load_param @w
// CHECK-NEXT: %[[Y:.*]] = ds.matmul %[[X]], %[[W]]
// CHECK-NEXT: ds.release %[[X]]
// CHECK-NEXT: %[[NEW:.*]] = ds.add %[[W]], %[[W]]
// CHECK-NEXT: ds.store_param %[[NEW]], @w
// CHECK-NEXT: ds.release %[[NEW]]
// CHECK-NOT: ds.release
// CHECK: return %[[Y]]
func.func @params_are_not_released(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %w = ds.load_param @w : tensor<4x4xf32>
  %y = ds.matmul %x, %w : (tensor<2x4xf32>, tensor<4x4xf32>) -> tensor<2x4xf32>
  %new = ds.add %w, %w : tensor<4x4xf32>
  ds.store_param %new, @w : tensor<4x4xf32>
  return %y : tensor<2x4xf32>
}

// -----

// Each result of a multi-result op has its own lifetime.
// CHECK-LABEL: func.func @split_results
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
// CHECK-NEXT: %[[P:.*]]:2 = ds.split %[[X]]
// CHECK-NEXT: ds.release %[[X]]
// CHECK-NEXT: ds.release %[[P]]#1
// CHECK-NEXT: %[[Y:.*]] = ds.exp %[[P]]#0
// CHECK-NEXT: ds.release %[[P]]#0
// CHECK-NEXT: return %[[Y]]
func.func @split_results(%x: tensor<4xf32>) -> tensor<2xf32> {
  %p:2 = ds.split %x axis = 0 : tensor<4xf32> -> tensor<2xf32>, tensor<2xf32>
  %y = ds.exp %p#0 : tensor<2xf32>
  return %y : tensor<2xf32>
}

// -----

// Declarations have no body to release anything in.
// CHECK-LABEL: func.func private @declaration
// CHECK-NOT: ds.release
func.func private @declaration(tensor<4xf32>) -> tensor<4xf32>

// -----

// With branches, the last use in block order is not the last use in time.
// expected-error @+1 {{cannot insert releases into function @branches: it has 2 blocks, and only single-block functions are supported}}
func.func @branches(%x: tensor<4xf32>) -> tensor<4xf32> {
  "test.br"()[^bb1] : () -> ()
^bb1:
  return %x : tensor<4xf32>
}
