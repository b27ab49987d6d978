//===- Logical.cpp - comparisons, Not, Where ------------------------------===//
//
// Comparisons produce i1 (ds.compare); ds.compare takes numbers, so bools compare as i8. Where
// is ds.select. All of them are evaluated while importing when their inputs are known: torch's
// masks (tril(ones) == 0) are.
//
//===----------------------------------------------------------------------===//

#include "Importer.h"
#include "OpRegistry.h"

using namespace mlir;
using llvm::Expected;
using namespace ::ds::importer;

namespace {

template <mlir::ds::ComparePredicate predicate> LogicalResult importCompare(NodeImporter &node) {
  Type element = node.getInputElementType(0);
  if (element != node.getInputElementType(1))
    return node.fail("operand element types differ: " + formatType(element) + " and " +
                     formatType(node.getInputElementType(1)));
  Type i1 = IntegerType::get(node.getContext(), 1);
  FailureOr<RankedTensorType> type = node.getBroadcastType(i1);
  if (failed(type))
    return failure();
  auto test = [](auto a, auto b) {
    switch (predicate) {
    case mlir::ds::ComparePredicate::EQ:
      return a == b;
    case mlir::ds::ComparePredicate::NE:
      return a != b;
    case mlir::ds::ComparePredicate::LT:
      return a < b;
    case mlir::ds::ComparePredicate::LE:
      return a <= b;
    case mlir::ds::ComparePredicate::GT:
      return a > b;
    case mlir::ds::ComparePredicate::GE:
      return a >= b;
    }
    return false;
  };
  if (node.allInputsConstant() && isFoldable(*type)) {
    Expected<ConstTensor> result = evaluateBinary(
        *node.getInputConstant(0), *node.getInputConstant(1), i1,
        [&](double a, double b) { return test(a, b) ? 1.0 : 0.0; },
        [&](int64_t a, int64_t b, int64_t &r) {
          r = test(a, b);
          return true;
        });
    if (!result)
      return node.fail(llvm::toString(result.takeError()));
    node.setOutput(0, std::move(*result));
    return success();
  }
  Value lhs = node.getInput(0), rhs = node.getInput(1);
  if (!lhs || !rhs)
    return failure();
  if (element.isInteger(1)) { // ds.compare takes numbers; bools compare as 0/1 bytes
    Type i8 = IntegerType::get(node.getContext(), 8);
    lhs = node.createCast(lhs, i8);
    rhs = node.createCast(rhs, i8);
  }
  node.setOutput(0, node.create<mlir::ds::CompareOp>(*type, predicate, lhs, rhs));
  return success();
}

LogicalResult importNot(NodeImporter &node) {
  RankedTensorType type = node.getInputType(0);
  if (const ConstTensor *input = node.getInputConstant(0)) {
    ConstTensor result(input->getElementType(), input->getShape());
    for (int64_t i = 0; i < result.getNumElements(); ++i)
      result.setInt(i, !input->getInt(i));
    node.setOutput(0, std::move(result));
    return success();
  }
  Value input = node.getInput(0);
  if (!input)
    return failure();
  Type i8 = IntegerType::get(node.getContext(), 8);
  Value zero = node.createScalar(i8, 0);
  node.setOutput(0, node.create<mlir::ds::CompareOp>(type, mlir::ds::ComparePredicate::EQ,
                                                     node.createCast(input, i8), zero));
  return success();
}

LogicalResult importWhere(NodeImporter &node) {
  Type element = node.getInputElementType(1);
  if (element != node.getInputElementType(2))
    return node.fail("X and Y element types differ: " + formatType(element) + " and " +
                     formatType(node.getInputElementType(2)));
  std::optional<SmallVector<int64_t>> xy =
      broadcastShapes(node.getInputShape(1), node.getInputShape(2));
  std::optional<SmallVector<int64_t>> shape =
      xy ? broadcastShapes(node.getInputShape(0), *xy) : std::nullopt;
  if (!shape)
    return node.fail("shapes " + formatShape(node.getInputShape(0)) + ", " +
                     formatShape(node.getInputShape(1)) + " and " +
                     formatShape(node.getInputShape(2)) + " do not broadcast");
  auto type = RankedTensorType::get(*shape, element);
  if (node.allInputsConstant() && isFoldable(type)) {
    node.setOutput(0, *evaluateWhere(*node.getInputConstant(0), *node.getInputConstant(1),
                                     *node.getInputConstant(2)));
    return success();
  }
  Value condition = node.getInput(0), x = node.getInput(1), y = node.getInput(2);
  if (!condition || !x || !y)
    return failure();
  node.setOutput(0, node.create<mlir::ds::SelectOp>(type, condition, x, y));
  return success();
}

} // namespace

void ::ds::importer::registerLogicalOps(OpRegistry &r) {
  using mlir::ds::ComparePredicate;
  int64_t lo = kMinONNXOpset, hi = kMaxONNXOpset;
  r.add("Equal", lo, hi, importCompare<ComparePredicate::EQ>);
  r.add("Less", lo, hi, importCompare<ComparePredicate::LT>);
  r.add("LessOrEqual", lo, hi, importCompare<ComparePredicate::LE>);
  r.add("Greater", lo, hi, importCompare<ComparePredicate::GT>);
  r.add("GreaterOrEqual", lo, hi, importCompare<ComparePredicate::GE>);
  r.add("Not", lo, hi, importNot);
  r.add("Where", lo, hi, importWhere);
}
