// How values, attributes, names and stream order come out in the plan, beside
// emit-plan.mlir's end-to-end MLP.
// RUN: rm -rf %t && split-file %s %t

// Constants and parameter values: raw little-endian bytes, i1 one byte each; a splat constant
// is one element with `splat: true` (the runtime fills it), a splat parameter value is expanded.
// RUN: ds-opt %t/data.mlir -o %t/data.dsplan
// RUN: ds-opt --ds-print-plan %t/data.dsplan | FileCheck %s --check-prefix=DATA
// Without a ds.mesh the plan gets a data-parallel mesh over the world.
// DATA:      mesh {
// DATA-NEXT:   axis_names: "dp"
// DATA-NEXT:   axis_sizes: 1
// DATA-NEXT: }
// DATA:        name: "%0"
// DATA-NEXT:   initial_data: "\001\000\000\000\000\001\000\000\377\377\377\377"
// DATA:        dtype: BOOL
// DATA-NEXT:   shape: 4
// DATA-NEXT:   name: "%1"
// DATA-NEXT:   initial_data: "\001\000\000\001"
// DATA:        dtype: BOOL
// DATA-NEXT:   shape: 3
// DATA-NEXT:   name: "%2"
// DATA-NEXT:   initial_data: "\001"
// DATA-NEXT:   splat: true
// DATA:        dtype: F16
// DATA-NEXT:   shape: 2
// DATA-NEXT:   name: "%3"
// DATA-NEXT:   initial_data: "\000<\0008"
// DATA:        dtype: I8
// DATA-NEXT:   shape: 2
// DATA-NEXT:   name: "%4"
// DATA-NEXT:   initial_data: "\377\002"
// bf16 1.0 and -2.0 are 0x3F80 and 0xC000.
// DATA:      params {
// DATA-NEXT:   name: "half"
// DATA-NEXT:   data: "\200?\000\300"
// DATA-NEXT: }
// DATA-NEXT: params {
// DATA-NEXT:   name: "ids"
// DATA-NEXT:   buffer: 1
// DATA-NEXT:   trainable: true
// DATA-NEXT:   data: "\007\000\000\000\000\000\000\000\007\000\000\000\000\000\000\000\007\000\000\000\000\000\000\000"
// DATA-NEXT: }
// A dense_resource blob is 4 bytes of alignment, then the data.
// DATA-NEXT: params {
// DATA-NEXT:   name: "blob"
// DATA-NEXT:   buffer: 2
// DATA-NEXT:   trainable: true
// DATA-NEXT:   data: "\003\000\000\000\005\000\000\000"
// DATA-NEXT: }
// DATA:      outputs {
// DATA-NEXT:   name: "output0"
// DATA-NEXT:   buffer: 3
// DATA-NEXT: }
// DATA:        op: "constant"
// DATA-NEXT:   results: 3

// Attributes, names, the choice of step function and the inputs' sources.
// RUN: ds-opt %t/attrs.mlir --ds-world-size=2 -o %t/attrs.dsplan
// RUN: ds-opt --ds-print-plan %t/attrs.dsplan | FileCheck %s --check-prefix=ATTRS
// Buffers take their names from name locations, with #i for one of several results.
// ATTRS:        id: 5
// ATTRS-NEXT:   dtype: F32
// ATTRS-NEXT:   shape: 2
// ATTRS-NEXT:   shape: 16
// ATTRS-NEXT:   name: "proj"
// ATTRS:        name: "halves#0"
// ATTRS:        name: "halves#1"
// train_step wins over forward; an i1 argument is not a token input.
// ATTRS:      inputs {
// ATTRS-NEXT:   name: "input0"
// ATTRS-NEXT:   buffer: 1
// ATTRS-NEXT: }
// ATTRS-NEXT: inputs {
// ATTRS-NEXT:   name: "input1"
// ATTRS-NEXT:   buffer: 2
// ATTRS-NEXT: }
// ATTRS-NEXT: inputs {
// ATTRS-NEXT:   name: "ids"
// ATTRS-NEXT:   buffer: 3
// ATTRS-NEXT:   source: TOKENS
// ATTRS-NEXT: }
// ATTRS-NEXT: outputs {
// ATTRS-NEXT:   name: "output0"
// ATTRS:        op: "all_gather"
// ATTRS:          key: "dim"
// ATTRS-NEXT:     value {
// ATTRS-NEXT:       i: 0
// ATTRS:          key: "mesh"
// ATTRS-NEXT:     value {
// ATTRS-NEXT:       s: "mesh"
// ATTRS:        stream: COMM
// Unit attributes are i = 1; unset ones are left out.
// ATTRS:        op: "matmul"
// ATTRS-NEXT:   operands: 1
// ATTRS-NEXT:   operands: 4
// ATTRS-NEXT:   results: 5
// ATTRS-NEXT:   attrs {
// ATTRS-NEXT:     key: "transpose_rhs"
// ATTRS-NEXT:     value {
// ATTRS-NEXT:       i: 1
// ATTRS-NEXT:     }
// ATTRS-NEXT:   }
// ATTRS-NEXT:   waits: 2
// ATTRS:        op: "transpose"
// ATTRS:          key: "perm"
// ATTRS-NEXT:     value {
// ATTRS-NEXT:       ints {
// ATTRS-NEXT:         values: 1
// ATTRS-NEXT:         values: 0
// ATTRS:        op: "split"
// ATTRS-NEXT:   operands: 6
// ATTRS-NEXT:   results: 7
// ATTRS-NEXT:   results: 8
// The layer_norm has a bias and no weight: operandSegmentSizes says which.
// ATTRS:        op: "layer_norm"
// ATTRS-NEXT:   operands: 1
// ATTRS-NEXT:   operands: 9
// ATTRS:          key: "epsilon"
// ATTRS-NEXT:     value {
// ATTRS-NEXT:       f: 1e-05
// ATTRS:          key: "operandSegmentSizes"
// ATTRS-NEXT:     value {
// ATTRS-NEXT:       ints {
// ATTRS-NEXT:         values: 1
// ATTRS-NEXT:         values: 0
// ATTRS-NEXT:         values: 1
// ATTRS:        op: "reduce_sum"
// ATTRS:          key: "keepdim"
// ATTRS-NEXT:     value {
// ATTRS-NEXT:       i: 1
// ATTRS:        op: "dropout"
// ATTRS:          key: "ratio"
// ATTRS-NEXT:     value {
// ATTRS-NEXT:       f: 0.25
// ATTRS:        op: "compare"
// ATTRS:          key: "predicate"
// ATTRS-NEXT:     value {
// ATTRS-NEXT:       s: "lt"
// A store writes the parameter's buffer from its operand.
// ATTRS:        op: "store_param"
// ATTRS-NEXT:   operands: 15
// ATTRS-NEXT:   results: 0
// ATTRS-NEXT:   attrs {
// ATTRS-NEXT:     key: "param"
// ATTRS-NEXT:     value {
// ATTRS-NEXT:       s: "w"

// Stream order around the comm stream.
// RUN: ds-opt %t/streams.mlir --ds-world-size=2 -o %t/streams.dsplan
// RUN: ds-opt --ds-print-plan %t/streams.dsplan | FileCheck %s --check-prefix=STREAMS
// STREAMS:      op: "send"
// STREAMS-NEXT: operands: 0
// STREAMS:      stream: COMM
// STREAMS:      op: "recv"
// STREAMS:      stream: COMM
// An unused collective result is freed behind the collective.
// STREAMS:      op: "free"
// STREAMS-NEXT: operands: 2
// STREAMS-NEXT: stream: COMM
// STREAMS:      op: "add"
// STREAMS-NOT:  waits
// Overwriting the parameter waits until the send has read it.
// STREAMS:      op: "store_param"
// STREAMS-NEXT: operands: 3
// STREAMS:      waits: 0
// STREAMS:      op: "mul"
// STREAMS-NOT:  waits
// STREAMS:      rank: 1

// A shard_slice is local: it runs on the compute stream with its mesh axis and dim, and the
// runtime picks the rank's piece.
// RUN: ds-opt %t/shard.mlir --ds-world-size=2 -o %t/shard.dsplan
// RUN: ds-opt --ds-print-plan %t/shard.dsplan | FileCheck %s --check-prefix=SHARD
// SHARD:        op: "shard_slice"
// SHARD-NEXT:   operands: 0
// SHARD-NEXT:   results: 1
// SHARD:          key: "axis"
// SHARD-NEXT:     value {
// SHARD-NEXT:       s: "dp"
// SHARD:          key: "dim"
// SHARD-NEXT:     value {
// SHARD-NEXT:       i: 0
// SHARD:          key: "mesh"
// SHARD-NEXT:     value {
// SHARD-NEXT:       s: "mesh"
// SHARD-NOT:    stream: COMM
// SHARD:        rank: 1

//--- data.mlir
ds.param frozen @half : tensor<2xbf16> = dense<[1.0, -2.0]>
ds.param @ids : tensor<3xi64> = dense<7>
ds.param @blob : tensor<2xi32> = dense_resource<weights>
func.func @forward() -> (tensor<3xi32>, tensor<4xi1>, tensor<3xi1>, tensor<2xf16>, tensor<2xi8>) {
  %a = ds.constant dense<[1, 256, -1]> : tensor<3xi32>
  %b = ds.constant dense<[true, false, false, true]> : tensor<4xi1>
  %c = ds.constant dense<true> : tensor<3xi1>
  %d = ds.constant dense<[1.0, 0.5]> : tensor<2xf16>
  %e = ds.constant dense<[-1, 2]> : tensor<2xi8>
  return %a, %b, %c, %d, %e : tensor<3xi32>, tensor<4xi1>, tensor<3xi1>, tensor<2xf16>, tensor<2xi8>
}
{-#
  dialect_resources: {
    builtin: {
      weights: "0x040000000300000005000000"
    }
  }
#-}

//--- attrs.mlir
ds.mesh @mesh(dp = 2)
ds.param @w : tensor<8x4xf32> init #ds.init<ones>

func.func private @helper(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}
func.func @forward(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}

func.func @train_step(%x: tensor<2x4xf32>, %mask: tensor<2x4xi1>, %ids: tensor<2xi32> {ds.name = "ids"}) -> tensor<2x4xf32> {
  %w = ds.load_param @w : tensor<8x4xf32>
  %full = ds.all_gather %w on @mesh["dp"] dim = 0 : tensor<8x4xf32> -> tensor<16x4xf32>
  %y = ds.matmul %x, %full transpose_rhs : (tensor<2x4xf32>, tensor<16x4xf32>) -> tensor<2x16xf32> loc("proj")
  %t = ds.transpose %y perm = [1, 0] : tensor<2x16xf32> -> tensor<16x2xf32>
  %parts:2 = ds.split %t axis = 0 : tensor<16x2xf32> -> tensor<8x2xf32>, tensor<8x2xf32> loc("halves")
  %b = ds.constant dense<0.0> : tensor<4xf32>
  %n = ds.layer_norm %x bias %b axis = -1 epsilon = 1.0e-05 : (tensor<2x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  %s = ds.slice %n starts = [0, 0] ends = [2, 4] steps = [1, 2] : tensor<2x4xf32> -> tensor<2x2xf32>
  %r = ds.reduce_sum %s axes = [1] keepdim : tensor<2x2xf32> -> tensor<2x1xf32>
  %d = ds.dropout %n ratio = 0.25 seed = 3 : tensor<2x4xf32>
  %c = ds.compare lt, %d, %n : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<2x4xi1>
  %new = ds.mul %w, %w : tensor<8x4xf32>
  ds.store_param %new, @w : tensor<8x4xf32>
  return %n : tensor<2x4xf32>
}

//--- streams.mlir
ds.mesh @mesh(pp = 2)
ds.param @w : tensor<4xf32> init #ds.init<ones>
func.func @train_step(%x: tensor<4xf32>) -> tensor<4xf32> {
  %w = ds.load_param @w : tensor<4xf32>
  ds.send %w on @mesh["pp"] shift = 1 tag = 0 : tensor<4xf32>
  %r = ds.recv on @mesh["pp"] shift = 1 tag = 0 : tensor<4xf32>
  %new = ds.add %x, %x : tensor<4xf32>
  ds.store_param %new, @w : tensor<4xf32>
  %y = ds.mul %x, %x : tensor<4xf32>
  return %y : tensor<4xf32>
}

//--- shard.mlir
ds.mesh @mesh(dp = 2)
func.func @forward(%x: tensor<6xf32>) -> tensor<3xf32> {
  %s = ds.shard_slice %x on @mesh["dp"] dim = 0 : tensor<6xf32> -> tensor<3xf32>
  return %s : tensor<3xf32>
}
