//===- DSOps.cpp - ds op definitions and the helpers ops share ------------===//
//
// The generated op classes, plus what several op families need: numpy broadcasting, axis
// normalization and the short/long type syntax of binary ops. Per-family verifiers and folders
// live in ElementwiseOps.cpp, ContractionOps.cpp, ShapeOps.cpp, StateOps.cpp, CollectiveOps.cpp.
//
//===----------------------------------------------------------------------===//

#include "ds/Dialect/DS/IR/DSOps.h"
#include "DSOpsUtils.h"

#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/TypeUtilities.h"

#include <cstdio>
#include <cstdlib>

using namespace mlir;
using namespace mlir::ds;

std::optional<SmallVector<int64_t>>
mlir::ds::broadcastShapes(ArrayRef<ArrayRef<int64_t>> shapes) {
  size_t rank = 0;
  for (ArrayRef<int64_t> shape : shapes)
    rank = std::max(rank, shape.size());
  SmallVector<int64_t> result(rank, 1);
  for (ArrayRef<int64_t> shape : shapes) {
    size_t offset = rank - shape.size();
    for (auto [i, dim] : llvm::enumerate(shape)) {
      int64_t &out = result[offset + i];
      if (dim == out || dim == 1)
        continue;
      if (out != 1)
        return std::nullopt;
      out = dim;
    }
  }
  return result;
}

std::optional<int64_t> mlir::ds::normalizeAxis(int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank)
    return std::nullopt;
  return axis < 0 ? axis + rank : axis;
}

std::string mlir::ds::formatDouble(double value) {
  // APFloat::toString prints all 17 digits of 0.9 ("0.90000000000000002"); the first %g
  // precision that reads back exactly is what a user wrote.
  char text[32];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(text, sizeof text, "%.*g", precision, value);
    if (std::strtod(text, nullptr) == value)
      break;
  }
  return text;
}

std::string mlir::ds::shapeToString(ArrayRef<int64_t> shape) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << "[";
  llvm::interleaveComma(shape, os);
  os << "]";
  return text;
}

LogicalResult mlir::ds::verifyBroadcastingOp(Operation *op,
                                             bool sameElementType) {
  SmallVector<ArrayRef<int64_t>> shapes;
  for (Type type : op->getOperandTypes())
    shapes.push_back(cast<ShapedType>(type).getShape());
  std::optional<SmallVector<int64_t>> expected = broadcastShapes(shapes);
  if (!expected) {
    InFlightDiagnostic diag = op->emitOpError("operand shapes ");
    llvm::interleave(
        shapes, [&](ArrayRef<int64_t> s) { diag << shapeToString(s); },
        [&] { diag << ", "; });
    return diag << " do not broadcast";
  }
  auto resultType = cast<ShapedType>(op->getResult(0).getType());
  if (resultType.getShape() != ArrayRef<int64_t>(*expected))
    return op->emitOpError("result shape ")
           << shapeToString(resultType.getShape())
           << " is not the broadcast shape " << shapeToString(*expected);
  if (sameElementType) {
    Type element = resultType.getElementType();
    for (Type type : op->getOperandTypes())
      if (getElementTypeOrSelf(type) != element)
        return op->emitOpError("element types differ: ")
               << getElementTypeOrSelf(type) << " vs " << element;
  }
  return success();
}

LogicalResult mlir::ds::verifyReduction(Operation *op, ArrayRef<int64_t> axes,
                                        bool keepdim) {
  auto inputType = cast<RankedTensorType>(op->getOperand(0).getType());
  auto resultType = cast<RankedTensorType>(op->getResult(0).getType());
  int64_t rank = inputType.getRank();
  SmallVector<bool> reduced(rank, false);
  for (int64_t axis : axes) {
    std::optional<int64_t> normalized = normalizeAxis(axis, rank);
    if (!normalized)
      return op->emitOpError("axis ") << axis << " is out of range for rank "
                                      << rank;
    if (reduced[*normalized])
      return op->emitOpError("axis ") << axis << " is listed twice";
    reduced[*normalized] = true;
  }
  SmallVector<int64_t> expected;
  for (int64_t i = 0; i < rank; ++i) {
    if (!reduced[i])
      expected.push_back(inputType.getDimSize(i));
    else if (keepdim)
      expected.push_back(1);
  }
  if (resultType.getShape() != ArrayRef<int64_t>(expected))
    return op->emitOpError("result shape ")
           << shapeToString(resultType.getShape()) << " should be "
           << shapeToString(expected);
  if (resultType.getElementType() != inputType.getElementType())
    return op->emitOpError("result element type differs from the input's");
  return success();
}

// `%a, %b : T` when all three types agree, else `%a, %b : (A, B) -> C`.
ParseResult mlir::ds::parseBinaryOp(OpAsmParser &parser,
                                    OperationState &result) {
  SmallVector<OpAsmParser::UnresolvedOperand, 2> operands;
  SMLoc loc = parser.getCurrentLocation();
  if (parser.parseOperandList(operands, /*requiredOperandCount=*/2) ||
      parser.parseOptionalAttrDict(result.attributes) || parser.parseColon())
    return failure();
  Type type;
  if (parser.parseType(type))
    return failure();
  SmallVector<Type, 2> operandTypes;
  if (auto function = dyn_cast<FunctionType>(type)) {
    if (function.getNumInputs() != 2 || function.getNumResults() != 1)
      return parser.emitError(loc, "expected (lhs, rhs) -> result type");
    llvm::append_range(operandTypes, function.getInputs());
    result.addTypes(function.getResults());
  } else {
    operandTypes.assign(2, type);
    result.addTypes(type);
  }
  return parser.resolveOperands(operands, operandTypes, loc, result.operands);
}

void mlir::ds::printBinaryOp(OpAsmPrinter &printer, Operation *op) {
  printer << " " << op->getOperands();
  printer.printOptionalAttrDict(op->getAttrs());
  printer << " : ";
  Type resultType = op->getResult(0).getType();
  if (llvm::all_of(op->getOperandTypes(),
                   [&](Type t) { return t == resultType; }))
    printer << resultType;
  else
    printer.printFunctionalType(op);
}

#define GET_OP_CLASSES
#include "ds/Dialect/DS/IR/DSOps.cpp.inc"
