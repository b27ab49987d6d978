// RUN: ds-opt %s --ds-strip-param-values | FileCheck %s
// RUN: ds-opt %s --ds-strip-param-values="min-elements=4" | FileCheck %s --check-prefix=LARGE

// CHECK: ds.param @wte : tensor<2x2xf32>{{$}}
// LARGE: ds.param @wte : tensor<2x2xf32>{{$}}
ds.param @wte : tensor<2x2xf32> = dense<[[1.0, 2.0], [3.0, 4.0]]>
// CHECK: ds.param @bias : tensor<2xf32>{{$}}
// LARGE: ds.param @bias : tensor<2xf32> = dense<[5.000000e-01, 2.500000e-01]>
ds.param @bias : tensor<2xf32> = dense<[0.5, 0.25]>
// Initializers are a few bytes and say how to make the value, so they stay.
// CHECK: ds.param frozen @w : tensor<8x8xbf16> init #ds.init<normal, mean = 0.000000e+00, std = 2.000000e-02, seed = 1>
ds.param frozen @w : tensor<8x8xbf16> init #ds.init<normal, mean = 0.0, std = 0.02, seed = 1>

// CHECK-LABEL: func.func @uses_are_untouched
// CHECK: ds.load_param @wte : tensor<2x2xf32>
func.func @uses_are_untouched() -> tensor<2x2xf32> {
  %0 = ds.load_param @wte : tensor<2x2xf32>
  return %0 : tensor<2x2xf32>
}
