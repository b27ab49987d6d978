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

#endif // DS_TRANSFORMS_PASSES_TD
