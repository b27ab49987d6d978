// RUN: ds-opt %s --ds-memory-report=json | FileCheck %s
// RUN: not ds-opt %s --ds-memory-report=xml 2>&1 | FileCheck %s --check-prefix=BAD
// BAD: ds-opt: error: --ds-memory-report=xml: expected json or text
// The liveness model on a function small enough to count by hand (bytes, f32):
// weights 128 + 32 (the frozen one is not in Psi), the constant 4 (resident), the input 32;
// %y and %z are live together (128) until %y's last use, %o is returned and kept (64); the
// parameter loads alias their parameters. %y and %z take offsets 0 and 64 of the arena (128,
// no fragmentation). Peak: 160 + 4 + 32 + 64 + 128 = 388.

ds.param @w : tensor<4x8xf32>
ds.param frozen @f : tensor<8xf32>

func.func @forward(%x: tensor<2x4xf32>) -> tensor<2x8xf32> {
  %w = ds.load_param @w : tensor<4x8xf32>
  %c = ds.constant dense<2.0> : tensor<f32>
  %y = ds.matmul %x, %w : (tensor<2x4xf32>, tensor<4x8xf32>) -> tensor<2x8xf32>
  %z = ds.mul %y, %c : (tensor<2x8xf32>, tensor<f32>) -> tensor<2x8xf32>
  %f = ds.load_param @f : tensor<8xf32>
  %o = ds.add %z, %f : (tensor<2x8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
  return %o : tensor<2x8xf32>
}

// CHECK: "arena_bytes": 128,
// CHECK-NEXT: "calls_per_step": 1,
// CHECK-NEXT: "name": "forward",
// CHECK-NEXT: "retained_bytes": 64,
// CHECK-NEXT: "transient_peak_bytes": 128
// CHECK: "per_rank": {
// CHECK-NEXT: "arena": 128,
// CHECK-NEXT: "arena_fragmentation": 0,
// CHECK-NEXT: "arena_function": "forward",
// CHECK-NEXT: "constants": 4,
// CHECK-NEXT: "gradients": 0,
// CHECK-NEXT: "inputs": 32,
// CHECK-NEXT: "model_states": 160,
// CHECK-NEXT: "optimizer_state": 0,
// CHECK-NEXT: "predicted_peak": 388,
// CHECK-NEXT: "retained_outputs": 64,
// CHECK-NEXT: "transient_peak": 128,
// CHECK-NEXT: "weights": 160
// CHECK: "trainable_parameters": 32,
