//===- DSDerivativeInterface.td - reverse-mode derivative rules -*- tablegen -*-===//
//
// Each differentiable ds op implements this interface (lib/Dialect/DS/IR/Derivatives/, attached
// as external models so each op family keeps its rules in one file). The autodiff pass is one
// generic walk over it, in the manner of Enzyme-MLIR's ReverseAutoDiffOpInterface.
//
//===----------------------------------------------------------------------===//

#ifndef DS_DERIVATIVE_INTERFACE_TD
#define DS_DERIVATIVE_INTERFACE_TD

include "mlir/IR/OpBase.td"

def DS_DerivativeOpInterface : OpInterface<"DerivativeOpInterface"> {
  let description = [{
    The reverse-mode derivative rule of an op: given the gradients of the loss with respect to
    the op's results, build (after the op, at the builder's insertion point) the gradients with
    respect to its operands.
  }];
  let cppNamespace = "::mlir::ds";
  let methods = [
    InterfaceMethod<[{
        Builds operand gradients. `resultGradients` has one entry per result; an entry is null
        when no gradient flows into that result (it counts as zero; at least one entry is
        non-null). `operandGradients` comes in sized to the operands and filled with null; the
        rule sets the entries of the operands it differentiates (each with its operand's type)
        and leaves integer, boolean and non-differentiable operands null.
      }],
      "::mlir::LogicalResult", "buildGradients",
      (ins "::mlir::OpBuilder &":$builder,
           "::mlir::ArrayRef<::mlir::Value>":$resultGradients,
           "::llvm::MutableArrayRef<::mlir::Value>":$operandGradients)>,
  ];
}

#endif // DS_DERIVATIVE_INTERFACE_TD
