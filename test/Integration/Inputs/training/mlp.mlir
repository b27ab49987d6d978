ds.param @w : tensor<4x3xf32> init #ds.init<normal, mean = 0.0, std = 0.5, seed = 1>
ds.param @b : tensor<3xf32> init #ds.init<zeros>
func.func @forward(%x: tensor<2x4xi64> {ds.name = "tokens"}, %y: tensor<2x4xi64> {ds.name = "targets"}) -> tensor<f32> {
  %w = ds.load_param @w : tensor<4x3xf32>
  %b = ds.load_param @b : tensor<3xf32>
  %xf = ds.cast %x : tensor<2x4xi64> to tensor<2x4xf32>
  %h = ds.matmul %xf, %w : (tensor<2x4xf32>, tensor<4x3xf32>) -> tensor<2x3xf32>
  %o = ds.add %h, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %s = ds.mul %o, %o : tensor<2x3xf32>
  %l = ds.reduce_mean %s axes = [0, 1] : tensor<2x3xf32> -> tensor<f32>
  return %l : tensor<f32>
}
