//===- TensorProto.cpp - ONNX tensors and element types in MLIR terms -----===//

#include "TensorProto.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <cstring>

using namespace mlir;
using llvm::Error;
using llvm::Expected;
using onnx::TensorProto;

namespace ds::importer {

Expected<Type> convertElementType(int32_t dataType, MLIRContext *context) {
  Builder b(context);
  switch (dataType) {
  case TensorProto::FLOAT:
    return b.getF32Type();
  case TensorProto::DOUBLE:
    return b.getF64Type();
  case TensorProto::FLOAT16:
    return b.getF16Type();
  case TensorProto::BFLOAT16:
    return b.getBF16Type();
  case TensorProto::BOOL:
    return b.getI1Type();
  case TensorProto::INT8:
    return b.getI8Type();
  case TensorProto::INT16:
    return b.getI16Type();
  case TensorProto::INT32:
    return b.getI32Type();
  case TensorProto::INT64:
    return b.getI64Type();
  case TensorProto::UINT8:
    return b.getIntegerType(8, /*isSigned=*/false);
  case TensorProto::UINT16:
    return b.getIntegerType(16, false);
  case TensorProto::UINT32:
    return b.getIntegerType(32, false);
  case TensorProto::UINT64:
    return b.getIntegerType(64, false);
  default:
    return llvm::createStringError("element type " + getDataTypeName(dataType) +
                                   " is not supported");
  }
}

std::string getDataTypeName(int32_t dataType) {
  if (!onnx::TensorProto_DataType_IsValid(dataType))
    return "#" + std::to_string(dataType);
  return onnx::TensorProto_DataType_Name(static_cast<TensorProto::DataType>(dataType));
}

Expected<SmallVector<int64_t>> getTensorShape(const TensorProto &tensor) {
  SmallVector<int64_t> shape;
  for (int64_t d : tensor.dims()) {
    if (d < 0)
      return llvm::createStringError("has a negative dimension " + std::to_string(d));
    shape.push_back(d);
  }
  return shape;
}

/// Appends the low `width` bytes of each value, little-endian.
template <typename Range>
static void appendNarrowed(std::vector<char> &bytes, const Range &values, int64_t width) {
  for (auto v : values) {
    uint64_t raw = static_cast<uint64_t>(v);
    char buffer[8];
    std::memcpy(buffer, &raw, 8);
    bytes.insert(bytes.end(), buffer, buffer + width);
  }
}

Expected<std::vector<char>> readTensorBytes(const TensorProto &tensor, Type elementType,
                                            int64_t numElements) {
  if (tensor.data_location() == TensorProto::EXTERNAL)
    return llvm::createStringError("its external data was not loaded");
  int64_t width = getElementByteWidth(elementType);
  if (tensor.has_raw_data()) {
    const std::string &raw = tensor.raw_data();
    return std::vector<char>(raw.begin(), raw.end());
  }
  std::vector<char> bytes;
  bytes.reserve(numElements * width);
  int64_t stored = 0;
  switch (tensor.data_type()) {
  case TensorProto::FLOAT:
    stored = tensor.float_data_size();
    bytes.resize(stored * 4);
    if (stored)
      std::memcpy(bytes.data(), tensor.float_data().data(), stored * 4);
    break;
  case TensorProto::DOUBLE:
    stored = tensor.double_data_size();
    bytes.resize(stored * 8);
    if (stored)
      std::memcpy(bytes.data(), tensor.double_data().data(), stored * 8);
    break;
  case TensorProto::INT64:
    stored = tensor.int64_data_size();
    appendNarrowed(bytes, tensor.int64_data(), width);
    break;
  case TensorProto::UINT32:
  case TensorProto::UINT64:
    stored = tensor.uint64_data_size();
    appendNarrowed(bytes, tensor.uint64_data(), width);
    break;
  default: // INT32 and narrower, BOOL, FLOAT16 and BFLOAT16 (their bits) live in int32_data
    stored = tensor.int32_data_size();
    appendNarrowed(bytes, tensor.int32_data(), width);
    break;
  }
  if (stored != numElements)
    return llvm::createStringError("holds " + std::to_string(stored) + " values, but its shape " +
                                   "has " + std::to_string(numElements) + " elements");
  return bytes;
}

Expected<ConstTensor> decodeTensor(const TensorProto &tensor, MLIRContext *context) {
  Expected<Type> elementType = convertElementType(tensor.data_type(), context);
  if (!elementType)
    return elementType.takeError();
  Expected<SmallVector<int64_t>> shape = getTensorShape(tensor);
  if (!shape)
    return shape.takeError();
  ConstTensor empty(*elementType, *shape);
  Expected<std::vector<char>> bytes = readTensorBytes(tensor, *elementType, empty.getNumElements());
  if (!bytes)
    return bytes.takeError();
  return ConstTensor::fromBytes(*elementType, *shape, *bytes);
}

Expected<DenseElementsAttr> decodeTensorAttr(const TensorProto &tensor, RankedTensorType type) {
  Type elementType = type.getElementType();
  Expected<std::vector<char>> bytes = readTensorBytes(tensor, elementType, type.getNumElements());
  if (!bytes)
    return bytes.takeError();
  int64_t expected = type.getNumElements() * getElementByteWidth(elementType);
  if (static_cast<int64_t>(bytes->size()) != expected)
    return llvm::createStringError("holds " + std::to_string(bytes->size()) + " bytes, but " +
                                   formatShape(type.getShape()) + " of " + formatType(elementType) +
                                   " needs " + std::to_string(expected));
  if (elementType.isInteger(1)) // MLIR packs i1 as bits; ONNX stores a byte each
    return ConstTensor::fromBytes(elementType, type.getShape(), *bytes)->toAttr();
  return DenseElementsAttr::getFromRawBuffer(type, *bytes);
}

Error loadExternalData(onnx::ModelProto &model, StringRef modelDirectory) {
  llvm::StringMap<std::unique_ptr<llvm::MemoryBuffer>> files;
  for (TensorProto &tensor : *model.mutable_graph()->mutable_initializer()) {
    if (tensor.data_location() != TensorProto::EXTERNAL)
      continue;
    std::string location;
    int64_t offset = 0, length = -1;
    for (const onnx::StringStringEntryProto &entry : tensor.external_data()) {
      if (entry.key() == "location")
        location = entry.value();
      else if (entry.key() == "offset" || entry.key() == "length") {
        int64_t value = 0;
        if (StringRef(entry.value()).getAsInteger(10, value) || value < 0)
          return llvm::createStringError("initializer '" + tensor.name() + "' has external " +
                                         entry.key() + " '" + entry.value() +
                                         "', not a byte count");
        (entry.key() == "offset" ? offset : length) = value;
      }
    }
    // As the ONNX checker: data lives beside the model, never elsewhere on the machine.
    if (location.empty() || llvm::sys::path::is_absolute(location) ||
        llvm::is_contained(
            llvm::make_range(llvm::sys::path::begin(location), llvm::sys::path::end(location)),
            ".."))
      return llvm::createStringError("initializer '" + tensor.name() +
                                     "' has external data location '" + location +
                                     "'; it must be a relative path inside the model's directory");
    SmallString<256> path(modelDirectory);
    llvm::sys::path::append(path, location);
    std::unique_ptr<llvm::MemoryBuffer> &file = files[path];
    if (!file) {
      auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                                /*RequiresNullTerminator=*/false);
      if (!buffer)
        return llvm::createStringError("cannot read external data '" + std::string(path) +
                                       "' of initializer '" + tensor.name() +
                                       "': " + buffer.getError().message());
      file = std::move(*buffer);
    }
    int64_t size = file->getBufferSize();
    if (length < 0)
      length = std::max<int64_t>(size - offset, 0);
    if (offset + length > size)
      return llvm::createStringError("initializer '" + tensor.name() + "' needs bytes [" +
                                     std::to_string(offset) + ", " +
                                     std::to_string(offset + length) + ") of '" + location +
                                     "', which has " + std::to_string(size) + " bytes");
    tensor.set_raw_data(file->getBufferStart() + offset, length);
    tensor.clear_external_data();
    tensor.set_data_location(TensorProto::DEFAULT);
  }
  return Error::success();
}

} // namespace ds::importer
