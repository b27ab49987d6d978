//===- DSDialect.h - the ds dialect -----------------------------*- C++ -*-===//
//
// The dialect class, its enums and attributes, and the side-effect resources of its ops.
//
//===----------------------------------------------------------------------===//

#ifndef DS_DIALECT_DS_IR_DSDIALECT_H
#define DS_DIALECT_DS_IR_DSDIALECT_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "ds/Dialect/DS/IR/DSDialect.h.inc"
#include "ds/Dialect/DS/IR/DSEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "ds/Dialect/DS/IR/DSAttrs.h.inc"

namespace mlir::ds {

/// Model state (ds.param) read by load_param and written by store_param.
struct ParamResource : public SideEffects::Resource::Base<ParamResource> {
  StringRef getName() final { return "ds.param"; }
};

/// The network between ranks; every collective reads and writes it.
struct CommunicationResource
    : public SideEffects::Resource::Base<CommunicationResource> {
  StringRef getName() final { return "ds.communication"; }
};

/// Tensor storage whose lifetime ds.release ends.
struct BufferResource : public SideEffects::Resource::Base<BufferResource> {
  StringRef getName() final { return "ds.buffer"; }
};

} // namespace mlir::ds

#endif // DS_DIALECT_DS_IR_DSDIALECT_H
