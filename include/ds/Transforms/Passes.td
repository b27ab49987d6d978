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

#endif // DS_TRANSFORMS_PASSES_TD
