//===- DSDialect.cpp - ds dialect registration and attributes -------------===//

#include "ds/Dialect/DS/IR/DSDialect.h"
#include "DSOpsUtils.h"
#include "ds/Dialect/DS/IR/DSDerivatives.h"
#include "ds/Dialect/DS/IR/DSOps.h"

#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::ds;

#include "ds/Dialect/DS/IR/DSDialect.cpp.inc"
#include "ds/Dialect/DS/IR/DSEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "ds/Dialect/DS/IR/DSAttrs.cpp.inc"

void DSDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "ds/Dialect/DS/IR/DSOps.cpp.inc"
      >();
  registerAttributes();
  attachDerivativeInterfaces(getContext());
}

void DSDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "ds/Dialect/DS/IR/DSAttrs.cpp.inc"
      >();
}

Operation *DSDialect::materializeConstant(OpBuilder &builder, Attribute value,
                                          Type type, Location loc) {
  auto elements = dyn_cast<ElementsAttr>(value);
  if (!elements || elements.getType() != type)
    return nullptr;
  return builder.create<ConstantOp>(loc, elements);
}

//===----------------------------------------------------------------------===//
// #ds.init
//===----------------------------------------------------------------------===//

namespace {
/// The names of an initializer's two numeric parameters, or none for constant fills.
std::optional<std::pair<StringRef, StringRef>>
initializerParamNames(InitDistribution distribution) {
  switch (distribution) {
  case InitDistribution::Normal:
    return std::make_pair(StringRef("mean"), StringRef("std"));
  case InitDistribution::Uniform:
    return std::make_pair(StringRef("low"), StringRef("high"));
  case InitDistribution::Zeros:
  case InitDistribution::Ones:
    return std::nullopt;
  }
  llvm_unreachable("unknown distribution");
}
} // namespace

Attribute InitializerAttr::parse(AsmParser &parser, Type) {
  StringRef keyword;
  SMLoc loc = parser.getCurrentLocation();
  if (parser.parseLess() || parser.parseKeyword(&keyword))
    return {};
  std::optional<InitDistribution> distribution =
      symbolizeInitDistribution(keyword);
  if (!distribution) {
    parser.emitError(loc, "unknown initializer distribution '")
        << keyword << "' (expected zeros, ones, normal or uniform)";
    return {};
  }
  double a = 0, b = 0;
  uint64_t seed = 0;
  if (auto names = initializerParamNames(*distribution)) {
    if (parser.parseComma() || parser.parseKeyword(names->first) ||
        parser.parseEqual() || parser.parseFloat(a) || parser.parseComma() ||
        parser.parseKeyword(names->second) || parser.parseEqual() ||
        parser.parseFloat(b) || parser.parseComma() ||
        parser.parseKeyword("seed") || parser.parseEqual() ||
        parser.parseInteger(seed))
      return {};
  }
  if (parser.parseGreater())
    return {};
  return parser.getChecked<InitializerAttr>(
      parser.getContext(), *distribution, APFloat(a), APFloat(b), seed);
}

void InitializerAttr::print(AsmPrinter &printer) const {
  printer << "<" << stringifyInitDistribution(getDistribution());
  if (auto names = initializerParamNames(getDistribution()))
    printer << ", " << names->first << " = " << getA().convertToDouble() << ", "
            << names->second << " = " << getB().convertToDouble()
            << ", seed = " << getSeed();
  printer << ">";
}

LogicalResult
InitializerAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                        InitDistribution distribution, APFloat aValue,
                        APFloat bValue, uint64_t) {
  double a = aValue.convertToDouble(), b = bValue.convertToDouble();
  if (distribution == InitDistribution::Normal && !(b > 0))
    return emitError() << "normal initializer needs std > 0, got "
                       << formatDouble(b);
  if (distribution == InitDistribution::Uniform && !(a < b))
    return emitError() << "uniform initializer needs low < high, got ["
                       << formatDouble(a) << ", " << formatDouble(b) << ")";
  return success();
}
