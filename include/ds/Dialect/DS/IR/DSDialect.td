//===- DSDialect.td - the ds dialect ------------------------*- tablegen -*-===//
//
// The `ds` dialect: a training step as tensors, model state and collectives.
//
//===----------------------------------------------------------------------===//

#ifndef DS_DIALECT_TD
#define DS_DIALECT_TD

include "mlir/IR/OpBase.td"

def DS_Dialect : Dialect {
  let name = "ds";
  let cppNamespace = "::mlir::ds";
  let summary = "DeepSpeed as a compiler: tensor compute, model state and collectives";
  let description = [{
    Compute ops work on ranked, statically shaped builtin tensors. Model state lives in `ds.param`
    symbols that functions read and write with `ds.load_param` / `ds.store_param`. Collectives run on
    a named axis of a `ds.mesh` and have memory effects, so no canonicalization removes or merges them.
  }];
  let useDefaultAttributePrinterParser = 1;
  let hasConstantMaterializer = 1;
  let extraClassDeclaration = [{
    void registerAttributes();
  }];
}

class DS_Op<string mnemonic, list<Trait> traits = []>
    : Op<DS_Dialect, mnemonic, traits>;

#endif // DS_DIALECT_TD
