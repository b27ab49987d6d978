//===- TensorProto.h - ONNX tensors and element types in MLIR terms -*- C++ -*-===//
//
// Decoding of onnx::TensorProto (initializers, Constant values, backend-test inputs) whichever
// field holds the data, and loading of data stored outside the model file.
//
//===----------------------------------------------------------------------===//

#ifndef DS_LIB_IMPORT_TENSORPROTO_H
#define DS_LIB_IMPORT_TENSORPROTO_H

#include "ConstTensor.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/Support/Error.h"

#include "onnx/onnx_pb.h"

#include <string>
#include <vector>

namespace ds::importer {

/// The MLIR element type of an ONNX TensorProto::DataType: signed integers are signless, unsigned
/// ones unsigned, BOOL is i1. Strings and complex numbers have none.
llvm::Expected<mlir::Type> convertElementType(int32_t dataType, mlir::MLIRContext *context);

/// "FLOAT", "UINT8", for messages.
std::string getDataTypeName(int32_t dataType);

/// The static shape of a tensor proto, or an error for negative dimensions.
llvm::Expected<llvm::SmallVector<int64_t>> getTensorShape(const onnx::TensorProto &tensor);

/// The elements as little-endian bytes of the element's width (bool: one byte), from whichever
/// field of `tensor` holds them.
llvm::Expected<std::vector<char>> readTensorBytes(const onnx::TensorProto &tensor,
                                                  mlir::Type elementType, int64_t numElements);

/// The elements of `tensor` as an import-time constant.
llvm::Expected<ConstTensor> decodeTensor(const onnx::TensorProto &tensor,
                                         mlir::MLIRContext *context);

/// The elements of `tensor` as an attribute of `type`, straight from the stored bytes (weights
/// can be large: this avoids the evaluator's per-element representation).
llvm::Expected<mlir::DenseElementsAttr> decodeTensorAttr(const onnx::TensorProto &tensor,
                                                         mlir::RankedTensorType type);

/// Replaces every initializer whose data_location is EXTERNAL by one holding its bytes, read
/// from the file its `location` names relative to `modelDirectory` (at `offset`, `length`).
llvm::Error loadExternalData(onnx::ModelProto &model, llvm::StringRef modelDirectory);

} // namespace ds::importer

#endif // DS_LIB_IMPORT_TENSORPROTO_H
