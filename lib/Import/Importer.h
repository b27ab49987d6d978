//===- Importer.h - the importer core and the op handlers' API ---*- C++ -*-===//
//
// GraphImporter walks an ONNX graph in order and hands each node to the handler the registry
// names for its op type and opset. A handler sees the node through NodeImporter: input types,
// inputs known at import time (ConstTensor), attributes, and builders for ds ops. It either
// evaluates the node (all inputs known: shape arithmetic) or emits ds ops.
//
//===----------------------------------------------------------------------===//

#ifndef DS_LIB_IMPORT_IMPORTER_H
#define DS_LIB_IMPORT_IMPORTER_H

#include "ConstTensor.h"

#include "ds/Dialect/DS/IR/DSOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"

#include "onnx/onnx_pb.h"

#include <optional>
#include <string>
#include <utility>

namespace ds::importer {

/// Constants larger than this stay ds ops instead of being evaluated while importing.
constexpr int64_t kMaxFoldedElements = int64_t(1) << 24;

/// Whether a result of this type is small enough to compute while importing.
inline bool isFoldable(mlir::RankedTensorType type) {
  return type.getNumElements() <= kMaxFoldedElements;
}

/// What the importer knows about one ONNX value.
struct ValueState {
  mlir::RankedTensorType type;
  /// The ds value, once there is one.
  mlir::Value value;
  /// The value itself, when it is known while importing.
  std::optional<ConstTensor> constant;
  /// A float weight: it becomes a ds.param (and a ds.load_param) on its first use by a ds op.
  const onnx::TensorProto *initializer = nullptr;
  bool frozen = false;
  /// A weight that is the transpose of another one (a tied weight): the other one's name.
  std::string transposeOf;
};

class GraphImporter {
public:
  GraphImporter(mlir::ModuleOp module, llvm::StringRef fileName);

  mlir::MLIRContext *getContext() { return module.getContext(); }
  mlir::OpBuilder &getBuilder() { return builder; }
  llvm::StringRef getFileName() const { return fileName; }

  /// Builds @forward from `graph` (already checked: supported ops, static input shapes).
  /// `frozen` names float initializers that are params without a gradient, `trainable` the
  /// single-element ones that are params (others of one element are constants: epsilons,
  /// scales); `inputValues` are graph inputs whose values are known.
  mlir::LogicalResult importGraph(const onnx::GraphProto &graph, int64_t opset,
                                  const llvm::StringSet<> &frozen,
                                  const llvm::StringSet<> &trainable,
                                  const llvm::StringMap<onnx::TensorProto> &inputValues);

  /// The first error, "node ...: what went wrong"; set whenever a method fails.
  const std::string &getError() const { return error; }
  mlir::LogicalResult fail(const llvm::Twine &message);
  /// The error so far, cleared: a node adds its own description in front of it.
  std::string takeError() { return std::exchange(error, std::string()); }

  ValueState *lookup(llvm::StringRef name);
  /// The ds value of `name`: the param of an initializer or a ds.constant of a known value are
  /// created here on first use. Null (with the error set) when it cannot be one.
  mlir::Value materialize(llvm::StringRef name, mlir::Location loc);
  void define(llvm::StringRef name, ValueState state);

private:
  mlir::Value createParam(llvm::StringRef name, ValueState &state, mlir::Location loc);
  /// Compares the importer's type for a node output with ONNX shape inference's.
  mlir::LogicalResult checkInferredType(llvm::StringRef name, mlir::RankedTensorType type);

  mlir::ModuleOp module;
  std::string fileName;
  mlir::OpBuilder builder;
  mlir::func::FuncOp function;
  llvm::StringMap<ValueState> values;
  llvm::StringMap<const onnx::TypeProto *> inferredTypes;
  llvm::StringSet<> symbolNames;
  /// Loads of parameters go at the top of the body, in first-use order.
  mlir::Operation *lastParamLoad = nullptr;
  std::string error;
  friend class NodeImporter;
};

class NodeImporter {
public:
  NodeImporter(GraphImporter &graph, const onnx::NodeProto &node, int64_t index, int64_t opset);

  const onnx::NodeProto &getNode() const { return node; }
  llvm::StringRef getOpType() const { return node.op_type(); }
  int64_t getOpset() const { return opset; }
  mlir::MLIRContext *getContext() { return graph.getContext(); }
  mlir::OpBuilder &getBuilder() { return graph.getBuilder(); }
  mlir::Location getLoc() const { return loc; }
  /// "node 'name' (#3, Add)" or "node #3 (Add)".
  std::string describe() const;

  /// Records "<node>: message" as the import error; returns failure.
  mlir::LogicalResult fail(const llvm::Twine &message);

  // Inputs. An input that is absent or named "" is an omitted optional input.
  int64_t getNumInputs() const { return node.input_size(); }
  bool hasInput(int64_t i) const;
  mlir::RankedTensorType getInputType(int64_t i);
  llvm::ArrayRef<int64_t> getInputShape(int64_t i) { return getInputType(i).getShape(); }
  mlir::Type getInputElementType(int64_t i) { return getInputType(i).getElementType(); }
  /// The input's value when it is known while importing, else null.
  const ConstTensor *getInputConstant(int64_t i);
  /// Whether every present input is known while importing.
  bool allInputsConstant();
  /// The input as a ds value; null (error recorded) when it cannot be one.
  mlir::Value getInput(int64_t i);
  /// A known integer input (shape, axes, sizes) as a list, or an error that `what` (e.g.
  /// "target shape") must be computable while importing.
  mlir::FailureOr<llvm::SmallVector<int64_t>> getConstantInts(int64_t i, llvm::StringRef what);

  // Outputs. An output named "" is not wanted.
  int64_t getNumOutputs() const { return node.output_size(); }
  bool hasOutput(int64_t i) const;
  void setOutput(int64_t i, mlir::Value value);
  void setOutput(int64_t i, ConstTensor value);
  /// Output `out` is input `in` as it is (a known constant stays one): identities.
  mlir::LogicalResult forwardInput(int64_t in, int64_t out);

  // Attributes.
  const onnx::AttributeProto *getAttr(llvm::StringRef name) const;
  int64_t getIntAttr(llvm::StringRef name, int64_t defaultValue) const;
  double getFloatAttr(llvm::StringRef name, double defaultValue) const;
  std::optional<llvm::SmallVector<int64_t>> getIntsAttr(llvm::StringRef name) const;

  // Building ds ops.
  template <typename OpTy, typename... Args>
  mlir::Value create(mlir::Type resultType, Args &&...args) {
    return getBuilder().create<OpTy>(loc, resultType, std::forward<Args>(args)...)->getResult(0);
  }
  /// A ds.constant; null (error recorded) for an element type ds has no tensors of.
  mlir::Value createConstant(const ConstTensor &value);
  /// A rank-0 constant of `elementType`.
  mlir::Value createScalar(mlir::Type elementType, double value);
  mlir::Value createReshape(mlir::Value input, llvm::ArrayRef<int64_t> shape);
  mlir::Value createTranspose(mlir::Value input, llvm::ArrayRef<int64_t> perm);
  mlir::Value createCast(mlir::Value input, mlir::Type elementType);

  /// `axis` in [0, rank); fails naming `what` when out of range.
  mlir::FailureOr<int64_t> normalizeAxis(int64_t axis, int64_t rank, llvm::StringRef what);
  /// The numpy broadcast of inputs 0 and 1 with `element`; fails naming the shapes.
  mlir::FailureOr<mlir::RankedTensorType> getBroadcastType(mlir::Type element);
  /// Fails unless input `i` has a float element type (ds computes these ops on floats only).
  mlir::LogicalResult requireFloatInput(int64_t i);

private:
  GraphImporter &graph;
  const onnx::NodeProto &node;
  int64_t index;
  int64_t opset;
  mlir::Location loc;
};

} // namespace ds::importer

#endif // DS_LIB_IMPORT_IMPORTER_H
