// Params that are ZeRO shards with a value: each rank holds its piece of the whole tensor,
// flattened and zero-padded to 6 elements (2 pieces of 3); gathering the pieces gives
// the whole value back, padded with zeros. @n_whole is @n's initializer drawn whole, unsharded.
ds.mesh @mesh(dp = 2)

ds.param @v : tensor<3xf32> = whole dense<[1.5, -2.0, 3.25, 4.0, -5.5]> : tensor<5xf32>
    {ds.shard = {axis = "dp", mesh = @mesh, numel = 5 : i64, padded = 6 : i64, shape = array<i64: 5>}}
ds.param @m : tensor<2xi64> = whole dense<[[7, 8], [9, 10]]> : tensor<2x2xi64>
    {ds.shard = {axis = "dp", mesh = @mesh, numel = 4 : i64, padded = 4 : i64, shape = array<i64: 2, 2>}}
ds.param @n : tensor<3xf32> init #ds.init<normal, mean = 0.5, std = 2.0, seed = 11>
    {ds.shard = {axis = "dp", mesh = @mesh, numel = 5 : i64, padded = 6 : i64, shape = array<i64: 5>}}
ds.param @n_whole : tensor<5xf32> init #ds.init<normal, mean = 0.5, std = 2.0, seed = 11>

func.func @forward() -> (tensor<6xf32> {ds.name = "v"}, tensor<4xi64> {ds.name = "m"},
                         tensor<6xf32> {ds.name = "n"}, tensor<5xf32> {ds.name = "n_whole"}) {
  %v = ds.load_param @v : tensor<3xf32>
  %vg = ds.all_gather %v on @mesh["dp"] dim = 0 : tensor<3xf32> -> tensor<6xf32>
  %m = ds.load_param @m : tensor<2xi64>
  %mg = ds.all_gather %m on @mesh["dp"] dim = 0 : tensor<2xi64> -> tensor<4xi64>
  %n = ds.load_param @n : tensor<3xf32>
  %ng = ds.all_gather %n on @mesh["dp"] dim = 0 : tensor<3xf32> -> tensor<6xf32>
  %w = ds.load_param @n_whole : tensor<5xf32>
  return %vg, %mg, %ng, %w : tensor<6xf32>, tensor<4xi64>, tensor<6xf32>, tensor<5xf32>
}
