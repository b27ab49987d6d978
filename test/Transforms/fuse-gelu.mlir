// RUN: ds-opt %s --ds-fuse-gelu --split-input-file | FileCheck %s

// torch.nn.GELU() as torch 1.13 exports it (opset 13): Div, Erf, Add(., 1), Mul(x, .), Mul(., 0.5),
// with the f32 constants it writes.
// CHECK-LABEL: func.func @torch_gelu_exact
// CHECK-SAME: (%[[X:.*]]: tensor<2x8xf32>)
// CHECK-NEXT: %[[Y:.*]] = ds.gelu %[[X]] approximate = none : tensor<2x8xf32>
// CHECK-NEXT: return %[[Y]]
func.func @torch_gelu_exact(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %sqrt2 = ds.constant dense<1.41421354> : tensor<f32>
  %0 = ds.div %x, %sqrt2 : (tensor<2x8xf32>, tensor<f32>) -> tensor<2x8xf32>
  %1 = ds.erf %0 : tensor<2x8xf32>
  %one = ds.constant dense<1.0> : tensor<f32>
  %2 = ds.add %1, %one : (tensor<2x8xf32>, tensor<f32>) -> tensor<2x8xf32>
  %3 = ds.mul %x, %2 : tensor<2x8xf32>
  %half = ds.constant dense<5.000000e-01> : tensor<f32>
  %4 = ds.mul %3, %half : (tensor<2x8xf32>, tensor<f32>) -> tensor<2x8xf32>
  return %4 : tensor<2x8xf32>
}

// -----

// `x * 0.5 * (1.0 + torch.erf(x / math.sqrt(2.0)))` (HF's GELUActivation) as torch 1.13 exports
// it: the 0.5 multiplies x first, sqrt(2) is the Python double rounded to f32.
// CHECK-LABEL: func.func @hf_gelu_exact
// CHECK-SAME: (%[[X:.*]]: tensor<2x4x8xf32>)
// CHECK-NEXT: %[[Y:.*]] = ds.gelu %[[X]] approximate = none
// CHECK-NEXT: return %[[Y]]
func.func @hf_gelu_exact(%x: tensor<2x4x8xf32>) -> tensor<2x4x8xf32> {
  %half = ds.constant dense<5.000000e-01> : tensor<f32>
  %0 = ds.mul %x, %half : (tensor<2x4x8xf32>, tensor<f32>) -> tensor<2x4x8xf32>
  %sqrt2 = ds.constant dense<1.41421354> : tensor<f32>
  %1 = ds.div %x, %sqrt2 : (tensor<2x4x8xf32>, tensor<f32>) -> tensor<2x4x8xf32>
  %2 = ds.erf %1 : tensor<2x4x8xf32>
  %one = ds.constant dense<1.0> : tensor<f32>
  %3 = ds.add %2, %one : (tensor<2x4x8xf32>, tensor<f32>) -> tensor<2x4x8xf32>
  %4 = ds.mul %0, %3 : tensor<2x4x8xf32>
  return %4 : tensor<2x4x8xf32>
}

// -----

// Every commutation at once, x * (1/sqrt(2)) for x / sqrt(2), the 0.5 outside a product of
// (1 + erf) and x, and tensor<1xf32> constants.
// CHECK-LABEL: func.func @gelu_exact_commuted
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
// CHECK-NEXT: %[[Y:.*]] = ds.gelu %[[X]] approximate = none
// CHECK-NEXT: return %[[Y]]
func.func @gelu_exact_commuted(%x: tensor<4xf32>) -> tensor<4xf32> {
  %inv_sqrt2 = ds.constant dense<0.707106769> : tensor<1xf32>
  %0 = ds.mul %inv_sqrt2, %x : (tensor<1xf32>, tensor<4xf32>) -> tensor<4xf32>
  %1 = ds.erf %0 : tensor<4xf32>
  %one = ds.constant dense<1.0> : tensor<1xf32>
  %2 = ds.add %one, %1 : (tensor<1xf32>, tensor<4xf32>) -> tensor<4xf32>
  %3 = ds.mul %2, %x : tensor<4xf32>
  %half = ds.constant dense<5.000000e-01> : tensor<1xf32>
  %4 = ds.mul %half, %3 : (tensor<1xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %4 : tensor<4xf32>
}

// -----

// In f16 the exporter's sqrt(2) is 1.414 (the closest f16), 3e-4 away: it still matches.
// CHECK-LABEL: func.func @gelu_exact_f16
// CHECK: ds.gelu %{{.*}} approximate = none : tensor<8xf16>
// CHECK-NOT: ds.erf
func.func @gelu_exact_f16(%x: tensor<8xf16>) -> tensor<8xf16> {
  %sqrt2 = ds.constant dense<1.414> : tensor<f16>
  %0 = ds.div %x, %sqrt2 : (tensor<8xf16>, tensor<f16>) -> tensor<8xf16>
  %1 = ds.erf %0 : tensor<8xf16>
  %one = ds.constant dense<1.0> : tensor<f16>
  %2 = ds.add %1, %one : (tensor<8xf16>, tensor<f16>) -> tensor<8xf16>
  %3 = ds.mul %x, %2 : tensor<8xf16>
  %half = ds.constant dense<5.000000e-01> : tensor<f16>
  %4 = ds.mul %3, %half : (tensor<8xf16>, tensor<f16>) -> tensor<8xf16>
  return %4 : tensor<8xf16>
}

// -----

// torch.nn.GELU(approximate='tanh') as torch 1.13 exports it: x * (x * x) for x^3, the
// constants on the left.
// CHECK-LABEL: func.func @torch_gelu_tanh
// CHECK-SAME: (%[[X:.*]]: tensor<2x8xf32>)
// CHECK-NEXT: %[[Y:.*]] = ds.gelu %[[X]] approximate = tanh : tensor<2x8xf32>
// CHECK-NEXT: return %[[Y]]
func.func @torch_gelu_tanh(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %0 = ds.mul %x, %x : tensor<2x8xf32>
  %1 = ds.mul %x, %0 : tensor<2x8xf32>
  %k = ds.constant dense<4.471500e-02> : tensor<f32>
  %2 = ds.mul %k, %1 : (tensor<f32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %3 = ds.add %x, %2 : tensor<2x8xf32>
  %c = ds.constant dense<0.797884583> : tensor<f32>
  %4 = ds.mul %c, %3 : (tensor<f32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %5 = ds.tanh %4 : tensor<2x8xf32>
  %one = ds.constant dense<1.0> : tensor<f32>
  %6 = ds.add %one, %5 : (tensor<f32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %7 = ds.mul %x, %6 : tensor<2x8xf32>
  %half = ds.constant dense<5.000000e-01> : tensor<f32>
  %8 = ds.mul %half, %7 : (tensor<f32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  return %8 : tensor<2x8xf32>
}

// -----

// HF's NewGELUActivation (GPT-2) as torch 1.13 exports it: Pow(x, 3), constants on the right,
// 0.5 * x first.
// CHECK-LABEL: func.func @hf_new_gelu
// CHECK-SAME: (%[[X:.*]]: tensor<2x4x8xf32>)
// CHECK-NEXT: %[[Y:.*]] = ds.gelu %[[X]] approximate = tanh
// CHECK-NEXT: return %[[Y]]
func.func @hf_new_gelu(%x: tensor<2x4x8xf32>) -> tensor<2x4x8xf32> {
  %half = ds.constant dense<5.000000e-01> : tensor<f32>
  %0 = ds.mul %x, %half : (tensor<2x4x8xf32>, tensor<f32>) -> tensor<2x4x8xf32>
  %three = ds.constant dense<3.0> : tensor<f32>
  %1 = ds.pow %x, %three : (tensor<2x4x8xf32>, tensor<f32>) -> tensor<2x4x8xf32>
  %k = ds.constant dense<4.471500e-02> : tensor<f32>
  %2 = ds.mul %1, %k : (tensor<2x4x8xf32>, tensor<f32>) -> tensor<2x4x8xf32>
  %3 = ds.add %x, %2 : tensor<2x4x8xf32>
  %c = ds.constant dense<0.797884583> : tensor<f32>
  %4 = ds.mul %3, %c : (tensor<2x4x8xf32>, tensor<f32>) -> tensor<2x4x8xf32>
  %5 = ds.tanh %4 : tensor<2x4x8xf32>
  %one = ds.constant dense<1.0> : tensor<f32>
  %6 = ds.add %5, %one : (tensor<2x4x8xf32>, tensor<f32>) -> tensor<2x4x8xf32>
  %7 = ds.mul %0, %6 : tensor<2x4x8xf32>
  return %7 : tensor<2x4x8xf32>
}

// -----

// An intermediate with another user stays for it; the gelu is still exact.
// CHECK-LABEL: func.func @erf_used_elsewhere
// CHECK-DAG: %[[Y:.*]] = ds.gelu %{{.*}} approximate = none
// CHECK-DAG: %[[E:.*]] = ds.erf
// CHECK: return %[[Y]], %[[E]]
func.func @erf_used_elsewhere(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %sqrt2 = ds.constant dense<1.41421354> : tensor<f32>
  %0 = ds.div %x, %sqrt2 : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %1 = ds.erf %0 : tensor<4xf32>
  %one = ds.constant dense<1.0> : tensor<f32>
  %2 = ds.add %1, %one : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %3 = ds.mul %x, %2 : tensor<4xf32>
  %half = ds.constant dense<5.000000e-01> : tensor<f32>
  %4 = ds.mul %3, %half : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  return %4, %1 : tensor<4xf32>, tensor<4xf32>
}

// -----

// Negative: x / 1.4142 is 2.5e-5 away from x / sqrt(2), beyond the 1e-6 tolerance.
// CHECK-LABEL: func.func @wrong_sqrt2
// CHECK-NOT: ds.gelu
// CHECK: ds.erf
func.func @wrong_sqrt2(%x: tensor<4xf32>) -> tensor<4xf32> {
  %sqrt2 = ds.constant dense<1.4142> : tensor<f32>
  %0 = ds.div %x, %sqrt2 : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %1 = ds.erf %0 : tensor<4xf32>
  %one = ds.constant dense<1.0> : tensor<f32>
  %2 = ds.add %1, %one : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %3 = ds.mul %x, %2 : tensor<4xf32>
  %half = ds.constant dense<5.000000e-01> : tensor<f32>
  %4 = ds.mul %3, %half : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  return %4 : tensor<4xf32>
}

// -----

// Negative: 0.6 instead of 0.5, and 2 instead of 1.
// CHECK-LABEL: func.func @wrong_half
// CHECK-NOT: ds.gelu
// CHECK: return
func.func @wrong_half(%x: tensor<4xf32>) -> tensor<4xf32> {
  %sqrt2 = ds.constant dense<1.41421354> : tensor<f32>
  %0 = ds.div %x, %sqrt2 : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %1 = ds.erf %0 : tensor<4xf32>
  %one = ds.constant dense<1.0> : tensor<f32>
  %2 = ds.add %1, %one : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %3 = ds.mul %x, %2 : tensor<4xf32>
  %c = ds.constant dense<6.000000e-01> : tensor<f32>
  %4 = ds.mul %3, %c : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  return %4 : tensor<4xf32>
}

// -----

// CHECK-LABEL: func.func @wrong_one
// CHECK-NOT: ds.gelu
// CHECK: return
func.func @wrong_one(%x: tensor<4xf32>) -> tensor<4xf32> {
  %sqrt2 = ds.constant dense<1.41421354> : tensor<f32>
  %0 = ds.div %x, %sqrt2 : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %1 = ds.erf %0 : tensor<4xf32>
  %two = ds.constant dense<2.0> : tensor<f32>
  %2 = ds.add %1, %two : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %3 = ds.mul %x, %2 : tensor<4xf32>
  %half = ds.constant dense<5.000000e-01> : tensor<f32>
  %4 = ds.mul %3, %half : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  return %4 : tensor<4xf32>
}

// -----

// Negative: erf of another value, x * (1 + erf(y / sqrt(2))) * 0.5, is not a function of x.
// CHECK-LABEL: func.func @erf_of_other_value
// CHECK-NOT: ds.gelu
// CHECK: return
func.func @erf_of_other_value(%x: tensor<4xf32>, %y: tensor<4xf32>) -> tensor<4xf32> {
  %sqrt2 = ds.constant dense<1.41421354> : tensor<f32>
  %0 = ds.div %y, %sqrt2 : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %1 = ds.erf %0 : tensor<4xf32>
  %one = ds.constant dense<1.0> : tensor<f32>
  %2 = ds.add %1, %one : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %3 = ds.mul %x, %2 : tensor<4xf32>
  %half = ds.constant dense<5.000000e-01> : tensor<f32>
  %4 = ds.mul %3, %half : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  return %4 : tensor<4xf32>
}

// -----

// Negative: the tanh form with 0.04 for 0.044715.
// CHECK-LABEL: func.func @wrong_cubic_coefficient
// CHECK-NOT: ds.gelu
// CHECK: ds.tanh
func.func @wrong_cubic_coefficient(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = ds.mul %x, %x : tensor<4xf32>
  %1 = ds.mul %x, %0 : tensor<4xf32>
  %k = ds.constant dense<4.000000e-02> : tensor<f32>
  %2 = ds.mul %k, %1 : (tensor<f32>, tensor<4xf32>) -> tensor<4xf32>
  %3 = ds.add %x, %2 : tensor<4xf32>
  %c = ds.constant dense<0.797884583> : tensor<f32>
  %4 = ds.mul %c, %3 : (tensor<f32>, tensor<4xf32>) -> tensor<4xf32>
  %5 = ds.tanh %4 : tensor<4xf32>
  %one = ds.constant dense<1.0> : tensor<f32>
  %6 = ds.add %one, %5 : (tensor<f32>, tensor<4xf32>) -> tensor<4xf32>
  %7 = ds.mul %x, %6 : tensor<4xf32>
  %half = ds.constant dense<5.000000e-01> : tensor<f32>
  %8 = ds.mul %half, %7 : (tensor<f32>, tensor<4xf32>) -> tensor<4xf32>
  return %8 : tensor<4xf32>
}

// -----

// Negative: the tanh form with x^2 where x^3 belongs.
// CHECK-LABEL: func.func @square_for_cube
// CHECK-NOT: ds.gelu
// CHECK: ds.tanh
func.func @square_for_cube(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = ds.mul %x, %x : tensor<4xf32>
  %k = ds.constant dense<4.471500e-02> : tensor<f32>
  %1 = ds.mul %k, %0 : (tensor<f32>, tensor<4xf32>) -> tensor<4xf32>
  %2 = ds.add %x, %1 : tensor<4xf32>
  %c = ds.constant dense<0.797884583> : tensor<f32>
  %3 = ds.mul %c, %2 : (tensor<f32>, tensor<4xf32>) -> tensor<4xf32>
  %4 = ds.tanh %3 : tensor<4xf32>
  %one = ds.constant dense<1.0> : tensor<f32>
  %5 = ds.add %one, %4 : (tensor<f32>, tensor<4xf32>) -> tensor<4xf32>
  %6 = ds.mul %x, %5 : tensor<4xf32>
  %half = ds.constant dense<5.000000e-01> : tensor<f32>
  %7 = ds.mul %half, %6 : (tensor<f32>, tensor<4xf32>) -> tensor<4xf32>
  return %7 : tensor<4xf32>
}

// -----

// Negative: another activation, x * sigmoid(1.702 * x) (quick GELU), is left alone.
// CHECK-LABEL: func.func @quick_gelu
// CHECK-NOT: ds.gelu
// CHECK: ds.sigmoid
func.func @quick_gelu(%x: tensor<4xf32>) -> tensor<4xf32> {
  %c = ds.constant dense<1.702> : tensor<f32>
  %0 = ds.mul %x, %c : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %1 = ds.sigmoid %0 : tensor<4xf32>
  %2 = ds.mul %x, %1 : tensor<4xf32>
  return %2 : tensor<4xf32>
}

// -----

// Negative: a "0.5" of shape [2, 4] broadcasts x up to [2, 4]; gelu(x) would have x's shape.
// CHECK-LABEL: func.func @half_broadcasts_x
// CHECK-NOT: ds.gelu
// CHECK: return
func.func @half_broadcasts_x(%x: tensor<4xf32>) -> tensor<2x4xf32> {
  %sqrt2 = ds.constant dense<1.41421354> : tensor<f32>
  %0 = ds.div %x, %sqrt2 : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %1 = ds.erf %0 : tensor<4xf32>
  %one = ds.constant dense<1.0> : tensor<f32>
  %2 = ds.add %1, %one : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %3 = ds.mul %x, %2 : tensor<4xf32>
  %half = ds.constant dense<5.000000e-01> : tensor<2x4xf32>
  %4 = ds.mul %3, %half : (tensor<4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>
  return %4 : tensor<2x4xf32>
}
