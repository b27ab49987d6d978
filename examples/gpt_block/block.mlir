// A one-block GPT (vocabulary 32, context 8, width 16, 2 heads) written by hand in the ds
// dialect: embeddings, pre-norm causal self-attention, a GELU MLP, tied output head and the
// mean cross-entropy. Until the ONNX importer lands this is what `scripts/run.sh` compiles.

ds.param @wte : tensor<32x16xf32> init #ds.init<normal, mean = 0.0, std = 0.02, seed = 1>
ds.param @wpe : tensor<8x16xf32> init #ds.init<normal, mean = 0.0, std = 0.02, seed = 2>
ds.param @ln1_g : tensor<16xf32> init #ds.init<ones>
ds.param @ln1_b : tensor<16xf32> init #ds.init<zeros>
ds.param @w_qkv : tensor<16x48xf32> init #ds.init<normal, mean = 0.0, std = 0.02, seed = 3>
ds.param @b_qkv : tensor<48xf32> init #ds.init<zeros>
ds.param @w_o : tensor<16x16xf32> init #ds.init<normal, mean = 0.0, std = 0.02, seed = 4>
ds.param @b_o : tensor<16xf32> init #ds.init<zeros>
ds.param @ln2_g : tensor<16xf32> init #ds.init<ones>
ds.param @ln2_b : tensor<16xf32> init #ds.init<zeros>
ds.param @w_fc : tensor<16x64xf32> init #ds.init<normal, mean = 0.0, std = 0.02, seed = 5>
ds.param @b_fc : tensor<64xf32> init #ds.init<zeros>
ds.param @w_proj : tensor<64x16xf32> init #ds.init<normal, mean = 0.0, std = 0.02, seed = 6>
ds.param @b_proj : tensor<16xf32> init #ds.init<zeros>
ds.param @lnf_g : tensor<16xf32> init #ds.init<ones>
ds.param @lnf_b : tensor<16xf32> init #ds.init<zeros>

func.func @forward(%tokens: tensor<2x8xi64>, %targets: tensor<2x8xi64>) -> tensor<f32> {
  // Embeddings.
  %wte = ds.load_param @wte : tensor<32x16xf32>
  %wpe = ds.load_param @wpe : tensor<8x16xf32>
  %tok = ds.gather %wte[%tokens] axis = 0 : (tensor<32x16xf32>, tensor<2x8xi64>) -> tensor<2x8x16xf32>
  %x0 = ds.add %tok, %wpe : (tensor<2x8x16xf32>, tensor<8x16xf32>) -> tensor<2x8x16xf32>

  // Causal self-attention.
  %ln1_g = ds.load_param @ln1_g : tensor<16xf32>
  %ln1_b = ds.load_param @ln1_b : tensor<16xf32>
  %h1 = ds.layer_norm %x0 weight %ln1_g bias %ln1_b axis = -1 epsilon = 1.0e-5
          : (tensor<2x8x16xf32>, tensor<16xf32>, tensor<16xf32>) -> tensor<2x8x16xf32>
  %w_qkv = ds.load_param @w_qkv : tensor<16x48xf32>
  %b_qkv = ds.load_param @b_qkv : tensor<48xf32>
  %qkv0 = ds.matmul %h1, %w_qkv : (tensor<2x8x16xf32>, tensor<16x48xf32>) -> tensor<2x8x48xf32>
  %qkv = ds.add %qkv0, %b_qkv : (tensor<2x8x48xf32>, tensor<48xf32>) -> tensor<2x8x48xf32>
  %q0, %k0, %v0 = ds.split %qkv axis = 2
          : tensor<2x8x48xf32> -> tensor<2x8x16xf32>, tensor<2x8x16xf32>, tensor<2x8x16xf32>
  %q1 = ds.reshape %q0 : tensor<2x8x16xf32> -> tensor<2x8x2x8xf32>
  %k1 = ds.reshape %k0 : tensor<2x8x16xf32> -> tensor<2x8x2x8xf32>
  %v1 = ds.reshape %v0 : tensor<2x8x16xf32> -> tensor<2x8x2x8xf32>
  %q = ds.transpose %q1 perm = [0, 2, 1, 3] : tensor<2x8x2x8xf32> -> tensor<2x2x8x8xf32>
  %k = ds.transpose %k1 perm = [0, 2, 1, 3] : tensor<2x8x2x8xf32> -> tensor<2x2x8x8xf32>
  %v = ds.transpose %v1 perm = [0, 2, 1, 3] : tensor<2x8x2x8xf32> -> tensor<2x2x8x8xf32>
  %s0 = ds.matmul %q, %k transpose_rhs : (tensor<2x2x8x8xf32>, tensor<2x2x8x8xf32>) -> tensor<2x2x8x8xf32>
  // 1 / sqrt(head size 8)
  %scale = ds.constant dense<0.353553385> : tensor<f32>
  %s = ds.mul %s0, %scale : (tensor<2x2x8x8xf32>, tensor<f32>) -> tensor<2x2x8x8xf32>
  %p = ds.softmax %s axis = -1 causal : tensor<2x2x8x8xf32>
  %a0 = ds.matmul %p, %v : (tensor<2x2x8x8xf32>, tensor<2x2x8x8xf32>) -> tensor<2x2x8x8xf32>
  %a1 = ds.transpose %a0 perm = [0, 2, 1, 3] : tensor<2x2x8x8xf32> -> tensor<2x8x2x8xf32>
  %a = ds.reshape %a1 : tensor<2x8x2x8xf32> -> tensor<2x8x16xf32>
  %w_o = ds.load_param @w_o : tensor<16x16xf32>
  %b_o = ds.load_param @b_o : tensor<16xf32>
  %o0 = ds.matmul %a, %w_o : (tensor<2x8x16xf32>, tensor<16x16xf32>) -> tensor<2x8x16xf32>
  %o = ds.add %o0, %b_o : (tensor<2x8x16xf32>, tensor<16xf32>) -> tensor<2x8x16xf32>
  %x1 = ds.add %x0, %o : tensor<2x8x16xf32>

  // MLP.
  %ln2_g = ds.load_param @ln2_g : tensor<16xf32>
  %ln2_b = ds.load_param @ln2_b : tensor<16xf32>
  %h2 = ds.layer_norm %x1 weight %ln2_g bias %ln2_b axis = -1 epsilon = 1.0e-5
          : (tensor<2x8x16xf32>, tensor<16xf32>, tensor<16xf32>) -> tensor<2x8x16xf32>
  %w_fc = ds.load_param @w_fc : tensor<16x64xf32>
  %b_fc = ds.load_param @b_fc : tensor<64xf32>
  %f0 = ds.matmul %h2, %w_fc : (tensor<2x8x16xf32>, tensor<16x64xf32>) -> tensor<2x8x64xf32>
  %f1 = ds.add %f0, %b_fc : (tensor<2x8x64xf32>, tensor<64xf32>) -> tensor<2x8x64xf32>
  %f = ds.gelu %f1 approximate = tanh : tensor<2x8x64xf32>
  %w_proj = ds.load_param @w_proj : tensor<64x16xf32>
  %b_proj = ds.load_param @b_proj : tensor<16xf32>
  %m0 = ds.matmul %f, %w_proj : (tensor<2x8x64xf32>, tensor<64x16xf32>) -> tensor<2x8x16xf32>
  %m = ds.add %m0, %b_proj : (tensor<2x8x16xf32>, tensor<16xf32>) -> tensor<2x8x16xf32>
  %x2 = ds.add %x1, %m : tensor<2x8x16xf32>

  // Tied output head and loss.
  %lnf_g = ds.load_param @lnf_g : tensor<16xf32>
  %lnf_b = ds.load_param @lnf_b : tensor<16xf32>
  %hf = ds.layer_norm %x2 weight %lnf_g bias %lnf_b axis = -1 epsilon = 1.0e-5
          : (tensor<2x8x16xf32>, tensor<16xf32>, tensor<16xf32>) -> tensor<2x8x16xf32>
  %wte2 = ds.load_param @wte : tensor<32x16xf32>
  %logits = ds.matmul %hf, %wte2 transpose_rhs : (tensor<2x8x16xf32>, tensor<32x16xf32>) -> tensor<2x8x32xf32>
  %loss = ds.cross_entropy %logits, %targets reduction = mean ignore_index = -100
          : (tensor<2x8x32xf32>, tensor<2x8xi64>) -> tensor<f32>
  return %loss : tensor<f32>
}
