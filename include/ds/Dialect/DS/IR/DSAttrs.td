//===- DSAttrs.td - ds attributes and enums -----------------*- tablegen -*-===//

#ifndef DS_ATTRS_TD
#define DS_ATTRS_TD

include "ds/Dialect/DS/IR/DSDialect.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

//===----------------------------------------------------------------------===//
// Enums
//===----------------------------------------------------------------------===//

def DS_GeluApproximationAttr : I32EnumAttr<"GeluApproximation",
    "how gelu computes the Gaussian CDF", [
      I32EnumAttrCase<"None", 0, "none">,
      I32EnumAttrCase<"Tanh", 1, "tanh">]> {
  let cppNamespace = "::mlir::ds";
}

def DS_ReduceKindAttr : I32EnumAttr<"ReduceKind",
    "how a collective combines the contributions of a group", [
      I32EnumAttrCase<"Sum", 0, "sum">,
      I32EnumAttrCase<"Avg", 1, "avg">,
      I32EnumAttrCase<"Max", 2, "max">,
      I32EnumAttrCase<"Min", 3, "min">]> {
  let cppNamespace = "::mlir::ds";
}

def DS_ComparePredicateAttr : I32EnumAttr<"ComparePredicate",
    "elementwise comparison", [
      I32EnumAttrCase<"EQ", 0, "eq">,
      I32EnumAttrCase<"NE", 1, "ne">,
      I32EnumAttrCase<"LT", 2, "lt">,
      I32EnumAttrCase<"LE", 3, "le">,
      I32EnumAttrCase<"GT", 4, "gt">,
      I32EnumAttrCase<"GE", 5, "ge">]> {
  let cppNamespace = "::mlir::ds";
}

def DS_LossReductionAttr : I32EnumAttr<"LossReduction",
    "how a loss combines per-token values (as torch's reduction=)", [
      I32EnumAttrCase<"None", 0, "none">,
      I32EnumAttrCase<"Mean", 1, "mean">,
      I32EnumAttrCase<"Sum", 2, "sum">]> {
  let cppNamespace = "::mlir::ds";
}

def DS_InitDistribution : I32EnumAttr<"InitDistribution",
    "distribution a parameter is drawn from when it has no stored value", [
      I32EnumAttrCase<"Zeros", 0, "zeros">,
      I32EnumAttrCase<"Ones", 1, "ones">,
      I32EnumAttrCase<"Normal", 2, "normal">,
      I32EnumAttrCase<"Uniform", 3, "uniform">]> {
  let cppNamespace = "::mlir::ds";
  let genSpecializedAttr = 0;
}

//===----------------------------------------------------------------------===//
// Attributes
//===----------------------------------------------------------------------===//

def DS_InitializerAttr : AttrDef<DS_Dialect, "Initializer"> {
  let mnemonic = "init";
  let summary = "how to initialize a parameter that has no stored value";
  let description = [{
    `#ds.init<normal, mean = 0.0, std = 0.02, seed = 7>`,
    `#ds.init<uniform, low = -0.1, high = 0.1, seed = 3>`, `#ds.init<zeros>`, `#ds.init<ones>`.
    For zeros and ones the numeric parameters are unused and not printed.
  }];
  let parameters = (ins
    EnumParameter<DS_InitDistribution>:$distribution,
    APFloatParameter<"mean or low">:$a,
    APFloatParameter<"std or high">:$b,
    "uint64_t":$seed);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
}

#endif // DS_ATTRS_TD
