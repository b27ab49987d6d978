//===- PlanTensors.cpp - tensor types and values as the plan stores them --===//

#include "PlanTensors.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/Support/SwapByteOrder.h"

using namespace mlir;

FailureOr<ds::plan::DType> ds::getPlanDType(Type elementType) {
  if (elementType.isF32())
    return plan::F32;
  if (elementType.isF16())
    return plan::F16;
  if (elementType.isBF16())
    return plan::BF16;
  if (elementType.isF64())
    return plan::F64;
  if (elementType.isSignlessInteger(64))
    return plan::I64;
  if (elementType.isSignlessInteger(32))
    return plan::I32;
  if (elementType.isSignlessInteger(8))
    return plan::I8;
  if (elementType.isSignlessInteger(1))
    return plan::BOOL;
  return failure();
}

/// Bytes per element in the plan: i1 is widened to a byte.
static size_t getPlanElementSize(Type elementType) {
  return std::max<size_t>(1, elementType.getIntOrFloatBitWidth() / 8);
}

/// Appends the low `size` bytes of `bits`, least significant first.
static void appendLittleEndian(const APInt &bits, size_t size,
                               std::string &out) {
  for (size_t byte = 0; byte < size; ++byte)
    out.push_back(static_cast<char>(bits.extractBitsAsZExtValue(8, byte * 8)));
}

/// Element by element: for i1 (which MLIR stores bit-packed) and big-endian
/// hosts.
static void appendElementwise(DenseElementsAttr dense, std::string &out) {
  Type elementType = dense.getElementType();
  if (elementType.isInteger(1)) {
    for (bool bit : dense.getValues<bool>())
      out.push_back(bit ? 1 : 0);
    return;
  }
  size_t size = getPlanElementSize(elementType);
  if (isa<FloatType>(elementType)) {
    for (const APFloat &element : dense.getValues<APFloat>())
      appendLittleEndian(element.bitcastToAPInt(), size, out);
    return;
  }
  for (const APInt &element : dense.getValues<APInt>())
    appendLittleEndian(element, size, out);
}

FailureOr<std::string> ds::getTensorBytes(ElementsAttr value, Location loc) {
  ShapedType type = value.getShapedType();
  Type elementType = type.getElementType();
  if (failed(getPlanDType(elementType)))
    return emitError(loc, "a plan cannot hold elements of type ")
           << elementType;
  size_t elementSize = getPlanElementSize(elementType);
  size_t numElements = type.getNumElements();
  std::string bytes;
  bytes.reserve(numElements * elementSize);

  if (auto dense = dyn_cast<DenseElementsAttr>(value)) {
    // Dense storage is host-endian, one element per elementSize bytes except
    // for i1.
    if (!llvm::sys::IsLittleEndianHost || elementType.isInteger(1)) {
      appendElementwise(dense, bytes);
      return bytes;
    }
    ArrayRef<char> raw = dense.getRawData();
    if (dense.isSplat()) {
      for (size_t i = 0; i < numElements; ++i)
        bytes.append(raw.data(), elementSize);
      return bytes;
    }
    bytes.assign(raw.begin(), raw.end());
    return bytes;
  }

  if (auto resource = dyn_cast<DenseResourceElementsAttr>(value)) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob)
      return emitError(loc, "the data of dense_resource<")
             << resource.getRawHandle().getKey()
             << "> is not in the file (it was elided), so the plan cannot hold "
                "it";
    if (!llvm::sys::IsLittleEndianHost && elementSize > 1)
      return emitError(loc,
                       "dense_resource data is host-endian, and this host is "
                       "big-endian; the plan needs little-endian bytes");
    ArrayRef<char> data = blob->getData();
    if (data.size() != numElements * elementSize)
      return emitError(loc, "dense_resource<")
             << resource.getRawHandle().getKey() << "> holds " << data.size()
             << " bytes, but " << type << " needs "
             << numElements * elementSize;
    bytes.assign(data.begin(), data.end());
    return bytes;
  }

  return emitError(loc, "cannot read the elements of ")
         << value << " (expected dense<...> or dense_resource<...>)";
}

FailureOr<uint32_t> ds::appendBuffer(plan::Plan &plan, Type type,
                                     StringRef name) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor || !tensor.hasStaticShape())
    return failure();
  FailureOr<plan::DType> dtype = getPlanDType(tensor.getElementType());
  if (failed(dtype))
    return failure();
  auto id = static_cast<uint32_t>(plan.buffers_size());
  plan::Buffer &buffer = *plan.add_buffers();
  buffer.set_id(id);
  buffer.set_dtype(*dtype);
  for (int64_t size : tensor.getShape())
    buffer.add_shape(size);
  buffer.set_placement(plan::DEVICE);
  buffer.set_name(name.str());
  return id;
}
