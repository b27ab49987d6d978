//===- StripParamValues.cpp - reduce a model to its parameter shapes ------===//

#include "ds/Dialect/DS/IR/DSOps.h"
#include "ds/Transforms/Passes.h"

namespace mlir::ds {
#define GEN_PASS_DEF_STRIPPARAMVALUES
#include "ds/Transforms/Passes.h.inc"
} // namespace mlir::ds

using namespace mlir;
using namespace mlir::ds;

namespace {
struct StripParamValuesPass
    : public ds::impl::StripParamValuesBase<StripParamValuesPass> {
  using StripParamValuesBase::StripParamValuesBase;

  void runOnOperation() override {
    for (ParamOp param : getOperation().getOps<ParamOp>())
      if (param.getTensorType().getNumElements() >= minElements)
        param.removeInitialValueAttr();
  }
};
} // namespace
