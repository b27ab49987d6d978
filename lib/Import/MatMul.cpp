//===- MatMul.cpp - MatMul and Gemm ---------------------------------------===//
//
// Both become ds.matmul, whose transpose flags absorb Gemm's transA/transB (and torch's
// pre-transposed Linear weights) without a separate transpose.
//
//===----------------------------------------------------------------------===//

#include "Importer.h"
#include "OpRegistry.h"

using namespace mlir;
using llvm::Error;
using llvm::Expected;
using namespace ::ds::importer;

namespace {

LogicalResult importMatMul(NodeImporter &node) {
  if (failed(node.requireFloatInput(0)) || failed(node.requireFloatInput(1)))
    return failure();
  ArrayRef<int64_t> a = node.getInputShape(0), b = node.getInputShape(1);
  if (a.empty() || b.empty())
    return node.fail("operands must have rank >= 1, got shapes " + formatShape(a) + " and " +
                     formatShape(b));
  Value lhs = node.getInput(0), rhs = node.getInput(1);
  if (!lhs || !rhs)
    return failure();
  // numpy.matmul: a 1-D lhs is a row [1, K], a 1-D rhs a column [K, 1]; the added dimension
  // is dropped from the result.
  SmallVector<int64_t> lhsShape(a), rhsShape(b);
  if (a.size() == 1)
    lhsShape.insert(lhsShape.begin(), 1);
  if (b.size() == 1)
    rhsShape.push_back(1);
  int64_t k = lhsShape.back(), kr = rhsShape[rhsShape.size() - 2];
  if (k != kr)
    return node.fail("contraction sizes differ: " + formatShape(a) + " x " + formatShape(b));
  std::optional<SmallVector<int64_t>> batch = broadcastShapes(
      ArrayRef<int64_t>(lhsShape).drop_back(2), ArrayRef<int64_t>(rhsShape).drop_back(2));
  if (!batch)
    return node.fail("batch dimensions of " + formatShape(a) + " and " + formatShape(b) +
                     " do not broadcast");
  lhs = node.createReshape(lhs, lhsShape);
  rhs = node.createReshape(rhs, rhsShape);
  SmallVector<int64_t> shape(*batch);
  shape.push_back(lhsShape[lhsShape.size() - 2]);
  shape.push_back(rhsShape.back());
  Type element = node.getInputElementType(0);
  Value result = node.create<mlir::ds::MatmulOp>(RankedTensorType::get(shape, element), lhs, rhs,
                                                 UnitAttr(), UnitAttr());
  SmallVector<int64_t> finalShape(*batch);
  if (a.size() != 1)
    finalShape.push_back(shape[shape.size() - 2]);
  if (b.size() != 1)
    finalShape.push_back(shape.back());
  node.setOutput(0, node.createReshape(result, finalShape));
  return success();
}

LogicalResult importGemm(NodeImporter &node) {
  if (failed(node.requireFloatInput(0)) || failed(node.requireFloatInput(1)))
    return failure();
  ArrayRef<int64_t> a = node.getInputShape(0), b = node.getInputShape(1);
  if (a.size() != 2 || b.size() != 2)
    return node.fail("A and B must be matrices, got shapes " + formatShape(a) + " and " +
                     formatShape(b));
  bool transA = node.getIntAttr("transA", 0), transB = node.getIntAttr("transB", 0);
  int64_t m = transA ? a[1] : a[0], k = transA ? a[0] : a[1];
  int64_t kb = transB ? b[1] : b[0], n = transB ? b[0] : b[1];
  if (k != kb)
    return node.fail("contraction sizes differ: A " + formatShape(a) +
                     (transA ? " (transposed)" : "") + ", B " + formatShape(b) +
                     (transB ? " (transposed)" : ""));
  Value lhs = node.getInput(0), rhs = node.getInput(1);
  if (!lhs || !rhs)
    return failure();
  Type element = node.getInputElementType(0);
  auto type = RankedTensorType::get({m, n}, element);
  OpBuilder &b_ = node.getBuilder();
  Value result =
      node.create<mlir::ds::MatmulOp>(type, lhs, rhs, transA ? b_.getUnitAttr() : UnitAttr(),
                                      transB ? b_.getUnitAttr() : UnitAttr());
  double alpha = node.getFloatAttr("alpha", 1.0), beta = node.getFloatAttr("beta", 1.0);
  if (alpha != 1.0)
    result = node.create<mlir::ds::MulOp>(type, result, node.createScalar(element, alpha));
  if (node.hasInput(2)) {
    ArrayRef<int64_t> c = node.getInputShape(2);
    std::optional<SmallVector<int64_t>> shape = broadcastShapes(c, type.getShape());
    if (!shape || ArrayRef<int64_t>(*shape) != type.getShape())
      return node.fail("C of shape " + formatShape(c) + " does not broadcast to " +
                       formatShape(type.getShape()));
    Value bias = node.getInput(2);
    if (!bias)
      return failure();
    if (beta != 1.0)
      bias = node.create<mlir::ds::MulOp>(bias.getType(), bias, node.createScalar(element, beta));
    result = node.create<mlir::ds::AddOp>(type, result, bias);
  }
  node.setOutput(0, result);
  return success();
}

} // namespace

void ::ds::importer::registerMatMulOps(OpRegistry &r) {
  r.add("MatMul", kMinONNXOpset, kMaxONNXOpset, importMatMul);
  r.add("Gemm", kMinONNXOpset, kMaxONNXOpset, importGemm);
}
