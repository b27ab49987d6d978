//===- DSOps.td - ds operations -----------------------------*- tablegen -*-===//
//
// Compute ops on ranked static tensors, model state, the device mesh and collectives.
//
//===----------------------------------------------------------------------===//

#ifndef DS_OPS_TD
#define DS_OPS_TD

include "ds/Dialect/DS/IR/DSDialect.td"
include "ds/Dialect/DS/IR/DSAttrs.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"
include "mlir/IR/OpAsmInterface.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

//===----------------------------------------------------------------------===//
// Type constraints
//===----------------------------------------------------------------------===//

def DS_FloatElement : AnyTypeOf<[F16, BF16, F32, F64]>;
def DS_IndexElement : AnyTypeOf<[I32, I64]>;
def DS_Element : AnyTypeOf<[F16, BF16, F32, F64, I1, I8, I32, I64]>;

def DS_Tensor : StaticShapeTensorOf<[F16, BF16, F32, F64, I1, I8, I32, I64]>;
def DS_NumericTensor : StaticShapeTensorOf<[F16, BF16, F32, F64, I8, I32, I64]>;
def DS_FloatTensor : StaticShapeTensorOf<[F16, BF16, F32, F64]>;
def DS_IndexTensor : StaticShapeTensorOf<[I32, I64]>;
def DS_BoolTensor : StaticShapeTensorOf<[I1]>;

// Model state and communication are side effects on these resources: reads and writes of them keep
// collectives and parameter stores alive and ordered through CSE and canonicalization.
def DS_ParamResource : Resource<"::mlir::ds::ParamResource">;
def DS_CommResource : Resource<"::mlir::ds::CommunicationResource">;
def DS_BufferResource : Resource<"::mlir::ds::BufferResource">;

//===----------------------------------------------------------------------===//
// Constants
//===----------------------------------------------------------------------===//

def DS_ConstantOp : DS_Op<"constant",
    [ConstantLike, Pure, AllTypesMatch<["value", "result"]>]> {
  let summary = "a tensor constant";
  let description = [{
    ```mlir
    %c = ds.constant dense<[1.0, 2.0]> : tensor<2xf32>
    ```
  }];
  let arguments = (ins ElementsAttr:$value);
  let results = (outs DS_Tensor:$result);
  let assemblyFormat = "attr-dict $value";
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Elementwise ops
//===----------------------------------------------------------------------===//

// Binary ops broadcast as numpy does. When both operands and the result have one type the
// short form `: T` is printed, otherwise `: (A, B) -> C`.
class DS_BinaryOp<string mnemonic, list<Trait> traits = []>
    : DS_Op<mnemonic, !listconcat([Pure], traits)> {
  let arguments = (ins DS_NumericTensor:$lhs, DS_NumericTensor:$rhs);
  let results = (outs DS_NumericTensor:$result);
  let hasVerifier = 1;
  let hasCustomAssemblyFormat = 1;
  let extraClassDefinition = [{
    ::mlir::ParseResult $cppClass::parse(::mlir::OpAsmParser &parser,
                                         ::mlir::OperationState &result) {
      return ::mlir::ds::parseBinaryOp(parser, result);
    }
    void $cppClass::print(::mlir::OpAsmPrinter &printer) {
      ::mlir::ds::printBinaryOp(printer, getOperation());
    }
    ::mlir::LogicalResult $cppClass::verify() {
      return ::mlir::ds::verifyBroadcastingOp(getOperation(), /*sameElementType=*/true);
    }
  }];
}

def DS_AddOp : DS_BinaryOp<"add", [Commutative]> {
  let summary = "elementwise sum with broadcasting";
}
def DS_SubOp : DS_BinaryOp<"sub"> {
  let summary = "elementwise difference with broadcasting";
  let hasFolder = 1;
}
def DS_MulOp : DS_BinaryOp<"mul", [Commutative]> {
  let summary = "elementwise product with broadcasting";
  let hasFolder = 1;
}
def DS_DivOp : DS_BinaryOp<"div"> {
  let summary = "elementwise quotient with broadcasting";
  let hasFolder = 1;
}
def DS_PowOp : DS_BinaryOp<"pow"> {
  let summary = "elementwise power with broadcasting";
}
def DS_MaxOp : DS_BinaryOp<"max", [Commutative]> {
  let summary = "elementwise maximum with broadcasting";
}
def DS_MinOp : DS_BinaryOp<"min", [Commutative]> {
  let summary = "elementwise minimum with broadcasting";
}

def DS_CompareOp : DS_Op<"compare", [Pure]> {
  let summary = "elementwise comparison with broadcasting, producing i1";
  let description = [{
    ```mlir
    %m = ds.compare lt, %a, %b : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xi1>
    ```
  }];
  let arguments = (ins DS_ComparePredicateAttr:$predicate,
                       DS_NumericTensor:$lhs, DS_NumericTensor:$rhs);
  let results = (outs DS_BoolTensor:$result);
  let assemblyFormat = [{
    $predicate `,` $lhs `,` $rhs attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def DS_SelectOp : DS_Op<"select", [Pure]> {
  let summary = "elementwise choice: cond ? true_value : false_value, with broadcasting";
  let arguments = (ins DS_BoolTensor:$condition, DS_Tensor:$true_value,
                       DS_Tensor:$false_value);
  let results = (outs DS_Tensor:$result);
  let assemblyFormat = [{
    $condition `,` $true_value `,` $false_value attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

class DS_UnaryFloatOp<string mnemonic, list<Trait> traits = []>
    : DS_Op<mnemonic, !listconcat([Pure, SameOperandsAndResultType], traits)> {
  let arguments = (ins DS_FloatTensor:$input);
  let results = (outs DS_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
}

def DS_NegOp : DS_UnaryFloatOp<"neg"> {
  let summary = "elementwise negation";
  let hasFolder = 1;
}
def DS_AbsOp : DS_UnaryFloatOp<"abs"> { let summary = "elementwise absolute value"; }
def DS_ExpOp : DS_UnaryFloatOp<"exp"> { let summary = "elementwise e^x"; }
def DS_LogOp : DS_UnaryFloatOp<"log"> { let summary = "elementwise natural logarithm"; }
def DS_TanhOp : DS_UnaryFloatOp<"tanh"> { let summary = "elementwise tanh"; }
def DS_ErfOp : DS_UnaryFloatOp<"erf"> { let summary = "elementwise Gauss error function"; }
def DS_SqrtOp : DS_UnaryFloatOp<"sqrt"> { let summary = "elementwise square root"; }
def DS_RsqrtOp : DS_UnaryFloatOp<"rsqrt"> { let summary = "elementwise 1/sqrt(x)"; }
def DS_ReciprocalOp : DS_UnaryFloatOp<"reciprocal"> { let summary = "elementwise 1/x"; }
def DS_ReluOp : DS_UnaryFloatOp<"relu"> { let summary = "elementwise max(x, 0)"; }
def DS_SigmoidOp : DS_UnaryFloatOp<"sigmoid"> { let summary = "elementwise 1/(1+e^-x)"; }
def DS_SiluOp : DS_UnaryFloatOp<"silu"> { let summary = "elementwise x * sigmoid(x)"; }

def DS_GeluOp : DS_Op<"gelu", [Pure, SameOperandsAndResultType]> {
  let summary = "Gaussian error linear unit, exact (erf) or tanh-approximated";
  let description = [{
    As `torch.nn.functional.gelu(x, approximate=...)`.
    ```mlir
    %y = ds.gelu %x approximate = tanh : tensor<4x8xf32>
    ```
  }];
  let arguments = (ins DS_FloatTensor:$input,
                       DefaultValuedAttr<DS_GeluApproximationAttr,
                                         "::mlir::ds::GeluApproximation::None">:$approximate);
  let results = (outs DS_FloatTensor:$result);
  let assemblyFormat = "$input `approximate` `=` $approximate attr-dict `:` type($result)";
}

def DS_DropoutOp : DS_Op<"dropout", [Pure, SameOperandsAndResultType]> {
  let summary = "zeroes elements with probability `ratio`, scaling the rest by 1/(1-ratio)";
  let description = [{
    The mask is a function of `seed`, the optimizer step and the element index only, so a
    backward pass (or a rerun) reproduces it exactly, on any number of threads.
  }];
  let arguments = (ins DS_FloatTensor:$input, F64Attr:$ratio, I64Attr:$seed);
  let results = (outs DS_FloatTensor:$result);
  let assemblyFormat = [{
    $input `ratio` `=` $ratio `seed` `=` $seed attr-dict `:` type($result)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

def DS_CastOp : DS_Op<"cast", [Pure, SameOperandsAndResultShape]> {
  let summary = "elementwise conversion to another element type";
  let arguments = (ins DS_Tensor:$input);
  let results = (outs DS_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `to` type($result)";
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Contractions, normalizations, softmax and losses
//===----------------------------------------------------------------------===//

def DS_MatmulOp : DS_Op<"matmul", [Pure]> {
  let summary = "batched matrix product with optional transposes";
  let description = [{
    `lhs` is `[..., M, K]` (`[..., K, M]` with `transpose_lhs`), `rhs` is `[..., K, N]`
    (`[..., N, K]` with `transpose_rhs`); batch dimensions broadcast as numpy does and the
    result is `[batch..., M, N]`.
    ```mlir
    %y = ds.matmul %x, %w transpose_rhs : (tensor<8x16xf32>, tensor<32x16xf32>) -> tensor<8x32xf32>
    ```
  }];
  let arguments = (ins DS_FloatTensor:$lhs, DS_FloatTensor:$rhs,
                       UnitAttr:$transpose_lhs, UnitAttr:$transpose_rhs);
  let results = (outs DS_FloatTensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs (`transpose_lhs` $transpose_lhs^)? (`transpose_rhs` $transpose_rhs^)?
    attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def DS_SoftmaxOp : DS_Op<"softmax", [Pure, SameOperandsAndResultType]> {
  let summary = "softmax along an axis, optionally with a causal mask";
  let description = [{
    With `causal`, the input is `[..., T, T]`, `axis` is the last one, and entry (i, j) with
    j > i takes no probability (as masking it with -inf before softmax).
  }];
  let arguments = (ins DS_FloatTensor:$input, I64Attr:$axis, UnitAttr:$causal);
  let results = (outs DS_FloatTensor:$result);
  let assemblyFormat = [{
    $input `axis` `=` $axis (`causal` $causal^)? attr-dict `:` type($result)
  }];
  let hasVerifier = 1;
}

def DS_LogSoftmaxOp : DS_Op<"log_softmax", [Pure, SameOperandsAndResultType]> {
  let summary = "log of softmax along an axis, computed stably";
  let arguments = (ins DS_FloatTensor:$input, I64Attr:$axis);
  let results = (outs DS_FloatTensor:$result);
  let assemblyFormat = "$input `axis` `=` $axis attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def DS_CausalMaskOp : DS_Op<"causal_mask", [Pure, SameOperandsAndResultType]> {
  let summary = "writes `fill` into entries (i, j), j > i, of the last two dimensions";
  let arguments = (ins DS_FloatTensor:$input, F64Attr:$fill);
  let results = (outs DS_FloatTensor:$result);
  let assemblyFormat = "$input `fill` `=` $fill attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def DS_LayerNormOp : DS_Op<"layer_norm", [Pure, AttrSizedOperandSegments]> {
  let summary = "layer normalization over the dimensions from `axis` to the last";
  let description = [{
    As `torch.nn.functional.layer_norm` with `normalized_shape = input.shape[axis:]`; `weight`
    and `bias`, when present, have that shape.
    ```mlir
    %y = ds.layer_norm %x weight %g bias %b axis = -1 epsilon = 1.0e-05
           : (tensor<2x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
    ```
  }];
  let arguments = (ins DS_FloatTensor:$input, Optional<DS_FloatTensor>:$weight,
                       Optional<DS_FloatTensor>:$bias, I64Attr:$axis, F64Attr:$epsilon);
  let results = (outs DS_FloatTensor:$result);
  let assemblyFormat = [{
    $input (`weight` $weight^)? (`bias` $bias^)? `axis` `=` $axis `epsilon` `=` $epsilon
    attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def DS_RMSNormOp : DS_Op<"rms_norm", [Pure]> {
  let summary = "x * rsqrt(mean(x^2) + epsilon) * weight over the dimensions from `axis`";
  let arguments = (ins DS_FloatTensor:$input, Optional<DS_FloatTensor>:$weight,
                       I64Attr:$axis, F64Attr:$epsilon);
  let results = (outs DS_FloatTensor:$result);
  let assemblyFormat = [{
    $input (`weight` $weight^)? `axis` `=` $axis `epsilon` `=` $epsilon
    attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def DS_CrossEntropyOp : DS_Op<"cross_entropy", [Pure]> {
  let summary = "softmax cross-entropy of logits [..., V] against integer targets [...]";
  let description = [{
    As `torch.nn.functional.cross_entropy` over the last axis: targets equal to `ignore_index`
    contribute nothing, and `mean` divides by the number of targets that are not ignored.
    ```mlir
    %l = ds.cross_entropy %logits, %targets reduction = mean ignore_index = -100
           : (tensor<2x4x10xf32>, tensor<2x4xi64>) -> tensor<f32>
    ```
  }];
  let arguments = (ins DS_FloatTensor:$logits, DS_IndexTensor:$targets,
                       DS_LossReductionAttr:$reduction,
                       DefaultValuedAttr<I64Attr, "-100">:$ignore_index);
  let results = (outs DS_FloatTensor:$result);
  let assemblyFormat = [{
    $logits `,` $targets `reduction` `=` $reduction `ignore_index` `=` $ignore_index
    attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

class DS_ReduceOp<string mnemonic> : DS_Op<mnemonic, [Pure]> {
  let arguments = (ins DS_NumericTensor:$input, DenseI64ArrayAttr:$axes, UnitAttr:$keepdim);
  let results = (outs DS_NumericTensor:$result);
  let assemblyFormat = [{
    $input `axes` `=` $axes (`keepdim` $keepdim^)? attr-dict `:` type($input) `->` type($result)
  }];
  let extraClassDefinition = [{
    ::mlir::LogicalResult $cppClass::verify() {
      return ::mlir::ds::verifyReduction(getOperation(), getAxes(), getKeepdim());
    }
  }];
  let hasVerifier = 1;
}

def DS_ReduceSumOp : DS_ReduceOp<"reduce_sum"> { let summary = "sum over axes"; }
def DS_ReduceMeanOp : DS_ReduceOp<"reduce_mean"> { let summary = "mean over axes"; }
def DS_ReduceMaxOp : DS_ReduceOp<"reduce_max"> { let summary = "maximum over axes"; }

//===----------------------------------------------------------------------===//
// Shape and data movement
//===----------------------------------------------------------------------===//

def DS_ReshapeOp : DS_Op<"reshape", [Pure]> {
  let summary = "same elements in row-major order, another static shape";
  let arguments = (ins DS_Tensor:$input);
  let results = (outs DS_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def DS_TransposeOp : DS_Op<"transpose", [Pure]> {
  let summary = "permutes dimensions: result dim i is input dim perm[i]";
  let arguments = (ins DS_Tensor:$input, DenseI64ArrayAttr:$perm);
  let results = (outs DS_Tensor:$result);
  let assemblyFormat = [{
    $input `perm` `=` $perm attr-dict `:` type($input) `->` type($result)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
  let hasCanonicalizer = 1;
}

def DS_ExpandOp : DS_Op<"expand", [Pure]> {
  let summary = "broadcasts to a larger shape, as numpy.broadcast_to";
  let arguments = (ins DS_Tensor:$input);
  let results = (outs DS_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def DS_SliceOp : DS_Op<"slice", [Pure]> {
  let summary = "strided slice: per dimension, elements starts[i], starts[i]+steps[i], ... < ends[i]";
  let arguments = (ins DS_Tensor:$input, DenseI64ArrayAttr:$starts,
                       DenseI64ArrayAttr:$ends, DenseI64ArrayAttr:$steps);
  let results = (outs DS_Tensor:$result);
  let assemblyFormat = [{
    $input `starts` `=` $starts `ends` `=` $ends `steps` `=` $steps
    attr-dict `:` type($input) `->` type($result)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

def DS_ConcatOp : DS_Op<"concat", [Pure]> {
  let summary = "joins tensors along an axis";
  let arguments = (ins Variadic<DS_Tensor>:$inputs, I64Attr:$axis);
  let results = (outs DS_Tensor:$result);
  let assemblyFormat = [{
    $inputs `axis` `=` $axis attr-dict `:` functional-type($inputs, results)
  }];
  let hasVerifier = 1;
}

def DS_SplitOp : DS_Op<"split", [Pure]> {
  let summary = "cuts a tensor along an axis into pieces whose sizes the result types give";
  let arguments = (ins DS_Tensor:$input, I64Attr:$axis);
  let results = (outs Variadic<DS_Tensor>:$results);
  let assemblyFormat = [{
    $input `axis` `=` $axis attr-dict `:` type($input) `->` type($results)
  }];
  let hasVerifier = 1;
}

def DS_GatherOp : DS_Op<"gather", [Pure]> {
  let summary = "takes slices of `input` along `axis` at `indices` (ONNX Gather; embeddings)";
  let description = [{
    The result shape is `input.shape[:axis] + indices.shape + input.shape[axis+1:]`.
    ```mlir
    %e = ds.gather %wte[%tokens] axis = 0 : (tensor<50x16xf32>, tensor<2x8xi64>) -> tensor<2x8x16xf32>
    ```
  }];
  let arguments = (ins DS_Tensor:$input, DS_IndexTensor:$indices, I64Attr:$axis);
  let results = (outs DS_Tensor:$result);
  let assemblyFormat = [{
    $input `[` $indices `]` `axis` `=` $axis attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Model state
//===----------------------------------------------------------------------===//

def DS_ParamOp : DS_Op<"param", [Symbol, HasParent<"::mlir::ModuleOp">]> {
  let summary = "a named piece of model state: shape, dtype and initial value";
  let description = [{
    The value is either stored (`= dense<...>`), drawn from an initializer
    (`init #ds.init<normal, mean = 0.0, std = 0.02, seed = 1>`), or absent: a model given as
    shapes only, enough to plan memory and communication. `frozen` parameters get no gradient.

    A ZeRO shard carries `ds.shard = {mesh, axis, numel, padded, shape}`: its type is the flat
    tensor<S x T> each rank holds, the piece picked by its coordinate on the mesh axis from the
    whole tensor (of shape `shape`, `numel` elements) flattened and zero-padded to `padded`
    = S * N elements. Its initial value or initializer describes the whole tensor, so a stored
    value has the whole tensor's type and is written `= whole <value> : <whole type>`.
    ```mlir
    ds.param @wte : tensor<50x16xf32> = dense<...>
    ds.param frozen @pos : tensor<8x16xf32> init #ds.init<zeros>
    ds.param @w : tensor<4096x4096xbf16>
    ds.param @m : tensor<3xf32> = whole dense<[1.0, 2.0, 3.0, 4.0, 5.0]> : tensor<5xf32>
        {ds.shard = {axis = "dp", mesh = @mesh, numel = 5 : i64, padded = 6 : i64,
                     shape = array<i64: 5>}}
    ```
  }];
  let arguments = (ins SymbolNameAttr:$sym_name, TypeAttrOf<DS_Tensor>:$type,
                       OptionalAttr<ElementsAttr>:$initial_value,
                       OptionalAttr<DS_InitializerAttr>:$initializer,
                       UnitAttr:$frozen);
  let hasCustomAssemblyFormat = 1;
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    ::mlir::RankedTensorType getTensorType() {
      return ::llvm::cast<::mlir::RankedTensorType>(getType());
    }
    bool isTrainable() { return !getFrozen(); }
  }];
}

def DS_LoadParamOp : DS_Op<"load_param", [
    DeclareOpInterfaceMethods<SymbolUserOpInterface>,
    MemoryEffects<[MemRead<DS_ParamResource>]>]> {
  let summary = "reads the current value of a parameter";
  let arguments = (ins FlatSymbolRefAttr:$param);
  let results = (outs DS_Tensor:$result);
  let assemblyFormat = "$param attr-dict `:` type($result)";
}

def DS_StoreParamOp : DS_Op<"store_param", [
    DeclareOpInterfaceMethods<SymbolUserOpInterface>,
    MemoryEffects<[MemWrite<DS_ParamResource>]>]> {
  let summary = "writes a new value into a parameter, or into a flat range of it";
  let description = [{
    Without `at`, the value replaces the parameter and has its type. With `at N`, the 1-D value
    overwrites the parameter's elements [N, N + size) in row-major order and leaves the rest as
    they were (ZeRO stage 1 keeps a reduced gradient shard in the accumulator it came from).
    ```mlir
    ds.store_param %shard, @w.grad at 0 : tensor<3xbf16>
    ```
  }];
  let arguments = (ins DS_Tensor:$value, FlatSymbolRefAttr:$param,
                       OptionalAttr<ConfinedAttr<I64Attr, [IntNonNegative]>>:$offset);
  let assemblyFormat = "$value `,` $param (`at` $offset^)? attr-dict `:` type($value)";
  let builders = [
    OpBuilder<(ins "::mlir::Value":$value, "::llvm::StringRef":$param), [{
      build($_builder, $_state, value, param, ::mlir::IntegerAttr());
    }]>,
  ];
}

//===----------------------------------------------------------------------===//
// Optimizer updates
//===----------------------------------------------------------------------===//

// One fused update of one parameter: the new parameter and state come back as values, which the
// step stores with ds.store_param. `lr`, `step` (1-based count of optimizer steps, this one
// included) and `grad_scale` (the factor for the accumulated gradient: 1 / loss scale, times the
// clipping coefficient) are tensor<f32> scalars the runtime feeds every step.
def DS_AdamUpdateOp : DS_Op<"adam_update", [Pure]> {
  let summary = "Adam / AdamW step, as PyTorch's single-tensor torch.optim.Adam and AdamW";
  let description = [{
    With g = grad * grad_scale: AdamW (`adam_w_mode = true`) first decays the parameter,
    p *= 1 - lr * weight_decay; Adam (`false`) adds the L2 term to the gradient, g += weight_decay
    * p. Then m = beta1 m + (1 - beta1) g, v = beta2 v + (1 - beta2) g^2 and
    p -= lr / (1 - beta1^step) * m / (sqrt(v) / sqrt(1 - beta2^step) + epsilon).
    ```mlir
    %p2, %m2, %v2 = ds.adam_update %p, %g, %m, %v, %lr, %step, %gscale
        beta1 = 0.9 beta2 = 0.999 epsilon = 1.0e-08 weight_decay = 0.01 adam_w_mode = true
        : tensor<16x8xf32>
    ```
  }];
  let arguments = (ins DS_FloatTensor:$param, DS_FloatTensor:$grad, DS_FloatTensor:$exp_avg,
                       DS_FloatTensor:$exp_avg_sq, DS_FloatTensor:$lr, DS_FloatTensor:$step,
                       DS_FloatTensor:$grad_scale, F64Attr:$beta1, F64Attr:$beta2,
                       F64Attr:$epsilon, F64Attr:$weight_decay, BoolAttr:$adam_w_mode);
  let results = (outs DS_FloatTensor:$new_param, DS_FloatTensor:$new_exp_avg,
                      DS_FloatTensor:$new_exp_avg_sq);
  let assemblyFormat = [{
    $param `,` $grad `,` $exp_avg `,` $exp_avg_sq `,` $lr `,` $step `,` $grad_scale
    `beta1` `=` $beta1 `beta2` `=` $beta2 `epsilon` `=` $epsilon
    `weight_decay` `=` $weight_decay `adam_w_mode` `=` $adam_w_mode attr-dict
    `:` custom<OptimizerTypes>(type($param), type($grad), type($exp_avg), type($exp_avg_sq),
                               type($lr), type($step), type($grad_scale), type($new_param),
                               type($new_exp_avg), type($new_exp_avg_sq))
  }];
  let hasVerifier = 1;
}

def DS_SGDUpdateOp : DS_Op<"sgd_update", [Pure]> {
  let summary = "SGD step with optional momentum, as PyTorch's single-tensor torch.optim.SGD";
  let description = [{
    d = grad * grad_scale + weight_decay * p. With momentum: on step 1 buf = d, later
    buf = momentum buf + (1 - dampening) d, and d = nesterov ? d + momentum buf : buf. Then
    p -= lr d. With momentum 0, `momentum_buffer` comes back unchanged.
    ```mlir
    %p2, %buf2 = ds.sgd_update %p, %g, %buf, %lr, %step, %gscale
        momentum = 0.9 dampening = 0.0 weight_decay = 0.0 nesterov = false : tensor<16x8xf32>
    ```
  }];
  let arguments = (ins DS_FloatTensor:$param, DS_FloatTensor:$grad,
                       DS_FloatTensor:$momentum_buffer, DS_FloatTensor:$lr, DS_FloatTensor:$step,
                       DS_FloatTensor:$grad_scale, F64Attr:$momentum, F64Attr:$dampening,
                       F64Attr:$weight_decay, BoolAttr:$nesterov);
  let results = (outs DS_FloatTensor:$new_param, DS_FloatTensor:$new_momentum_buffer);
  let assemblyFormat = [{
    $param `,` $grad `,` $momentum_buffer `,` $lr `,` $step `,` $grad_scale
    `momentum` `=` $momentum `dampening` `=` $dampening `weight_decay` `=` $weight_decay
    `nesterov` `=` $nesterov attr-dict
    `:` custom<OptimizerTypes>(type($param), type($grad), type($momentum_buffer), type($lr),
                               type($step), type($grad_scale), type($new_param),
                               type($new_momentum_buffer))
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Lifetimes
//===----------------------------------------------------------------------===//

def DS_ReleaseOp : DS_Op<"release", [MemoryEffects<[MemFree<DS_BufferResource>]>]> {
  let summary = "ends the lifetime of a tensor: its buffer may be reused after this point";
  let description = [{
    Inserted after a value's last use (by `--ds-insert-releases`, or by the ZeRO-3 pass after
    the last use of a gathered parameter); the plan emitter turns it into a free. Nothing may
    use the value after its release.
    ```mlir
    ds.release %w : tensor<16x16xf32>
    ```
  }];
  let arguments = (ins DS_Tensor:$value);
  let assemblyFormat = "$value attr-dict `:` type($value)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Device mesh and collectives
//===----------------------------------------------------------------------===//

def DS_MeshOp : DS_Op<"mesh", [Symbol, HasParent<"::mlir::ModuleOp">]> {
  let summary = "a named device mesh: axis names and sizes, ranks laid out row-major";
  let description = [{
    ```mlir
    ds.mesh @mesh(pp = 2, dp = 4, tp = 2)
    ```
    Rank r has coordinates given by r in row-major order over the axes; the group along an axis
    holds the ranks that differ only in that coordinate.
  }];
  let arguments = (ins SymbolNameAttr:$sym_name, StrArrayAttr:$axis_names,
                       DenseI64ArrayAttr:$axis_sizes);
  let hasCustomAssemblyFormat = 1;
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The size of the named axis, or nullopt when the mesh has no such axis.
    std::optional<int64_t> getAxisSize(::llvm::StringRef axis);
    int64_t getNumDevices();
  }];
}

// Collectives are never Pure: two identical all_gathers are two messages, and an all_reduce whose
// result is unused still has to happen on every rank or the others hang.
class DS_CollectiveOp<string mnemonic, list<Trait> traits = []>
    : DS_Op<mnemonic, !listconcat([
        DeclareOpInterfaceMethods<SymbolUserOpInterface>,
        MemoryEffects<[MemRead<DS_CommResource>, MemWrite<DS_CommResource>]>], traits)> {
}

def DS_AllGatherOp : DS_CollectiveOp<"all_gather"> {
  let summary = "concatenates every group member's tensor along `dim`, in rank order";
  let description = [{
    ```mlir
    %w = ds.all_gather %shard on @mesh["dp"] dim = 0 : tensor<4x8xf32> -> tensor<16x8xf32>
    ```
  }];
  let arguments = (ins DS_Tensor:$input, FlatSymbolRefAttr:$mesh, StrAttr:$axis, I64Attr:$dim);
  let results = (outs DS_Tensor:$result);
  let assemblyFormat = [{
    $input `on` $mesh `[` $axis `]` `dim` `=` $dim attr-dict `:` type($input) `->` type($result)
  }];
}

def DS_ReduceScatterOp : DS_CollectiveOp<"reduce_scatter"> {
  let summary = "combines the group's tensors and leaves each member its slice along `dim`";
  let arguments = (ins DS_ReduceKindAttr:$kind, DS_NumericTensor:$input,
                       FlatSymbolRefAttr:$mesh, StrAttr:$axis, I64Attr:$dim);
  let results = (outs DS_NumericTensor:$result);
  let assemblyFormat = [{
    $kind $input `on` $mesh `[` $axis `]` `dim` `=` $dim attr-dict
    `:` type($input) `->` type($result)
  }];
}

def DS_AllReduceOp : DS_CollectiveOp<"all_reduce", [AllTypesMatch<["input", "result"]>]> {
  let summary = "combines the group's tensors; every member gets the whole result";
  let arguments = (ins DS_ReduceKindAttr:$kind, DS_NumericTensor:$input,
                       FlatSymbolRefAttr:$mesh, StrAttr:$axis);
  let results = (outs DS_NumericTensor:$result);
  let assemblyFormat = [{
    $kind $input `on` $mesh `[` $axis `]` attr-dict `:` type($result)
  }];
}

def DS_AllToAllOp : DS_CollectiveOp<"all_to_all"> {
  let summary = "splits along `split_dim`, exchanges piece i with member i, concatenates along `concat_dim`";
  let arguments = (ins DS_Tensor:$input, FlatSymbolRefAttr:$mesh, StrAttr:$axis,
                       I64Attr:$split_dim, I64Attr:$concat_dim);
  let results = (outs DS_Tensor:$result);
  let assemblyFormat = [{
    $input `on` $mesh `[` $axis `]` `split_dim` `=` $split_dim `concat_dim` `=` $concat_dim
    attr-dict `:` type($input) `->` type($result)
  }];
}

def DS_BroadcastOp : DS_CollectiveOp<"broadcast", [AllTypesMatch<["input", "result"]>]> {
  let summary = "every member gets the tensor of the member at index `root` along the axis";
  let arguments = (ins DS_Tensor:$input, FlatSymbolRefAttr:$mesh, StrAttr:$axis,
                       I64Attr:$root);
  let results = (outs DS_Tensor:$result);
  let assemblyFormat = [{
    $input `on` $mesh `[` $axis `]` `root` `=` $root attr-dict `:` type($result)
  }];
}

// Not a collective: each rank keeps its own piece of a tensor it already holds, so nothing moves
// and it may be Pure (CSE of two identical slices on one rank is fine). It still names the mesh,
// because the piece depends on the rank's coordinate along the axis.
def DS_ShardSliceOp : DS_Op<"shard_slice", [
    Pure, DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "this rank's 1/n slice along `dim`, n the group size of the mesh axis";
  let description = [{
    The member at index i along the axis gets `input[..., i*k : (i+1)*k, ...]` along `dim`,
    k = size / n: the piece a `reduce_scatter` along the same axis and dim would leave it, with
    no communication. ZeRO takes each rank's shard of a replicated parameter this way.
    ```mlir
    %shard = ds.shard_slice %flat on @mesh["dp"] dim = 0 : tensor<20xf32> -> tensor<4xf32>
    ```
  }];
  let arguments = (ins DS_Tensor:$input, FlatSymbolRefAttr:$mesh, StrAttr:$axis, I64Attr:$dim);
  let results = (outs DS_Tensor:$result);
  let assemblyFormat = [{
    $input `on` $mesh `[` $axis `]` `dim` `=` $dim attr-dict `:` type($input) `->` type($result)
  }];
}

// Point-to-point transfers are SPMD like everything else: every member of the group sends to
// the member `shift` places after it along the axis (cyclically) and receives from the one
// `shift` places before it, so a send and a recv with the same shift and tag pair up.
def DS_SendOp : DS_CollectiveOp<"send"> {
  let summary = "sends a tensor to the member `shift` places further along the axis (cyclic)";
  let description = [{
    ```mlir
    ds.send %act on @mesh["pp"] shift = 1 tag = 0 : tensor<4x16xf32>
    ```
  }];
  let arguments = (ins DS_Tensor:$input, FlatSymbolRefAttr:$mesh, StrAttr:$axis,
                       I64Attr:$shift, DefaultValuedAttr<I64Attr, "0">:$tag);
  let assemblyFormat = [{
    $input `on` $mesh `[` $axis `]` `shift` `=` $shift `tag` `=` $tag attr-dict
    `:` type($input)
  }];
}

def DS_RecvOp : DS_CollectiveOp<"recv"> {
  let summary = "receives the tensor sent by the member `shift` places back along the axis";
  let arguments = (ins FlatSymbolRefAttr:$mesh, StrAttr:$axis, I64Attr:$shift,
                       DefaultValuedAttr<I64Attr, "0">:$tag);
  let results = (outs DS_Tensor:$result);
  let assemblyFormat = [{
    `on` $mesh `[` $axis `]` `shift` `=` $shift `tag` `=` $tag attr-dict `:` type($result)
  }];
}

// Backward ops (gelu_grad, layer_norm_grad, cross_entropy_grad, ...), which the autodiff pass emits.
include "ds/Dialect/DS/IR/DSGradientOps.td"

#endif // DS_OPS_TD
