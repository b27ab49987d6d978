//===- Slicing.cpp - Slice, Concat, Split, Gather -------------------------===//
//
// Index operands (starts/ends/steps, split sizes) must be known while importing; ONNX's index
// rules (negative indices count from the end, out-of-range ones clamp) are applied here, so the
// ds ops only ever see in-range, normalized indices.
//
//===----------------------------------------------------------------------===//

#include "Importer.h"
#include "OpRegistry.h"

#include <limits>

using namespace mlir;
using llvm::Error;
using llvm::Expected;
using namespace ::ds::importer;

namespace {

/// The elements one axis of a Slice keeps: first, step and count.
struct AxisSlice {
  int64_t start = 0, step = 1, count = 0;
};

/// ONNX Slice's clamping for one axis of size `dim`.
AxisSlice clampSlice(int64_t start, int64_t end, int64_t step, int64_t dim) {
  auto wrap = [&](int64_t i) { return i < 0 ? i + dim : i; };
  AxisSlice s;
  s.step = step;
  if (step > 0) {
    s.start = std::clamp<int64_t>(wrap(start), 0, dim);
    end = std::clamp<int64_t>(wrap(end), 0, dim);
    s.count = end > s.start ? (end - s.start + step - 1) / step : 0;
  } else {
    s.start = std::clamp<int64_t>(wrap(start), 0, dim - 1);
    end = std::clamp<int64_t>(wrap(end), -1, dim - 1);
    s.count = s.start > end ? (s.start - end - step - 1) / -step : 0;
  }
  return s;
}

/// The i64 constant tensor of `indices`, shaped `shape`.
ConstTensor makeIndexTensor(MLIRContext *context, ArrayRef<int64_t> indices,
                            ArrayRef<int64_t> shape) {
  ConstTensor result(IntegerType::get(context, 64), shape);
  for (auto [i, index] : llvm::enumerate(indices))
    result.setInt(i, index);
  return result;
}

LogicalResult importSlice(NodeImporter &node) {
  ArrayRef<int64_t> in = node.getInputShape(0);
  int64_t rank = in.size();
  FailureOr<SmallVector<int64_t>> starts = node.getConstantInts(1, "starts");
  if (failed(starts))
    return failure();
  FailureOr<SmallVector<int64_t>> ends = node.getConstantInts(2, "ends");
  if (failed(ends))
    return failure();
  SmallVector<int64_t> axes = llvm::to_vector(llvm::seq<int64_t>(0, starts->size()));
  SmallVector<int64_t> steps(starts->size(), 1);
  if (node.hasInput(3)) {
    FailureOr<SmallVector<int64_t>> values = node.getConstantInts(3, "axes");
    if (failed(values))
      return failure();
    axes = *values;
  }
  if (node.hasInput(4)) {
    FailureOr<SmallVector<int64_t>> values = node.getConstantInts(4, "steps");
    if (failed(values))
      return failure();
    steps = *values;
  }
  if (ends->size() != starts->size() || axes.size() != starts->size() ||
      steps.size() != starts->size())
    return node.fail("starts, ends, axes and steps have different lengths");

  SmallVector<AxisSlice> slices;
  for (int64_t d : in)
    slices.push_back({0, 1, d});
  SmallVector<bool> seen(rank, false);
  for (auto [i, axis] : llvm::enumerate(axes)) {
    FailureOr<int64_t> a = node.normalizeAxis(axis, rank, "axis");
    if (failed(a))
      return failure();
    if (seen[*a])
      return node.fail("axis " + std::to_string(axis) + " is listed twice");
    seen[*a] = true;
    if (steps[i] == 0)
      return node.fail("step 0 on axis " + std::to_string(axis));
    slices[*a] = clampSlice((*starts)[i], (*ends)[i], steps[i], in[*a]);
  }

  if (const ConstTensor *input = node.getInputConstant(0)) {
    ConstTensor result = *input;
    for (auto [axis, s] : llvm::enumerate(slices)) {
      SmallVector<int64_t> indices;
      for (int64_t k = 0; k < s.count; ++k)
        indices.push_back(s.start + k * s.step);
      result = evaluateGather(result, indices, {s.count}, axis);
    }
    node.setOutput(0, std::move(result));
    return success();
  }
  Value value = node.getInput(0);
  if (!value)
    return failure();
  Type element = node.getInputElementType(0);
  // Positive steps are one ds.slice; each reversed axis is then a gather of its indices.
  SmallVector<int64_t> sliceStarts, sliceEnds, sliceSteps, shape;
  for (auto [axis, s] : llvm::enumerate(slices)) {
    bool forward = s.step > 0;
    sliceStarts.push_back(forward ? s.start : 0);
    sliceEnds.push_back(forward ? (s.count ? s.start + (s.count - 1) * s.step + 1 : s.start)
                                : in[axis]);
    sliceSteps.push_back(forward ? s.step : 1);
    shape.push_back(forward ? s.count : in[axis]);
  }
  OpBuilder &b = node.getBuilder();
  if (ArrayRef<int64_t>(shape) != in)
    value = node.create<mlir::ds::SliceOp>(
        RankedTensorType::get(shape, element), value, b.getDenseI64ArrayAttr(sliceStarts),
        b.getDenseI64ArrayAttr(sliceEnds), b.getDenseI64ArrayAttr(sliceSteps));
  for (auto [axis, s] : llvm::enumerate(slices)) {
    if (s.step > 0)
      continue;
    SmallVector<int64_t> indices;
    for (int64_t k = 0; k < s.count; ++k)
      indices.push_back(s.start + k * s.step);
    Value indexValue = node.createConstant(makeIndexTensor(node.getContext(), indices, {s.count}));
    shape[axis] = s.count;
    value = node.create<mlir::ds::GatherOp>(RankedTensorType::get(shape, element), value,
                                            indexValue, b.getI64IntegerAttr(axis));
  }
  node.setOutput(0, value);
  return success();
}

LogicalResult importConcat(NodeImporter &node) {
  RankedTensorType first = node.getInputType(0);
  int64_t rank = first.getRank();
  FailureOr<int64_t> axis = node.normalizeAxis(node.getIntAttr("axis", 0), rank, "axis");
  if (failed(axis))
    return failure();
  SmallVector<int64_t> shape(first.getShape());
  shape[*axis] = 0;
  for (int64_t i = 0; i < node.getNumInputs(); ++i) {
    RankedTensorType type = node.getInputType(i);
    bool fits = type.getRank() == rank && type.getElementType() == first.getElementType();
    for (int64_t d = 0; fits && d < rank; ++d)
      fits = d == *axis || type.getDimSize(d) == first.getDimSize(d);
    if (!fits)
      return node.fail("input #" + std::to_string(i) + " of type " + formatType(type) +
                       " does not concatenate with " + formatType(first) + " along axis " +
                       std::to_string(*axis));
    shape[*axis] += type.getDimSize(*axis);
  }
  if (node.allInputsConstant()) {
    SmallVector<const ConstTensor *> inputs;
    for (int64_t i = 0; i < node.getNumInputs(); ++i)
      inputs.push_back(node.getInputConstant(i));
    node.setOutput(0, evaluateConcat(inputs, *axis));
    return success();
  }
  SmallVector<Value> inputs;
  for (int64_t i = 0; i < node.getNumInputs(); ++i) {
    // An empty piece (torch's past-key-value of length 0) adds nothing.
    if (node.getInputType(i).getNumElements() == 0 && node.getNumInputs() > 1)
      continue;
    Value input = node.getInput(i);
    if (!input)
      return failure();
    inputs.push_back(input);
  }
  if (inputs.size() == 1) {
    node.setOutput(0, inputs.front());
    return success();
  }
  node.setOutput(
      0, node.create<mlir::ds::ConcatOp>(RankedTensorType::get(shape, first.getElementType()),
                                         inputs, node.getBuilder().getI64IntegerAttr(*axis)));
  return success();
}

LogicalResult importSplit(NodeImporter &node) {
  RankedTensorType type = node.getInputType(0);
  FailureOr<int64_t> axis = node.normalizeAxis(node.getIntAttr("axis", 0), type.getRank(), "axis");
  if (failed(axis))
    return failure();
  int64_t dim = type.getDimSize(*axis), pieces = node.getNumOutputs();
  SmallVector<int64_t> sizes;
  if (node.hasInput(1)) { // sizes are an input from opset 13
    FailureOr<SmallVector<int64_t>> values = node.getConstantInts(1, "split sizes");
    if (failed(values))
      return failure();
    sizes = *values;
    int64_t total = 0;
    for (int64_t s : sizes)
      total += s < 0 ? std::numeric_limits<int64_t>::min() / 2 : s;
    if (static_cast<int64_t>(sizes.size()) != pieces || total != dim)
      return node.fail("split sizes " + formatShape(sizes) + " do not cut dimension " +
                       std::to_string(*axis) + " of size " + std::to_string(dim) + " into " +
                       std::to_string(pieces) + " pieces");
  } else {
    if (pieces == 0 || dim % pieces != 0)
      return node.fail("dimension " + std::to_string(*axis) + " of size " + std::to_string(dim) +
                       " does not split into " + std::to_string(pieces) + " equal pieces");
    sizes.assign(pieces, dim / pieces);
  }
  if (const ConstTensor *input = node.getInputConstant(0)) {
    int64_t offset = 0;
    for (auto [i, size] : llvm::enumerate(sizes)) {
      SmallVector<int64_t> indices = llvm::to_vector(llvm::seq<int64_t>(offset, offset + size));
      node.setOutput(i, evaluateGather(*input, indices, {size}, *axis));
      offset += size;
    }
    return success();
  }
  Value input = node.getInput(0);
  if (!input)
    return failure();
  SmallVector<Type> types;
  for (int64_t size : sizes) {
    SmallVector<int64_t> shape(type.getShape());
    shape[*axis] = size;
    types.push_back(RankedTensorType::get(shape, type.getElementType()));
  }
  if (pieces == 1) {
    node.setOutput(0, input);
    return success();
  }
  auto split = node.getBuilder().create<mlir::ds::SplitOp>(
      node.getLoc(), types, input, node.getBuilder().getI64IntegerAttr(*axis));
  for (int64_t i = 0; i < pieces; ++i)
    node.setOutput(i, split.getResult(i));
  return success();
}

LogicalResult importGather(NodeImporter &node) {
  RankedTensorType type = node.getInputType(0);
  FailureOr<int64_t> axis = node.normalizeAxis(node.getIntAttr("axis", 0), type.getRank(), "axis");
  if (failed(axis))
    return failure();
  int64_t dim = type.getDimSize(*axis);
  RankedTensorType indicesType = node.getInputType(1);
  SmallVector<int64_t> shape(type.getShape().take_front(*axis));
  llvm::append_range(shape, indicesType.getShape());
  llvm::append_range(shape, type.getShape().drop_front(*axis + 1));

  std::optional<ConstTensor> normalized;
  if (const ConstTensor *indices = node.getInputConstant(1)) {
    // Known indices are checked and made non-negative here; ds.gather takes [0, dim) only.
    normalized = indices->castTo(IntegerType::get(node.getContext(), 64));
    for (int64_t i = 0; i < normalized->getNumElements(); ++i) {
      int64_t index = normalized->getInt(i);
      if (index < -dim || index >= dim)
        return node.fail("index " + std::to_string(index) + " is out of range for axis " +
                         std::to_string(*axis) + " of size " + std::to_string(dim));
      normalized->setInt(i, index < 0 ? index + dim : index);
    }
    if (const ConstTensor *input = node.getInputConstant(0)) {
      SmallVector<int64_t> list;
      for (int64_t i = 0; i < normalized->getNumElements(); ++i)
        list.push_back(normalized->getInt(i));
      node.setOutput(0, evaluateGather(*input, list, indicesType.getShape(), *axis));
      return success();
    }
  }
  Value input = node.getInput(0);
  Value indices = normalized ? node.createConstant(*normalized) : node.getInput(1);
  if (!input || !indices)
    return failure();
  node.setOutput(
      0, node.create<mlir::ds::GatherOp>(RankedTensorType::get(shape, type.getElementType()), input,
                                         indices, node.getBuilder().getI64IntegerAttr(*axis)));
  return success();
}

} // namespace

void ::ds::importer::registerSlicingOps(OpRegistry &r) {
  int64_t lo = kMinONNXOpset, hi = kMaxONNXOpset;
  r.add("Slice", lo, hi, importSlice);
  r.add("Concat", lo, hi, importConcat);
  r.add("Split", lo, hi, importSplit);
  r.add("Gather", lo, hi, importGather);
}
