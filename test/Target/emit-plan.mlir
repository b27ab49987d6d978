// RUN: ds-opt %s --ds-world-size=2 -o %t.dsplan
// RUN: ds-opt --ds-print-plan %t.dsplan | FileCheck %s

// A two-layer MLP over token embeddings, its second layer split over tp (row-parallel, as
// Megatron does): the partial logits are summed with an all_reduce before the loss.

// CHECK:      version {
// CHECK-NEXT:   major: 3
// CHECK-NEXT:   minor: 1
// CHECK-NEXT: }
// CHECK-NEXT: producer: "ds-opt"
// CHECK-NEXT: mesh {
// CHECK-NEXT:   axis_names: "tp"
// CHECK-NEXT:   axis_sizes: 2
// CHECK-NEXT: }

// Parameters come first (id 0 is not printed: proto3 leaves zeros out), then the arguments,
// then one buffer per op result in order.
// CHECK-NEXT: buffers {
// CHECK-NEXT:   dtype: F32
// CHECK-NEXT:   shape: 10
// CHECK-NEXT:   shape: 4
// CHECK-NEXT:   name: "@wte"
// CHECK-NEXT: }
// CHECK:        id: 1
// CHECK:        name: "@w1"
// CHECK:        id: 2
// CHECK:        name: "@b1"
// CHECK:        id: 3
// CHECK:        name: "@w2"
// CHECK:      buffers {
// CHECK-NEXT:   id: 4
// CHECK-NEXT:   dtype: I64
// CHECK-NEXT:   shape: 2
// CHECK-NEXT:   shape: 3
// CHECK-NEXT:   name: "%arg0"
// CHECK-NEXT: }
// CHECK:        id: 5
// CHECK:        name: "%arg1"
// CHECK:      buffers {
// CHECK-NEXT:   id: 6
// CHECK-NEXT:   dtype: F32
// CHECK-NEXT:   name: "scale"
// CHECK-NEXT: }
// CHECK:      buffers {
// CHECK-NEXT:   id: 7
// CHECK-NEXT:   dtype: F32
// CHECK-NEXT:   shape: 2
// CHECK-NEXT:   shape: 3
// CHECK-NEXT:   shape: 4
// CHECK-NEXT:   name: "%1"
// CHECK-NEXT:   arena_offset: 0
// CHECK-NEXT: }
// The constant 0.5f is 0x3F000000, little-endian.
// CHECK:        id: 13
// CHECK-NEXT:   dtype: F32
// CHECK-NEXT:   name: "%10"
// CHECK-NEXT:   initial_data: "\000\000\000?"
// CHECK-NEXT: }
// CHECK:        id: 16
// CHECK-NOT:  buffers {

// CHECK:      params {
// CHECK-NEXT:   name: "wte"
// CHECK-NEXT:   trainable: true
// CHECK-NEXT:   init {
// CHECK-NEXT:     distribution: NORMAL
// CHECK-NEXT:     b: 0.02
// CHECK-NEXT:     seed: 1
// CHECK-NEXT:   }
// CHECK-NEXT: }
// CHECK-NEXT: params {
// CHECK-NEXT:   name: "w1"
// CHECK-NEXT:   buffer: 1
// CHECK-NEXT:   trainable: true
// CHECK-NEXT:   init {
// CHECK-NEXT:     distribution: UNIFORM
// CHECK-NEXT:     a: -0.5
// CHECK-NEXT:     b: 0.5
// CHECK-NEXT:     seed: 2
// CHECK-NEXT:   }
// CHECK-NEXT: }
// A frozen parameter with a stored (splat) value: eight copies of 0.5f.
// CHECK-NEXT: params {
// CHECK-NEXT:   name: "b1"
// CHECK-NEXT:   buffer: 2
// CHECK-NEXT:   data: "\000\000\000?\000\000\000?\000\000\000?\000\000\000?\000\000\000?\000\000\000?\000\000\000?\000\000\000?"
// CHECK-NEXT: }
// CHECK-NEXT: params {
// CHECK-NEXT:   name: "w2"
// CHECK-NEXT:   buffer: 3
// CHECK-NEXT:   trainable: true
// CHECK-NEXT:   init {
// CHECK-NEXT:   }
// CHECK-NEXT: }

// The first integer argument takes the token window, the second the targets, others a file.
// CHECK-NEXT: inputs {
// CHECK-NEXT:   name: "input0"
// CHECK-NEXT:   buffer: 4
// CHECK-NEXT:   source: TOKENS
// CHECK-NEXT: }
// CHECK-NEXT: inputs {
// CHECK-NEXT:   name: "input1"
// CHECK-NEXT:   buffer: 5
// CHECK-NEXT:   source: TARGETS
// CHECK-NEXT: }
// CHECK-NEXT: inputs {
// CHECK-NEXT:   name: "scale"
// CHECK-NEXT:   buffer: 6
// CHECK-NEXT: }
// CHECK-NEXT: outputs {
// CHECK-NEXT:   name: "loss"
// CHECK-NEXT:   buffer: 16
// CHECK-NEXT: }

// Rank 0's program (rank: 0 is not printed). Instruction indices are in comments.
// CHECK-NEXT: programs {

ds.mesh @mesh(tp = 2)
ds.param @wte : tensor<10x4xf32> init #ds.init<normal, mean = 0.0, std = 0.02, seed = 1>
ds.param @w1 : tensor<4x8xf32> init #ds.init<uniform, low = -0.5, high = 0.5, seed = 2>
ds.param frozen @b1 : tensor<8xf32> = dense<0.5>
ds.param @w2 : tensor<8x10xf32> init #ds.init<zeros>

func.func @forward(%tokens: tensor<2x3xi64>, %targets: tensor<2x3xi64>,
                   %scale: tensor<f32> {ds.name = "scale"}) -> (tensor<f32> {ds.name = "loss"}) {
  // Loaded parameters read the parameter's buffer in place: no instruction.
  // CHECK-NOT:    op: "load_param"
  %wte = ds.load_param @wte : tensor<10x4xf32>
  // #0
  // CHECK:        op: "gather"
  // CHECK-NEXT:   operands: 0
  // CHECK-NEXT:   operands: 4
  // CHECK-NEXT:   results: 7
  // CHECK-NEXT:   attrs {
  // CHECK-NEXT:     key: "axis"
  // CHECK-NEXT:     value {
  // CHECK-NEXT:       i: 0
  // CHECK-NEXT:     }
  // CHECK-NEXT:   }
  // CHECK-NEXT:   loc: "{{.*}}emit-plan.mlir:[[# @LINE + 1]]:8"
  %e = ds.gather %wte[%tokens] axis = 0 : (tensor<10x4xf32>, tensor<2x3xi64>) -> tensor<2x3x4xf32>
  // #1: the tokens are dead after the gather (--ds-insert-releases runs before the emitter).
  // CHECK:        op: "free"
  // CHECK-NEXT:   operands: 4
  // CHECK-NEXT:   loc:
  %w1 = ds.load_param @w1 : tensor<4x8xf32>
  // #2, #3
  // CHECK:        op: "matmul"
  // CHECK-NEXT:   operands: 7
  // CHECK-NEXT:   operands: 1
  // CHECK-NEXT:   results: 8
  // CHECK:        op: "free"
  // CHECK-NEXT:   operands: 7
  %h = ds.matmul %e, %w1 : (tensor<2x3x4xf32>, tensor<4x8xf32>) -> tensor<2x3x8xf32>
  %b1 = ds.load_param @b1 : tensor<8xf32>
  // #4, #5
  // CHECK:        op: "add"
  // CHECK:        op: "free"
  // CHECK-NEXT:   operands: 8
  %hb = ds.add %h, %b1 : (tensor<2x3x8xf32>, tensor<8xf32>) -> tensor<2x3x8xf32>
  // #6, #7: enums go by their keyword.
  // CHECK:        op: "gelu"
  // CHECK:          key: "approximate"
  // CHECK-NEXT:     value {
  // CHECK-NEXT:       s: "tanh"
  // CHECK:        op: "free"
  %a = ds.gelu %hb approximate = tanh : tensor<2x3x8xf32>
  %w2 = ds.load_param @w2 : tensor<8x10xf32>
  // #8, #9
  // CHECK:        op: "matmul"
  // CHECK-NEXT:   operands: 10
  // CHECK-NEXT:   operands: 3
  // CHECK-NEXT:   results: 11
  // CHECK-NEXT:   loc:
  // CHECK:        op: "free"
  // CHECK-NEXT:   operands: 10
  // CHECK-NEXT:   loc:
  %partial = ds.matmul %a, %w2 : (tensor<2x3x8xf32>, tensor<8x10xf32>) -> tensor<2x3x10xf32>
  // #10: on the comm stream, after the matmul that computes its input.
  // CHECK:        op: "all_reduce"
  // CHECK-NEXT:   operands: 11
  // CHECK-NEXT:   results: 12
  // CHECK-NEXT:   attrs {
  // CHECK-NEXT:     key: "axis"
  // CHECK-NEXT:     value {
  // CHECK-NEXT:       s: "tp"
  // CHECK-NEXT:     }
  // CHECK-NEXT:   }
  // CHECK-NEXT:   attrs {
  // CHECK-NEXT:     key: "kind"
  // CHECK-NEXT:     value {
  // CHECK-NEXT:       s: "sum"
  // CHECK-NEXT:     }
  // CHECK-NEXT:   }
  // CHECK-NEXT:   attrs {
  // CHECK-NEXT:     key: "mesh"
  // CHECK-NEXT:     value {
  // CHECK-NEXT:       s: "mesh"
  // CHECK-NEXT:     }
  // CHECK-NEXT:   }
  // CHECK-NEXT:   stream: COMM
  // CHECK-NEXT:   waits: 8
  // CHECK-NEXT:   loc:
  // #11: its input is freed behind it on the comm stream, so compute does not stall.
  // CHECK:        op: "free"
  // CHECK-NEXT:   operands: 11
  // CHECK-NEXT:   stream: COMM
  // CHECK-NEXT:   loc:
  %logits = ds.all_reduce sum %partial on @mesh["tp"] : tensor<2x3x10xf32>
  // #12: a constant's instruction refills its buffer from initial_data.
  // CHECK:        op: "constant"
  // CHECK-NEXT:   results: 13
  // CHECK-NEXT:   loc:
  %half = ds.constant dense<0.5> : tensor<f32>
  // #13: the first use of the all_reduce's result waits for it.
  // CHECK:        op: "mul"
  // CHECK-NEXT:   operands: 12
  // CHECK-NEXT:   operands: 13
  // CHECK-NEXT:   results: 14
  // CHECK-NEXT:   waits: 10
  // CHECK-NEXT:   loc:
  // CHECK:        op: "free"
  // CHECK-NEXT:   operands: 12
  // CHECK-NEXT:   loc:
  // CHECK:        op: "free"
  // CHECK-NEXT:   operands: 13
  // CHECK-NEXT:   loc:
  %scaled = ds.mul %logits, %half : (tensor<2x3x10xf32>, tensor<f32>) -> tensor<2x3x10xf32>
  // CHECK:        op: "cross_entropy"
  // CHECK-NEXT:   operands: 14
  // CHECK-NEXT:   operands: 5
  // CHECK-NEXT:   results: 15
  // CHECK:          key: "ignore_index"
  // CHECK-NEXT:     value {
  // CHECK-NEXT:       i: -100
  // CHECK:          key: "reduction"
  // CHECK-NEXT:     value {
  // CHECK-NEXT:       s: "mean"
  // CHECK:        op: "free"
  // CHECK-NEXT:   operands: 5
  // CHECK:        op: "free"
  // CHECK-NEXT:   operands: 14
  %loss = ds.cross_entropy %scaled, %targets reduction = mean ignore_index = -100
            : (tensor<2x3x10xf32>, tensor<2x3xi64>) -> tensor<f32>
  // The returned value is not freed; everything else is.
  // CHECK:        op: "mul"
  // CHECK-NEXT:   operands: 15
  // CHECK-NEXT:   operands: 6
  // CHECK-NEXT:   results: 16
  // CHECK:        op: "free"
  // CHECK-NEXT:   operands: 6
  // CHECK:        op: "free"
  // CHECK-NEXT:   operands: 15
  // CHECK-NOT:    op:
  // CHECK:      {{^}}}{{$}}
  %out = ds.mul %loss, %scale : tensor<f32>
  return %out : tensor<f32>
}

// SPMD: rank 1 runs the same list.
// CHECK-NEXT: programs {
// CHECK-NEXT:   rank: 1
// CHECK-NEXT:   instructions {
// CHECK-NEXT:     op: "gather"
// CHECK-NOT:  rank: 2
