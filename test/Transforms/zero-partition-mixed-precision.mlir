// RUN: ds-opt %s -split-input-file --ds-build-training="precision=bf16 dp-size=5 micro-batches=5" --ds-zero="stage=1" --canonicalize | FileCheck %s --check-prefix=S1
// RUN: ds-opt %s -split-input-file --ds-build-training="precision=bf16 dp-size=5 micro-batches=5" --ds-zero="stage=2" --canonicalize | FileCheck %s --check-prefix=S2
// RUN: ds-opt %s -split-input-file --ds-build-training="precision=bf16 dp-size=5 micro-batches=5" --ds-zero="stage=3 param-persistence-threshold=0" --canonicalize | FileCheck %s --check-prefix=S3

// ZeRO on DeepSpeed's mixed-precision layout: the fp32 master is sharded like the Adam state
// (it keeps its whole initial value or initializer; each rank takes its slice), gradients are
// reduce-scattered in bf16, and the update runs on the master shard and the bf16 gradient shard
// cast to fp32. The new master shard, rounded to bf16, is all-gathered into the whole bf16
// weight. A 4x3 weight on 5 ranks: shards of 3, padded to 15.

// S1-DAG: ds.param @w : tensor<4x3xbf16> init #ds.init<normal, mean = 0.000000e+00, std = 5.000000e-01, seed = 1>{{$}}
// S1-DAG: ds.param @w.master : tensor<3xf32> init #ds.init<normal, mean = 0.000000e+00, std = 5.000000e-01, seed = 1> {ds.owner = "w", ds.role = "optimizer_state", ds.shard = {axis = "dp", mesh = @dp_mesh, numel = 12 : i64, padded = 15 : i64, shape = array<i64: 4, 3>}, ds.state = "master"}
// S1-DAG: ds.param @w.grad : tensor<15xbf16> init #ds.init<zeros> {ds.owner = "w", ds.role = "gradient"}
// S1-DAG: ds.param @w.exp_avg : tensor<3xf32> init #ds.init<zeros> {{.*}}ds.shard
// S1-LABEL: func.func @reduce_gradients
// S1: %[[G:.*]] = ds.load_param @w.grad : tensor<15xbf16>
// S1: %[[SHARD:.*]] = ds.reduce_scatter sum %[[G]] on @dp_mesh["dp"] dim = 0 : tensor<15xbf16> -> tensor<3xbf16>
// S1: ds.store_param %[[SHARD]], @w.grad at 0 : tensor<3xbf16>
// S1: %[[ACC:.*]] = ds.load_param @w.grad : tensor<15xbf16>
// S1: %[[REDUCED:.*]] = ds.slice %[[ACC]] starts = [0] ends = [3] steps = [1] : tensor<15xbf16> -> tensor<3xbf16>
// S1: %[[G32:.*]] = ds.cast %[[REDUCED]] : tensor<3xbf16> to tensor<3xf32>
// S1: ds.mul %[[G32]], %[[G32]] : tensor<3xf32>
// S1: ds.all_reduce sum %{{.*}} on @dp_mesh["dp"] : tensor<f32>
// S1-LABEL: func.func @apply_update
// S1-NOT: ds.shard_slice
// S1: %[[M:.*]] = ds.load_param @w.master : tensor<3xf32>
// S1: %[[GACC:.*]] = ds.load_param @w.grad : tensor<15xbf16>
// S1: %[[GS:.*]] = ds.slice %[[GACC]] starts = [0] ends = [3] steps = [1] : tensor<15xbf16> -> tensor<3xbf16>
// S1: %[[GS32:.*]] = ds.cast %[[GS]] : tensor<3xbf16> to tensor<3xf32>
// S1: %[[NEW:.*]], %{{.*}}, %{{.*}} = ds.adam_update %[[M]], %[[GS32]], {{.*}} : tensor<3xf32>
// S1: ds.store_param %[[NEW]], @w.master : tensor<3xf32>
// S1: ds.store_param %{{.*}}, @w.exp_avg : tensor<3xf32>
// S1: ds.store_param %{{.*}}, @w.exp_avg_sq : tensor<3xf32>
// S1: %[[HALF:.*]] = ds.cast %[[NEW]] : tensor<3xf32> to tensor<3xbf16>
// S1: %[[FULL:.*]] = ds.all_gather %[[HALF]] on @dp_mesh["dp"] dim = 0 : tensor<3xbf16> -> tensor<15xbf16>
// S1: %[[UNPAD:.*]] = ds.slice %[[FULL]] starts = [0] ends = [12] steps = [1] : tensor<15xbf16> -> tensor<12xbf16>
// S1: %[[SHAPED:.*]] = ds.reshape %[[UNPAD]] : tensor<12xbf16> -> tensor<4x3xbf16>
// S1: ds.store_param %[[SHAPED]], @w : tensor<4x3xbf16>
// S1-NOT: ds.load_param @w.grad :
// S1-LABEL: func.func @zero_gradients
// S1: ds.store_param %{{.*}}, @w.grad : tensor<15xbf16>

// Stage 2: the bf16 accumulator is the shard; micro_step reduce-scatters the bf16 gradient.
// S2-DAG: ds.param @w.grad : tensor<3xbf16> init #ds.init<zeros> {{.*}}ds.shard
// S2-DAG: ds.param @w.master : tensor<3xf32> init #ds.init<normal{{.*}}ds.state = "master"
// S2-LABEL: func.func @micro_step
// S2: %[[DW:.*]] = ds.matmul {{.*}} transpose_lhs : (tensor<2x4xbf16>, tensor<2x3xbf16>) -> tensor<4x3xbf16>
// S2: %[[FLAT:.*]] = ds.reshape %[[DW]] : tensor<4x3xbf16> -> tensor<12xbf16>
// S2: %[[PAD:.*]] = ds.concat %[[FLAT]], %{{.*}} axis = 0 : (tensor<12xbf16>, tensor<3xbf16>) -> tensor<15xbf16>
// S2: %[[PIECE:.*]] = ds.reduce_scatter sum %[[PAD]] on @dp_mesh["dp"] dim = 0 : tensor<15xbf16> -> tensor<3xbf16>
// S2: %[[ACC:.*]] = ds.load_param @w.grad : tensor<3xbf16>
// S2: %[[SUM:.*]] = ds.add %[[ACC]], %[[PIECE]] : tensor<3xbf16>
// S2: ds.store_param %[[SUM]], @w.grad : tensor<3xbf16>
// S2-LABEL: func.func @reduce_gradients
// S2-NOT: ds.reduce_scatter
// S2: ds.cast %{{.*}} : tensor<3xbf16> to tensor<3xf32>
// S2-LABEL: func.func @apply_update
// S2: %[[M:.*]] = ds.load_param @w.master : tensor<3xf32>
// S2: %[[GS:.*]] = ds.load_param @w.grad : tensor<3xbf16>
// S2: %[[GS32:.*]] = ds.cast %[[GS]] : tensor<3xbf16> to tensor<3xf32>
// S2: %[[NEW:.*]], %{{.*}}, %{{.*}} = ds.adam_update %[[M]], %[[GS32]],
// S2: ds.cast %[[NEW]] : tensor<3xf32> to tensor<3xbf16>
// S2: ds.all_gather %{{.*}} on @dp_mesh["dp"] dim = 0 : tensor<3xbf16> -> tensor<15xbf16>
// S2: ds.store_param %{{.*}}, @w : tensor<4x3xbf16>

// Stage 3: the bf16 weight is a shard too (with the whole initializer, like the master's); the
// forward gathers it in bf16, and the update casts the new master shard into it, with no
// all_gather.
// S3-DAG: ds.param @w : tensor<3xbf16> init #ds.init<normal{{.*}}ds.shard = {axis = "dp", mesh = @dp_mesh, numel = 12 : i64, padded = 15 : i64, shape = array<i64: 4, 3>}
// S3-DAG: ds.param @w.master : tensor<3xf32> init #ds.init<normal{{.*}}ds.state = "master"
// S3-LABEL: func.func @micro_step
// S3: %[[S:.*]] = ds.load_param @w : tensor<3xbf16>
// S3: %[[G:.*]] = ds.all_gather %[[S]] on @dp_mesh["dp"] dim = 0 : tensor<3xbf16> -> tensor<15xbf16>
// S3: %[[U:.*]] = ds.slice %[[G]] starts = [0] ends = [12] steps = [1] : tensor<15xbf16> -> tensor<12xbf16>
// S3: %[[W:.*]] = ds.reshape %[[U]] : tensor<12xbf16> -> tensor<4x3xbf16>
// S3: ds.matmul %{{.*}}, %[[W]]
// S3: ds.reduce_scatter sum %{{.*}} : tensor<15xbf16> -> tensor<3xbf16>
// S3-LABEL: func.func @apply_update
// S3: %[[NEW:.*]], %{{.*}}, %{{.*}} = ds.adam_update
// S3: ds.store_param %[[NEW]], @w.master : tensor<3xf32>
// S3: %[[HALF:.*]] = ds.cast %[[NEW]] : tensor<3xf32> to tensor<3xbf16>
// S3: ds.store_param %[[HALF]], @w : tensor<3xbf16>
// S3-NOT: ds.all_gather
// S3-LABEL: func.func @zero_gradients

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

// A stored weight: the bf16 weight holds the rounded value, the master shard the whole exact
// fp32 value (each rank takes its piece when the plan runs).
// S1-LABEL: ds.param @v : tensor<2x2xbf16> = dense<{{\[\[}}1.000980e-01, 3.140630e+00], [1.000000e+00, -2.500000e+00]]>
// S1: ds.param @v.master : tensor<1xf32> = whole dense<{{\[\[}}1.000000e-01, 3.141590e+00], [1.000000e+00, -2.500000e+00]]> : tensor<2x2xf32> {{.*}}ds.state = "master"
ds.param @v : tensor<2x2xf32> = dense<[[0.1, 3.14159], [1.0, -2.5]]>
func.func @forward(%x: tensor<2x2xf32>) -> tensor<f32> {
  %v = ds.load_param @v : tensor<2x2xf32>
  %y = ds.mul %x, %v : tensor<2x2xf32>
  %l = ds.reduce_sum %y axes = [0, 1] : tensor<2x2xf32> -> tensor<f32>
  return %l : tensor<f32>
}
