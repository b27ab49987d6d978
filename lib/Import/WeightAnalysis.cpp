//===- WeightAnalysis.cpp - which initializers are trainable weights ------===//

#include "WeightAnalysis.h"

#include "TensorProto.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringRef.h"

#include <cstring>
#include <map>
#include <set>
#include <tuple>
#include <utility>

using namespace mlir;
using llvm::Expected;

namespace ds::importer {

namespace {

struct Matrix {
  const onnx::TensorProto *tensor;
  int64_t rows, cols;
  std::vector<char> bytes;
};

/// Whether `b` holds the transpose of `a`, bit for bit.
bool isTransposeOf(const Matrix &b, const Matrix &a, int64_t width) {
  for (int64_t i = 0; i < b.rows; ++i)
    for (int64_t j = 0; j < b.cols; ++j)
      if (std::memcmp(&b.bytes[(i * b.cols + j) * width], &a.bytes[(j * a.cols + i) * width],
                      width) != 0)
        return false;
  return true;
}

bool isSplat(const Matrix &m, int64_t width) {
  for (size_t k = width; k < m.bytes.size(); k += width)
    if (std::memcmp(&m.bytes[k], &m.bytes[0], width) != 0)
      return false;
  return true;
}

/// torch names the tensors its constant folding makes "onnx::<Op>_<n>"; a module's own weights
/// keep their module path. The original is the one with the module path.
bool isExporterMade(const onnx::TensorProto &tensor) {
  return llvm::StringRef(tensor.name()).starts_with("onnx::");
}

} // namespace

llvm::StringMap<std::string> findTransposedCopies(const onnx::GraphProto &graph,
                                                  MLIRContext *context) {
  llvm::StringMap<std::string> copies;
  // Candidates grouped by data type and shape; a copy pairs with a matrix of the swapped shape.
  std::map<std::tuple<int32_t, int64_t, int64_t>, std::vector<Matrix>> matrices;
  // Only matrices with a partner of the swapped shape are read: weights can be large.
  std::set<std::tuple<int32_t, int64_t, int64_t>> shapes;
  for (const onnx::TensorProto &tensor : graph.initializer())
    if (tensor.dims_size() == 2)
      shapes.insert({tensor.data_type(), tensor.dims(0), tensor.dims(1)});
  for (const onnx::TensorProto &tensor : graph.initializer()) {
    if (tensor.dims_size() != 2 || tensor.dims(0) < 1 || tensor.dims(1) < 1 ||
        !shapes.count({tensor.data_type(), tensor.dims(1), tensor.dims(0)}))
      continue;
    Expected<Type> element = convertElementType(tensor.data_type(), context);
    if (!element) {
      llvm::consumeError(element.takeError());
      continue;
    }
    if (!isa<FloatType>(*element))
      continue;
    Matrix m{&tensor, tensor.dims(0), tensor.dims(1), {}};
    Expected<std::vector<char>> bytes = readTensorBytes(tensor, *element, m.rows * m.cols);
    if (!bytes) { // the importer reports a broken tensor when it decodes it
      llvm::consumeError(bytes.takeError());
      continue;
    }
    m.bytes = std::move(*bytes);
    if (static_cast<int64_t>(m.bytes.size()) != m.rows * m.cols * getElementByteWidth(*element) ||
        isSplat(m, getElementByteWidth(*element)))
      continue;
    matrices[{tensor.data_type(), m.rows, m.cols}].push_back(std::move(m));
  }
  for (auto &[key, group] : matrices) {
    auto [dataType, rows, cols] = key;
    auto others = matrices.find({dataType, cols, rows});
    if (others == matrices.end())
      continue;
    int64_t width = getElementByteWidth(*convertElementType(dataType, context));
    for (Matrix &b : group) {
      if (!isExporterMade(*b.tensor) || copies.count(b.tensor->name()))
        continue;
      for (Matrix &a : others->second)
        if (a.tensor != b.tensor && !isExporterMade(*a.tensor) && isTransposeOf(b, a, width)) {
          copies[b.tensor->name()] = a.tensor->name();
          break;
        }
    }
  }
  return copies;
}

/// Whether a gradient flows from `node`'s outputs into its input `i`.
static bool isDifferentiableOperand(const onnx::NodeProto &node, int i) {
  llvm::StringRef op = node.op_type();
  // Comparisons, shapes and index generators have no gradient at all.
  if (llvm::is_contained({"Shape", "Size", "Equal", "Less", "LessOrEqual", "Greater",
                          "GreaterOrEqual", "Not", "And", "Or", "Xor", "ArgMax", "ArgMin",
                          "ConstantOfShape", "Range", "NonZero", "EyeLike"},
                         op))
    return false;
  if (op == "Where")
    return i != 0;
  if (op == "Cast") {
    for (const onnx::AttributeProto &attr : node.attribute())
      if (attr.name() == "to")
        return llvm::is_contained({onnx::TensorProto::FLOAT, onnx::TensorProto::DOUBLE,
                                   onnx::TensorProto::FLOAT16, onnx::TensorProto::BFLOAT16},
                                  attr.i());
    return true;
  }
  // Ops whose operands after the first are shapes, axes, indices, sizes or flags.
  if (llvm::is_contained({"Reshape",
                          "Expand",
                          "Tile",
                          "Unsqueeze",
                          "Squeeze",
                          "ReduceSum",
                          "ReduceMean",
                          "ReduceMax",
                          "Split",
                          "Slice",
                          "Gather",
                          "Trilu",
                          "Dropout",
                          "SoftmaxCrossEntropyLoss",
                          "NegativeLogLikelihoodLoss",
                          "Pad",
                          "TopK",
                          "GatherElements",
                          "GatherND",
                          "OneHot"},
                         op))
    return i == 0;
  return true;
}

llvm::StringSet<> findGradientFreeInitializers(const onnx::GraphProto &graph) {
  llvm::StringSet<> needsGradient;
  for (const onnx::ValueInfoProto &output : graph.output())
    needsGradient.insert(output.name());
  // Nodes are in topological order, so one backward sweep sees every use before the definition.
  for (const onnx::NodeProto &node : llvm::reverse(graph.node())) {
    if (llvm::none_of(node.output(),
                      [&](const std::string &out) { return needsGradient.contains(out); }))
      continue;
    for (int i = 0; i < node.input_size(); ++i)
      if (!node.input(i).empty() && isDifferentiableOperand(node, i))
        needsGradient.insert(node.input(i));
  }
  llvm::StringSet<> gradientFree;
  for (const onnx::TensorProto &tensor : graph.initializer())
    if (!needsGradient.contains(tensor.name()))
      gradientFree.insert(tensor.name());
  return gradientFree;
}

} // namespace ds::importer
