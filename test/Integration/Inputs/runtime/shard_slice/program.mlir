// Each rank's piece of a tensor every rank holds: rank r of the dp axis gets rows
// [2r, 2r+2) of x and columns [r, r+1) of x (8x4 split over 4 ranks along dims 0 and 1).
ds.mesh @mesh(dp = 4)

func.func @forward(%x: tensor<8x4xf32> {ds.name = "x"})
    -> (tensor<2x4xf32> {ds.name = "rows"}, tensor<8x1xf32> {ds.name = "columns"}) {
  %rows = ds.shard_slice %x on @mesh["dp"] dim = 0 : tensor<8x4xf32> -> tensor<2x4xf32>
  %columns = ds.shard_slice %x on @mesh["dp"] dim = 1 : tensor<8x4xf32> -> tensor<8x1xf32>
  return %rows, %columns : tensor<2x4xf32>, tensor<8x1xf32>
}
