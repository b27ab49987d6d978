// Every ds op prints and parses back to the same IR, in the textual and the bytecode form.
// RUN: ds-opt %s | ds-opt | FileCheck %s
// RUN: ds-opt %s --emit-bytecode | ds-opt | FileCheck %s
// RUN: ds-opt %s --mlir-print-op-generic | ds-opt | FileCheck %s

// CHECK: ds.mesh @mesh(dp = 2, tp = 2)
ds.mesh @mesh(dp = 2, tp = 2)
// CHECK: ds.param @wte : tensor<10x4xf32> = dense<1.000000e+00>
ds.param @wte : tensor<10x4xf32> = dense<1.0>
// CHECK: ds.param frozen @pos : tensor<8x4xf32> init #ds.init<zeros>
ds.param frozen @pos : tensor<8x4xf32> init #ds.init<zeros>
// CHECK: ds.param @w : tensor<4x4xbf16> init #ds.init<normal, mean = 0.000000e+00, std = 2.000000e-02, seed = 7>
ds.param @w : tensor<4x4xbf16> init #ds.init<normal, mean = 0.0, std = 0.02, seed = 7>
// CHECK: ds.param @u : tensor<4xf32> init #ds.init<uniform, low = -1.000000e-01, high = 1.000000e-01, seed = 3>
ds.param @u : tensor<4xf32> init #ds.init<uniform, low = -0.1, high = 0.1, seed = 3>
// CHECK: ds.param @shape_only : tensor<4096x4096xbf16>{{$}}
ds.param @shape_only : tensor<4096x4096xbf16>
// A shard's value is the whole tensor's, written with its own type.
// CHECK: ds.param @m_shard : tensor<2xf32> = whole dense<[1.000000e+00, 2.000000e+00, 3.000000e+00]> : tensor<3xf32> {ds.shard = {axis = "dp", mesh = @mesh, numel = 3 : i64, padded = 4 : i64, shape = array<i64: 3>}}
ds.param @m_shard : tensor<2xf32> = whole dense<[1.0, 2.0, 3.0]> : tensor<3xf32> {ds.shard = {axis = "dp", mesh = @mesh, numel = 3 : i64, padded = 4 : i64, shape = array<i64: 3>}}
// CHECK: ds.param @w_shard : tensor<3xbf16> init #ds.init<normal, mean = 0.000000e+00, std = 2.000000e-02, seed = 7> {ds.shard = {axis = "dp", mesh = @mesh, numel = 6 : i64, padded = 6 : i64, shape = array<i64: 2, 3>}}
ds.param @w_shard : tensor<3xbf16> init #ds.init<normal, mean = 0.0, std = 0.02, seed = 7> {ds.shard = {axis = "dp", mesh = @mesh, numel = 6 : i64, padded = 6 : i64, shape = array<i64: 2, 3>}}

// CHECK-LABEL: func.func @elementwise
func.func @elementwise(%a: tensor<2x4xf32>, %b: tensor<4xf32>, %i: tensor<2x4xi64>) -> tensor<2x4xf32> {
  // CHECK: %[[C:.*]] = ds.constant dense<2.000000e+00> : tensor<4xf32>
  %c = ds.constant dense<2.0> : tensor<4xf32>
  // CHECK: ds.add %{{.*}}, %{{.*}} : (tensor<2x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  %0 = ds.add %a, %b : (tensor<2x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  // CHECK: ds.sub %{{.*}}, %{{.*}} : tensor<2x4xf32>
  %1 = ds.sub %0, %a : tensor<2x4xf32>
  // CHECK: ds.mul {{.*}} : (tensor<2x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  %2 = ds.mul %1, %c : (tensor<2x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  // CHECK: ds.div
  %3 = ds.div %2, %a : tensor<2x4xf32>
  // CHECK: ds.pow
  %4 = ds.pow %3, %a : tensor<2x4xf32>
  // CHECK: ds.max
  %5 = ds.max %4, %a : tensor<2x4xf32>
  // CHECK: ds.min
  %6 = ds.min %5, %a : tensor<2x4xf32>
  // CHECK: ds.add %{{.*}}, %{{.*}} : tensor<2x4xi64>
  %ii = ds.add %i, %i : tensor<2x4xi64>
  // CHECK: %[[M:.*]] = ds.compare lt, %{{.*}}, %{{.*}} : (tensor<2x4xf32>, tensor<4xf32>) -> tensor<2x4xi1>
  %m = ds.compare lt, %6, %b : (tensor<2x4xf32>, tensor<4xf32>) -> tensor<2x4xi1>
  // CHECK: ds.select %[[M]], %{{.*}}, %{{.*}} : (tensor<2x4xi1>, tensor<2x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  %7 = ds.select %m, %6, %b : (tensor<2x4xi1>, tensor<2x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  // CHECK: ds.neg %{{.*}} : tensor<2x4xf32>
  %8 = ds.neg %7 : tensor<2x4xf32>
  // CHECK: ds.abs
  %9 = ds.abs %8 : tensor<2x4xf32>
  // CHECK: ds.exp
  %10 = ds.exp %9 : tensor<2x4xf32>
  // CHECK: ds.log
  %11 = ds.log %10 : tensor<2x4xf32>
  // CHECK: ds.tanh
  %12 = ds.tanh %11 : tensor<2x4xf32>
  // CHECK: ds.erf
  %13 = ds.erf %12 : tensor<2x4xf32>
  // CHECK: ds.sqrt
  %14 = ds.sqrt %13 : tensor<2x4xf32>
  // CHECK: ds.rsqrt
  %15 = ds.rsqrt %14 : tensor<2x4xf32>
  // CHECK: ds.reciprocal
  %16 = ds.reciprocal %15 : tensor<2x4xf32>
  // CHECK: ds.relu
  %17 = ds.relu %16 : tensor<2x4xf32>
  // CHECK: ds.sigmoid
  %18 = ds.sigmoid %17 : tensor<2x4xf32>
  // CHECK: ds.silu
  %19 = ds.silu %18 : tensor<2x4xf32>
  // CHECK: ds.gelu %{{.*}} approximate = none : tensor<2x4xf32>
  %20 = ds.gelu %19 approximate = none : tensor<2x4xf32>
  // CHECK: ds.gelu %{{.*}} approximate = tanh : tensor<2x4xf32>
  %21 = ds.gelu %20 approximate = tanh : tensor<2x4xf32>
  // CHECK: ds.dropout %{{.*}} ratio = 1.000000e-01 seed = 42 : tensor<2x4xf32>
  %22 = ds.dropout %21 ratio = 0.1 seed = 42 : tensor<2x4xf32>
  // CHECK: ds.cast %{{.*}} : tensor<2x4xf32> to tensor<2x4xbf16>
  %23 = ds.cast %22 : tensor<2x4xf32> to tensor<2x4xbf16>
  // CHECK: ds.cast %{{.*}} : tensor<2x4xbf16> to tensor<2x4xf32>
  %24 = ds.cast %23 : tensor<2x4xbf16> to tensor<2x4xf32>
  return %24 : tensor<2x4xf32>
}

// CHECK-LABEL: func.func @contractions
func.func @contractions(%x: tensor<2x3x8xf32>, %w: tensor<16x8xf32>, %g: tensor<16xf32>,
                        %t: tensor<2x3xi64>, %s: tensor<2x4x3x3xf32>) -> tensor<f32> {
  // CHECK: ds.matmul %{{.*}}, %{{.*}} transpose_rhs : (tensor<2x3x8xf32>, tensor<16x8xf32>) -> tensor<2x3x16xf32>
  %0 = ds.matmul %x, %w transpose_rhs : (tensor<2x3x8xf32>, tensor<16x8xf32>) -> tensor<2x3x16xf32>
  // CHECK: ds.matmul %{{.*}}, %{{.*}} transpose_lhs : (tensor<16x8xf32>, tensor<16x8xf32>) -> tensor<8x8xf32>
  %1 = ds.matmul %w, %w transpose_lhs : (tensor<16x8xf32>, tensor<16x8xf32>) -> tensor<8x8xf32>
  // CHECK: ds.layer_norm %{{.*}} weight %{{.*}} bias %{{.*}} axis = -1 epsilon = 1.000000e-05 : (tensor<2x3x16xf32>, tensor<16xf32>, tensor<16xf32>) -> tensor<2x3x16xf32>
  %2 = ds.layer_norm %0 weight %g bias %g axis = -1 epsilon = 1.0e-5 : (tensor<2x3x16xf32>, tensor<16xf32>, tensor<16xf32>) -> tensor<2x3x16xf32>
  // CHECK: ds.layer_norm %{{.*}} axis = 2 epsilon = 1.000000e-05 : (tensor<2x3x16xf32>) -> tensor<2x3x16xf32>
  %3 = ds.layer_norm %2 axis = 2 epsilon = 1.0e-5 : (tensor<2x3x16xf32>) -> tensor<2x3x16xf32>
  // CHECK: ds.rms_norm %{{.*}} weight %{{.*}} axis = -1 epsilon = 9.9999999999999995E-7 : (tensor<2x3x16xf32>, tensor<16xf32>) -> tensor<2x3x16xf32>
  %4 = ds.rms_norm %3 weight %g axis = -1 epsilon = 1.0e-6 : (tensor<2x3x16xf32>, tensor<16xf32>) -> tensor<2x3x16xf32>
  // CHECK: ds.softmax %{{.*}} axis = -1 causal : tensor<2x4x3x3xf32>
  %5 = ds.softmax %s axis = -1 causal : tensor<2x4x3x3xf32>
  // CHECK: ds.softmax %{{.*}} axis = 1 : tensor<2x4x3x3xf32>
  %6 = ds.softmax %5 axis = 1 : tensor<2x4x3x3xf32>
  // CHECK: ds.log_softmax %{{.*}} axis = -1 : tensor<2x3x16xf32>
  %7 = ds.log_softmax %4 axis = -1 : tensor<2x3x16xf32>
  // CHECK: ds.causal_mask %{{.*}} fill = -1.000000e+09 : tensor<2x4x3x3xf32>
  %8 = ds.causal_mask %6 fill = -1.0e9 : tensor<2x4x3x3xf32>
  // CHECK: ds.cross_entropy %{{.*}}, %{{.*}} reduction = none ignore_index = -100 : (tensor<2x3x16xf32>, tensor<2x3xi64>) -> tensor<2x3xf32>
  %9 = ds.cross_entropy %7, %t reduction = none ignore_index = -100 : (tensor<2x3x16xf32>, tensor<2x3xi64>) -> tensor<2x3xf32>
  // CHECK: ds.cross_entropy %{{.*}}, %{{.*}} reduction = mean ignore_index = 0 : (tensor<2x3x16xf32>, tensor<2x3xi64>) -> tensor<f32>
  %10 = ds.cross_entropy %7, %t reduction = mean ignore_index = 0 : (tensor<2x3x16xf32>, tensor<2x3xi64>) -> tensor<f32>
  return %10 : tensor<f32>
}

// CHECK-LABEL: func.func @reductions_and_shapes
func.func @reductions_and_shapes(%x: tensor<2x3x4xf32>, %i: tensor<5xi32>) -> tensor<5x3x4xf32> {
  // CHECK: ds.reduce_sum %{{.*}} axes = [0, 2] : tensor<2x3x4xf32> -> tensor<3xf32>
  %0 = ds.reduce_sum %x axes = [0, 2] : tensor<2x3x4xf32> -> tensor<3xf32>
  // CHECK: ds.reduce_mean %{{.*}} axes = [-1] keepdim : tensor<2x3x4xf32> -> tensor<2x3x1xf32>
  %1 = ds.reduce_mean %x axes = [-1] keepdim : tensor<2x3x4xf32> -> tensor<2x3x1xf32>
  // CHECK: ds.reduce_max %{{.*}} axes = [1] : tensor<2x3x4xf32> -> tensor<2x4xf32>
  %2 = ds.reduce_max %x axes = [1] : tensor<2x3x4xf32> -> tensor<2x4xf32>
  // CHECK: ds.reshape %{{.*}} : tensor<2x3x4xf32> -> tensor<6x4xf32>
  %3 = ds.reshape %x : tensor<2x3x4xf32> -> tensor<6x4xf32>
  // CHECK: ds.transpose %{{.*}} perm = [1, 0] : tensor<6x4xf32> -> tensor<4x6xf32>
  %4 = ds.transpose %3 perm = [1, 0] : tensor<6x4xf32> -> tensor<4x6xf32>
  // CHECK: ds.expand %{{.*}} : tensor<2x3x1xf32> -> tensor<2x3x4xf32>
  %5 = ds.expand %1 : tensor<2x3x1xf32> -> tensor<2x3x4xf32>
  // CHECK: ds.slice %{{.*}} starts = [0, 1, 0] ends = [2, 3, 4] steps = [1, 1, 2] : tensor<2x3x4xf32> -> tensor<2x2x2xf32>
  %6 = ds.slice %5 starts = [0, 1, 0] ends = [2, 3, 4] steps = [1, 1, 2] : tensor<2x3x4xf32> -> tensor<2x2x2xf32>
  // CHECK: ds.concat %{{.*}}, %{{.*}} axis = 0 : (tensor<2x3x4xf32>, tensor<2x3x4xf32>) -> tensor<4x3x4xf32>
  %7 = ds.concat %x, %5 axis = 0 : (tensor<2x3x4xf32>, tensor<2x3x4xf32>) -> tensor<4x3x4xf32>
  // CHECK: ds.split %{{.*}} axis = 0 : tensor<4x3x4xf32> -> tensor<1x3x4xf32>, tensor<3x3x4xf32>
  %8:2 = ds.split %7 axis = 0 : tensor<4x3x4xf32> -> tensor<1x3x4xf32>, tensor<3x3x4xf32>
  // CHECK: ds.gather %{{.*}}[%{{.*}}] axis = 0 : (tensor<4x3x4xf32>, tensor<5xi32>) -> tensor<5x3x4xf32>
  %9 = ds.gather %7[%i] axis = 0 : (tensor<4x3x4xf32>, tensor<5xi32>) -> tensor<5x3x4xf32>
  return %9 : tensor<5x3x4xf32>
}

// CHECK-LABEL: func.func @state
func.func @state() {
  // CHECK: %[[W:.*]] = ds.load_param @wte : tensor<10x4xf32>
  %w = ds.load_param @wte : tensor<10x4xf32>
  // CHECK: ds.store_param %[[W]], @wte : tensor<10x4xf32>
  ds.store_param %w, @wte : tensor<10x4xf32>
  // A flat range of a parameter: elements [36, 40).
  // CHECK: ds.store_param %{{.*}}, @wte at 36 : tensor<4xf32>
  %row = ds.slice %w starts = [9, 0] ends = [10, 4] steps = [1, 1] : tensor<10x4xf32> -> tensor<1x4xf32>
  %flat = ds.reshape %row : tensor<1x4xf32> -> tensor<4xf32>
  ds.store_param %flat, @wte at 36 : tensor<4xf32>
  return
}

// CHECK-LABEL: func.func @collectives
func.func @collectives(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // CHECK: ds.all_gather %{{.*}} on @mesh["dp"] dim = 0 : tensor<4x8xf32> -> tensor<8x8xf32>
  %0 = ds.all_gather %x on @mesh["dp"] dim = 0 : tensor<4x8xf32> -> tensor<8x8xf32>
  // CHECK: ds.reduce_scatter sum %{{.*}} on @mesh["dp"] dim = 0 : tensor<8x8xf32> -> tensor<4x8xf32>
  %1 = ds.reduce_scatter sum %0 on @mesh["dp"] dim = 0 : tensor<8x8xf32> -> tensor<4x8xf32>
  // CHECK: ds.shard_slice %{{.*}} on @mesh["dp"] dim = 1 : tensor<4x8xf32> -> tensor<4x4xf32>
  %shard = ds.shard_slice %1 on @mesh["dp"] dim = 1 : tensor<4x8xf32> -> tensor<4x4xf32>
  // CHECK: ds.all_reduce avg %{{.*}} on @mesh["tp"] : tensor<4x8xf32>
  %2 = ds.all_reduce avg %1 on @mesh["tp"] : tensor<4x8xf32>
  // CHECK: ds.all_reduce max %{{.*}} on @mesh["tp"] : tensor<4x8xf32>
  %3 = ds.all_reduce max %2 on @mesh["tp"] : tensor<4x8xf32>
  // CHECK: ds.all_to_all %{{.*}} on @mesh["dp"] split_dim = 0 concat_dim = 1 : tensor<4x8xf32> -> tensor<2x16xf32>
  %4 = ds.all_to_all %3 on @mesh["dp"] split_dim = 0 concat_dim = 1 : tensor<4x8xf32> -> tensor<2x16xf32>
  // CHECK: ds.broadcast %{{.*}} on @mesh["tp"] root = 1 : tensor<4x8xf32>
  %5 = ds.broadcast %3 on @mesh["tp"] root = 1 : tensor<4x8xf32>
  // CHECK: ds.send %{{.*}} on @mesh["dp"] shift = 1 tag = 3 : tensor<2x16xf32>
  ds.send %4 on @mesh["dp"] shift = 1 tag = 3 : tensor<2x16xf32>
  // CHECK: ds.recv on @mesh["dp"] shift = 1 tag = 3 : tensor<4x8xf32>
  %6 = ds.recv on @mesh["dp"] shift = 1 tag = 3 : tensor<4x8xf32>
  %7 = ds.add %5, %6 : tensor<4x8xf32>
  return %7 : tensor<4x8xf32>
}

// CHECK-LABEL: func.func @lifetimes
func.func @lifetimes(%x: tensor<4xf32>) -> tensor<4xf32> {
  // CHECK: %[[Y:.*]] = ds.exp
  %y = ds.exp %x : tensor<4xf32>
  // CHECK: ds.release %[[Y]] : tensor<4xf32>
  %z = ds.tanh %y : tensor<4xf32>
  ds.release %y : tensor<4xf32>
  return %z : tensor<4xf32>
}
