//===- GradientCheck.cpp - derivative rules against finite differences ----===//
//
// Both f and its gradient go through the same path a training step takes: ds-autodiff and
// canonicalize, the plan emitter, the runtime's executor on a one-rank communicator.
//
//===----------------------------------------------------------------------===//

#include "GradientCheck.h"

#include "ds/Dialect/DS/IR/DSDialect.h"
#include "ds/Runtime/Exec/Executor.h"
#include "ds/Runtime/SelfCommunicator.h"
#include "ds/Target/PlanEmitter.h"
#include "ds/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <optional>

namespace ds::gradcheck {

std::vector<double> Inputs::uniform(int64_t n, double lo, double hi) {
  std::uniform_real_distribution<double> dist(lo, hi);
  std::vector<double> v(n);
  for (double &x : v)
    x = dist(rng);
  return v;
}

std::vector<double> Inputs::awayFromZero(int64_t n, double lo, double hi) {
  std::vector<double> v = uniform(n, lo, hi);
  std::bernoulli_distribution sign(0.5);
  for (double &x : v)
    if (sign(rng))
      x = -x;
  return v;
}

std::vector<double> Inputs::distinct(int64_t n, double lo, double gap) {
  std::vector<double> v(n);
  std::uniform_real_distribution<double> jitter(0.0, 0.25 * gap);
  for (int64_t i = 0; i < n; ++i)
    v[i] = lo + gap * static_cast<double>(i) + jitter(rng);
  std::shuffle(v.begin(), v.end(), rng);
  return v;
}

Input floatInput(std::string name, std::vector<int64_t> shape, std::vector<double> values) {
  Input in;
  in.name = std::move(name);
  in.shape = std::move(shape);
  in.values = std::move(values);
  return in;
}

Input indexInput(std::string name, std::vector<int64_t> shape, std::vector<int64_t> indices) {
  Input in;
  in.name = std::move(name);
  in.shape = std::move(shape);
  in.indices = std::move(indices);
  in.isIndex = true;
  return in;
}

int64_t numElements(const std::vector<int64_t> &shape) {
  return std::accumulate(shape.begin(), shape.end(), int64_t{1}, std::multiplies<int64_t>());
}

namespace {

std::string tensorType(const std::vector<int64_t> &shape, const std::string &element) {
  std::string text = "tensor<";
  for (int64_t d : shape)
    text += std::to_string(d) + "x";
  return text + element + ">";
}

std::string substitute(std::string text, const std::string &element) {
  for (size_t at = text.find("{T}"); at != std::string::npos; at = text.find("{T}", at))
    text.replace(at, 3, element);
  return text;
}

/// func.func @f(inputs..., %w) -> loss, with loss = reduce_sum(y * w).
std::string moduleText(const Case &c) {
  const std::string &t = c.elementType;
  std::string args;
  for (const Input &in : c.inputs)
    args += "%" + in.name + ": " + tensorType(in.shape, in.isIndex ? "i64" : t) + ", ";
  std::string resultType = tensorType(c.resultShape, t);
  args += "%w: " + resultType;
  std::string text = "func.func @f(" + args + ") -> tensor<" + t + "> {\n";
  text += substitute(c.body, t) + "\n";
  if (c.resultShape.empty()) {
    text += "%loss = ds.mul %y, %w : " + resultType + "\n";
  } else {
    std::string axes;
    for (size_t d = 0; d < c.resultShape.size(); ++d)
      axes += (d ? ", " : "") + std::to_string(d);
    text += "%prod = ds.mul %y, %w : " + resultType + "\n";
    text += "%loss = ds.reduce_sum %prod axes = [" + axes + "] : " + resultType + " -> tensor<" +
            t + ">\n";
  }
  return text + "return %loss : tensor<" + t + ">\n}\n";
}

/// The plans of f and of its gradient, or a message saying what went wrong.
struct Plans {
  plan::Plan forward, gradient;
  std::string error;
};

Plans compile(const std::string &text) {
  Plans plans;
  mlir::DialectRegistry registry;
  registry.insert<mlir::ds::DSDialect, mlir::func::FuncDialect>();
  mlir::MLIRContext context(registry);
  std::string diagnostics;
  mlir::ScopedDiagnosticHandler handler(&context, [&](mlir::Diagnostic &diag) {
    diagnostics += diag.str() + "\n";
    return mlir::success();
  });
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceString<mlir::ModuleOp>(text, &context);
  if (!module) {
    plans.error = "cannot parse:\n" + diagnostics + text;
    return plans;
  }
  mlir::FailureOr<plan::Plan> forward = buildPlan(*module, 1);
  mlir::PassManager passes(&context);
  passes.addPass(mlir::ds::createAutodiff());
  passes.addPass(mlir::createCanonicalizerPass());
  if (failed(forward) || failed(passes.run(*module))) {
    plans.error = "cannot compile:\n" + diagnostics + text;
    return plans;
  }
  mlir::FailureOr<plan::Plan> gradient = buildPlan(*module, 1);
  if (failed(gradient)) {
    plans.error = "cannot emit the gradient:\n" + diagnostics + text;
    return plans;
  }
  plans.forward = std::move(*forward);
  plans.gradient = std::move(*gradient);
  return plans;
}

/// One executor and the case's input values, which the finite differences perturb.
class Runner {
public:
  static std::optional<Runner> create(const plan::Plan &plan, const Case &c, std::string &error) {
    Runner runner;
    runner.world = rt::createSelfCommunicator();
    auto executor = rt::Executor::create(plan, *runner.world, rt::ExecutorOptions());
    if (!executor) {
      error = executor.status().message();
      return std::nullopt;
    }
    runner.executor = std::move(*executor);
    runner.f32 = c.elementType == "f32";
    return runner;
  }

  rt::Status setInput(size_t index, const Input &in) {
    std::string name = "input" + std::to_string(index);
    if (in.isIndex)
      return executor->setInput(name, rt::DType::I64, in.shape, in.indices.data());
    if (!f32)
      return executor->setInput(name, rt::DType::F64, in.shape, in.values.data());
    std::vector<float> narrow(in.values.begin(), in.values.end());
    return executor->setInput(name, rt::DType::F32, in.shape, narrow.data());
  }

  rt::StatusOr<std::vector<double>> run(const std::string &output) {
    // Step 0 every time: dropout's mask depends on the step.
    rt::Status status = executor->runStep(0);
    if (!status)
      return status;
    auto view = executor->output(output);
    if (!view)
      return view.status();
    std::vector<double> values(view->numel());
    for (int64_t i = 0; i < view->numel(); ++i)
      values[i] = view->dtype == rt::DType::F64 ? view->as<double>()[i]
                                                : static_cast<double>(view->as<float>()[i]);
    return values;
  }

private:
  std::unique_ptr<rt::Communicator> world;
  std::unique_ptr<rt::Executor> executor;
  bool f32 = false;
};

uint64_t seedOf(const std::string &name) {
  uint64_t h = 1469598103934665603ull; // FNV-1a: the same inputs on every platform
  for (char ch : name)
    h = (h ^ static_cast<uint8_t>(ch)) * 1099511628211ull;
  return h;
}

} // namespace

void checkGradients(const Case &c) {
  SCOPED_TRACE(c.name);
  std::vector<Input> inputs = c.inputs;
  Inputs random(seedOf(c.name));
  inputs.push_back(
      floatInput("w", c.resultShape, random.awayFromZero(numElements(c.resultShape), 0.25, 1.0)));
  for (const Input &in : inputs)
    ASSERT_EQ(static_cast<int64_t>(in.isIndex ? in.indices.size() : in.values.size()),
              numElements(in.shape))
        << "input " << in.name << " has the wrong number of values";

  std::string text = moduleText(c);
  Plans plans = compile(text);
  ASSERT_TRUE(plans.error.empty()) << plans.error;
  std::string error;
  std::optional<Runner> forward = Runner::create(plans.forward, c, error);
  ASSERT_TRUE(forward) << error;
  std::optional<Runner> gradient = Runner::create(plans.gradient, c, error);
  ASSERT_TRUE(gradient) << error;
  for (size_t i = 0; i < inputs.size(); ++i) {
    ASSERT_TRUE(forward->setInput(i, inputs[i]));
    ASSERT_TRUE(gradient->setInput(i, inputs[i]));
  }

  // The gradient function returns the loss, then one gradient per float argument in order.
  int output = 1;
  for (size_t k = 0; k + 1 < inputs.size(); ++k) {
    Input &in = inputs[k];
    if (in.isIndex)
      continue;
    auto analytic = gradient->run("output" + std::to_string(output++));
    ASSERT_TRUE(analytic) << analytic.status().message() << "\n" << text;
    ASSERT_EQ(static_cast<int64_t>(analytic->size()), numElements(in.shape)) << in.name;
    if (c.inspect)
      c.inspect(in.name, *analytic);
    int failures = 0;
    double worst = 0;
    for (size_t e = 0; e < in.values.size(); ++e) {
      double saved = in.values[e];
      double loss[2];
      for (int side = 0; side < 2; ++side) {
        in.values[e] = saved + (side ? -c.step : c.step);
        ASSERT_TRUE(forward->setInput(k, in));
        auto value = forward->run("output0");
        ASSERT_TRUE(value) << value.status().message();
        loss[side] = (*value)[0];
      }
      in.values[e] = saved;
      ASSERT_TRUE(forward->setInput(k, in));
      double numeric = (loss[0] - loss[1]) / (2 * c.step);
      double err = std::fabs((*analytic)[e] - numeric) / std::max(1.0, std::fabs(numeric));
      worst = std::max(worst, err);
      if (!(err <= c.tolerance) && failures++ < 4)
        ADD_FAILURE() << "d/d" << in.name << "[" << e << "]: analytic " << (*analytic)[e]
                      << ", finite differences " << numeric;
    }
    EXPECT_EQ(failures, 0) << "d/d" << in.name << ": " << failures << " of " << in.values.size()
                           << " elements off, worst relative error " << worst << "\n"
                           << text;
  }
}

} // namespace ds::gradcheck
