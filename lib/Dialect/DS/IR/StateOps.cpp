//===- StateOps.cpp - ds.param, load/store of parameters, release, ds.mesh ===//

#include "DSOpsUtils.h"
#include "ds/Dialect/DS/IR/DSOps.h"

#include "mlir/IR/TypeUtilities.h"
#include "llvm/ADT/StringSet.h"

using namespace mlir;
using namespace mlir::ds;

//===----------------------------------------------------------------------===//
// ds.param
//===----------------------------------------------------------------------===//

// ds.param [frozen] @name : T [= <elements>] [init #ds.init<...>] [attr-dict]
ParseResult ParamOp::parse(OpAsmParser &parser, OperationState &result) {
  MLIRContext *context = parser.getContext();
  if (succeeded(parser.parseOptionalKeyword("frozen")))
    result.addAttribute(getFrozenAttrName(result.name), UnitAttr::get(context));
  StringAttr name;
  Type type;
  if (parser.parseSymbolName(name, SymbolTable::getSymbolAttrName(),
                             result.attributes) ||
      parser.parseColonType(type))
    return failure();
  result.addAttribute(getTypeAttrName(result.name), TypeAttr::get(type));
  if (succeeded(parser.parseOptionalEqual())) {
    Attribute value;
    if (parser.parseAttribute(value, type))
      return failure();
    result.addAttribute(getInitialValueAttrName(result.name), value);
  }
  if (succeeded(parser.parseOptionalKeyword("init"))) {
    InitializerAttr initializer;
    if (parser.parseAttribute(initializer))
      return failure();
    result.addAttribute(getInitializerAttrName(result.name), initializer);
  }
  return parser.parseOptionalAttrDict(result.attributes);
}

void ParamOp::print(OpAsmPrinter &printer) {
  if (getFrozen())
    printer << " frozen";
  printer << " ";
  printer.printSymbolName(getSymName());
  printer << " : " << getType();
  if (std::optional<ElementsAttr> value = getInitialValue()) {
    printer << " = ";
    printer.printAttributeWithoutType(*value);
  }
  if (std::optional<InitializerAttr> initializer = getInitializer())
    printer << " init " << *initializer;
  printer.printOptionalAttrDict(
      (*this)->getAttrs(),
      {getSymNameAttrName(), getTypeAttrName(), getInitialValueAttrName(),
       getInitializerAttrName(), getFrozenAttrName()});
}

LogicalResult ParamOp::verify() {
  RankedTensorType type = getTensorType();
  if (std::optional<ElementsAttr> value = getInitialValue()) {
    if (value->getType() != type)
      return emitOpError("initial value of type ")
             << value->getType() << " does not match the parameter type "
             << type;
    if (getInitializer())
      return emitOpError("has both an initial value and an initializer");
  }
  if (std::optional<InitializerAttr> initializer = getInitializer()) {
    InitDistribution d = initializer->getDistribution();
    bool random = d == InitDistribution::Normal || d == InitDistribution::Uniform;
    if (random && !isa<FloatType>(type.getElementType()))
      return emitOpError("random initializer needs a float parameter, got ")
             << type.getElementType();
  }
  return success();
}

/// The ds.param that `symbol` names from `op`, or an error that says what is wrong.
static FailureOr<ParamOp> lookupParam(Operation *op,
                                      SymbolTableCollection &symbolTable,
                                      FlatSymbolRefAttr symbol, Type valueType) {
  auto param = symbolTable.lookupNearestSymbolFrom<ParamOp>(op, symbol);
  if (!param)
    return op->emitOpError("'") << symbol << "' does not name a ds.param";
  if (param.getType() != valueType)
    return op->emitOpError("type ")
           << valueType << " does not match " << symbol << " of type "
           << param.getType();
  return param;
}

LogicalResult
LoadParamOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  return lookupParam(*this, symbolTable, getParamAttr(), getType());
}

LogicalResult
StoreParamOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  return lookupParam(*this, symbolTable, getParamAttr(), getValue().getType());
}

//===----------------------------------------------------------------------===//
// ds.release
//===----------------------------------------------------------------------===//

LogicalResult ReleaseOp::verify() {
  // Uses in the same block are ordered against the release; ds step functions are a single
  // block, so that covers them.
  Operation *self = getOperation();
  for (Operation *user : getValue().getUsers()) {
    if (user == self || user->getBlock() != self->getBlock())
      continue;
    if (self->isBeforeInBlock(user)) {
      InFlightDiagnostic diag = emitOpError("value is used after its release");
      diag.attachNote(user->getLoc()) << "used here";
      return diag;
    }
  }
  return success();
}

//===----------------------------------------------------------------------===//
// ds.mesh
//===----------------------------------------------------------------------===//

// ds.mesh @name(axis = size, ...)
ParseResult MeshOp::parse(OpAsmParser &parser, OperationState &result) {
  StringAttr name;
  if (parser.parseSymbolName(name, SymbolTable::getSymbolAttrName(),
                             result.attributes))
    return failure();
  SmallVector<Attribute> names;
  SmallVector<int64_t> sizes;
  auto parseAxis = [&]() -> ParseResult {
    std::string axis;
    int64_t size;
    if (parser.parseKeywordOrString(&axis) || parser.parseEqual() ||
        parser.parseInteger(size))
      return failure();
    names.push_back(parser.getBuilder().getStringAttr(axis));
    sizes.push_back(size);
    return success();
  };
  if (parser.parseCommaSeparatedList(OpAsmParser::Delimiter::Paren, parseAxis))
    return failure();
  Builder &builder = parser.getBuilder();
  result.addAttribute(getAxisNamesAttrName(result.name),
                      builder.getArrayAttr(names));
  result.addAttribute(getAxisSizesAttrName(result.name),
                      builder.getDenseI64ArrayAttr(sizes));
  return parser.parseOptionalAttrDict(result.attributes);
}

void MeshOp::print(OpAsmPrinter &printer) {
  printer << " ";
  printer.printSymbolName(getSymName());
  printer << "(";
  llvm::interleaveComma(
      llvm::zip(getAxisNames().getAsValueRange<StringAttr>(), getAxisSizes()),
      printer, [&](auto axis) {
        printer.printKeywordOrString(std::get<0>(axis));
        printer << " = " << std::get<1>(axis);
      });
  printer << ")";
  printer.printOptionalAttrDict(
      (*this)->getAttrs(),
      {getSymNameAttrName(), getAxisNamesAttrName(), getAxisSizesAttrName()});
}

LogicalResult MeshOp::verify() {
  if (getAxisNames().empty())
    return emitOpError("needs at least one axis");
  if (getAxisNames().size() != getAxisSizes().size())
    return emitOpError("has ") << getAxisNames().size() << " axis names but "
                               << getAxisSizes().size() << " sizes";
  llvm::StringSet<> seen;
  for (auto [name, size] : llvm::zip(
           getAxisNames().getAsValueRange<StringAttr>(), getAxisSizes())) {
    if (name.empty())
      return emitOpError("axis names must not be empty");
    if (!seen.insert(name).second)
      return emitOpError("axis '") << name << "' appears twice";
    if (size < 1)
      return emitOpError("axis '") << name << "' has size " << size
                                   << ", expected >= 1";
  }
  return success();
}

std::optional<int64_t> MeshOp::getAxisSize(StringRef axis) {
  for (auto [name, size] : llvm::zip(
           getAxisNames().getAsValueRange<StringAttr>(), getAxisSizes()))
    if (name == axis)
      return size;
  return std::nullopt;
}

int64_t MeshOp::getNumDevices() {
  int64_t devices = 1;
  for (int64_t size : getAxisSizes())
    devices *= size;
  return devices;
}
