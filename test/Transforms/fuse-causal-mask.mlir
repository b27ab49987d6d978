// RUN: ds-opt %s --ds-fuse-causal-mask --split-input-file | FileCheck %s

// nanoGPT's `att.masked_fill(self.bias[:, :, :T, :T] == 0, float('-inf'))` then softmax, as
// torch 1.13 exports it after constant folding: Where(mask [1,1,T,T], -inf [], att), Softmax.
// CHECK-LABEL: func.func @torch_masked_fill_softmax
// CHECK-SAME: (%[[S:.*]]: tensor<2x2x4x4xf32>)
// CHECK-NEXT: %[[P:.*]] = ds.softmax %[[S]] axis = -1 causal : tensor<2x2x4x4xf32>
// CHECK-NEXT: return %[[P]]
func.func @torch_masked_fill_softmax(%s: tensor<2x2x4x4xf32>) -> tensor<2x2x4x4xf32> {
  %mask = ds.constant dense<[[[[false, true, true, true], [false, false, true, true], [false, false, false, true], [false, false, false, false]]]]> : tensor<1x1x4x4xi1>
  %ninf = ds.constant dense<0xFF800000> : tensor<f32>
  %0 = ds.select %mask, %ninf, %s : (tensor<1x1x4x4xi1>, tensor<f32>, tensor<2x2x4x4xf32>) -> tensor<2x2x4x4xf32>
  %1 = ds.softmax %0 axis = -1 : tensor<2x2x4x4xf32>
  return %1 : tensor<2x2x4x4xf32>
}

// -----

// The keep form, select(tril != 0, scores, fill), with a [T, T] condition, the fill as
// tensor<1xf32>, and the last axis written as 2.
// CHECK-LABEL: func.func @keep_form
// CHECK-SAME: (%[[S:.*]]: tensor<3x4x4xf32>)
// CHECK-NEXT: %[[P:.*]] = ds.softmax %[[S]] axis = -1 causal
// CHECK-NEXT: return %[[P]]
func.func @keep_form(%s: tensor<3x4x4xf32>) -> tensor<3x4x4xf32> {
  %keep = ds.constant dense<[[true, false, false, false], [true, true, false, false], [true, true, true, false], [true, true, true, true]]> : tensor<4x4xi1>
  %ninf = ds.constant dense<0xFF800000> : tensor<1xf32>
  %0 = ds.select %keep, %s, %ninf : (tensor<4x4xi1>, tensor<3x4x4xf32>, tensor<1xf32>) -> tensor<3x4x4xf32>
  %1 = ds.softmax %0 axis = 2 : tensor<3x4x4xf32>
  return %1 : tensor<3x4x4xf32>
}

// -----

// HF's fill, torch.finfo(float32).min: exp(lowest - rowmax) is 0 as exp(-inf) is.
// CHECK-LABEL: func.func @lowest_fill
// CHECK-NEXT: %[[P:.*]] = ds.softmax %{{.*}} axis = -1 causal
// CHECK-NEXT: return %[[P]]
func.func @lowest_fill(%s: tensor<1x3x3xf32>) -> tensor<1x3x3xf32> {
  %mask = ds.constant dense<[[false, true, true], [false, false, true], [false, false, false]]> : tensor<3x3xi1>
  %lowest = ds.constant dense<-3.40282347E+38> : tensor<f32>
  %0 = ds.select %mask, %lowest, %s : (tensor<3x3xi1>, tensor<f32>, tensor<1x3x3xf32>) -> tensor<1x3x3xf32>
  %1 = ds.softmax %0 axis = -1 : tensor<1x3x3xf32>
  return %1 : tensor<1x3x3xf32>
}

// -----

// The masked scores have another user: it gets a causal_mask, the softmax is still causal.
// CHECK-LABEL: func.func @masked_scores_used_elsewhere
// CHECK-SAME: (%[[S:.*]]: tensor<2x4x4xf32>)
// CHECK-DAG: %[[M:.*]] = ds.causal_mask %[[S]] fill = 0xFFF0000000000000 : tensor<2x4x4xf32>
// CHECK-DAG: %[[P:.*]] = ds.softmax %[[S]] axis = -1 causal
// CHECK-NOT: ds.select
// CHECK: return %[[P]], %[[M]]
func.func @masked_scores_used_elsewhere(%s: tensor<2x4x4xf32>) -> (tensor<2x4x4xf32>, tensor<2x4x4xf32>) {
  %mask = ds.constant dense<[[[false, true, true, true], [false, false, true, true], [false, false, false, true], [false, false, false, false]]]> : tensor<1x4x4xi1>
  %ninf = ds.constant dense<0xFF800000> : tensor<f32>
  %0 = ds.select %mask, %ninf, %s : (tensor<1x4x4xi1>, tensor<f32>, tensor<2x4x4xf32>) -> tensor<2x4x4xf32>
  %1 = ds.softmax %0 axis = -1 : tensor<2x4x4xf32>
  return %1, %0 : tensor<2x4x4xf32>, tensor<2x4x4xf32>
}

// -----

// The mask left unfolded as `tril == 0`, tril a constant f32 buffer.
// CHECK-LABEL: func.func @tril_compare
// CHECK-NEXT: %[[P:.*]] = ds.softmax %{{.*}} axis = -1 causal
// CHECK-NEXT: return %[[P]]
func.func @tril_compare(%s: tensor<2x1x3x3xf32>) -> tensor<2x1x3x3xf32> {
  %tril = ds.constant dense<[[[[1.0, 0.0, 0.0], [1.0, 1.0, 0.0], [1.0, 1.0, 1.0]]]]> : tensor<1x1x3x3xf32>
  %zero = ds.constant dense<0.0> : tensor<f32>
  %mask = ds.compare eq, %tril, %zero : (tensor<1x1x3x3xf32>, tensor<f32>) -> tensor<1x1x3x3xi1>
  %ninf = ds.constant dense<0xFF800000> : tensor<f32>
  %0 = ds.select %mask, %ninf, %s : (tensor<1x1x3x3xi1>, tensor<f32>, tensor<2x1x3x3xf32>) -> tensor<2x1x3x3xf32>
  %1 = ds.softmax %0 axis = -1 : tensor<2x1x3x3xf32>
  return %1 : tensor<2x1x3x3xf32>
}

// -----

// The mask as an index comparison, arange(T)[None, :] > arange(T)[:, None] (j > i).
// CHECK-LABEL: func.func @arange_compare
// CHECK-NEXT: %[[P:.*]] = ds.softmax %{{.*}} axis = -1 causal
// CHECK-NEXT: return %[[P]]
func.func @arange_compare(%s: tensor<4x4xf32>) -> tensor<4x4xf32> {
  %cols = ds.constant dense<[[0, 1, 2, 3]]> : tensor<1x4xi64>
  %rows = ds.constant dense<[[0], [1], [2], [3]]> : tensor<4x1xi64>
  %mask = ds.compare gt, %cols, %rows : (tensor<1x4xi64>, tensor<4x1xi64>) -> tensor<4x4xi1>
  %ninf = ds.constant dense<0xFF800000> : tensor<f32>
  %0 = ds.select %mask, %ninf, %s : (tensor<4x4xi1>, tensor<f32>, tensor<4x4xf32>) -> tensor<4x4xf32>
  %1 = ds.softmax %0 axis = -1 : tensor<4x4xf32>
  return %1 : tensor<4x4xf32>
}

// -----

// A causal select without a softmax after it is a causal_mask on its own.
// CHECK-LABEL: func.func @mask_without_softmax
// CHECK-SAME: (%[[S:.*]]: tensor<3x3xf32>)
// CHECK-NEXT: %[[M:.*]] = ds.causal_mask %[[S]] fill = 0xFFF0000000000000
// CHECK-NEXT: return %[[M]]
func.func @mask_without_softmax(%s: tensor<3x3xf32>) -> tensor<3x3xf32> {
  %mask = ds.constant dense<[[false, true, true], [false, false, true], [false, false, false]]> : tensor<3x3xi1>
  %ninf = ds.constant dense<0xFF800000> : tensor<f32>
  %0 = ds.select %mask, %ninf, %s : (tensor<3x3xi1>, tensor<f32>, tensor<3x3xf32>) -> tensor<3x3xf32>
  return %0 : tensor<3x3xf32>
}

// -----

// Negative: j >= i also masks the diagonal; causal keeps it.
// CHECK-LABEL: func.func @diagonal_masked
// CHECK-NOT: ds.causal_mask
// CHECK: ds.select
// CHECK: ds.softmax %{{.*}} axis = -1 :
func.func @diagonal_masked(%s: tensor<3x3xf32>) -> tensor<3x3xf32> {
  %mask = ds.constant dense<[[true, true, true], [false, true, true], [false, false, true]]> : tensor<3x3xi1>
  %ninf = ds.constant dense<0xFF800000> : tensor<f32>
  %0 = ds.select %mask, %ninf, %s : (tensor<3x3xi1>, tensor<f32>, tensor<3x3xf32>) -> tensor<3x3xf32>
  %1 = ds.softmax %0 axis = -1 : tensor<3x3xf32>
  return %1 : tensor<3x3xf32>
}

// -----

// Negative: causal in one head, not in the other.
// CHECK-LABEL: func.func @not_causal_in_every_slice
// CHECK-NOT: ds.causal_mask
// CHECK: ds.select
func.func @not_causal_in_every_slice(%s: tensor<2x3x3xf32>) -> tensor<2x3x3xf32> {
  %mask = ds.constant dense<[[[false, true, true], [false, false, true], [false, false, false]], [[false, true, false], [true, false, true], [false, false, false]]]> : tensor<2x3x3xi1>
  %ninf = ds.constant dense<0xFF800000> : tensor<f32>
  %0 = ds.select %mask, %ninf, %s : (tensor<2x3x3xi1>, tensor<f32>, tensor<2x3x3xf32>) -> tensor<2x3x3xf32>
  %1 = ds.softmax %0 axis = -1 : tensor<2x3x3xf32>
  return %1 : tensor<2x3x3xf32>
}

// -----

// Negative: the keep form with the operands in the masking order (-inf where j <= i).
// CHECK-LABEL: func.func @keep_mask_as_fill_mask
// CHECK-NOT: ds.causal_mask
// CHECK: ds.select
func.func @keep_mask_as_fill_mask(%s: tensor<3x3xf32>) -> tensor<3x3xf32> {
  %keep = ds.constant dense<[[true, false, false], [true, true, false], [true, true, true]]> : tensor<3x3xi1>
  %ninf = ds.constant dense<0xFF800000> : tensor<f32>
  %0 = ds.select %keep, %ninf, %s : (tensor<3x3xi1>, tensor<f32>, tensor<3x3xf32>) -> tensor<3x3xf32>
  %1 = ds.softmax %0 axis = -1 : tensor<3x3xf32>
  return %1 : tensor<3x3xf32>
}

// -----

// Negative for the softmax: a fill of -1e4 is not exactly -inf after exp (visible scores near
// -1e4 would share probability with the masked ones). The select, which is exactly a
// causal_mask with that fill, still becomes one.
// CHECK-LABEL: func.func @fill_not_neg_inf
// CHECK-SAME: (%[[S:.*]]: tensor<3x3xf32>)
// CHECK-NEXT: %[[M:.*]] = ds.causal_mask %[[S]] fill = -1.000000e+04
// CHECK-NEXT: %[[P:.*]] = ds.softmax %[[M]] axis = -1 : tensor<3x3xf32>
// CHECK-NEXT: return %[[P]]
func.func @fill_not_neg_inf(%s: tensor<3x3xf32>) -> tensor<3x3xf32> {
  %mask = ds.constant dense<[[false, true, true], [false, false, true], [false, false, false]]> : tensor<3x3xi1>
  %fill = ds.constant dense<-1.0e+04> : tensor<f32>
  %0 = ds.select %mask, %fill, %s : (tensor<3x3xi1>, tensor<f32>, tensor<3x3xf32>) -> tensor<3x3xf32>
  %1 = ds.softmax %0 axis = -1 : tensor<3x3xf32>
  return %1 : tensor<3x3xf32>
}

// -----

// Negative for the softmax: normalizing over i (axis -2) is not the causal softmax.
// CHECK-LABEL: func.func @softmax_over_rows
// CHECK: %[[M:.*]] = ds.causal_mask
// CHECK-NEXT: ds.softmax %[[M]] axis = -2 : tensor<2x3x3xf32>
func.func @softmax_over_rows(%s: tensor<2x3x3xf32>) -> tensor<2x3x3xf32> {
  %mask = ds.constant dense<[[false, true, true], [false, false, true], [false, false, false]]> : tensor<3x3xi1>
  %ninf = ds.constant dense<0xFF800000> : tensor<f32>
  %0 = ds.select %mask, %ninf, %s : (tensor<3x3xi1>, tensor<f32>, tensor<2x3x3xf32>) -> tensor<2x3x3xf32>
  %1 = ds.softmax %0 axis = -2 : tensor<2x3x3xf32>
  return %1 : tensor<2x3x3xf32>
}

// -----

// Negative for the softmax: non-square [3, 5] scores (causal softmax is defined on [T, T]);
// the j > i mask itself is still a causal_mask.
// CHECK-LABEL: func.func @non_square_scores
// CHECK: %[[M:.*]] = ds.causal_mask
// CHECK-NEXT: ds.softmax %[[M]] axis = -1 : tensor<3x5xf32>
func.func @non_square_scores(%s: tensor<3x5xf32>) -> tensor<3x5xf32> {
  %mask = ds.constant dense<[[false, true, true, true, true], [false, false, true, true, true], [false, false, false, true, true]]> : tensor<3x5xi1>
  %ninf = ds.constant dense<0xFF800000> : tensor<f32>
  %0 = ds.select %mask, %ninf, %s : (tensor<3x5xi1>, tensor<f32>, tensor<3x5xf32>) -> tensor<3x5xf32>
  %1 = ds.softmax %0 axis = -1 : tensor<3x5xf32>
  return %1 : tensor<3x5xf32>
}

// -----

// Negative: a fill that is not a splat constant.
// CHECK-LABEL: func.func @fill_not_constant
// CHECK-NOT: ds.causal_mask
// CHECK: ds.select
func.func @fill_not_constant(%s: tensor<3x3xf32>, %fill: tensor<f32>) -> tensor<3x3xf32> {
  %mask = ds.constant dense<[[false, true, true], [false, false, true], [false, false, false]]> : tensor<3x3xi1>
  %0 = ds.select %mask, %fill, %s : (tensor<3x3xi1>, tensor<f32>, tensor<3x3xf32>) -> tensor<3x3xf32>
  %1 = ds.softmax %0 axis = -1 : tensor<3x3xf32>
  return %1 : tensor<3x3xf32>
}
