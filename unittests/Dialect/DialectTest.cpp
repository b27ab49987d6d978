// Builds ds IR through the C++ API, as passes do, and checks what the verifiers accept.

#include "ds/Dialect/DS/IR/DSOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/AsmParser/AsmParser.h"

#include <gtest/gtest.h>

using namespace mlir;

namespace {

class DialectTest : public ::testing::Test {
protected:
  DialectTest() : builder(&context) {
    context.loadDialect<ds::DSDialect, func::FuncDialect>();
    module = ModuleOp::create(builder.getUnknownLoc());
    builder.setInsertionPointToEnd(module->getBody());
    // Keep diagnostics of deliberately invalid IR out of the test log.
    handler = std::make_unique<ScopedDiagnosticHandler>(
        &context, [this](Diagnostic &d) {
          lastError = d.str();
          return success();
        });
  }

  RankedTensorType f32(ArrayRef<int64_t> shape) {
    return RankedTensorType::get(shape, builder.getF32Type());
  }

  /// A function taking `types`, whose body the test fills in.
  func::FuncOp makeFunc(TypeRange types) {
    auto fn = builder.create<func::FuncOp>(builder.getUnknownLoc(), "f",
                                           builder.getFunctionType(types, {}));
    builder.setInsertionPointToStart(fn.addEntryBlock());
    return fn;
  }

  MLIRContext context;
  OpBuilder builder;
  OwningOpRef<ModuleOp> module;
  std::unique_ptr<ScopedDiagnosticHandler> handler;
  std::string lastError;
};

TEST_F(DialectTest, BroadcastingAddVerifies) {
  func::FuncOp fn = makeFunc({f32({2, 3, 4}), f32({3, 1})});
  Location loc = builder.getUnknownLoc();
  builder.create<ds::AddOp>(loc, f32({2, 3, 4}), fn.getArgument(0),
                            fn.getArgument(1));
  builder.create<func::ReturnOp>(loc);
  EXPECT_TRUE(succeeded(verify(*module)));
}

TEST_F(DialectTest, WrongBroadcastResultIsRejected) {
  func::FuncOp fn = makeFunc({f32({2, 3, 4}), f32({3, 1})});
  Location loc = builder.getUnknownLoc();
  builder.create<ds::AddOp>(loc, f32({2, 3, 1}), fn.getArgument(0),
                            fn.getArgument(1));
  builder.create<func::ReturnOp>(loc);
  EXPECT_TRUE(failed(verify(*module)));
  EXPECT_NE(lastError.find("is not the broadcast shape [2, 3, 4]"),
            std::string::npos)
      << lastError;
}

TEST_F(DialectTest, MeshResolvesAxisSizes) {
  auto mesh = builder.create<ds::MeshOp>(
      builder.getUnknownLoc(), "mesh", builder.getStrArrayAttr({"pp", "dp", "tp"}),
      builder.getDenseI64ArrayAttr({2, 4, 8}));
  EXPECT_EQ(mesh.getAxisSize("dp"), 4);
  EXPECT_EQ(mesh.getAxisSize("tp"), 8);
  EXPECT_EQ(mesh.getAxisSize("ep"), std::nullopt);
  EXPECT_EQ(mesh.getNumDevices(), 64);
  EXPECT_TRUE(succeeded(verify(*module)));
}

TEST_F(DialectTest, AllGatherShapeFollowsTheGroupSize) {
  builder.create<ds::MeshOp>(builder.getUnknownLoc(), "mesh",
                             builder.getStrArrayAttr({"dp"}),
                             builder.getDenseI64ArrayAttr({3}));
  func::FuncOp fn = makeFunc({f32({2, 5})});
  Location loc = builder.getUnknownLoc();
  auto gather = builder.create<ds::AllGatherOp>(
      loc, f32({6, 5}), fn.getArgument(0), "mesh", "dp", 0);
  builder.create<func::ReturnOp>(loc);
  EXPECT_TRUE(succeeded(verify(*module)));
  // The same op claiming a group of 2 is wrong.
  gather.getResult().setType(f32({4, 5}));
  EXPECT_TRUE(failed(verify(*module)));
  EXPECT_NE(lastError.find("for a group of 3 ranks"), std::string::npos)
      << lastError;
}

TEST_F(DialectTest, InitializerRejectsNonPositiveStd) {
  Attribute attr = parseAttribute(
      "#ds.init<normal, mean = 0.0, std = 0.0, seed = 1>", &context);
  EXPECT_FALSE(attr);
  EXPECT_NE(lastError.find("std > 0"), std::string::npos) << lastError;
}

} // namespace
