//===- DSGradientOps.td - backward ops of the ds dialect ----*- tablegen -*-===//
//
// Fused gradients of the forward ops whose derivative is not a short chain of other ds ops (or
// would be a slow one): the autodiff pass emits these. Each takes the forward op's input (or
// output, where that is cheaper) and the incoming gradient `grad`, and carries the forward op's
// attributes with the same names and meanings. Included at the end of DSOps.td, whose type
// constraints it uses.
//
//===----------------------------------------------------------------------===//

#ifndef DS_GRADIENT_OPS_TD
#define DS_GRADIENT_OPS_TD

//===----------------------------------------------------------------------===//
// Activations and softmax
//===----------------------------------------------------------------------===//

def DS_GeluGradOp : DS_Op<"gelu_grad", [Pure, SameOperandsAndResultType]> {
  let summary = "gradient of ds.gelu: grad * gelu'(input)";
  let description = [{
    ```mlir
    %dx = ds.gelu_grad %x, %dy approximate = tanh : tensor<4x8xf32>
    ```
  }];
  let arguments = (ins DS_FloatTensor:$input, DS_FloatTensor:$grad,
                       DefaultValuedAttr<DS_GeluApproximationAttr,
                                         "::mlir::ds::GeluApproximation::None">:$approximate);
  let results = (outs DS_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $grad `approximate` `=` $approximate attr-dict `:` type($result)
  }];
}

def DS_SoftmaxGradOp : DS_Op<"softmax_grad", [Pure, SameOperandsAndResultType]> {
  let summary = "gradient of ds.softmax from its output: y * (grad - sum(grad * y, axis))";
  let description = [{
    `output` is the softmax result y. A causal softmax needs nothing extra: y is 0 where the
    mask was, so those entries get a zero gradient.
    ```mlir
    %dx = ds.softmax_grad %y, %dy axis = -1 : tensor<2x4x4xf32>
    ```
  }];
  let arguments = (ins DS_FloatTensor:$output, DS_FloatTensor:$grad, I64Attr:$axis);
  let results = (outs DS_FloatTensor:$result);
  let assemblyFormat = "$output `,` $grad `axis` `=` $axis attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def DS_LogSoftmaxGradOp : DS_Op<"log_softmax_grad", [Pure, SameOperandsAndResultType]> {
  let summary = "gradient of ds.log_softmax from its output: grad - exp(y) * sum(grad, axis)";
  let arguments = (ins DS_FloatTensor:$output, DS_FloatTensor:$grad, I64Attr:$axis);
  let results = (outs DS_FloatTensor:$result);
  let assemblyFormat = "$output `,` $grad `axis` `=` $axis attr-dict `:` type($result)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Normalizations
//===----------------------------------------------------------------------===//

// The normalization gradients recompute the row statistics from `input` rather than taking them
// as operands: the forward ops do not return them, and one more pass over a row is cheap next to
// keeping mean and rstd alive from forward to backward.

def DS_LayerNormGradOp : DS_Op<"layer_norm_grad", [Pure]> {
  let summary = "gradient of ds.layer_norm with respect to its input";
  let description = [{
    `weight` is the forward op's weight, when it had one; its bias does not change the input's
    gradient.
    ```mlir
    %dx = ds.layer_norm_grad %x, %dy weight %g axis = -1 epsilon = 1.0e-05
            : (tensor<2x8xf32>, tensor<2x8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
    ```
  }];
  let arguments = (ins DS_FloatTensor:$input, DS_FloatTensor:$grad,
                       Optional<DS_FloatTensor>:$weight, I64Attr:$axis, F64Attr:$epsilon);
  let results = (outs DS_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $grad (`weight` $weight^)? `axis` `=` $axis `epsilon` `=` $epsilon
    attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def DS_LayerNormParamGradOp : DS_Op<"layer_norm_param_grad", [Pure]> {
  let summary = "gradients of ds.layer_norm's weight and bias";
  let description = [{
    `weight_grad = sum(grad * xhat)` and `bias_grad = sum(grad)` over the leading dimensions
    `input.shape[:axis]`, with xhat the normalized input; both have shape `input.shape[axis:]`.
    ```mlir
    %dw, %db = ds.layer_norm_param_grad %x, %dy axis = -1 epsilon = 1.0e-05
                 : (tensor<2x8xf32>, tensor<2x8xf32>) -> (tensor<8xf32>, tensor<8xf32>)
    ```
  }];
  let arguments = (ins DS_FloatTensor:$input, DS_FloatTensor:$grad, I64Attr:$axis,
                       F64Attr:$epsilon);
  let results = (outs DS_FloatTensor:$weight_grad, DS_FloatTensor:$bias_grad);
  let assemblyFormat = [{
    $input `,` $grad `axis` `=` $axis `epsilon` `=` $epsilon
    attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def DS_RMSNormGradOp : DS_Op<"rms_norm_grad", [Pure]> {
  let summary = "gradient of ds.rms_norm with respect to its input";
  let description = [{
    ```mlir
    %dx = ds.rms_norm_grad %x, %dy weight %g axis = -1 epsilon = 1.0e-06
            : (tensor<2x8xf32>, tensor<2x8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
    ```
  }];
  let arguments = (ins DS_FloatTensor:$input, DS_FloatTensor:$grad,
                       Optional<DS_FloatTensor>:$weight, I64Attr:$axis, F64Attr:$epsilon);
  let results = (outs DS_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $grad (`weight` $weight^)? `axis` `=` $axis `epsilon` `=` $epsilon
    attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def DS_RMSNormParamGradOp : DS_Op<"rms_norm_param_grad", [Pure]> {
  let summary = "gradient of ds.rms_norm's weight: sum(grad * x * rsqrt(mean(x^2) + epsilon))";
  let description = [{
    The sum runs over the leading dimensions `input.shape[:axis]`; the result has shape
    `input.shape[axis:]`.
  }];
  let arguments = (ins DS_FloatTensor:$input, DS_FloatTensor:$grad, I64Attr:$axis,
                       F64Attr:$epsilon);
  let results = (outs DS_FloatTensor:$weight_grad);
  let assemblyFormat = [{
    $input `,` $grad `axis` `=` $axis `epsilon` `=` $epsilon
    attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Loss
//===----------------------------------------------------------------------===//

def DS_CrossEntropyGradOp : DS_Op<"cross_entropy_grad", [Pure]> {
  let summary = "gradient of ds.cross_entropy with respect to its logits";
  let description = [{
    Row r gets `(softmax(logits[r]) - onehot(targets[r])) * g[r]`, where g is `grad` for
    reduction `none` (shaped like `targets`), the scalar `grad` for `sum`, and the scalar `grad`
    over the number of targets that are not `ignore_index` for `mean`. Ignored targets get a zero
    row, and a mean over no targets gives zeros (the forward loss is NaN there; its gradient
    does not spread NaN into the weights).
    ```mlir
    %dl = ds.cross_entropy_grad %logits, %targets, %dloss reduction = mean ignore_index = -100
            : (tensor<2x4x10xf32>, tensor<2x4xi64>, tensor<f32>) -> tensor<2x4x10xf32>
    ```
  }];
  let arguments = (ins DS_FloatTensor:$logits, DS_IndexTensor:$targets, DS_FloatTensor:$grad,
                       DS_LossReductionAttr:$reduction,
                       DefaultValuedAttr<I64Attr, "-100">:$ignore_index);
  let results = (outs DS_FloatTensor:$result);
  let assemblyFormat = [{
    $logits `,` $targets `,` $grad `reduction` `=` $reduction `ignore_index` `=` $ignore_index
    attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

def DS_GatherGradOp : DS_Op<"gather_grad", [Pure]> {
  let summary = "gradient of ds.gather with respect to its data: a scatter-add into zeros";
  let description = [{
    The result has the shape of the gathered data; slice `q` of `grad` along `axis` is added
    at index `indices[q]` (negative indices count from the end, as in ds.gather), so repeated
    indices accumulate.
    ```mlir
    %dwte = ds.gather_grad %tokens, %de axis = 0
              : (tensor<2x8xi64>, tensor<2x8x16xf32>) -> tensor<50x16xf32>
    ```
  }];
  let arguments = (ins DS_IndexTensor:$indices, DS_FloatTensor:$grad, I64Attr:$axis);
  let results = (outs DS_FloatTensor:$result);
  let assemblyFormat = [{
    $indices `,` $grad `axis` `=` $axis attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def DS_SliceGradOp : DS_Op<"slice_grad", [Pure]> {
  let summary = "gradient of ds.slice: zeros of the input shape with grad at the sliced places";
  let description = [{
    `starts`, `ends` and `steps` mean what they mean on ds.slice, with the result type in the
    place of the slice's input.
    ```mlir
    %dx = ds.slice_grad %dy starts = [0, 1] ends = [2, 4] steps = [1, 2]
            : tensor<2x2xf32> -> tensor<2x4xf32>
    ```
  }];
  let arguments = (ins DS_FloatTensor:$grad, DenseI64ArrayAttr:$starts,
                       DenseI64ArrayAttr:$ends, DenseI64ArrayAttr:$steps);
  let results = (outs DS_FloatTensor:$result);
  let assemblyFormat = [{
    $grad `starts` `=` $starts `ends` `=` $ends `steps` `=` $steps
    attr-dict `:` type($grad) `->` type($result)
  }];
  let hasVerifier = 1;
}

#endif // DS_GRADIENT_OPS_TD
