// Programs a plan cannot express get one error line naming the file, the place and the
// problem, exit code 1, and no plan file.
// RUN: rm -rf %t && split-file %s %t

// RUN: not ds-opt %t/mesh-size.mlir --ds-world-size=4 -o %t/out.dsplan 2>&1 | FileCheck %s --check-prefix=MESH-SIZE
// MESH-SIZE: mesh-size.mlir:1:1: error: mesh @mesh has 8 devices, but the world size is 4
// RUN: not ls %t/out.dsplan

// RUN: not ds-opt %t/two-meshes.mlir --ds-world-size=2 -o %t/out.dsplan 2>&1 | FileCheck %s --check-prefix=TWO-MESHES
// TWO-MESHES: two-meshes.mlir:2:1: error: a plan has one device mesh, but the module also declares @model

// RUN: not ds-opt %t/unknown-op.mlir -o %t/out.dsplan 2>&1 | FileCheck %s --check-prefix=UNKNOWN-OP
// UNKNOWN-OP: unknown-op.mlir:2:8: error: the plan emitter does not know op 'arith.addf'

// RUN: not ds-opt %t/shapes-only.mlir -o %t/out.dsplan 2>&1 | FileCheck %s --check-prefix=SHAPES-ONLY
// SHAPES-ONLY: shapes-only.mlir:2:1: error: parameter @w has no value or initializer

// RUN: not ds-opt %t/no-step.mlir -o %t/out.dsplan 2>&1 | FileCheck %s --check-prefix=NO-STEP
// NO-STEP: no-step.mlir: error: no step function: the module has no public func.func with a body

// RUN: not ds-opt %t/two-steps.mlir -o %t/out.dsplan 2>&1 | FileCheck %s --check-prefix=TWO-STEPS
// TWO-STEPS: two-steps.mlir: error: cannot choose the step function among @encode, @decode: name it train_step or forward, or make the others private

// RUN: not ds-opt %t/stale-load.mlir -o %t/out.dsplan 2>&1 | FileCheck %s --check-prefix=STALE-LOAD
// STALE-LOAD:      stale-load.mlir:6:8: error: reads @w as loaded before a ds.store_param overwrote it
// STALE-LOAD-NEXT: stale-load.mlir:3:8: note: loaded here
// STALE-LOAD-NEXT: stale-load.mlir:5:3: note: overwritten here

// RUN: not ds-opt %t/release-param.mlir -o %t/out.dsplan 2>&1 | FileCheck %s --check-prefix=RELEASE-PARAM
// RELEASE-PARAM: release-param.mlir:4:3: error: cannot free the storage of parameter @w, which lives from step to step

// RUN: not ds-opt %t/branches.mlir --allow-unregistered-dialect -o %t/out.dsplan 2>&1 | FileCheck %s --check-prefix=BRANCHES
// BRANCHES: branches.mlir:1:1: error: cannot insert releases into function @forward: it has 2 blocks, and only single-block functions are supported

// RUN: not ds-opt %t/no-step.mlir --ds-world-size=0 -o %t/out.dsplan 2>&1 | FileCheck %s --check-prefix=WORLD-SIZE
// WORLD-SIZE: ds-opt: error: --ds-world-size=0: the world size must be at least 1

// RUN: not ds-opt %t/mesh-size.mlir --ds-world-size=8 -o %t/no-such-dir/out.dsplan 2>&1 | FileCheck %s --check-prefix=UNWRITABLE
// UNWRITABLE: ds-opt: error: cannot write '{{.*}}no-such-dir/out.dsplan': No such file or directory

// RUN: not ds-opt --ds-print-plan %t/mesh-size.mlir 2>&1 | FileCheck %s --check-prefix=NOT-A-PLAN
// NOT-A-PLAN: ds-opt: error: '{{.*}}mesh-size.mlir' is not a plan file

// RUN: not ls %t/out.dsplan

//--- mesh-size.mlir
ds.mesh @mesh(dp = 2, tp = 4)
func.func @forward(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}

//--- two-meshes.mlir
ds.mesh @model(tp = 2)
ds.mesh @data(dp = 2)
func.func @forward(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}

//--- unknown-op.mlir
func.func @forward(%x: tensor<4xf32>) -> tensor<4xf32> {
  %y = arith.addf %x, %x : tensor<4xf32>
  return %y : tensor<4xf32>
}

//--- shapes-only.mlir
ds.param @wte : tensor<4xf32> init #ds.init<zeros>
ds.param @w : tensor<4096x4096xbf16>
func.func @forward(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}

//--- no-step.mlir
func.func private @helper(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}

//--- two-steps.mlir
func.func @encode(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}
func.func @decode(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}

//--- stale-load.mlir
ds.param @w : tensor<4xf32> init #ds.init<zeros>
func.func @train_step(%x: tensor<4xf32>) -> tensor<4xf32> {
  %w = ds.load_param @w : tensor<4xf32>
  %new = ds.add %w, %x : tensor<4xf32>
  ds.store_param %new, @w : tensor<4xf32>
  %y = ds.mul %w, %x : tensor<4xf32>
  return %y : tensor<4xf32>
}

//--- release-param.mlir
ds.param @w : tensor<4xf32> init #ds.init<ones>
func.func @forward(%x: tensor<4xf32>) -> tensor<4xf32> {
  %w = ds.load_param @w : tensor<4xf32>
  ds.release %w : tensor<4xf32>
  return %x : tensor<4xf32>
}

//--- branches.mlir
func.func @forward(%x: tensor<4xf32>) -> tensor<4xf32> {
  "test.br"()[^bb1] : () -> ()
^bb1:
  return %x : tensor<4xf32>
}
