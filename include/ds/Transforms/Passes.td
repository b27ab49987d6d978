//===- Passes.td - every ds pass ----------------------------*- tablegen -*-===//

#ifndef DS_TRANSFORMS_PASSES_TD
#define DS_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def StripParamValues : Pass<"ds-strip-param-values", "mlir::ModuleOp"> {
  let summary = "Drop stored parameter values, keeping shapes, dtypes and initializers";
  let description = [{
    Turns a model into its shapes: every `ds.param` loses its stored initial value (an
    initializer, being a few bytes, stays). Memory and communication planning need only the
    shapes, so a 175B-parameter model can be planned from a file of a few kilobytes.
  }];
  let options = [
    Option<"minElements", "min-elements", "int64_t", /*default=*/"0",
           "only strip parameters with at least this many elements">,
  ];
  let dependentDialects = ["::mlir::ds::DSDialect"];
}

def InsertReleases : Pass<"ds-insert-releases", "mlir::func::FuncOp"> {
  let summary = "End every tensor's lifetime right after its last use";
  let description = [{
    Inserts `ds.release %v` right after the last use of every tensor value of a single-block
    function (arguments and op results) that is neither returned nor already released; an unused
    value is released right after its definition (an argument at the start of the body). The plan
    emitter turns each release into a free, so the runtime can reuse the storage at once.
    Results of `ds.load_param` are left alone: they are the parameter's own storage, which lives
    from step to step.
  }];
  let dependentDialects = ["::mlir::ds::DSDialect"];
}

def FuseLayerNorm : Pass<"ds-fuse-layer-norm", "mlir::func::FuncOp"> {
  let summary = "Fuse torch's decomposed LayerNorm (opset < 17) into ds.layer_norm";
  let description = [{
    Replaces `(x - mean(x)) / sqrt(mean((x - mean(x))^2) + eps)` over trailing axes (keepdim,
    the same axes for both means, eps a splat constant, d^2 as pow(d, 2.0) or d * d, the division
    also as `* rsqrt(..)`) by `ds.layer_norm %x axis = -k epsilon = eps`, then folds a following
    `* weight` and `+ bias` of exactly the normalized shape into it. A weight or bias of another
    shape stays a separate mul/add. Intermediate values with other users stay for them.
  }];
  let dependentDialects = ["::mlir::ds::DSDialect"];
}

def FuseGelu : Pass<"ds-fuse-gelu", "mlir::func::FuncOp"> {
  let summary = "Fuse torch's decomposed GELU (erf and tanh forms) into ds.gelu";
  let description = [{
    Replaces `0.5 * x * (1 + erf(x / sqrt(2)))` by `ds.gelu %x approximate = none` and
    `0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * x^3)))` by `approximate = tanh`, in any
    association of the three factors and either operand order of each add and mul. Constants are
    splats matched within 1e-6 relative (or equal to the exact value rounded to their type);
    x / sqrt(2) may be `x * 0.70710678`, x^3 may be `pow(x, 3.0)`.
  }];
  let dependentDialects = ["::mlir::ds::DSDialect"];
}

def FuseCausalMask : Pass<"ds-fuse-causal-mask", "mlir::func::FuncOp"> {
  let summary = "Fuse constant causal masks into ds.causal_mask and causal ds.softmax";
  let description = [{
    `ds.select %mask, %fill, %scores` with a constant (or constant-compare) mask true exactly
    where j > i in the last two dims (or `select %keep, %scores, %fill` with keep true where
    j <= i) and a splat fill becomes `ds.causal_mask %scores fill = <fill>`. A last-axis
    `ds.softmax` of a causal_mask whose fill is -inf, or the element type's lowest finite value,
    becomes `ds.softmax %scores axis = -1 causal`; other fills (-1e4) are not exact there and
    stay a causal_mask followed by a softmax.
  }];
  let dependentDialects = ["::mlir::ds::DSDialect"];
}

def Autodiff : Pass<"ds-autodiff", "mlir::ModuleOp"> {
  let summary = "Append the gradients of a scalar loss to each function that returns one";
  let description = [{
    Reverse-mode differentiation through each op's DerivativeOpInterface rule. Every function
    whose only result is a float scalar (the loss) gets, as extra results, the gradient of the
    loss with respect to each float argument (in order) and then each trainable parameter it
    loads (in order of first load; a parameter loaded several times, e.g. a tied embedding, gets
    one gradient: the sum). Functions returning anything else are left alone. An op without a
    rule on the path from an input to the loss is an error naming it.
  }];
  let dependentDialects = ["::mlir::ds::DSDialect"];
}

def BuildTraining : Pass<"ds-build-training", "mlir::ModuleOp"> {
  let summary = "Turn a forward function into the functions of a training step";
  let description = [{
    Takes the module's forward function and builds what the runtime calls each optimizer step
    (plan.proto, message Training):
    - `@micro_step(tokens, targets, loss_scale) -> loss`: the forward pass and its loss (the
      model's float scalar output, or softmax cross-entropy of its logits against the targets,
      which becomes an argument if the model has none), reverse-mode gradients of
      `loss * loss_scale / micro-batches`, added into one gradient accumulator per trainable
      parameter (`ds.param @p.grad`, `ds.role = "gradient"`, in the compute precision);
    - `@reduce_gradients() -> grad_norm_sq`: gradients summed over the data-parallel axis
      (`dp-size` > 1) and the sum of their squares, for clipping and overflow checks;
    - `@apply_update(learning_rate, optimizer_step, grad_scale)`: the fused optimizer update of
      every parameter and its state (`ds.role = "optimizer_state"`);
    - `@zero_gradients()`.
    With `precision` bf16 or fp16 the layout is DeepSpeed's mixed-precision one (the ZeRO
    paper's 2 + 2 + 12 bytes per parameter): each trainable `@p` becomes the 16-bit weight the
    forward and backward read directly (its value rounded), `@p.grad` is 16-bit, and a new fp32
    `@p.master` (`ds.role = "optimizer_state"`, `ds.state = "master"`) keeps the exact original
    value. reduce_gradients all-reduces the 16-bit gradients and sums their squares in fp32;
    apply_update runs the fused update on the master and fp32 state from the gradient cast to
    fp32, then stores the master rounded to 16 bits into `@p`.
  }];
  let options = [
    Option<"forwardName", "forward", "std::string", /*default=*/"\"\"",
           "the forward function (default: the module's only function)">,
    Option<"optimizer", "optimizer", "std::string", /*default=*/"\"adamw\"",
           "adamw, adam (L2 weight decay unless adam-w-mode) or sgd">,
    Option<"beta1", "beta1", "double", /*default=*/"0.9", "Adam beta1">,
    Option<"beta2", "beta2", "double", /*default=*/"0.999", "Adam beta2">,
    Option<"epsilon", "epsilon", "double", /*default=*/"1e-8", "Adam epsilon">,
    Option<"weightDecay", "weight-decay", "double", /*default=*/"0.0", "weight decay">,
    Option<"adamWMode", "adam-w-mode", "bool", /*default=*/"true",
           "decoupled weight decay (AdamW) rather than L2 in the gradient">,
    Option<"momentum", "momentum", "double", /*default=*/"0.0", "SGD momentum">,
    Option<"dampening", "dampening", "double", /*default=*/"0.0", "SGD dampening">,
    Option<"nesterov", "nesterov", "bool", /*default=*/"false", "SGD Nesterov momentum">,
    Option<"microBatches", "micro-batches", "int64_t", /*default=*/"1",
           "micro-batches per optimizer step over all ranks (accumulation steps x dp size): "
           "the loss of the global batch is the mean of theirs">,
    Option<"dpSize", "dp-size", "int64_t", /*default=*/"1",
           "data-parallel ranks; above 1 the gradients are all-reduced over the dp axis">,
    Option<"precision", "precision", "std::string", /*default=*/"\"fp32\"",
           "compute type: fp32, bf16 or fp16">,
    Option<"declareMesh", "dp-mesh", "bool", /*default=*/"false",
           "declare @dp_mesh even for dp-size 1, for passes that shard over it (ds-zero)">,
  ];
  let dependentDialects = ["::mlir::ds::DSDialect", "::mlir::func::FuncDialect"];
}

def ZeroPartition : Pass<"ds-zero", "mlir::ModuleOp"> {
  let summary = "ZeRO stages 1, 2 and 3: shard optimizer state, gradients and parameters over the dp axis";
  let description = [{
    Runs on the functions ds-build-training makes. Each trainable parameter's optimizer state
    becomes this rank's flat shard of S = ceil(numel / N) elements of the parameter flattened
    and zero-padded to N * S (N the size of the mesh axis; `ds.shard` on the param says so).
    - Stage 1: `@micro_step` accumulates each gradient flattened and zero-padded into
      `@p.grad`; `@reduce_gradients` reduce-scatters the accumulators, several per bucket of at
      most `reduce-bucket-size` padded elements, and stores each rank's shard into the first S
      elements of its accumulator (`ds.store_param ... at 0`), so no second gradient buffer
      exists; the norm is the all-reduce of the shards' sums of squares.
    - Stage 2: `@micro_step` reduce-scatters each gradient where the backward pass finishes it,
      several gradients per bucket of at most `reduce-bucket-size` padded elements, and
      accumulates into `@p.grad`, which is now the shard; `@reduce_gradients` only computes
      the norm.
    - Both: `@apply_update` takes this rank's slice of each parameter (`ds.shard_slice`, no
      communication), updates it with the shards of gradient and state, and all-gathers the
      whole parameter back.
    - Stage 3: as stage 2, and each parameter of more than `param-persistence-threshold`
      elements is itself sharded. `@apply_update` updates the shard in place; every other
      function all-gathers the parameter before its first use and frees it after its last. In
      `@micro_step` the forward and the backward pass (the uses after the loss) gather
      separately, recomputing layout ops (transpose, reshape, cast) from the second gather.
      Gathers are issued ahead of use, up to `prefetch-bucket-size` elements, so they overlap
      compute. Smaller parameters stay whole and are updated as in stage 2.
  }];
  let options = [
    Option<"stage", "stage", "int64_t", /*default=*/"1", "ZeRO stage: 1, 2 or 3">,
    Option<"reduceBucketSize", "reduce-bucket-size", "int64_t", /*default=*/"500000000",
           "most elements one gradient reduce_scatter carries (a larger gradient gets its own)">,
    Option<"prefetchBucketSize", "prefetch-bucket-size", "int64_t", /*default=*/"50000000",
           "stage 3: most padded elements gathered ahead of their first use">,
    Option<"paramPersistenceThreshold", "param-persistence-threshold", "int64_t",
           /*default=*/"100000",
           "stage 3: parameters of at most this many elements stay whole">,
    Option<"modelPersistenceThreshold", "model-persistence-threshold", "int64_t",
           /*default=*/"9223372036854775807",
           "stage 3: most elements all whole (persistent) parameters may hold together">,
    Option<"overlapComm", "overlap-comm", "bool", /*default=*/"true",
           "stage 3: issue gathers ahead of use (false: right before it)">,
    Option<"meshName", "mesh", "std::string", /*default=*/"\"dp_mesh\"",
           "the mesh to shard over">,
    Option<"axisName", "axis", "std::string", /*default=*/"\"dp\"",
           "the data-parallel axis of that mesh">,
  ];
  let dependentDialects = ["::mlir::ds::DSDialect", "::mlir::func::FuncDialect"];
}

#endif // DS_TRANSFORMS_PASSES_TD
