//===- OpAttrs.cpp - an op's attributes as plan instruction attributes ----===//

#include "OpAttrs.h"

#include "ds/Dialect/DS/IR/DSOps.h"

#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::ds;
namespace plan = ::ds::plan;

/// The keyword of an enum attribute, or nullopt when `name` is not an enum of
/// `op`. ODS's I32EnumAttrs are plain i32 IntegerAttrs underneath, so only the
/// op can tell an enum from an integer; a new enum attribute on a ds op needs a
/// case here, or it reaches the runtime as its number.
static std::optional<std::string> getEnumKeyword(Operation *op,
                                                 StringAttr name) {
  using Keyword = std::optional<std::string>;
  return llvm::TypeSwitch<Operation *, Keyword>(op)
      .Case<GeluOp, GeluGradOp>([&](auto gelu) -> Keyword {
        if (name == gelu.getApproximateAttrName())
          return stringifyGeluApproximation(gelu.getApproximate()).str();
        return std::nullopt;
      })
      .Case([&](CompareOp compare) -> Keyword {
        if (name == compare.getPredicateAttrName())
          return stringifyComparePredicate(compare.getPredicate()).str();
        return std::nullopt;
      })
      .Case<CrossEntropyOp, CrossEntropyGradOp>([&](auto loss) -> Keyword {
        if (name == loss.getReductionAttrName())
          return stringifyLossReduction(loss.getReduction()).str();
        return std::nullopt;
      })
      .Case<AllReduceOp, ReduceScatterOp>([&](auto collective) -> Keyword {
        if (name == collective.getKindAttrName())
          return stringifyReduceKind(collective.getKind()).str();
        return std::nullopt;
      })
      .Default([](Operation *) -> Keyword { return std::nullopt; });
}

/// `[values]` as an IntList, when every element is an integer.
static bool convertIntegerArray(ArrayAttr array, plan::IntList &ints) {
  for (Attribute element : array) {
    auto integer = dyn_cast<IntegerAttr>(element);
    if (!integer)
      return false;
    ints.add_values(integer.getValue().getSExtValue());
  }
  return true;
}

/// Converts one attribute; false when a plan has no way to say it.
static bool convertAttr(Attribute attr, plan::Attr &out) {
  if (isa<UnitAttr>(attr)) {
    out.set_i(1);
  } else if (auto flag = dyn_cast<BoolAttr>(attr)) {
    out.set_i(flag.getValue() ? 1 : 0);
  } else if (auto integer = dyn_cast<IntegerAttr>(attr)) {
    out.set_i(integer.getValue().getSExtValue());
  } else if (auto number = dyn_cast<FloatAttr>(attr)) {
    out.set_f(number.getValueAsDouble());
  } else if (auto string = dyn_cast<StringAttr>(attr)) {
    out.set_s(string.str());
  } else if (auto symbol = dyn_cast<SymbolRefAttr>(attr)) {
    std::string path = symbol.getRootReference().str();
    for (FlatSymbolRefAttr nested : symbol.getNestedReferences())
      path += "::" + nested.getValue().str();
    out.set_s(path);
  } else if (auto array = dyn_cast<DenseI64ArrayAttr>(attr)) {
    for (int64_t value : array.asArrayRef())
      out.mutable_ints()->add_values(value);
  } else if (auto array = dyn_cast<DenseI32ArrayAttr>(attr)) {
    // operandSegmentSizes: which optional operands (a layer_norm's weight,
    // bias) are present.
    for (int32_t value : array.asArrayRef())
      out.mutable_ints()->add_values(value);
  } else if (auto array = dyn_cast<ArrayAttr>(attr)) {
    return convertIntegerArray(array, *out.mutable_ints());
  } else {
    return false;
  }
  return true;
}

namespace ds {
LogicalResult addInherentAttrs(Operation *op, plan::Instruction &instruction) {
  std::optional<RegisteredOperationName> info = op->getRegisteredInfo();
  if (!info)
    return op->emitError("the plan emitter cannot read the attributes of "
                         "unregistered op '")
           << op->getName() << "'";
  auto &attrs = *instruction.mutable_attrs();
  for (StringAttr name : info->getAttributeNames()) {
    std::optional<Attribute> attr = op->getInherentAttr(name);
    if (!attr || !*attr)
      continue;
    plan::Attr converted;
    if (std::optional<std::string> keyword = getEnumKeyword(op, name)) {
      converted.set_s(*keyword);
    } else if (!convertAttr(*attr, converted)) {
      return op->emitError("attribute '")
             << name.getValue() << "' = " << *attr
             << " has no form in a plan (expected an integer, float, string, "
                "enum, symbol, unit or integer array)";
    }
    attrs[name.str()] = std::move(converted);
  }
  return success();
}
} // namespace ds
