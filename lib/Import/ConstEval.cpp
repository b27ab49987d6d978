//===- ConstEval.cpp - the import-time evaluator's tensor operations ------===//
//
// Broadcasting, transposes, gathers and concatenations of ConstTensors: what shape sub-graphs
// need. Index arithmetic only; element values go through ConstTensor's typed accessors.
//
//===----------------------------------------------------------------------===//

#include "ConstTensor.h"

#include "llvm/ADT/STLExtras.h"

using namespace mlir;
using llvm::Expected;

namespace ds::importer {

SmallVector<int64_t> getStrides(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> strides(shape.size(), 1);
  for (int64_t i = static_cast<int64_t>(shape.size()) - 2; i >= 0; --i)
    strides[i] = strides[i + 1] * shape[i + 1];
  return strides;
}

std::optional<SmallVector<int64_t>> broadcastShapes(ArrayRef<int64_t> a, ArrayRef<int64_t> b) {
  size_t rank = std::max(a.size(), b.size());
  SmallVector<int64_t> result(rank, 1);
  for (ArrayRef<int64_t> shape : {a, b}) {
    size_t offset = rank - shape.size();
    for (auto [i, d] : llvm::enumerate(shape)) {
      int64_t &out = result[offset + i];
      if (d == out || d == 1)
        continue;
      if (out != 1)
        return std::nullopt;
      out = d;
    }
  }
  return result;
}

std::vector<int64_t> broadcastIndices(ArrayRef<int64_t> operandShape,
                                      ArrayRef<int64_t> resultShape) {
  int64_t rank = resultShape.size(), offset = rank - operandShape.size();
  SmallVector<int64_t> operandStrides = getStrides(operandShape);
  int64_t total = 1;
  for (int64_t d : resultShape)
    total *= d;
  std::vector<int64_t> indices(total, 0);
  SmallVector<int64_t> position(rank, 0);
  int64_t current = 0;
  for (int64_t linear = 0; linear < total; ++linear) {
    indices[linear] = current;
    // Advance the row-major position, keeping `current` in step.
    for (int64_t d = rank - 1; d >= 0; --d) {
      int64_t od = d - offset;
      bool moves = od >= 0 && operandShape[od] != 1;
      if (++position[d] < resultShape[d]) {
        if (moves)
          current += operandStrides[od];
        break;
      }
      if (moves)
        current -= operandStrides[od] * (resultShape[d] - 1);
      position[d] = 0;
    }
  }
  return indices;
}

Expected<ConstTensor> evaluateBinary(const ConstTensor &a, const ConstTensor &b, Type resultType,
                                     llvm::function_ref<double(double, double)> floatOp,
                                     llvm::function_ref<bool(int64_t, int64_t, int64_t &)> intOp) {
  std::optional<SmallVector<int64_t>> shape = broadcastShapes(a.getShape(), b.getShape());
  if (!shape)
    return llvm::createStringError("shapes " + formatShape(a.getShape()) + " and " +
                                   formatShape(b.getShape()) + " do not broadcast");
  ConstTensor result(resultType, *shape);
  std::vector<int64_t> ia = broadcastIndices(a.getShape(), *shape);
  std::vector<int64_t> ib = broadcastIndices(b.getShape(), *shape);
  bool floatMath = a.isFloat() || b.isFloat();
  for (int64_t i = 0, e = result.getNumElements(); i < e; ++i) {
    if (floatMath) {
      result.setDouble(i, floatOp(a.getDouble(ia[i]), b.getDouble(ib[i])));
      continue;
    }
    int64_t value;
    if (!intOp(a.getInt(ia[i]), b.getInt(ib[i]), value))
      return llvm::createStringError("integer division by zero");
    result.setInt(i, value);
  }
  return result;
}

std::optional<ConstTensor> evaluateWhere(const ConstTensor &condition, const ConstTensor &x,
                                         const ConstTensor &y) {
  std::optional<SmallVector<int64_t>> xy = broadcastShapes(x.getShape(), y.getShape());
  if (!xy)
    return std::nullopt;
  std::optional<SmallVector<int64_t>> shape = broadcastShapes(condition.getShape(), *xy);
  if (!shape)
    return std::nullopt;
  ConstTensor result(x.getElementType(), *shape);
  std::vector<int64_t> ic = broadcastIndices(condition.getShape(), *shape);
  std::vector<int64_t> ix = broadcastIndices(x.getShape(), *shape);
  std::vector<int64_t> iy = broadcastIndices(y.getShape(), *shape);
  for (int64_t i = 0, e = result.getNumElements(); i < e; ++i) {
    if (condition.getInt(ic[i]))
      result.copyElement(i, x, ix[i]);
    else
      result.copyElement(i, y, iy[i]);
  }
  return result;
}

ConstTensor evaluateTranspose(const ConstTensor &input, ArrayRef<int64_t> perm) {
  SmallVector<int64_t> shape;
  for (int64_t p : perm)
    shape.push_back(input.getShape()[p]);
  ConstTensor result(input.getElementType(), shape);
  SmallVector<int64_t> inStrides = getStrides(input.getShape());
  SmallVector<int64_t> position(shape.size(), 0);
  for (int64_t linear = 0, e = result.getNumElements(); linear < e; ++linear) {
    int64_t from = 0;
    for (size_t d = 0; d < shape.size(); ++d)
      from += position[d] * inStrides[perm[d]];
    result.copyElement(linear, input, from);
    for (int64_t d = shape.size() - 1; d >= 0; --d) {
      if (++position[d] < shape[d])
        break;
      position[d] = 0;
    }
  }
  return result;
}

ConstTensor evaluateGather(const ConstTensor &input, ArrayRef<int64_t> indices,
                           ArrayRef<int64_t> indicesShape, int64_t axis) {
  ArrayRef<int64_t> in = input.getShape();
  SmallVector<int64_t> shape(in.take_front(axis));
  llvm::append_range(shape, indicesShape);
  llvm::append_range(shape, in.drop_front(axis + 1));
  ConstTensor result(input.getElementType(), shape);
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d)
    outer *= in[d];
  for (int64_t d = axis + 1; d < static_cast<int64_t>(in.size()); ++d)
    inner *= in[d];
  int64_t to = 0;
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t index : indices)
      for (int64_t i = 0; i < inner; ++i)
        result.copyElement(to++, input, (o * in[axis] + index) * inner + i);
  return result;
}

ConstTensor evaluateConcat(ArrayRef<const ConstTensor *> inputs, int64_t axis) {
  SmallVector<int64_t> shape(inputs.front()->getShape());
  shape[axis] = 0;
  for (const ConstTensor *input : inputs)
    shape[axis] += input->getShape()[axis];
  ConstTensor result(inputs.front()->getElementType(), shape);
  int64_t outer = 1;
  for (int64_t d = 0; d < axis; ++d)
    outer *= shape[d];
  int64_t to = 0;
  for (int64_t o = 0; o < outer; ++o) {
    for (const ConstTensor *input : inputs) {
      int64_t chunk = input->getNumElements() / std::max<int64_t>(outer, 1);
      for (int64_t i = 0; i < chunk; ++i)
        result.copyElement(to++, *input, o * chunk + i);
    }
  }
  return result;
}

ConstTensor evaluateExpand(const ConstTensor &input, ArrayRef<int64_t> shape) {
  ConstTensor result(input.getElementType(), shape);
  std::vector<int64_t> from = broadcastIndices(input.getShape(), shape);
  for (int64_t i = 0, e = result.getNumElements(); i < e; ++i)
    result.copyElement(i, input, from[i]);
  return result;
}

} // namespace ds::importer
