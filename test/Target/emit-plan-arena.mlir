// RUN: ds-opt %s -o %t.dsplan --ds-memory-report=json > %t.json
// RUN: ds-opt --ds-print-plan %t.dsplan | FileCheck %s
// RUN: FileCheck %s --check-prefix=REPORT < %t.json

// Every transient gets an offset in the rank's one arena, from the same placement the memory
// report makes. Each value below is 2x8 f32 (64 bytes). %y is written at 0, %z beside it at 64
// (an op's result is placed before its operands are freed); once %y is freed, %u takes %y's
// bytes: disjoint lifetimes, one offset. %o is returned, so it keeps a buffer of its own, and
// so do the parameter, the input and the resident constant.

ds.param @w : tensor<4x8xf32> = dense<1.0>

func.func @forward(%x: tensor<2x4xf32>) -> tensor<2x8xf32> {
  %w = ds.load_param @w : tensor<4x8xf32>
  %c = ds.constant dense<2.0> : tensor<f32>
  %y = ds.matmul %x, %w : (tensor<2x4xf32>, tensor<4x8xf32>) -> tensor<2x8xf32> loc("y")
  %z = ds.mul %y, %c : (tensor<2x8xf32>, tensor<f32>) -> tensor<2x8xf32> loc("z")
  %u = ds.mul %z, %c : (tensor<2x8xf32>, tensor<f32>) -> tensor<2x8xf32> loc("u")
  %o = ds.add %u, %z : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32> loc("o")
  return %o : tensor<2x8xf32>
}

// CHECK:      version {
// CHECK-NEXT:   major: 3
// CHECK-NEXT:   minor: 1
// CHECK-NEXT: }
// CHECK:      name: "@w"
// CHECK-NOT:  arena_offset
// CHECK:      name: "%arg0"
// CHECK-NOT:  arena_offset
// CHECK:      initial_data:
// CHECK-NOT:  arena_offset
// CHECK:      name: "y"
// CHECK-NEXT: arena_offset: 0
// CHECK:      name: "z"
// CHECK-NEXT: arena_offset: 64
// CHECK:      name: "u"
// CHECK-NEXT: arena_offset: 0
// CHECK:      name: "o"
// CHECK-NEXT: }
// CHECK:      programs {
// CHECK:        arena_bytes: 128
// CHECK-NEXT: }

// The report sizes the same arena: live bytes peak at 128 (%u and %z together), no
// fragmentation, and the peak is the persistent bytes (128 + 4 + 32 + 64) plus the arena.
// REPORT:      "arena_bytes": 128,
// REPORT-NEXT: "calls_per_step": 1,
// REPORT-NEXT: "name": "forward",
// REPORT-NEXT: "retained_bytes": 64,
// REPORT-NEXT: "transient_peak_bytes": 128
// REPORT:      "arena": 128,
// REPORT-NEXT: "arena_fragmentation": 0,
// REPORT-NEXT: "arena_function": "forward",
// REPORT:      "predicted_peak": 356,
