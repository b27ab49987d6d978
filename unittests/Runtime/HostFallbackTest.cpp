// The host fallback of a GPU rank (lib/Runtime/exec/HostFallback.cpp) on a stand-in device whose
// memory holds every byte XOR-encoded: a CPU kernel that read or wrote "device" memory directly
// instead of the fallback's host copies would compute garbage. So these pin the copy discipline
// that the CUDA backend relies on for every op its kernels do not cover: operands copied over,
// results copied back, an in-place result shared with its operand, 16-bit operands widened, and
// outputs and inputs moved through the device on their way to and from the host.
#include "InstructionContext.h"

#include "ds/Plan/PlanVersion.h"
#include "ds/Runtime/Exec/Executor.h"
#include "ds/Runtime/Kernels/CPU.h"
#include "ds/Runtime/SelfCommunicator.h"

#include "TestUtil.h"

#include <cstdlib>
#include <cstring>

using namespace ds::rt;
using namespace ds::rt::test;
namespace plan = ds::plan;

namespace {

constexpr unsigned char kKey = 0xA5;

// Not the host: the executor stages, uploads and copies back as it does for a GPU.
class EncodedDevice final : public Device {
public:
  DeviceKind kind() const override { return DeviceKind::Cuda; }
  const std::string &description() const override { return description_; }
  void *allocate(int64_t bytes) override {
    size_t size = static_cast<size_t>(std::max<int64_t>(bytes, 1));
    void *p = std::aligned_alloc(64, (size + 63) / 64 * 64);
    if (p)
      std::memset(p, kKey, size); // encoded zeros
    return p;
  }
  void deallocate(void *ptr, int64_t) override { std::free(ptr); }
  Status fill(void *dst, int64_t count, const void *element, int64_t elementBytes) override {
    auto *out = static_cast<unsigned char *>(dst);
    for (int64_t i = 0; i < count * elementBytes; ++i)
      out[i] = (element ? static_cast<const unsigned char *>(element)[i % elementBytes] : 0) ^ kKey;
    return Status::ok();
  }
  Status copyFromHost(void *dst, const void *src, int64_t bytes) override {
    for (int64_t i = 0; i < bytes; ++i)
      static_cast<unsigned char *>(dst)[i] = static_cast<const unsigned char *>(src)[i] ^ kKey;
    return Status::ok();
  }
  Status copyToHost(void *dst, const void *src, int64_t bytes) override {
    return copyFromHost(dst, src, bytes); // XOR is its own inverse
  }
  Status copy(void *dst, const void *src, int64_t bytes) override {
    std::memmove(dst, src, static_cast<size_t>(bytes));
    return Status::ok();
  }
  Status copy2D(void *dst, int64_t dstPitch, const void *src, int64_t srcPitch, int64_t width,
                int64_t rows) override {
    for (int64_t r = 0; r < rows; ++r)
      std::memcpy(static_cast<char *>(dst) + r * dstPitch,
                  static_cast<const char *>(src) + r * srcPitch, static_cast<size_t>(width));
    return Status::ok();
  }
  Status synchronize() override { return Status::ok(); }

private:
  std::string description_ = "an encoded test device";
};

struct PlanBuilder {
  plan::Plan p;
  PlanBuilder() {
    p.mutable_version()->set_major(plan::kPlanVersionMajor);
    p.mutable_version()->set_minor(plan::kPlanVersionMinor);
    p.mutable_mesh()->add_axis_names("dp");
    p.mutable_mesh()->add_axis_sizes(1);
    p.add_programs();
  }
  uint32_t buffer(const std::string &name, plan::DType dtype, Shape shape) {
    plan::Buffer *b = p.add_buffers();
    b->set_id(p.buffers_size() - 1);
    b->set_dtype(dtype);
    for (int64_t d : shape)
      b->add_shape(d);
    b->set_name(name);
    return b->id();
  }
  uint32_t input(const std::string &name, plan::DType dtype, Shape shape) {
    uint32_t id = buffer(name, dtype, std::move(shape));
    plan::Input *in = p.add_inputs();
    in->set_name(name);
    in->set_buffer(id);
    return id;
  }
  uint32_t output(const std::string &name, plan::DType dtype, Shape shape) {
    uint32_t id = buffer(name, dtype, std::move(shape));
    plan::Output *out = p.add_outputs();
    out->set_name(name);
    out->set_buffer(id);
    return id;
  }
  uint32_t param(const std::string &name, Shape shape, plan::Initializer::Distribution init) {
    uint32_t id = buffer("@" + name, plan::F32, std::move(shape));
    plan::Param *param = p.add_params();
    param->set_name(name);
    param->set_buffer(id);
    param->mutable_init()->set_distribution(init);
    return id;
  }
  plan::Instruction &inst(const std::string &op, std::vector<uint32_t> operands,
                          std::vector<uint32_t> results) {
    plan::Instruction *i = p.mutable_programs(0)->add_instructions();
    i->set_op(op);
    for (uint32_t id : operands)
      i->add_operands(id);
    for (uint32_t id : results)
      i->add_results(id);
    return *i;
  }
};

// Runs instruction `index` of the executor's plan through the host fallback.
Status runFallback(Executor &executor, int index) {
  const plan::Instruction &inst = executor.plan().programs(0).instructions(index);
  InstructionContext c(executor, inst, index);
  return runOnHost(inst.op(), c);
}

TEST(HostFallback, CopiesOperandsOverAndResultsBack) {
  constexpr int64_t kN = 12;
  PlanBuilder b;
  uint32_t x = b.input("x", plan::F32, {3, kN / 3}), y = b.input("y", plan::F32, {kN / 3});
  uint32_t out = b.output("out", plan::F32, {3, kN / 3});
  b.inst("add", {x, y}, {out});
  std::unique_ptr<Communicator> self = createSelfCommunicator();
  ExecutorOptions options;
  options.device = std::make_shared<EncodedDevice>();
  auto executor = Executor::create(b.p, *self, options);
  ASSERT_OK(executor);
  std::vector<float> xs = randomFloats(kN, 1, -2, 2), ys = randomFloats(kN / 3, 2, -2, 2);
  ASSERT_OK((*executor)->setInput("x", DType::F32, {3, kN / 3}, xs.data()));
  ASSERT_OK((*executor)->setInput("y", DType::F32, {kN / 3}, ys.data()));
  ASSERT_OK(runFallback(**executor, 0));
  auto got = (*executor)->output("out");
  ASSERT_OK(got);
  for (int64_t i = 0; i < kN; ++i)
    EXPECT_EQ(got->as<float>()[i], xs[i] + ys[i % (kN / 3)]) << i;
  // The result sits encoded on the device: the kernel wrote the host copy, not device memory.
  float raw;
  std::memcpy(&raw, (*executor)->slot(out).data, 4);
  EXPECT_NE(raw, xs[0] + ys[0]);
  EXPECT_EQ((*executor)->hostFallbacks().at("add"), 1);
}

TEST(HostFallback, WidensSixteenBitOperands) {
  PlanBuilder b;
  uint32_t x = b.input("x", plan::BF16, {4}), y = b.input("y", plan::BF16, {4});
  uint32_t out = b.output("out", plan::BF16, {4});
  b.inst("mul", {x, y}, {out});
  std::unique_ptr<Communicator> self = createSelfCommunicator();
  ExecutorOptions options;
  options.device = std::make_shared<EncodedDevice>();
  auto executor = Executor::create(b.p, *self, options);
  ASSERT_OK(executor);
  std::vector<float> xs = {1.5f, -2.25f, 3.0f, 0.1f}, ys = {2.0f, 4.0f, -0.5f, 3.0f};
  std::vector<BFloat16> xb, yb;
  for (int i = 0; i < 4; ++i) {
    xb.push_back(toBFloat16(xs[i]));
    yb.push_back(toBFloat16(ys[i]));
  }
  ASSERT_OK((*executor)->setInput("x", DType::BF16, {4}, xb.data()));
  ASSERT_OK((*executor)->setInput("y", DType::BF16, {4}, yb.data()));
  ASSERT_OK(runFallback(**executor, 0));
  auto got = (*executor)->output("out");
  ASSERT_OK(got);
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(got->as<BFloat16>()[i].bits,
              toBFloat16(toFloat(xb[i]) * toFloat(yb[i])).bits)
        << i;
}

// adam_update's results are its operands' buffers: each is copied once, updated in place on the
// host and copied back; the scalars come from the inputs the training loop sets.
TEST(HostFallback, UpdatesInPlaceResultsOnce) {
  constexpr int64_t kN = 8;
  PlanBuilder b;
  uint32_t p = b.param("w", {kN}, plan::Initializer::ONES);
  uint32_t m = b.param("w.exp_avg", {kN}, plan::Initializer::ZEROS);
  uint32_t v = b.param("w.exp_avg_sq", {kN}, plan::Initializer::ZEROS);
  uint32_t g = b.input("g", plan::F32, {kN});
  uint32_t lr = b.input("lr", plan::F32, {}), step = b.input("step", plan::F32, {}),
           scale = b.input("grad_scale", plan::F32, {});
  plan::Instruction &adam = b.inst("adam_update", {p, g, m, v, lr, step, scale}, {p, m, v});
  (*adam.mutable_attrs())["beta1"].set_f(0.9);
  (*adam.mutable_attrs())["beta2"].set_f(0.999);
  (*adam.mutable_attrs())["epsilon"].set_f(1e-8);
  (*adam.mutable_attrs())["weight_decay"].set_f(0.1);
  (*adam.mutable_attrs())["adam_w_mode"].set_i(1);
  std::unique_ptr<Communicator> self = createSelfCommunicator();
  ExecutorOptions options;
  options.device = std::make_shared<EncodedDevice>();
  auto executor = Executor::create(b.p, *self, options);
  ASSERT_OK(executor);
  std::vector<float> grads = randomFloats(kN, 3, -1, 1);
  float lrValue = 0.01f, stepValue = 1.0f, scaleValue = 0.5f;
  ASSERT_OK((*executor)->setInput("g", DType::F32, {kN}, grads.data()));
  ASSERT_OK((*executor)->setInput("lr", DType::F32, {}, &lrValue));
  ASSERT_OK((*executor)->setInput("step", DType::F32, {}, &stepValue));
  ASSERT_OK((*executor)->setInput("grad_scale", DType::F32, {}, &scaleValue));
  ASSERT_OK(runFallback(**executor, 0));

  std::vector<float> wantP(kN, 1.0f), wantM(kN, 0.0f), wantV(kN, 0.0f);
  AdamConfig config{0.9, 0.999, 1e-8, 0.1, true};
  ASSERT_OK(cpu::adamUpdate(TensorView(wantP.data(), {kN}), TensorView(grads.data(), {kN}),
                            TensorView(wantM.data(), {kN}), TensorView(wantV.data(), {kN}),
                            lrValue, 1, scaleValue, config, MutableTensorView(wantP.data(), {kN}),
                            MutableTensorView(wantM.data(), {kN}),
                            MutableTensorView(wantV.data(), {kN})));
  Device &device = (*executor)->device();
  std::vector<float> gotP(kN), gotM(kN), gotV(kN);
  ASSERT_OK(device.copyToHost(gotP.data(), (*executor)->slot(p).data, kN * 4));
  ASSERT_OK(device.copyToHost(gotM.data(), (*executor)->slot(m).data, kN * 4));
  ASSERT_OK(device.copyToHost(gotV.data(), (*executor)->slot(v).data, kN * 4));
  EXPECT_EQ(gotP, wantP);
  EXPECT_EQ(gotM, wantM);
  EXPECT_EQ(gotV, wantV);
}

// ds-run --check-kernels on a non-host device: a device kernel that agrees with the CPU's scores
// 0; one that gets an element wrong is caught with its relative error.
TEST(KernelCheck, ComparesTheDeviceResultWithTheCpuKernel) {
  PlanBuilder b;
  uint32_t x = b.input("x", plan::F32, {4}), y = b.input("y", plan::F32, {4});
  uint32_t out = b.output("out", plan::F32, {4});
  b.inst("sub", {x, y}, {out});
  std::unique_ptr<Communicator> self = createSelfCommunicator();
  ExecutorOptions options;
  options.device = std::make_shared<EncodedDevice>();
  auto executor = Executor::create(b.p, *self, options);
  ASSERT_OK(executor);
  std::vector<float> xs = {4, 3, 2, 1}, ys = {1, 1, 1, 1};
  ASSERT_OK((*executor)->setInput("x", DType::F32, {4}, xs.data()));
  ASSERT_OK((*executor)->setInput("y", DType::F32, {4}, ys.data()));
  const plan::Instruction &inst = (*executor)->plan().programs(0).instructions(0);
  InstructionContext c(**executor, inst, 0);
  auto agree = checkAgainstHost("sub", c, [&] { return runOnHost("sub", c); });
  ASSERT_OK(agree);
  EXPECT_EQ(*agree, 0.0);

  // A "kernel" whose element 2 is off by 0.3: the error is 0.3 / max |cpu| = 0.1.
  auto wrong = checkAgainstHost("sub", c, [&]() -> Status {
    DS_RETURN_IF_ERROR(runOnHost("sub", c));
    float bad = 1.3f;
    Device &device = (*executor)->device();
    return device.copyFromHost(static_cast<char *>((*executor)->slot(out).data) + 8, &bad, 4);
  });
  ASSERT_OK(wrong);
  EXPECT_NEAR(*wrong, 0.1, 1e-6);
  EXPECT_EQ(kernelCheckError(TensorView(xs.data(), {4}), TensorView(xs.data(), {3})), INFINITY);
}

} // namespace

