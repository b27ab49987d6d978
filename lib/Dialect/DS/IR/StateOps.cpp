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

// ds.param [frozen] @name : T [= <elements> | = whole <elements> : W] [init #ds.init<...>]
//          [attr-dict]
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
    // `whole` marks a shard's value: it describes the whole tensor, so it carries its own type.
    Attribute value;
    if (succeeded(parser.parseOptionalKeyword("whole"))) {
      if (parser.parseAttribute(value))
        return failure();
    } else if (parser.parseAttribute(value, type)) {
      return failure();
    }
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
    if (value->getType() == getType()) {
      printer.printAttributeWithoutType(*value);
    } else {
      printer << "whole ";
      printer.printAttribute(*value);
    }
  }
  if (std::optional<InitializerAttr> initializer = getInitializer())
    printer << " init " << *initializer;
  printer.printOptionalAttrDict(
      (*this)->getAttrs(),
      {getSymNameAttrName(), getTypeAttrName(), getInitialValueAttrName(),
       getInitializerAttrName(), getFrozenAttrName()});
}

/// The whole tensor a shard param is a piece of, checked against the `ds.shard` layout: the
/// param holds S elements of the whole tensor flattened and zero-padded to `padded` = S * N
/// elements (N, the mesh axis size, is not known here).
static FailureOr<RankedTensorType> verifyShardLayout(ParamOp param, Attribute attr) {
  auto shard = dyn_cast<DictionaryAttr>(attr);
  if (!shard)
    return param.emitOpError("ds.shard must be a dictionary, got ") << attr;
  if (!shard.getAs<FlatSymbolRefAttr>("mesh"))
    return param.emitOpError("ds.shard needs 'mesh', the symbol of a ds.mesh");
  if (!shard.getAs<StringAttr>("axis"))
    return param.emitOpError("ds.shard needs 'axis', a mesh axis name");
  auto numelAttr = shard.getAs<IntegerAttr>("numel");
  auto paddedAttr = shard.getAs<IntegerAttr>("padded");
  if (!numelAttr || !paddedAttr)
    return param.emitOpError("ds.shard needs integer 'numel' and 'padded'");
  auto shape = shard.getAs<DenseI64ArrayAttr>("shape");
  if (!shape)
    return param.emitOpError("ds.shard needs 'shape', the whole tensor's shape (array<i64>)");
  RankedTensorType type = param.getTensorType();
  if (type.getRank() != 1)
    return param.emitOpError("a shard (ds.shard) must be a flat tensor, got ") << type;
  int64_t numel = numelAttr.getInt(), padded = paddedAttr.getInt();
  int64_t shardSize = type.getDimSize(0);
  int64_t product = 1;
  for (int64_t dim : shape.asArrayRef()) {
    if (dim < 0)
      return param.emitOpError("ds.shard shape has a negative dimension ") << dim;
    product *= dim;
  }
  if (product != numel) {
    InFlightDiagnostic diag = param.emitOpError("ds.shard numel ")
                              << numel << " is not the number of elements of shape [";
    llvm::interleaveComma(shape.asArrayRef(), diag);
    return diag << "] (" << product << ")";
  }
  if (padded < numel)
    return param.emitOpError("ds.shard padded size ")
           << padded << " is smaller than numel " << numel;
  if (shardSize == 0 ? padded != 0 : padded % shardSize != 0)
    return param.emitOpError("ds.shard padded size ")
           << padded << " is not a whole number of shards of " << shardSize << " elements";
  return RankedTensorType::get(shape.asArrayRef(), type.getElementType());
}

LogicalResult ParamOp::verify() {
  RankedTensorType type = getTensorType();
  // A shard's initial value or initializer describes the whole tensor.
  RankedTensorType valueType = type;
  if (Attribute shard = (*this)->getAttr("ds.shard")) {
    FailureOr<RankedTensorType> whole = verifyShardLayout(*this, shard);
    if (failed(whole))
      return failure();
    valueType = *whole;
  }
  if (std::optional<ElementsAttr> value = getInitialValue()) {
    if (value->getType() != valueType)
      return emitOpError("initial value of type ")
             << value->getType() << " does not match "
             << (valueType == type ? "the parameter type " : "the whole tensor's type ")
             << valueType;
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
  std::optional<uint64_t> offset = getOffset();
  if (!offset)
    return lookupParam(*this, symbolTable, getParamAttr(), getValue().getType());
  auto param = symbolTable.lookupNearestSymbolFrom<ParamOp>(*this, getParamAttr());
  if (!param)
    return emitOpError("'") << getParamAttr() << "' does not name a ds.param";
  auto value = cast<RankedTensorType>(getValue().getType());
  RankedTensorType type = param.getTensorType();
  if (value.getRank() != 1 || value.getElementType() != type.getElementType())
    return emitOpError("a store at an offset takes a 1-D tensor of ")
           << getParamAttr() << "'s element type " << type.getElementType() << ", got "
           << value;
  int64_t end = static_cast<int64_t>(*offset) + value.getNumElements();
  if (end > type.getNumElements())
    return emitOpError("elements [")
           << *offset << ", " << end << ") are past the end of " << getParamAttr() << " ("
           << type.getNumElements() << " elements)";
  return success();
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
