//===- WeightAnalysis.h - which initializers are trainable weights -*- C++ -*-===//
//
// ONNX has no parameters, only initializers; which of them a training step must update is
// recovered here from how the graph uses them.
//
//===----------------------------------------------------------------------===//

#ifndef DS_LIB_IMPORT_WEIGHTANALYSIS_H
#define DS_LIB_IMPORT_WEIGHTANALYSIS_H

#include "mlir/IR/MLIRContext.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"

#include "onnx/onnx_pb.h"

#include <string>

namespace ds::importer {

/// A tied weight (GPT-2's token embedding, reused as the output head) reaches ONNX as two
/// initializers: the weight, and the transposed copy that torch's constant folding made of
/// `weight.t()` for the head's MatMul (named "onnx::MatMul_<n>"). Importing both would train
/// two parameters where the model has one.
///
/// Maps each float matrix initializer that holds exactly the transpose of another one to that
/// other one's name. Matrices whose elements are all equal (zeros, ones) are left alone: equal
/// values there say nothing about being one weight.
llvm::StringMap<std::string> findTransposedCopies(const onnx::GraphProto &graph,
                                                  mlir::MLIRContext *context);

/// Float initializers through which no gradient can reach: every path from them to a graph
/// output passes a non-differentiable operand (a Where condition, an Equal, a Reshape's shape,
/// ...). torch exports buffers such as the causal-mask `bias` like that; they are constants,
/// not parameters, and the importer may fold them.
llvm::StringSet<> findGradientFreeInitializers(const onnx::GraphProto &graph);

} // namespace ds::importer

#endif // DS_LIB_IMPORT_WEIGHTANALYSIS_H
