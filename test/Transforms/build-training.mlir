// RUN: ds-opt %s -split-input-file -verify-diagnostics --ds-build-training --canonicalize | FileCheck %s
// RUN: ds-opt %s -split-input-file -verify-diagnostics --ds-build-training="dp-size=2 micro-batches=4" --canonicalize | FileCheck %s --check-prefix=DP
// RUN: ds-opt %s -split-input-file -verify-diagnostics --ds-build-training="optimizer=sgd momentum=0.9" --canonicalize | FileCheck %s --check-prefix=SGD
// RUN: ds-opt %s -split-input-file -verify-diagnostics --ds-build-training="precision=bf16" --canonicalize | FileCheck %s --check-prefix=BF16
// RUN: ds-opt %s -split-input-file -verify-diagnostics --ds-build-training="precision=fp16 dp-size=2 micro-batches=2" --canonicalize | FileCheck %s --check-prefix=FP16DP

// A model whose output is its loss is minimized as is. Each trainable parameter gets a gradient
// accumulator and the optimizer's state; the frozen one gets neither.

// CHECK-DAG: ds.param @w.grad : tensor<4x3xf32> init #ds.init<zeros> {ds.owner = "w", ds.role = "gradient"}
// CHECK-DAG: ds.param @w.exp_avg : tensor<4x3xf32> init #ds.init<zeros> {ds.owner = "w", ds.role = "optimizer_state", ds.state = "exp_avg"}
// CHECK-DAG: ds.param @w.exp_avg_sq : tensor<4x3xf32> init #ds.init<zeros> {ds.owner = "w", ds.role = "optimizer_state", ds.state = "exp_avg_sq"}
// CHECK-NOT: @scale.grad
// CHECK-LABEL: func.func @micro_step
// CHECK-SAME: %[[X:.*]]: tensor<2x4xf32>, %[[SCALE:.*]]: tensor<f32> {ds.name = "loss_scale"}) -> (tensor<f32> {ds.name = "loss"})
// CHECK: %[[W:.*]] = ds.load_param @w
// CHECK: %[[LOSS:.*]] = ds.reduce_mean
// The seed: loss scale times 1/6 (the mean) over one micro-batch.
// CHECK: %[[SEED:.*]] = ds.mul %[[SCALE]], %{{.*}} : tensor<f32>
// CHECK: %[[DW:.*]] = ds.matmul %[[X]], %{{.*}} transpose_lhs
// CHECK: %[[ACC:.*]] = ds.load_param @w.grad
// CHECK: %[[SUM:.*]] = ds.add %[[ACC]], %[[DW]]
// CHECK: ds.store_param %[[SUM]], @w.grad
// CHECK: return %[[LOSS]]
// CHECK-LABEL: func.func @reduce_gradients() -> (tensor<f32> {ds.name = "grad_norm_sq"})
// CHECK-NOT: ds.all_reduce
// CHECK: %[[G:.*]] = ds.load_param @w.grad
// CHECK: %[[SQ:.*]] = ds.mul %[[G]], %[[G]]
// CHECK: %[[N:.*]] = ds.reduce_sum %[[SQ]] axes = [0, 1]
// CHECK: return %[[N]]
// CHECK-LABEL: func.func @apply_update
// CHECK-SAME: {ds.name = "learning_rate"}, %[[STEP:.*]]: tensor<f32> {ds.name = "optimizer_step"}, %[[GS:.*]]: tensor<f32> {ds.name = "grad_scale"})
// CHECK: ds.adam_update {{.*}} adam_w_mode = true
// CHECK: ds.store_param %{{.*}}, @w :
// CHECK: ds.store_param %{{.*}}, @w.exp_avg :
// CHECK: ds.store_param %{{.*}}, @w.exp_avg_sq :
// CHECK-LABEL: func.func @zero_gradients()
// CHECK: ds.store_param %{{.*}}, @w.grad

// With data parallelism the accumulated gradients are summed over the dp axis, and the seed
// divides by every micro-batch of the global batch.
// DP: ds.mesh @dp_mesh(dp = 2)
// DP-LABEL: func.func @micro_step
// DP-NOT: ds.all_reduce
// DP: %[[SHARE:.*]] = ds.constant dense<2.500000e-01>
// DP: ds.mul %{{.*}}, %[[SHARE]]
// DP-LABEL: func.func @reduce_gradients
// DP: %[[G:.*]] = ds.load_param @w.grad
// DP: %[[R:.*]] = ds.all_reduce sum %[[G]] on @dp_mesh["dp"]
// DP: ds.store_param %[[R]], @w.grad
// DP: ds.mul %[[R]], %[[R]]

// SGD keeps torch's momentum_buffer.
// SGD: ds.param @w.momentum_buffer {{.*}}ds.state = "momentum_buffer"
// SGD-LABEL: func.func @apply_update
// SGD: ds.sgd_update {{.*}} momentum = 9.000000e-01

// bf16 keeps DeepSpeed's mixed-precision layout (2 + 2 + 12 bytes per parameter): @w becomes
// the bf16 weight the forward and backward read directly, its gradient accumulator is bf16, and
// @w.master keeps the exact fp32 value (the same initializer) for the optimizer. The frozen
// @scale stays fp32 and is cast where it is read.
// BF16-DAG: ds.param @w : tensor<4x3xbf16> init #ds.init<normal, mean = 0.000000e+00, std = 5.000000e-01, seed = 1>{{$}}
// BF16-DAG: ds.param @w.master : tensor<4x3xf32> init #ds.init<normal, mean = 0.000000e+00, std = 5.000000e-01, seed = 1> {ds.owner = "w", ds.role = "optimizer_state", ds.state = "master"}
// BF16-DAG: ds.param @w.grad : tensor<4x3xbf16> init #ds.init<zeros> {ds.owner = "w", ds.role = "gradient"}
// BF16-DAG: ds.param @w.exp_avg : tensor<4x3xf32> init #ds.init<zeros>
// BF16-DAG: ds.param @w.exp_avg_sq : tensor<4x3xf32> init #ds.init<zeros>
// BF16-LABEL: func.func @micro_step
// BF16-NOT: tensor<4x3xf32>
// BF16: %[[W:.*]] = ds.load_param @w : tensor<4x3xbf16>
// BF16: %[[S:.*]] = ds.load_param @scale : tensor<3xf32>
// BF16: ds.cast %[[S]] : tensor<3xf32> to tensor<3xbf16>
// BF16: ds.matmul %{{.*}}, %[[W]] : (tensor<2x4xbf16>, tensor<4x3xbf16>) -> tensor<2x3xbf16>
// BF16: ds.cast {{.*}} : tensor<bf16> to tensor<f32>
// BF16: %[[DW:.*]] = ds.matmul {{.*}} transpose_lhs : (tensor<2x4xbf16>, tensor<2x3xbf16>) -> tensor<4x3xbf16>
// BF16: %[[ACC:.*]] = ds.load_param @w.grad : tensor<4x3xbf16>
// BF16: %[[SUM:.*]] = ds.add %[[ACC]], %[[DW]] : tensor<4x3xbf16>
// BF16: ds.store_param %[[SUM]], @w.grad : tensor<4x3xbf16>
// The norm's squares are summed in fp32.
// BF16-LABEL: func.func @reduce_gradients
// BF16: %[[G:.*]] = ds.load_param @w.grad : tensor<4x3xbf16>
// BF16: %[[G32:.*]] = ds.cast %[[G]] : tensor<4x3xbf16> to tensor<4x3xf32>
// BF16: ds.mul %[[G32]], %[[G32]] : tensor<4x3xf32>
// The update runs on the master from the gradient cast to fp32; the new master, rounded, is the
// next step's bf16 weight.
// BF16-LABEL: func.func @apply_update
// BF16: %[[G:.*]] = ds.load_param @w.grad : tensor<4x3xbf16>
// BF16: %[[G32:.*]] = ds.cast %[[G]] : tensor<4x3xbf16> to tensor<4x3xf32>
// BF16: %[[M:.*]] = ds.load_param @w.master : tensor<4x3xf32>
// BF16: %[[NEW:.*]], %{{.*}}, %{{.*}} = ds.adam_update %[[M]], %[[G32]],
// BF16: ds.store_param %[[NEW]], @w.master : tensor<4x3xf32>
// BF16: ds.store_param %{{.*}}, @w.exp_avg_sq : tensor<4x3xf32>
// BF16: %[[HALF:.*]] = ds.cast %[[NEW]] : tensor<4x3xf32> to tensor<4x3xbf16>
// BF16: ds.store_param %[[HALF]], @w : tensor<4x3xbf16>
// BF16-LABEL: func.func @zero_gradients
// BF16: ds.constant dense<0.000000e+00> : tensor<4x3xbf16>

// Data-parallel fp16 all-reduces the 16-bit gradients (as DeepSpeed communicates them).
// FP16DP-LABEL: func.func @reduce_gradients
// FP16DP: %[[G:.*]] = ds.load_param @w.grad : tensor<4x3xf16>
// FP16DP: %[[R:.*]] = ds.all_reduce sum %[[G]] on @dp_mesh["dp"] : tensor<4x3xf16>
// FP16DP: ds.store_param %[[R]], @w.grad : tensor<4x3xf16>
// FP16DP: ds.cast %[[R]] : tensor<4x3xf16> to tensor<4x3xf32>

ds.param @w : tensor<4x3xf32> init #ds.init<normal, mean = 0.0, std = 0.5, seed = 1>
ds.param frozen @scale : tensor<3xf32> init #ds.init<ones>
func.func @forward(%x: tensor<2x4xf32>) -> tensor<f32> {
  %w = ds.load_param @w : tensor<4x3xf32>
  %s = ds.load_param @scale : tensor<3xf32>
  %h = ds.matmul %x, %w : (tensor<2x4xf32>, tensor<4x3xf32>) -> tensor<2x3xf32>
  %o = ds.mul %h, %s : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %l = ds.reduce_mean %o axes = [0, 1] : tensor<2x3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// A model that returns logits gets cross-entropy against the targets, a new argument shaped
// like the tokens. A parameter loaded twice (a tied embedding) gets one summed gradient.

// CHECK-LABEL: func.func @micro_step
// CHECK-SAME: %[[TOK:.*]]: tensor<2x5xi64> {ds.name = "tokens"}, %[[TGT:.*]]: tensor<2x5xi64> {ds.name = "targets"}, %{{.*}}: tensor<f32> {ds.name = "loss_scale"}
// CHECK: %[[E1:.*]] = ds.load_param @emb
// CHECK: %[[E2:.*]] = ds.load_param @emb
// CHECK: %[[LOGITS:.*]] = ds.matmul {{.*}}, %[[E2]] transpose_rhs
// CHECK: %[[LOSS:.*]] = ds.cross_entropy %[[LOGITS]], %[[TGT]] reduction = mean ignore_index = -100
// CHECK: ds.cross_entropy_grad %[[LOGITS]], %[[TGT]]
// CHECK: %[[GATHERED:.*]] = ds.gather_grad %[[TOK]]
// CHECK: %[[TIED:.*]] = ds.add
// CHECK: ds.store_param %{{.*}}, @emb.grad
// CHECK: return %[[LOSS]]

ds.param @emb : tensor<16x8xf32> init #ds.init<normal, mean = 0.0, std = 0.02, seed = 3>
func.func @forward(%tokens: tensor<2x5xi64> {ds.name = "tokens"}) -> tensor<2x5x16xf32> {
  %e = ds.load_param @emb : tensor<16x8xf32>
  %h = ds.gather %e[%tokens] axis = 0 : (tensor<16x8xf32>, tensor<2x5xi64>) -> tensor<2x5x8xf32>
  %head = ds.load_param @emb : tensor<16x8xf32>
  %logits = ds.matmul %h, %head transpose_rhs : (tensor<2x5x8xf32>, tensor<16x8xf32>) -> tensor<2x5x16xf32>
  return %logits : tensor<2x5x16xf32>
}

// -----

// expected-error @below {{ds-build-training: the forward function loads no trainable parameter}}
func.func @forward(%x: tensor<4xf32>) -> tensor<f32> {
  %l = ds.reduce_sum %x axes = [0] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

ds.param @w : tensor<4xf32> init #ds.init<zeros>
// expected-error @below {{ds-build-training: the forward function's first result must be a float scalar loss or logits [..., vocab], not 'tensor<4xf32>'}}
func.func @forward(%x: tensor<4xf32>) -> tensor<4xf32> {
  %w = ds.load_param @w : tensor<4xf32>
  %y = ds.add %x, %w : tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// A stored weight is rounded to bf16 (to nearest even); its master keeps the exact fp32 value.
// BF16-LABEL: ds.param @v : tensor<2xbf16> = dense<[1.000980e-01, 3.140630e+00]>
// BF16: ds.param @v.master : tensor<2xf32> = dense<[1.000000e-01, 3.141590e+00]> {ds.owner = "v", ds.role = "optimizer_state", ds.state = "master"}
ds.param @v : tensor<2xf32> = dense<[0.1, 3.14159]>
func.func @forward(%x: tensor<2xf32>) -> tensor<f32> {
  %v = ds.load_param @v : tensor<2xf32>
  %y = ds.mul %x, %v : tensor<2xf32>
  %l = ds.reduce_sum %y axes = [0] : tensor<2xf32> -> tensor<f32>
  return %l : tensor<f32>
}
