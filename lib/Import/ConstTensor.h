//===- ConstTensor.h - tensors known while importing ------------*- C++ -*-===//
//
// The import-time constant evaluator's value: a small dense tensor of any ONNX numeric type,
// held as doubles (float types) or int64 (integers and bool). Shape sub-graphs (Shape, Gather,
// Concat, Range, ...) are computed on these, so the ds program only ever sees their results.
//
//===----------------------------------------------------------------------===//

#ifndef DS_LIB_IMPORT_CONSTTENSOR_H
#define DS_LIB_IMPORT_CONSTTENSOR_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>
#include <vector>

namespace ds::importer {

class ConstTensor {
public:
  ConstTensor() = default;
  /// Zero-filled.
  ConstTensor(mlir::Type elementType, llvm::ArrayRef<int64_t> shape);

  mlir::Type getElementType() const { return elementType; }
  llvm::ArrayRef<int64_t> getShape() const { return shape; }
  int64_t getRank() const { return shape.size(); }
  int64_t getNumElements() const;
  bool isFloat() const { return llvm::isa<mlir::FloatType>(elementType); }
  mlir::RankedTensorType getType() const;

  double getDouble(int64_t i) const;
  int64_t getInt(int64_t i) const;
  /// Stores `value` rounded (floats) or wrapped (integers) to the element type, as a tensor of
  /// that type would hold it.
  void setDouble(int64_t i, double value);
  void setInt(int64_t i, int64_t value);
  /// Copies element `from` of `source` (same element type) into element `to`.
  void copyElement(int64_t to, const ConstTensor &source, int64_t from);

  /// The same elements in another shape of the same size.
  ConstTensor reshaped(llvm::ArrayRef<int64_t> newShape) const;
  /// Every element converted as ONNX Cast does: floats to integers truncate, anything to bool
  /// is "non-zero".
  ConstTensor castTo(mlir::Type newElementType) const;
  /// Whether every element holds the same value.
  bool isSplat() const;

  mlir::DenseElementsAttr toAttr() const;
  /// Decodes `bytes`, little-endian elements as ONNX's raw_data stores them (bool: one byte).
  static llvm::Expected<ConstTensor>
  fromBytes(mlir::Type elementType, llvm::ArrayRef<int64_t> shape, llvm::ArrayRef<char> bytes);

private:
  mlir::Type elementType;
  llvm::SmallVector<int64_t> shape;
  std::vector<double> floats; // float element types
  std::vector<int64_t> ints;  // integer and bool element types
};

/// The width in bytes of one element as ONNX stores it raw (bool: 1).
int64_t getElementByteWidth(mlir::Type elementType);

/// Whether the ds dialect has tensors of this element type (f16 bf16 f32 f64 i1 i8 i32 i64).
bool isDSElementType(mlir::Type elementType);

/// "f32", "ui8", for messages.
std::string formatType(mlir::Type type);
/// "[2, 3]", for messages.
std::string formatShape(llvm::ArrayRef<int64_t> shape);

/// The numpy broadcast of two shapes, or nullopt when they conflict.
std::optional<llvm::SmallVector<int64_t>> broadcastShapes(llvm::ArrayRef<int64_t> a,
                                                          llvm::ArrayRef<int64_t> b);

/// For each element of a tensor of `resultShape` (row-major), the index of the element of an
/// operand of `operandShape` that numpy broadcasting pairs it with.
std::vector<int64_t> broadcastIndices(llvm::ArrayRef<int64_t> operandShape,
                                      llvm::ArrayRef<int64_t> resultShape);

/// Row-major strides of `shape`.
llvm::SmallVector<int64_t> getStrides(llvm::ArrayRef<int64_t> shape);

//===----------------------------------------------------------------------===//
// Evaluation of the ops that shape sub-graphs use (ConstEval.cpp)
//===----------------------------------------------------------------------===//

/// Elementwise `a op b` with broadcasting; `resultType` is the result element type. The float
/// function is used for float results and for comparisons of floats, the integer one otherwise.
/// `intOp` may fail (integer division by zero) by returning false.
llvm::Expected<ConstTensor>
evaluateBinary(const ConstTensor &a, const ConstTensor &b, mlir::Type resultType,
               llvm::function_ref<double(double, double)> floatOp,
               llvm::function_ref<bool(int64_t, int64_t, int64_t &)> intOp);

/// `condition ? x : y` with broadcasting of all three.
std::optional<ConstTensor> evaluateWhere(const ConstTensor &condition, const ConstTensor &x,
                                         const ConstTensor &y);

ConstTensor evaluateTranspose(const ConstTensor &input, llvm::ArrayRef<int64_t> perm);

/// Elements at `indices` (already in range) along `axis`; the result shape is
/// input[:axis] + indicesShape + input[axis+1:].
ConstTensor evaluateGather(const ConstTensor &input, llvm::ArrayRef<int64_t> indices,
                           llvm::ArrayRef<int64_t> indicesShape, int64_t axis);

ConstTensor evaluateConcat(llvm::ArrayRef<const ConstTensor *> inputs, int64_t axis);

ConstTensor evaluateExpand(const ConstTensor &input, llvm::ArrayRef<int64_t> shape);

} // namespace ds::importer

#endif // DS_LIB_IMPORT_CONSTTENSOR_H
