// Folds and canonicalizations that are always right, and the ones that must not fire.
// RUN: ds-opt %s --canonicalize --split-input-file | FileCheck %s

// CHECK-LABEL: func.func @identities
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>)
func.func @identities(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %zero = ds.constant dense<0.0> : tensor<2x3xf32>
  %one = ds.constant dense<1.0> : tensor<2x3xf32>
  %0 = ds.sub %x, %zero : tensor<2x3xf32>
  %1 = ds.mul %0, %one : tensor<2x3xf32>
  %2 = ds.mul %one, %1 : tensor<2x3xf32>
  %3 = ds.div %2, %one : tensor<2x3xf32>
  %4 = ds.neg %3 : tensor<2x3xf32>
  %5 = ds.neg %4 : tensor<2x3xf32>
  %6 = ds.cast %5 : tensor<2x3xf32> to tensor<2x3xf32>
  %7 = ds.dropout %6 ratio = 0.0 seed = 3 : tensor<2x3xf32>
  %8 = ds.reshape %7 : tensor<2x3xf32> -> tensor<2x3xf32>
  %9 = ds.transpose %8 perm = [0, 1] : tensor<2x3xf32> -> tensor<2x3xf32>
  %10 = ds.expand %9 : tensor<2x3xf32> -> tensor<2x3xf32>
  %11 = ds.slice %10 starts = [0, 0] ends = [2, 3] steps = [1, 1] : tensor<2x3xf32> -> tensor<2x3xf32>
  // CHECK-NEXT: return %[[X]]
  return %11 : tensor<2x3xf32>
}

// -----

// x - (-0.0) turns -0.0 into +0.0 and x + 0.0 likewise, so neither folds; a broadcasting
// identity changes the shape, so it does not fold either.
// CHECK-LABEL: func.func @not_identities
func.func @not_identities(%x: tensor<3xf32>, %y: tensor<2x3xf32>) -> (tensor<3xf32>, tensor<3xf32>, tensor<2x3xf32>) {
  %negzero = ds.constant dense<-0.0> : tensor<3xf32>
  %zero = ds.constant dense<0.0> : tensor<3xf32>
  %one = ds.constant dense<1.0> : tensor<2x3xf32>
  // CHECK: ds.sub
  %0 = ds.sub %x, %negzero : tensor<3xf32>
  // CHECK: ds.add
  %1 = ds.add %x, %zero : tensor<3xf32>
  // CHECK: ds.mul
  %2 = ds.mul %x, %one : (tensor<3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  // CHECK: ds.dropout
  %3 = ds.dropout %y ratio = 0.5 seed = 3 : tensor<2x3xf32>
  %4 = ds.add %2, %3 : tensor<2x3xf32>
  return %0, %1, %4 : tensor<3xf32>, tensor<3xf32>, tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func.func @reshape_chain
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x4xf32>)
func.func @reshape_chain(%x: tensor<2x3x4xf32>) -> tensor<4x6xf32> {
  // CHECK-NEXT: %[[R:.*]] = ds.reshape %[[X]] : tensor<2x3x4xf32> -> tensor<4x6xf32>
  // CHECK-NEXT: return %[[R]]
  %0 = ds.reshape %x : tensor<2x3x4xf32> -> tensor<6x4xf32>
  %1 = ds.reshape %0 : tensor<6x4xf32> -> tensor<24xf32>
  %2 = ds.reshape %1 : tensor<24xf32> -> tensor<4x6xf32>
  return %2 : tensor<4x6xf32>
}

// -----

// CHECK-LABEL: func.func @reshape_constant
func.func @reshape_constant() -> tensor<2x2xf32> {
  // CHECK-NEXT: %[[C:.*]] = ds.constant dense<{{\[}}[1.000000e+00, 2.000000e+00], [3.000000e+00, 4.000000e+00]]> : tensor<2x2xf32>
  // CHECK-NEXT: return %[[C]]
  %c = ds.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %0 = ds.reshape %c : tensor<4xf32> -> tensor<2x2xf32>
  return %0 : tensor<2x2xf32>
}

// -----

// CHECK-LABEL: func.func @expand_splat
func.func @expand_splat() -> tensor<4x3xf32> {
  // CHECK-NEXT: %[[C:.*]] = ds.constant dense<5.000000e-01> : tensor<4x3xf32>
  // CHECK-NEXT: return %[[C]]
  %c = ds.constant dense<0.5> : tensor<3xf32>
  %0 = ds.expand %c : tensor<3xf32> -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

// CHECK-LABEL: func.func @transpose_pair
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x4xf32>)
func.func @transpose_pair(%x: tensor<2x3x4xf32>) -> (tensor<4x2x3xf32>, tensor<2x3x4xf32>) {
  // CHECK-NEXT: %[[T:.*]] = ds.transpose %[[X]] perm = [2, 0, 1] : tensor<2x3x4xf32> -> tensor<4x2x3xf32>
  %0 = ds.transpose %x perm = [1, 0, 2] : tensor<2x3x4xf32> -> tensor<3x2x4xf32>
  %1 = ds.transpose %0 perm = [2, 1, 0] : tensor<3x2x4xf32> -> tensor<4x2x3xf32>
  // A transpose and its inverse cancel.
  %2 = ds.transpose %x perm = [2, 0, 1] : tensor<2x3x4xf32> -> tensor<4x2x3xf32>
  %3 = ds.transpose %2 perm = [1, 2, 0] : tensor<4x2x3xf32> -> tensor<2x3x4xf32>
  // CHECK-NEXT: return %[[T]], %[[X]]
  return %1, %3 : tensor<4x2x3xf32>, tensor<2x3x4xf32>
}

// -----

// CHECK-LABEL: func.func @integer_identities
// CHECK-SAME: (%[[X:.*]]: tensor<3xi64>)
func.func @integer_identities(%x: tensor<3xi64>) -> tensor<3xi64> {
  %zero = ds.constant dense<0> : tensor<3xi64>
  %one = ds.constant dense<1> : tensor<3xi64>
  %0 = ds.sub %x, %zero : tensor<3xi64>
  %1 = ds.mul %0, %one : tensor<3xi64>
  // CHECK-NEXT: return %[[X]]
  return %1 : tensor<3xi64>
}
