// RUN: ds-opt %s -split-input-file --ds-build-training="dp-size=5 micro-batches=5" --ds-zero="stage=1 reduce-bucket-size=15" --canonicalize | FileCheck %s --check-prefix=S1
// RUN: ds-opt %s -split-input-file --ds-build-training="dp-size=5 micro-batches=5" --ds-zero="stage=1" --canonicalize | FileCheck %s --check-prefix=S1BUCKET
// RUN: ds-opt %s -split-input-file --ds-build-training="dp-size=5 micro-batches=5" --ds-zero="stage=2 reduce-bucket-size=20" --canonicalize | FileCheck %s --check-prefix=S2
// RUN: ds-opt %s -split-input-file --ds-build-training="dp-size=5 micro-batches=5" --ds-zero="stage=2 reduce-bucket-size=15" --canonicalize | FileCheck %s --check-prefix=BUCKETS
// RUN: ds-opt %s -split-input-file --ds-build-training="dp-mesh=true" --ds-zero="stage=2" --canonicalize | FileCheck %s --check-prefix=ONE
// RUN: ds-opt %s -split-input-file --ds-build-training="dp-size=2 micro-batches=2 optimizer=sgd momentum=0.9" --ds-zero="stage=1" --canonicalize | FileCheck %s --check-prefix=SGD

// A 4x3 weight and a 3-element bias on 5 ranks: shards of 3 and 1 elements, the flat tensors
// padded with 3 and 2 zeros to 15 and 5. The frozen parameter is left alone.

// Stage 1: the optimizer state is sharded; each gradient accumulates whole, flattened and
// zero-padded, and is reduce-scattered once per step into the accumulator's own first S
// elements (no second gradient buffer: the paper's 2 Psi of gradients).
// S1-DAG: ds.param @w.grad : tensor<15xf32> init #ds.init<zeros> {ds.owner = "w", ds.role = "gradient"}
// S1-DAG: ds.param @w.exp_avg : tensor<3xf32> init #ds.init<zeros> {ds.owner = "w", ds.role = "optimizer_state", ds.shard = {axis = "dp", mesh = @dp_mesh, numel = 12 : i64, padded = 15 : i64, shape = array<i64: 4, 3>}, ds.state = "exp_avg"}
// S1-DAG: ds.param @w.exp_avg_sq : tensor<3xf32> {{.*}}ds.state = "exp_avg_sq"
// S1-DAG: ds.param @b.exp_avg : tensor<1xf32> {{.*}}padded = 5 : i64
// S1-DAG: ds.param frozen @scale : tensor<3xf32> init #ds.init<ones>{{$}}
// S1-NOT: grad_shard
// S1-LABEL: func.func @micro_step
// S1-NOT: ds.reduce_scatter
// S1: %[[DW:.*]] = ds.matmul %{{.*}}, %{{.*}} transpose_lhs
// S1: %[[DWFLAT:.*]] = ds.reshape %[[DW]] : tensor<4x3xf32> -> tensor<12xf32>
// S1: %[[DWPAD:.*]] = ds.concat %[[DWFLAT]], %{{.*}} axis = 0 : (tensor<12xf32>, tensor<3xf32>) -> tensor<15xf32>
// S1: %[[ACC:.*]] = ds.load_param @w.grad : tensor<15xf32>
// S1: %[[SUM:.*]] = ds.add %[[ACC]], %[[DWPAD]] : tensor<15xf32>
// S1: ds.store_param %[[SUM]], @w.grad : tensor<15xf32>
// S1-LABEL: func.func @reduce_gradients
// S1: %[[G:.*]] = ds.load_param @w.grad : tensor<15xf32>
// S1: %[[SHARD:.*]] = ds.reduce_scatter sum %[[G]] on @dp_mesh["dp"] dim = 0 : tensor<15xf32> -> tensor<3xf32>
// S1: ds.store_param %[[SHARD]], @w.grad at 0 : tensor<3xf32>
// S1: ds.reduce_scatter sum %{{.*}} on @dp_mesh["dp"] dim = 0 : tensor<5xf32> -> tensor<1xf32>
// S1: ds.store_param %{{.*}}, @b.grad at 0 : tensor<1xf32>
// S1: %[[REDUCED:.*]] = ds.load_param @w.grad : tensor<15xf32>
// S1: %[[WS:.*]] = ds.slice %[[REDUCED]] starts = [0] ends = [3] steps = [1] : tensor<15xf32> -> tensor<3xf32>
// S1: %[[SQ:.*]] = ds.mul %[[WS]], %[[WS]] : tensor<3xf32>
// S1: %[[WSUM:.*]] = ds.reduce_sum %[[SQ]] axes = [0]
// S1: %[[LOCAL:.*]] = ds.add %[[WSUM]], %{{.*}} : tensor<f32>
// S1: %[[NORM:.*]] = ds.all_reduce sum %[[LOCAL]] on @dp_mesh["dp"] : tensor<f32>
// S1: return %[[NORM]]
// S1-LABEL: func.func @apply_update
// S1: %[[W:.*]] = ds.load_param @w : tensor<4x3xf32>
// S1: %[[WFLAT:.*]] = ds.reshape %[[W]] : tensor<4x3xf32> -> tensor<12xf32>
// S1: %[[WPAD:.*]] = ds.concat %[[WFLAT]], %{{.*}} axis = 0 : (tensor<12xf32>, tensor<3xf32>) -> tensor<15xf32>
// S1: %[[WSHARD:.*]] = ds.shard_slice %[[WPAD]] on @dp_mesh["dp"] dim = 0 : tensor<15xf32> -> tensor<3xf32>
// S1: %[[GACC:.*]] = ds.load_param @w.grad : tensor<15xf32>
// S1: %[[GSHARD:.*]] = ds.slice %[[GACC]] starts = [0] ends = [3] steps = [1] : tensor<15xf32> -> tensor<3xf32>
// S1: %[[M:.*]] = ds.load_param @w.exp_avg : tensor<3xf32>
// S1: %[[V:.*]] = ds.load_param @w.exp_avg_sq : tensor<3xf32>
// S1: %[[NEW:.*]], %[[NEWM:.*]], %[[NEWV:.*]] = ds.adam_update %[[WSHARD]], %[[GSHARD]], %[[M]], %[[V]], {{.*}} : tensor<3xf32>
// S1: ds.store_param %[[NEWM]], @w.exp_avg : tensor<3xf32>
// S1: ds.store_param %[[NEWV]], @w.exp_avg_sq : tensor<3xf32>
// S1: %[[FULL:.*]] = ds.all_gather %[[NEW]] on @dp_mesh["dp"] dim = 0 : tensor<3xf32> -> tensor<15xf32>
// S1: %[[UNPAD:.*]] = ds.slice %[[FULL]] starts = [0] ends = [12] steps = [1] : tensor<15xf32> -> tensor<12xf32>
// S1: %[[SHAPED:.*]] = ds.reshape %[[UNPAD]] : tensor<12xf32> -> tensor<4x3xf32>
// S1: ds.store_param %[[SHAPED]], @w : tensor<4x3xf32>
// S1: ds.shard_slice %{{.*}} on @dp_mesh["dp"] dim = 0 : tensor<5xf32> -> tensor<1xf32>
// S1: ds.all_gather %{{.*}} on @dp_mesh["dp"] dim = 0 : tensor<1xf32> -> tensor<5xf32>
// S1: ds.slice %{{.*}} starts = [0] ends = [3] steps = [1] : tensor<5xf32> -> tensor<3xf32>
// S1: ds.store_param %{{.*}}, @b : tensor<3xf32>
// S1-LABEL: func.func @zero_gradients
// S1-DAG: ds.store_param %{{.*}}, @w.grad : tensor<15xf32>
// S1-DAG: ds.store_param %{{.*}}, @b.grad : tensor<5xf32>

// Stage 1 with the default bucket (500M elements): one reduce_scatter carries both gradients,
// side by side as [5, 3 + 1] (see stage 2 below).
// S1BUCKET-LABEL: func.func @reduce_gradients
// S1BUCKET: %[[BUCKET:.*]] = ds.concat %{{.*}}, %{{.*}} axis = 1 : (tensor<5x3xf32>, tensor<5x1xf32>) -> tensor<5x4xf32>
// S1BUCKET: %[[MINE:.*]] = ds.reduce_scatter sum %[[BUCKET]] on @dp_mesh["dp"] dim = 0 : tensor<5x4xf32> -> tensor<1x4xf32>
// S1BUCKET-NOT: ds.reduce_scatter
// S1BUCKET: ds.store_param %{{.*}}, @w.grad at 0 : tensor<3xf32>
// S1BUCKET: ds.store_param %{{.*}}, @b.grad at 0 : tensor<1xf32>
// S1BUCKET: ds.all_reduce

// Stage 2: the accumulators are the shards. Both gradients fit one bucket of 20 elements: each
// padded gradient is viewed as [5, shard] and the two sit side by side, [5, 1 + 3], so the
// scattered row splits into the bias's and the weight's shards (the bias's gradient is
// finished first).
// S2-DAG: ds.param @w.grad : tensor<3xf32> init #ds.init<zeros> {ds.owner = "w", ds.role = "gradient", ds.shard = {axis = "dp", mesh = @dp_mesh, numel = 12 : i64, padded = 15 : i64, shape = array<i64: 4, 3>}}
// S2-DAG: ds.param @b.grad : tensor<1xf32>
// S2-LABEL: func.func @micro_step
// S2: %[[DB:.*]] = ds.reduce_sum
// S2: %[[DW:.*]] = ds.matmul %{{.*}}, %{{.*}} transpose_lhs
// S2: %[[BPAD:.*]] = ds.concat %[[DB]], %{{.*}} axis = 0 : (tensor<3xf32>, tensor<2xf32>) -> tensor<5xf32>
// S2: %[[BROWS:.*]] = ds.reshape %[[BPAD]] : tensor<5xf32> -> tensor<5x1xf32>
// S2: %[[WFLAT:.*]] = ds.reshape %[[DW]] : tensor<4x3xf32> -> tensor<12xf32>
// S2: %[[WPAD:.*]] = ds.concat %[[WFLAT]], %{{.*}} axis = 0 : (tensor<12xf32>, tensor<3xf32>) -> tensor<15xf32>
// S2: %[[WROWS:.*]] = ds.reshape %[[WPAD]] : tensor<15xf32> -> tensor<5x3xf32>
// S2: %[[BUCKET:.*]] = ds.concat %[[BROWS]], %[[WROWS]] axis = 1 : (tensor<5x1xf32>, tensor<5x3xf32>) -> tensor<5x4xf32>
// S2: %[[MINE:.*]] = ds.reduce_scatter sum %[[BUCKET]] on @dp_mesh["dp"] dim = 0 : tensor<5x4xf32> -> tensor<1x4xf32>
// S2: %[[ROW:.*]] = ds.reshape %[[MINE]] : tensor<1x4xf32> -> tensor<4xf32>
// S2: %[[PARTS:.*]]:2 = ds.split %[[ROW]] axis = 0 : tensor<4xf32> -> tensor<1xf32>, tensor<3xf32>
// S2: %[[BACC:.*]] = ds.load_param @b.grad : tensor<1xf32>
// S2: %[[BSUM:.*]] = ds.add %[[BACC]], %[[PARTS]]#0 : tensor<1xf32>
// S2: ds.store_param %[[BSUM]], @b.grad : tensor<1xf32>
// S2: %[[WACC:.*]] = ds.load_param @w.grad : tensor<3xf32>
// S2: %[[WSUM:.*]] = ds.add %[[WACC]], %[[PARTS]]#1 : tensor<3xf32>
// S2: ds.store_param %[[WSUM]], @w.grad : tensor<3xf32>
// S2-NOT: ds.reduce_scatter
// S2: return
// S2-LABEL: func.func @reduce_gradients
// S2-NOT: ds.reduce_scatter
// S2: %[[G:.*]] = ds.load_param @w.grad : tensor<3xf32>
// S2: ds.mul %[[G]], %[[G]] : tensor<3xf32>
// S2: %[[LOCAL:.*]] = ds.add
// S2: %[[NORM:.*]] = ds.all_reduce sum %[[LOCAL]] on @dp_mesh["dp"] : tensor<f32>
// S2: return %[[NORM]]
// S2-LABEL: func.func @apply_update
// S2: ds.shard_slice %{{.*}} on @dp_mesh["dp"] dim = 0 : tensor<15xf32> -> tensor<3xf32>
// S2: ds.load_param @w.grad : tensor<3xf32>
// S2: ds.adam_update {{.*}} : tensor<3xf32>
// S2: ds.all_gather %{{.*}} on @dp_mesh["dp"] dim = 0 : tensor<3xf32> -> tensor<15xf32>
// S2-LABEL: func.func @zero_gradients
// S2-DAG: ds.store_param %{{.*}}, @w.grad : tensor<3xf32>
// S2-DAG: ds.store_param %{{.*}}, @b.grad : tensor<1xf32>

// A bucket of 15 elements holds one of them at a time: two reduce_scatters, each right where
// its gradient is finished, the bias's before the weight's is computed.
// BUCKETS-LABEL: func.func @micro_step
// BUCKETS: %[[DB:.*]] = ds.reduce_sum
// BUCKETS: %[[BPAD:.*]] = ds.concat %[[DB]]
// BUCKETS: ds.reduce_scatter sum %[[BPAD]] on @dp_mesh["dp"] dim = 0 : tensor<5xf32> -> tensor<1xf32>
// BUCKETS: ds.store_param %{{.*}}, @b.grad : tensor<1xf32>
// BUCKETS: %[[DW:.*]] = ds.matmul %{{.*}}, %{{.*}} transpose_lhs
// BUCKETS: ds.reshape %[[DW]]
// BUCKETS: ds.reduce_scatter sum %{{.*}} on @dp_mesh["dp"] dim = 0 : tensor<15xf32> -> tensor<3xf32>
// BUCKETS: ds.store_param %{{.*}}, @w.grad : tensor<3xf32>
// BUCKETS-LABEL: func.func @reduce_gradients

// On one rank the shards are the whole (unpadded) tensors and the collectives run on a group
// of one.
// ONE: ds.param @w.grad : tensor<12xf32> {{.*}}numel = 12 : i64, padded = 12 : i64
// ONE: ds.mesh @dp_mesh(dp = 1)
// ONE-LABEL: func.func @micro_step
// ONE: ds.reduce_scatter sum %{{.*}} on @dp_mesh["dp"] dim = 0 : tensor<1x15xf32> -> tensor<1x15xf32>
// ONE-LABEL: func.func @apply_update
// ONE: ds.shard_slice %{{.*}} on @dp_mesh["dp"] dim = 0 : tensor<12xf32> -> tensor<12xf32>
// ONE: ds.all_gather %{{.*}} on @dp_mesh["dp"] dim = 0 : tensor<12xf32> -> tensor<12xf32>

// SGD's momentum buffer is sharded like Adam's moments.
// SGD: ds.param @w.momentum_buffer : tensor<6xf32> {{.*}}padded = 12 : i64
// SGD-LABEL: func.func @apply_update
// SGD: %[[WSHARD:.*]] = ds.shard_slice %{{.*}} on @dp_mesh["dp"] dim = 0 : tensor<12xf32> -> tensor<6xf32>
// SGD: ds.sgd_update %[[WSHARD]], {{.*}} : tensor<6xf32>
// SGD: ds.all_gather %{{.*}} on @dp_mesh["dp"] dim = 0 : tensor<6xf32> -> tensor<12xf32>

ds.param @w : tensor<4x3xf32> init #ds.init<normal, mean = 0.0, std = 0.5, seed = 1>
ds.param @b : tensor<3xf32> init #ds.init<zeros>
ds.param frozen @scale : tensor<3xf32> init #ds.init<ones>
func.func @forward(%x: tensor<2x4xf32>) -> tensor<f32> {
  %w = ds.load_param @w : tensor<4x3xf32>
  %b = ds.load_param @b : tensor<3xf32>
  %s = ds.load_param @scale : tensor<3xf32>
  %h = ds.matmul %x, %w : (tensor<2x4xf32>, tensor<4x3xf32>) -> tensor<2x3xf32>
  %hb = ds.add %h, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %o = ds.mul %hb, %s : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %l = ds.reduce_mean %o axes = [0, 1] : tensor<2x3xf32> -> tensor<f32>
  return %l : tensor<f32>
}
