// RUN: ds-opt %s --ds-world-size=2 -o %t.dsplan
// RUN: ds-opt --ds-print-plan %t.dsplan | FileCheck %s

// A ZeRO shard reaches the plan as its piece's buffer (S elements) with Param.shard naming the
// mesh axis and the whole tensor's shape; its data or initializer is the whole tensor's, as the
// runtime takes its piece from it. A whole param has no shard.

ds.mesh @mesh(dp = 2)
ds.param @v : tensor<3xf32> = whole dense<[1.0, 2.0, 3.0, 4.0, 5.0]> : tensor<5xf32>
    {ds.shard = {axis = "dp", mesh = @mesh, numel = 5 : i64, padded = 6 : i64, shape = array<i64: 5>}}
ds.param @w : tensor<3xbf16> init #ds.init<normal, mean = 0.0, std = 0.02, seed = 7>
    {ds.shard = {axis = "dp", mesh = @mesh, numel = 6 : i64, padded = 6 : i64, shape = array<i64: 2, 3>}}
ds.param @u : tensor<2xf32> init #ds.init<ones>

func.func @forward() -> tensor<6xf32> {
  %v = ds.load_param @v : tensor<3xf32>
  %g = ds.all_gather %v on @mesh["dp"] dim = 0 : tensor<3xf32> -> tensor<6xf32>
  return %g : tensor<6xf32>
}

// CHECK:      buffers {
// CHECK-NEXT:   dtype: F32
// CHECK-NEXT:   shape: 3
// CHECK-NEXT:   name: "@v"
// CHECK:      buffers {
// CHECK-NEXT:   id: 1
// CHECK-NEXT:   dtype: BF16
// CHECK-NEXT:   shape: 3
// CHECK-NEXT:   name: "@w"

// Five f32 values (1, 2, 3, 4, 5), not the three of the piece.
// CHECK:      params {
// CHECK-NEXT:   name: "v"
// CHECK-NEXT:   trainable: true
// CHECK-NEXT:   data: "\000\000\200?\000\000\000@\000\000@@\000\000\200@\000\000\240@"
// CHECK-NEXT:   shard {
// CHECK-NEXT:     axis: "dp"
// CHECK-NEXT:     whole_shape: 5
// CHECK-NEXT:   }
// CHECK-NEXT: }
// CHECK-NEXT: params {
// CHECK-NEXT:   name: "w"
// CHECK-NEXT:   buffer: 1
// CHECK-NEXT:   trainable: true
// CHECK-NEXT:   init {
// CHECK-NEXT:     distribution: NORMAL
// CHECK-NEXT:     b: 0.02
// CHECK-NEXT:     seed: 7
// CHECK-NEXT:   }
// CHECK-NEXT:   shard {
// CHECK-NEXT:     axis: "dp"
// CHECK-NEXT:     whole_shape: 2
// CHECK-NEXT:     whole_shape: 3
// CHECK-NEXT:   }
// CHECK-NEXT: }
// CHECK-NEXT: params {
// CHECK-NEXT:   name: "u"
// CHECK-NEXT:   buffer: 2
// CHECK-NEXT:   trainable: true
// CHECK-NEXT:   init {
// CHECK-NEXT:     distribution: ONES
// CHECK-NEXT:   }
// CHECK-NEXT: }
