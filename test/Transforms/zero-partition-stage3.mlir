// RUN: ds-opt %s --ds-build-training="dp-size=2 micro-batches=2" --ds-zero="stage=3 param-persistence-threshold=3 prefetch-bucket-size=0" --canonicalize | FileCheck %s
// RUN: ds-opt %s --ds-build-training="dp-size=2 micro-batches=2" --ds-zero="stage=3 param-persistence-threshold=3 prefetch-bucket-size=20" --canonicalize | FileCheck %s --check-prefix=PREFETCH
// RUN: ds-opt %s --ds-build-training="dp-size=2 micro-batches=2" --ds-zero="stage=3 param-persistence-threshold=3 prefetch-bucket-size=20 overlap-comm=false" --canonicalize | FileCheck %s
// RUN: ds-opt %s --ds-build-training="dp-size=2 micro-batches=2" --ds-zero="stage=3 param-persistence-threshold=0" --canonicalize | FileCheck %s --check-prefix=ALL

// Stage 3 on 2 ranks: two torch-style linears (the second's weight transposed before its
// matmul), a bias and a third weight. With a persistence threshold of 3 elements the bias stays
// whole and is updated as in stage 2; the weights become shards, keeping their initializers (of
// the whole tensor).
// CHECK-DAG: ds.param @w1 : tensor<6xf32> init #ds.init<normal, {{.*}}seed = 1> {ds.shard = {axis = "dp", mesh = @dp_mesh, numel = 12 : i64, padded = 12 : i64, shape = array<i64: 3, 4>}}
// CHECK-DAG: ds.param @b1 : tensor<3xf32> init #ds.init<zeros>{{$}}
// CHECK-DAG: ds.param @w2 : tensor<3xf32> {{.*}}ds.shard
// CHECK-DAG: ds.param @w1.grad : tensor<6xf32> {{.*}}ds.shard
// CHECK-DAG: ds.param @b1.grad : tensor<2xf32> {{.*}}ds.shard

// Without prefetch each gather comes right before the first use (w1's transpose comes first),
// and the forward's and the backward's gathers are separate: the forward's whole weight dies at
// its last forward use. The backward gathers w2 and w1 again, for the gradients of the layers'
// inputs, and recomputes w1's transpose from its own gather. It does not need w0 (the model's
// input is not trained).
// CHECK-LABEL: func.func @micro_step
// CHECK: %[[B1:.*]] = ds.load_param @b1 : tensor<3xf32>
// CHECK: %[[S1:.*]] = ds.load_param @w1 : tensor<6xf32>
// CHECK: %[[G1:.*]] = ds.all_gather %[[S1]] on @dp_mesh["dp"] dim = 0 : tensor<6xf32> -> tensor<12xf32>
// CHECK: %[[W1:.*]] = ds.reshape %[[G1]] : tensor<12xf32> -> tensor<3x4xf32>
// CHECK: %[[W1T:.*]] = ds.transpose %[[W1]] perm = [1, 0]
// CHECK: %[[S0:.*]] = ds.load_param @w0 : tensor<8xf32>
// CHECK: %[[G0:.*]] = ds.all_gather %[[S0]] on @dp_mesh["dp"] dim = 0 : tensor<8xf32> -> tensor<16xf32>
// CHECK: %[[W0:.*]] = ds.reshape %[[G0]] : tensor<16xf32> -> tensor<4x4xf32>
// CHECK: %[[X0:.*]] = ds.matmul %{{.*}}, %[[W0]]
// CHECK: ds.matmul %[[X0]], %[[W1T]]
// CHECK: %[[ACT:.*]] = ds.gelu
// CHECK: %[[S2:.*]] = ds.load_param @w2 : tensor<3xf32>
// CHECK: %[[G2:.*]] = ds.all_gather %[[S2]] on @dp_mesh["dp"] dim = 0 : tensor<3xf32> -> tensor<6xf32>
// CHECK: %[[W2:.*]] = ds.reshape %[[G2]] : tensor<6xf32> -> tensor<3x2xf32>
// CHECK: ds.matmul %[[ACT]], %[[W2]]
// CHECK: %[[LOSS:.*]] = ds.reduce_mean
// CHECK: %[[BS2:.*]] = ds.load_param @w2 : tensor<3xf32>
// CHECK: %[[BG2:.*]] = ds.all_gather %[[BS2]] on @dp_mesh["dp"] dim = 0 : tensor<3xf32> -> tensor<6xf32>
// CHECK: %[[BW2:.*]] = ds.reshape %[[BG2]] : tensor<6xf32> -> tensor<3x2xf32>
// CHECK: ds.matmul %{{.*}}, %[[BW2]] transpose_rhs
// CHECK: %[[BS1:.*]] = ds.load_param @w1 : tensor<6xf32>
// CHECK: %[[BG1:.*]] = ds.all_gather %[[BS1]] on @dp_mesh["dp"] dim = 0 : tensor<6xf32> -> tensor<12xf32>
// CHECK: %[[BW1:.*]] = ds.reshape %[[BG1]] : tensor<12xf32> -> tensor<3x4xf32>
// CHECK: %[[BW1T:.*]] = ds.transpose %[[BW1]] perm = [1, 0]
// CHECK: ds.matmul %{{.*}}, %[[BW1T]] transpose_rhs
// CHECK-NOT: ds.all_gather
// CHECK: ds.reduce_scatter
// CHECK-NOT: ds.all_gather
// CHECK: return %[[LOSS]]

// The update runs on the weight shards in place; only the persistent bias is sliced and
// all-gathered back.
// CHECK-LABEL: func.func @apply_update
// CHECK: %[[W1S:.*]] = ds.load_param @w1 : tensor<6xf32>
// CHECK: %[[NEW1:.*]], %{{.*}}, %{{.*}} = ds.adam_update %[[W1S]], {{.*}} : tensor<6xf32>
// CHECK: ds.store_param %[[NEW1]], @w1 : tensor<6xf32>
// CHECK: ds.shard_slice
// CHECK: ds.all_gather %{{.*}} : tensor<2xf32> -> tensor<4xf32>
// CHECK: ds.store_param %{{.*}}, @b1 : tensor<3xf32>
// CHECK: %[[W2S:.*]] = ds.load_param @w2 : tensor<3xf32>
// CHECK: %[[NEW2:.*]], %{{.*}}, %{{.*}} = ds.adam_update %[[W2S]]
// CHECK: ds.store_param %[[NEW2]], @w2 : tensor<3xf32>
// CHECK-NOT: ds.all_gather
// CHECK-LABEL: func.func @zero_gradients

// A prefetch bucket of 20 elements. Gathers are needed in the order w1 (12 elements), w0 (16),
// w2 (6), then the backward's w2 (6) and w1 (12). w0 does not fit with w1, nor w2 with w0, so
// those are gathered at their use; the backward's w2 goes out with the forward's (6 + 6 in
// flight) and the backward's w1 when the backward's w2 is used (6 + 12).
// PREFETCH-LABEL: func.func @micro_step
// PREFETCH: %[[S2:.*]] = ds.load_param @w2 : tensor<3xf32>
// PREFETCH: %[[G2:.*]] = ds.all_gather %[[S2]]
// PREFETCH: %[[W2:.*]] = ds.reshape %[[G2]]
// PREFETCH: %[[BS2:.*]] = ds.load_param @w2 : tensor<3xf32>
// PREFETCH: %[[BG2:.*]] = ds.all_gather %[[BS2]]
// PREFETCH: ds.matmul %{{.*}}, %[[W2]]
// PREFETCH: ds.reduce_mean
// PREFETCH: %[[BW2:.*]] = ds.reshape %[[BG2]]
// PREFETCH: %[[BS1:.*]] = ds.load_param @w1 : tensor<6xf32>
// PREFETCH: %[[BG1:.*]] = ds.all_gather %[[BS1]]
// PREFETCH: ds.matmul %{{.*}}, %[[BW2]] transpose_rhs
// PREFETCH: ds.gelu_grad
// PREFETCH: %[[BW1:.*]] = ds.reshape %[[BG1]]

// With a threshold of 0 every parameter is partitioned: the bias too (3 elements padded to 4,
// unpadded after the gather), and nothing is all-gathered in the update.
// ALL-DAG: ds.param @b1 : tensor<2xf32> init #ds.init<zeros> {ds.shard = {axis = "dp", mesh = @dp_mesh, numel = 3 : i64, padded = 4 : i64, shape = array<i64: 3>}}
// ALL-LABEL: func.func @micro_step
// ALL: %[[SB:.*]] = ds.load_param @b1 : tensor<2xf32>
// ALL: %[[GB:.*]] = ds.all_gather %[[SB]] on @dp_mesh["dp"] dim = 0 : tensor<2xf32> -> tensor<4xf32>
// ALL: %[[B:.*]] = ds.slice %[[GB]] starts = [0] ends = [3] steps = [1] : tensor<4xf32> -> tensor<3xf32>
// ALL: ds.add %{{.*}}, %[[B]]
// ALL-LABEL: func.func @apply_update
// ALL-NOT: ds.all_gather
// ALL-NOT: ds.shard_slice
// ALL-LABEL: func.func @zero_gradients

ds.param @w0 : tensor<4x4xf32> init #ds.init<normal, mean = 0.0, std = 0.5, seed = 0>
ds.param @w1 : tensor<3x4xf32> init #ds.init<normal, mean = 0.0, std = 0.5, seed = 1>
ds.param @b1 : tensor<3xf32> init #ds.init<zeros>
ds.param @w2 : tensor<3x2xf32> init #ds.init<normal, mean = 0.0, std = 0.5, seed = 2>
func.func @forward(%x: tensor<2x4xf32>) -> tensor<f32> {
  %w0 = ds.load_param @w0 : tensor<4x4xf32>
  %w1 = ds.load_param @w1 : tensor<3x4xf32>
  %b1 = ds.load_param @b1 : tensor<3xf32>
  %w2 = ds.load_param @w2 : tensor<3x2xf32>
  %w1t = ds.transpose %w1 perm = [1, 0] : tensor<3x4xf32> -> tensor<4x3xf32>
  %x0 = ds.matmul %x, %w0 : (tensor<2x4xf32>, tensor<4x4xf32>) -> tensor<2x4xf32>
  %h = ds.matmul %x0, %w1t : (tensor<2x4xf32>, tensor<4x3xf32>) -> tensor<2x3xf32>
  %hb = ds.add %h, %b1 : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %a = ds.gelu %hb approximate = tanh : tensor<2x3xf32>
  %o = ds.matmul %a, %w2 : (tensor<2x3xf32>, tensor<3x2xf32>) -> tensor<2x2xf32>
  %l = ds.reduce_mean %o axes = [0, 1] : tensor<2x2xf32> -> tensor<f32>
  return %l : tensor<f32>
}
