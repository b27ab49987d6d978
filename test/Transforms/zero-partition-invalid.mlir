// ds-zero rejects what it cannot do, naming why.
// RUN: rm -rf %t && split-file %s %t
// RUN: ds-opt %t/stage4.mlir -verify-diagnostics --ds-build-training="dp-size=2 micro-batches=2" --ds-zero="stage=4"
// RUN: ds-opt %t/no-mesh.mlir -verify-diagnostics --ds-build-training --ds-zero="stage=1"
// RUN: ds-opt %t/not-trained.mlir -verify-diagnostics --ds-zero="stage=2"

//--- stage4.mlir
// expected-error @below {{ds-zero: stage 4 does not exist (expected 1, 2 or 3)}}
module {
  ds.param @w : tensor<4xf32> init #ds.init<zeros>
  func.func @forward(%x: tensor<4xf32>) -> tensor<f32> {
    %w = ds.load_param @w : tensor<4xf32>
    %y = ds.mul %x, %w : tensor<4xf32>
    %l = ds.reduce_sum %y axes = [0] : tensor<4xf32> -> tensor<f32>
    return %l : tensor<f32>
  }
}

//--- no-mesh.mlir
// One rank without dp-mesh: ds-build-training declares no mesh to shard over.
// expected-error @below {{ds-zero: no ds.mesh @dp_mesh with an axis 'dp' to shard over (ds-build-training declares it with dp-size > 1 or dp-mesh)}}
module {
  ds.param @w : tensor<4xf32> init #ds.init<zeros>
  func.func @forward(%x: tensor<4xf32>) -> tensor<f32> {
    %w = ds.load_param @w : tensor<4xf32>
    %y = ds.mul %x, %w : tensor<4xf32>
    %l = ds.reduce_sum %y axes = [0] : tensor<4xf32> -> tensor<f32>
    return %l : tensor<f32>
  }
}

//--- not-trained.mlir
// expected-error @below {{ds-zero: no function @micro_step (run ds-build-training first)}}
module {
  ds.mesh @dp_mesh(dp = 2)
  func.func @forward(%x: tensor<4xf32>) -> tensor<4xf32> {
    return %x : tensor<4xf32>
  }
}
