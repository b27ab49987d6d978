// The executor's dtype handling, on one-instruction plans built by hand: bf16 and f16 instructions
// compute in f32 and round their results (so they equal the f32 plan's results rounded to 16 bits,
// and stay within 16-bit tolerance of them), data movement keeps 16-bit bits as they are, f64
// plans compute in double, and the fused optimizer ops read their scalar operands.
#include "ds/Plan/PlanVersion.h"
#include "ds/Runtime/Exec/Executor.h"
#include "ds/Runtime/Kernels/CPU/Optimizer.h"
#include "ds/Runtime/SelfCommunicator.h"

#include "TestUtil.h"

#include <cstring>
#include <functional>
#include <utility>

using namespace ds::rt;
using namespace ds::rt::test;
namespace plan = ds::plan;

namespace {

// A one-rank plan assembled buffer by buffer; every input is fed from a file-like source.
class PlanBuilder {
public:
  PlanBuilder() {
    plan_.mutable_version()->set_major(plan::kPlanVersionMajor);
    plan_.mutable_mesh()->add_axis_names("dp");
    plan_.mutable_mesh()->add_axis_sizes(1);
    plan_.add_programs()->set_rank(0);
  }
  uint32_t buffer(plan::DType dtype, const Shape &shape) {
    plan::Buffer *b = plan_.add_buffers();
    b->set_id(plan_.buffers_size() - 1);
    b->set_dtype(dtype);
    for (int64_t d : shape)
      b->add_shape(d);
    b->set_name("b" + std::to_string(b->id()));
    return b->id();
  }
  uint32_t input(const std::string &name, plan::DType dtype, const Shape &shape) {
    uint32_t id = buffer(dtype, shape);
    plan::Input *in = plan_.add_inputs();
    in->set_name(name);
    in->set_buffer(id);
    return id;
  }
  void output(const std::string &name, uint32_t id) {
    plan::Output *out = plan_.add_outputs();
    out->set_name(name);
    out->set_buffer(id);
  }
  plan::Instruction &instruction(const std::string &op, std::vector<uint32_t> operands,
                                 std::vector<uint32_t> results) {
    plan::Instruction *inst = plan_.mutable_programs(0)->add_instructions();
    inst->set_op(op);
    for (uint32_t id : operands)
      inst->add_operands(id);
    for (uint32_t id : results)
      inst->add_results(id);
    return *inst;
  }
  const plan::Plan &get() const { return plan_; }

private:
  plan::Plan plan_;
};

void setF(plan::Instruction &inst, const std::string &name, double value) {
  (*inst.mutable_attrs())[name].set_f(value);
}
void setI(plan::Instruction &inst, const std::string &name, int64_t value) {
  (*inst.mutable_attrs())[name].set_i(value);
}
void setS(plan::Instruction &inst, const std::string &name, const std::string &value) {
  (*inst.mutable_attrs())[name].set_s(value);
}

// One tensor of an instruction under test: its shape, its kind (float in the precision under
// test, or i64 targets) and its f32 values (integers for targets).
struct Operand {
  Shape shape;
  std::vector<float> values;
  bool isIndex = false;
};

// The instruction to test, built into a plan whose float buffers have dtype `dtype`.
struct Case {
  std::string op;
  std::vector<Operand> operands;
  std::vector<Shape> results;
  std::function<void(plan::Instruction &)> attrs;
};

plan::DType planDType(DType dtype) {
  switch (dtype) {
  case DType::BF16: return plan::BF16;
  case DType::F16: return plan::F16;
  case DType::F64: return plan::F64;
  default: return plan::F32;
  }
}

// Storage of `values` in `dtype`: 16-bit floats rounded to nearest even, f64 widened.
std::vector<char> encode(const std::vector<float> &values, DType dtype) {
  std::vector<char> bytes(values.size() * dtypeSize(dtype));
  for (size_t i = 0; i < values.size(); ++i) {
    char *at = bytes.data() + i * dtypeSize(dtype);
    if (dtype == DType::BF16) {
      BFloat16 b = toBFloat16(values[i]);
      std::memcpy(at, &b, 2);
    } else if (dtype == DType::F16) {
      Half h = toHalf(values[i]);
      std::memcpy(at, &h, 2);
    } else if (dtype == DType::F64) {
      double d = values[i];
      std::memcpy(at, &d, 8);
    } else {
      std::memcpy(at, &values[i], 4);
    }
  }
  return bytes;
}

std::vector<double> decode(const TensorView &t) {
  std::vector<double> out(t.numel());
  for (int64_t i = 0; i < t.numel(); ++i) {
    switch (t.dtype) {
    case DType::BF16: out[i] = toFloat(t.as<BFloat16>()[i]); break;
    case DType::F16: out[i] = toFloat(t.as<Half>()[i]); break;
    case DType::F64: out[i] = t.as<double>()[i]; break;
    default: out[i] = t.as<float>()[i]; break;
    }
  }
  return out;
}

// The values `values` take once stored in `dtype` (what both plans of a comparison compute on).
std::vector<float> roundedTo(const std::vector<float> &values, DType dtype) {
  std::vector<float> out(values);
  for (float &v : out)
    v = dtype == DType::BF16 ? toFloat(toBFloat16(v)) : dtype == DType::F16 ? toFloat(toHalf(v)) : v;
  return out;
}

// Runs `c` with float buffers of `dtype` on inputs already representable in it; returns each
// result decoded to double.
StatusOr<std::vector<std::vector<double>>> run(const Case &c, DType dtype) {
  PlanBuilder b;
  std::vector<uint32_t> operands, results;
  for (size_t i = 0; i < c.operands.size(); ++i) {
    const Operand &o = c.operands[i];
    operands.push_back(
        b.input("in" + std::to_string(i), o.isIndex ? plan::I64 : planDType(dtype), o.shape));
  }
  for (size_t j = 0; j < c.results.size(); ++j) {
    results.push_back(b.buffer(planDType(dtype), c.results[j]));
    b.output("out" + std::to_string(j), results.back());
  }
  plan::Instruction &inst = b.instruction(c.op, operands, results);
  if (c.attrs)
    c.attrs(inst);

  std::unique_ptr<Communicator> self = createSelfCommunicator();
  DS_ASSIGN_OR_RETURN(executor, Executor::create(b.get(), *self, ExecutorOptions{}));
  for (size_t i = 0; i < c.operands.size(); ++i) {
    const Operand &o = c.operands[i];
    if (o.isIndex) {
      std::vector<int64_t> ids(o.values.begin(), o.values.end());
      DS_RETURN_IF_ERROR(executor->setInput("in" + std::to_string(i), DType::I64, o.shape,
                                            ids.data()));
    } else {
      std::vector<char> bytes = encode(o.values, dtype);
      DS_RETURN_IF_ERROR(
          executor->setInput("in" + std::to_string(i), dtype, o.shape, bytes.data()));
    }
  }
  DS_RETURN_IF_ERROR(executor->runStep(0));
  std::vector<std::vector<double>> outputs;
  for (size_t j = 0; j < c.results.size(); ++j) {
    DS_ASSIGN_OR_RETURN(out, executor->output("out" + std::to_string(j)));
    if (out.dtype != dtype)
      return Status::error(std::string("output has dtype ") + dtypeName(out.dtype));
    outputs.push_back(decode(out));
  }
  return outputs;
}

// The six instructions mixed precision has to get right.
std::vector<Case> mixedPrecisionCases() {
  const int64_t rows = 6, d = 16, vocab = 11;
  std::vector<Case> cases;
  cases.push_back({"matmul",
                   {{{2, rows, d}, randomFloats(2 * rows * d, 1)}, {{d, 8}, randomFloats(d * 8, 2)}},
                   {{2, rows, 8}},
                   [](plan::Instruction &) {}});
  cases.push_back({"layer_norm",
                   {{{rows, d}, randomFloats(rows * d, 3)},
                    {{d}, randomFloats(d, 4)},
                    {{d}, randomFloats(d, 5)}},
                   {{rows, d}},
                   [](plan::Instruction &i) {
                     setI(i, "axis", -1);
                     setF(i, "epsilon", 1e-5);
                   }});
  cases.push_back({"softmax",
                   {{{rows, d}, randomFloats(rows * d, 6, 0.1f, 8.0f)}},
                   {{rows, d}},
                   [](plan::Instruction &i) { setI(i, "axis", 1); }});
  cases.push_back({"gelu",
                   {{{rows, d}, randomFloats(rows * d, 7, 0.1f, 4.0f)}},
                   {{rows, d}},
                   [](plan::Instruction &i) { setS(i, "approximate", "tanh"); }});
  cases.push_back({"add",
                   {{{rows, d}, randomFloats(rows * d, 8)}, {{d}, randomFloats(d, 9)}},
                   {{rows, d}},
                   {}});
  std::vector<float> targets;
  for (int64_t t : randomInts(rows, 10, 0, vocab - 1))
    targets.push_back(static_cast<float>(t));
  cases.push_back({"cross_entropy",
                   {{{rows, vocab}, randomFloats(rows * vocab, 11, 0.1f, 6.0f)},
                    {{rows}, targets, /*isIndex=*/true}},
                   {{}},
                   [](plan::Instruction &i) { setS(i, "reduction", "mean"); }});
  return cases;
}

// Each case in `dtype` against the f32 plan on the same (representable) inputs: every result is
// exactly the f32 result rounded to `dtype`, hence within `rtol` of it.
void checkAgainstF32(DType dtype, double rtol) {
  for (Case c : mixedPrecisionCases()) {
    SCOPED_TRACE(c.op);
    for (Operand &o : c.operands)
      if (!o.isIndex)
        o.values = roundedTo(o.values, dtype);
    StatusOr<std::vector<std::vector<double>>> low = run(c, dtype);
    ASSERT_OK(low);
    StatusOr<std::vector<std::vector<double>>> full = run(c, DType::F32);
    ASSERT_OK(full);
    for (size_t j = 0; j < full->size(); ++j) {
      std::vector<float> f32((*full)[j].begin(), (*full)[j].end());
      std::vector<float> expected = roundedTo(f32, dtype);
      EXPECT_EQ((*low)[j], std::vector<double>(expected.begin(), expected.end()));
      EXPECT_TRUE(allClose(f32, (*low)[j], rtol, 1e-3));
    }
  }
}

TEST(ExecutorMixedPrecision, Bf16ComputesInF32AndRoundsResults) {
  checkAgainstF32(DType::BF16, 1.0 / 128); // bf16 keeps 8 significant bits
}

TEST(ExecutorMixedPrecision, F16ComputesInF32AndRoundsResults) {
  checkAgainstF32(DType::F16, 1.0 / 1024); // f16 keeps 11
}

TEST(ExecutorMixedPrecision, DataMovementKeepsSixteenBitValues) {
  // An embedding lookup in bf16: rows come back bit for bit, with no trip through f32.
  Case c{"gather",
         {{{5, 4}, roundedTo(randomFloats(20, 12), DType::BF16)}, {{3}, {4, 0, 2}, true}},
         {{3, 4}},
         [](plan::Instruction &i) { setI(i, "axis", 0); }};
  StatusOr<std::vector<std::vector<double>>> out = run(c, DType::BF16);
  ASSERT_OK(out);
  const std::vector<float> &table = c.operands[0].values;
  for (int r = 0; r < 3; ++r)
    for (int k = 0; k < 4; ++k)
      EXPECT_EQ((*out)[0][r * 4 + k], table[static_cast<int>(c.operands[1].values[r]) * 4 + k]);
}

TEST(ExecutorFloat64, PlansComputeInDouble) {
  // Inputs exact in f32, results that are not: an f32 computation would differ at ~1e-8.
  for (Case c : mixedPrecisionCases()) {
    SCOPED_TRACE(c.op);
    StatusOr<std::vector<std::vector<double>>> f64 = run(c, DType::F64);
    ASSERT_OK(f64);
    StatusOr<std::vector<std::vector<double>>> f32 = run(c, DType::F32);
    ASSERT_OK(f32);
    std::vector<float> narrowed((*f64)[0].begin(), (*f64)[0].end());
    EXPECT_TRUE(allClose(narrowed, (*f32)[0], 1e-5, 1e-6));
    EXPECT_NE((*f64)[0], (*f32)[0]);
  }
}

TEST(ExecutorOptimizer, AdamAndSgdUpdatesReadTheirScalars) {
  const Shape shape = {5};
  std::vector<float> p = randomFloats(5, 13), g = randomFloats(5, 14), m = randomFloats(5, 15);
  std::vector<float> v = randomFloats(5, 16, 0.1f, 1.0f, true);
  PlanBuilder b;
  uint32_t ids[4];
  for (int i = 0; i < 4; ++i)
    ids[i] = b.input("t" + std::to_string(i), plan::F32, shape);
  uint32_t lr = b.input("lr", plan::F32, {}), step = b.input("step", plan::F32, {});
  uint32_t scale = b.input("scale", plan::F32, {});
  uint32_t p2 = b.buffer(plan::F32, shape), m2 = b.buffer(plan::F32, shape);
  uint32_t v2 = b.buffer(plan::F32, shape), p3 = b.buffer(plan::F32, shape);
  uint32_t buf3 = b.buffer(plan::F32, shape);
  plan::Instruction &adam =
      b.instruction("adam_update", {ids[0], ids[1], ids[2], ids[3], lr, step, scale}, {p2, m2, v2});
  setF(adam, "beta1", 0.9);
  setF(adam, "beta2", 0.99);
  setF(adam, "epsilon", 1e-8);
  setF(adam, "weight_decay", 0.1);
  setI(adam, "adam_w_mode", 1);
  plan::Instruction &sgd = b.instruction("sgd_update", {ids[0], ids[1], ids[2], lr, step, scale},
                                         {p3, buf3});
  setF(sgd, "momentum", 0.9);
  setF(sgd, "dampening", 0.0);
  setF(sgd, "weight_decay", 0.0);
  setI(sgd, "nesterov", 1);
  const std::vector<std::pair<std::string, uint32_t>> outputs = {
      {"p2", p2}, {"m2", m2}, {"v2", v2}, {"p3", p3}, {"buf3", buf3}};
  for (const auto &[name, id] : outputs)
    b.output(name, id);

  std::unique_ptr<Communicator> self = createSelfCommunicator();
  StatusOr<std::unique_ptr<Executor>> executor = Executor::create(b.get(), *self, {});
  ASSERT_OK(executor);
  const std::vector<float> *tensors[4] = {&p, &g, &m, &v};
  for (int i = 0; i < 4; ++i)
    ASSERT_OK((*executor)->setInput("t" + std::to_string(i), DType::F32, shape,
                                    tensors[i]->data()));
  const float lrValue = 0.01f, stepValue = 3.0f, scaleValue = 0.5f;
  ASSERT_OK((*executor)->setInput("lr", DType::F32, {}, &lrValue));
  ASSERT_OK((*executor)->setInput("step", DType::F32, {}, &stepValue));
  ASSERT_OK((*executor)->setInput("scale", DType::F32, {}, &scaleValue));
  ASSERT_OK((*executor)->runStep(0));

  std::vector<float> wp(5), wm(5), wv(5), wp3(5), wbuf3(5);
  ASSERT_OK(cpu::adamUpdate(TensorView(p.data(), shape), TensorView(g.data(), shape),
                            TensorView(m.data(), shape), TensorView(v.data(), shape), lrValue, 3,
                            scaleValue, {0.9, 0.99, 1e-8, 0.1, true},
                            MutableTensorView(wp.data(), shape), MutableTensorView(wm.data(), shape),
                            MutableTensorView(wv.data(), shape)));
  ASSERT_OK(cpu::sgdUpdate(TensorView(p.data(), shape), TensorView(g.data(), shape),
                           TensorView(m.data(), shape), lrValue, 3, scaleValue,
                           {0.9, 0.0, 0.0, true}, MutableTensorView(wp3.data(), shape),
                           MutableTensorView(wbuf3.data(), shape)));
  const std::vector<std::pair<std::string, const std::vector<float> *>> expected = {
      {"p2", &wp}, {"m2", &wm}, {"v2", &wv}, {"p3", &wp3}, {"buf3", &wbuf3}};
  for (const auto &[name, want] : expected) {
    StatusOr<TensorView> out = (*executor)->output(name);
    ASSERT_OK(out);
    EXPECT_EQ(std::vector<float>(out->as<float>(), out->as<float>() + 5), *want) << name;
  }
}

TEST(ExecutorOptimizer, FractionalStepIsAnError) {
  PlanBuilder b;
  const Shape shape = {2};
  uint32_t t = b.input("t", plan::F32, shape), s = b.input("s", plan::F32, {});
  uint32_t p2 = b.buffer(plan::F32, shape), buf2 = b.buffer(plan::F32, shape);
  plan::Instruction &sgd = b.instruction("sgd_update", {t, t, t, s, s, s}, {p2, buf2});
  setF(sgd, "momentum", 0.0);
  setF(sgd, "dampening", 0.0);
  setF(sgd, "weight_decay", 0.0);
  setI(sgd, "nesterov", 0);
  std::unique_ptr<Communicator> self = createSelfCommunicator();
  StatusOr<std::unique_ptr<Executor>> executor = Executor::create(b.get(), *self, {});
  ASSERT_OK(executor);
  const float values[2] = {1.0f, 1.0f}, half = 1.5f;
  ASSERT_OK((*executor)->setInput("t", DType::F32, shape, values));
  ASSERT_OK((*executor)->setInput("s", DType::F32, {}, &half));
  EXPECT_ERROR_CONTAINS((*executor)->runStep(0), "step must be a whole number, got 1.5");
}

} // namespace
