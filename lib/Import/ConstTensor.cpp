//===- ConstTensor.cpp - tensors known while importing --------------------===//
//
// Values are rounded to their element type whenever they are stored, so an f32 shape sub-graph
// computes what an f32 runtime would (a sqrt of a head size, say) rather than a double result.
//
//===----------------------------------------------------------------------===//

#include "ConstTensor.h"

#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <cstring>
#include <limits>

using namespace mlir;
using llvm::Error;
using llvm::Expected;

namespace ds::importer {

ConstTensor::ConstTensor(Type elementType, ArrayRef<int64_t> shape)
    : elementType(elementType), shape(shape) {
  if (isFloat())
    floats.assign(getNumElements(), 0.0);
  else
    ints.assign(getNumElements(), 0);
}

int64_t ConstTensor::getNumElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

RankedTensorType ConstTensor::getType() const { return RankedTensorType::get(shape, elementType); }

double ConstTensor::getDouble(int64_t i) const {
  if (isFloat())
    return floats[i];
  if (auto it = dyn_cast<IntegerType>(elementType); it && it.isUnsigned() && it.getWidth() == 64)
    return static_cast<double>(static_cast<uint64_t>(ints[i]));
  return static_cast<double>(ints[i]);
}

int64_t ConstTensor::getInt(int64_t i) const {
  if (!isFloat())
    return ints[i];
  double v = floats[i];
  // Truncation toward zero, as ONNX Cast; out-of-range values saturate instead of being UB.
  if (std::isnan(v))
    return 0;
  if (v >= 9.2233720368547758e18)
    return std::numeric_limits<int64_t>::max();
  if (v <= -9.2233720368547758e18)
    return std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(v);
}

/// `value` as a tensor of `type` holds it.
static double roundToFloatType(FloatType type, double value) {
  if (type.isF64())
    return value;
  if (type.isF32())
    return static_cast<double>(static_cast<float>(value));
  APFloat f(value);
  bool losesInfo = false;
  f.convert(type.getFloatSemantics(), APFloat::rmNearestTiesToEven, &losesInfo);
  return f.convertToDouble();
}

/// `value` wrapped to the width and signedness of `type`, as C++ integer conversion does.
static int64_t wrapToIntegerType(IntegerType type, int64_t value) {
  unsigned width = type.getWidth();
  if (width == 1)
    return value != 0;
  if (width >= 64)
    return value;
  uint64_t mask = (uint64_t(1) << width) - 1;
  uint64_t low = static_cast<uint64_t>(value) & mask;
  if (type.isUnsigned())
    return static_cast<int64_t>(low);
  uint64_t sign = uint64_t(1) << (width - 1);
  return static_cast<int64_t>((low ^ sign) - sign);
}

void ConstTensor::setDouble(int64_t i, double value) {
  if (isFloat()) {
    floats[i] = roundToFloatType(cast<FloatType>(elementType), value);
    return;
  }
  auto type = cast<IntegerType>(elementType);
  if (type.getWidth() == 1) {
    ints[i] = value != 0.0;
    return;
  }
  ConstTensor probe;
  probe.elementType = Float64Type::get(elementType.getContext());
  probe.floats = {value};
  ints[i] = wrapToIntegerType(type, probe.getInt(0));
}

void ConstTensor::setInt(int64_t i, int64_t value) {
  if (isFloat())
    floats[i] = roundToFloatType(cast<FloatType>(elementType), static_cast<double>(value));
  else
    ints[i] = wrapToIntegerType(cast<IntegerType>(elementType), value);
}

void ConstTensor::copyElement(int64_t to, const ConstTensor &source, int64_t from) {
  if (isFloat())
    floats[to] = source.floats[from];
  else
    ints[to] = source.ints[from];
}

ConstTensor ConstTensor::reshaped(ArrayRef<int64_t> newShape) const {
  ConstTensor result = *this;
  result.shape.assign(newShape.begin(), newShape.end());
  return result;
}

ConstTensor ConstTensor::castTo(Type newElementType) const {
  ConstTensor result(newElementType, shape);
  for (int64_t i = 0, e = getNumElements(); i < e; ++i) {
    if (isFloat())
      result.setDouble(i, floats[i]);
    else if (result.isFloat())
      result.setDouble(i, getDouble(i));
    else
      result.setInt(i, ints[i]);
  }
  return result;
}

bool ConstTensor::isSplat() const {
  if (isFloat())
    return llvm::all_of(floats, [&](double v) {
      return v == floats.front() && std::signbit(v) == std::signbit(floats.front());
    });
  return llvm::all_equal(ints);
}

DenseElementsAttr ConstTensor::toAttr() const {
  RankedTensorType type = getType();
  int64_t count = getNumElements() > 0 && isSplat() ? 1 : getNumElements();
  if (auto floatType = dyn_cast<FloatType>(elementType)) {
    SmallVector<APFloat> values;
    values.reserve(count);
    for (int64_t i = 0; i < count; ++i) {
      APFloat f(floats[i]);
      bool losesInfo = false;
      f.convert(floatType.getFloatSemantics(), APFloat::rmNearestTiesToEven, &losesInfo);
      values.push_back(f);
    }
    return DenseElementsAttr::get(type, values);
  }
  auto intType = cast<IntegerType>(elementType);
  if (intType.getWidth() == 1) {
    SmallVector<bool> values;
    for (int64_t i = 0; i < count; ++i)
      values.push_back(ints[i] != 0);
    return DenseElementsAttr::get(type, values);
  }
  SmallVector<APInt> values;
  values.reserve(count);
  for (int64_t i = 0; i < count; ++i)
    values.push_back(APInt(intType.getWidth(), static_cast<uint64_t>(ints[i]),
                           /*isSigned=*/!intType.isUnsigned()));
  return DenseElementsAttr::get(type, values);
}

int64_t getElementByteWidth(Type elementType) {
  unsigned bits = elementType.getIntOrFloatBitWidth();
  return bits == 1 ? 1 : bits / 8;
}

Expected<ConstTensor> ConstTensor::fromBytes(Type elementType, ArrayRef<int64_t> shape,
                                             ArrayRef<char> bytes) {
  ConstTensor result(elementType, shape);
  int64_t n = result.getNumElements();
  int64_t width = getElementByteWidth(elementType);
  if (static_cast<int64_t>(bytes.size()) != n * width)
    return llvm::createStringError("holds " + std::to_string(bytes.size()) + " bytes, but " +
                                   formatShape(shape) + " of " + formatType(elementType) +
                                   " needs " + std::to_string(n * width));
  const char *data = bytes.data();
  for (int64_t i = 0; i < n; ++i, data += width) {
    if (elementType.isF32()) {
      float v;
      std::memcpy(&v, data, 4);
      result.floats[i] = v;
    } else if (elementType.isF64()) {
      std::memcpy(&result.floats[i], data, 8);
    } else if (auto floatType = dyn_cast<FloatType>(elementType)) {
      uint16_t bits;
      std::memcpy(&bits, data, 2);
      result.floats[i] = APFloat(floatType.getFloatSemantics(), APInt(16, bits)).convertToDouble();
    } else {
      uint64_t raw = 0;
      std::memcpy(&raw, data, width); // little-endian host, as ONNX's raw_data
      result.setInt(i, static_cast<int64_t>(raw));
    }
  }
  return result;
}

bool isDSElementType(Type type) {
  if (type.isF16() || type.isBF16() || type.isF32() || type.isF64())
    return true;
  auto intType = dyn_cast<IntegerType>(type);
  return intType && intType.isSignless() &&
         llvm::is_contained({1u, 8u, 32u, 64u}, intType.getWidth());
}

std::string formatType(Type type) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << type;
  return text;
}

std::string formatShape(ArrayRef<int64_t> shape) {
  std::string text = "[";
  for (auto [i, d] : llvm::enumerate(shape))
    text += (i ? ", " : "") + std::to_string(d);
  return text + "]";
}

} // namespace ds::importer
