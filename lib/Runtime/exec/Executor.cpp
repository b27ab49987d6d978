// The executor: buffers, parameter initialization and the instruction loop over streams.
#include "ds/Runtime/Exec/Executor.h"
#include "InstructionContext.h"

#include "ds/Runtime/Kernels/CPU/Random.h"

#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstring>
#include <thread>
#include <unistd.h>

namespace ds::rt {

namespace {
StatusOr<DType> runtimeDType(plan::DType dtype, const std::string &buffer) {
  switch (dtype) {
  case plan::F32: return DType::F32;
  case plan::F16: return DType::F16;
  case plan::BF16: return DType::BF16;
  case plan::F64: return DType::F64;
  case plan::I64: return DType::I64;
  case plan::I32: return DType::I32;
  case plan::BOOL: return DType::U8;
  default:
    return Status::error("buffer " + buffer + ": element type " + plan::DType_Name(dtype) +
                         " is not supported by the CPU runtime");
  }
}

// Element i of a parameter drawn from `init`: a pure function of (seed, i), so every rank and
// every run draws the same values whatever the thread count. Computed in double; each float
// dtype rounds it once.
double initialValue(const plan::Initializer &init, int64_t i) {
  switch (init.distribution()) {
  case plan::Initializer::ZEROS: return 0.0;
  case plan::Initializer::ONES: return 1.0;
  case plan::Initializer::UNIFORM: {
    PhiloxBlock w = philoxWords(init.seed(), 0, static_cast<uint64_t>(i));
    return init.a() + (init.b() - init.a()) * uniformFromWord(w[0]);
  }
  case plan::Initializer::NORMAL: {
    // Box-Muller on two uniforms of this element's own Philox block.
    PhiloxBlock w = philoxWords(init.seed(), 0, static_cast<uint64_t>(i));
    double u1 = (static_cast<double>(w[0] >> 8) + 1.0) / 16777217.0; // (0, 1]
    double u2 = static_cast<double>(w[1] >> 8) / 16777216.0;
    double z = std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
    return init.a() + init.b() * z;
  }
  default: return 0.0;
  }
}
} // namespace

Executor::Executor(const plan::Plan &plan, Communicator &world, ExecutorOptions options)
    : plan_(plan), world_(world), options_(std::move(options)),
      device_(options_.device ? options_.device : std::shared_ptr<Device>(createHostDevice())),
      allocator_(*device_), epoch_(std::chrono::steady_clock::now()) {}

Executor::~Executor() {
  // After an error, collectives may still be in flight on the buffers freed below. Withdraw them
  // first: dropping a request withdraws an MPI receive and marks an NCCL communicator whose work
  // is unfinished for abort, which destroying the groups then does (ending its kernels, which a
  // cudaFree would otherwise wait for forever when a peer is gone). Only then free the staging
  // their finish steps hold, and the buffers.
  for (auto &[index, pending] : pending_)
    pending.handle.reset();
  groups_.clear();
  pending_.clear(); // returns the staging blocks their finish steps held to the pool
  for (auto &[bytes, block] : freeStaging_)
    device_->deallocate(block, bytes);
  freeStaging_.clear();
  // Kernels and copies in flight may still use the buffers.
  (void)device_->synchronize();
  for (Slot &s : slots_)
    if (s.data && s.arenaOffset < 0)
      allocator_.deallocate(s.data, s.bytes);
  allocator_.deallocate(arena_, arenaBytes_);
}

StatusOr<std::unique_ptr<Executor>> Executor::create(const plan::Plan &plan, Communicator &world,
                                                     ExecutorOptions options) {
  std::unique_ptr<Executor> executor(new Executor(plan, world, std::move(options)));
  DS_RETURN_IF_ERROR(executor->initialize());
  return executor;
}

Status Executor::initialize() {
  int64_t world = 1;
  MeshShape mesh;
  for (int i = 0; i < plan_.mesh().axis_names_size(); ++i) {
    mesh.push_back({plan_.mesh().axis_names(i), plan_.mesh().axis_sizes(i)});
    world *= plan_.mesh().axis_sizes(i);
  }
  if (world != world_.size())
    return Status::error("the plan is for " + std::to_string(world) + " ranks but " +
                         std::to_string(world_.size()) + " were launched");
  // Every rank makes the groups in the same order: subGroup is collective.
  for (const MeshAxis &axis : mesh) {
    auto group = world_.subGroup(mesh, {axis.name});
    if (!group)
      return group.status().withContext("making the group for mesh axis '" + axis.name + "'");
    groups_[axis.name] = std::move(*group);
  }

  if (world_.rank() >= plan_.programs_size())
    return Status::error("the plan has no program for rank " + std::to_string(world_.rank()));
  arenaBytes_ = static_cast<int64_t>(plan_.programs(world_.rank()).arena_bytes());
  slots_.resize(plan_.buffers_size());
  for (const plan::Buffer &b : plan_.buffers()) {
    Slot &s = slots_[b.id()];
    auto dtype = runtimeDType(b.dtype(), b.name());
    if (!dtype)
      return dtype.status();
    s.dtype = *dtype;
    s.shape.assign(b.shape().begin(), b.shape().end());
    s.bytes = numElements(s.shape) * dtypeSize(s.dtype);
    if (b.has_arena_offset()) {
      if (b.arena_offset() + static_cast<uint64_t>(s.bytes) > static_cast<uint64_t>(arenaBytes_))
        return Status::error("buffer " + b.name() + " of " + std::to_string(s.bytes) +
                             " bytes at arena offset " + std::to_string(b.arena_offset()) +
                             " does not fit the arena of " + std::to_string(arenaBytes_) +
                             " bytes");
      if (!b.initial_data().empty() && !b.splat())
        return Status::error("constant " + b.name() + " is in the arena, which holds transients");
      s.arenaOffset = static_cast<int64_t>(b.arena_offset());
    }
    if (b.splat()) {
      // Filled by its constant instruction, freed at its free.
      if (static_cast<int64_t>(b.initial_data().size()) != dtypeSize(s.dtype))
        return Status::error("splat constant " + b.name() + " has " +
                             std::to_string(b.initial_data().size()) +
                             " bytes of data, expected one element of " +
                             std::to_string(dtypeSize(s.dtype)));
    } else if (!b.initial_data().empty()) {
      if (static_cast<int64_t>(b.initial_data().size()) != s.bytes)
        return Status::error("constant " + b.name() + " has " + std::to_string(b.initial_data().size()) +
                             " bytes of data, expected " + std::to_string(s.bytes));
      auto ptr = ensureAllocated(b.id());
      if (!ptr)
        return ptr.status();
      DS_RETURN_IF_ERROR(device_->copyFromHost(*ptr, b.initial_data().data(), s.bytes)
                             .withContext("constant " + b.name()));
      s.persistent = true;
    }
  }
  // Through the tracking allocator, so peak_bytes counts the whole arena, as the compiler's
  // report predicts (persistent bytes + arena).
  if (arenaBytes_ > 0) {
    arena_ = allocator_.allocate(arenaBytes_);
    if (!arena_)
      return Status::error("out of memory allocating the arena of " +
                           std::to_string(arenaBytes_) + " bytes");
  }
  for (const plan::Param &p : plan_.params())
    DS_RETURN_IF_ERROR(initializeParam(p));
  for (const plan::Input &in : plan_.inputs()) {
    auto ptr = ensureAllocated(in.buffer());
    if (!ptr)
      return ptr.status();
    slots_[in.buffer()].persistent = true;
  }
  return Status::ok();
}

// Fills `out` with elements [first, first + n) of `param`'s value (its data or initializer),
// which has `numel` elements: the whole tensor's, whatever piece of it the rank keeps.
static Status fillParamValue(const plan::Param &param, DType dtype, int64_t numel, int64_t first,
                             int64_t n, void *out) {
  if (param.has_init()) {
    const plan::Initializer &init = param.init();
    // Each element is a pure function of its index, so threads change nothing but the time
    // (a 1.3B model has a billion elements to draw).
    if (dtype == DType::F32) {
      float *o = static_cast<float *>(out);
#pragma omp parallel for schedule(static)
      for (int64_t i = 0; i < n; ++i)
        o[i] = static_cast<float>(initialValue(init, first + i));
    } else if (dtype == DType::F64) {
      double *o = static_cast<double *>(out);
#pragma omp parallel for schedule(static)
      for (int64_t i = 0; i < n; ++i)
        o[i] = initialValue(init, first + i);
    } else if (dtype == DType::BF16) {
      auto *o = static_cast<BFloat16 *>(out);
#pragma omp parallel for schedule(static)
      for (int64_t i = 0; i < n; ++i)
        o[i] = toBFloat16(static_cast<float>(initialValue(init, first + i)));
    } else if (dtype == DType::F16) {
      auto *o = static_cast<Half *>(out);
#pragma omp parallel for schedule(static)
      for (int64_t i = 0; i < n; ++i)
        o[i] = toHalf(static_cast<float>(initialValue(init, first + i)));
    } else {
      return Status::error("parameter " + param.name() + ": initializers need a float type");
    }
    return Status::ok();
  }
  int64_t element = dtypeSize(dtype);
  if (static_cast<int64_t>(param.data().size()) != numel * element)
    return Status::error("parameter " + param.name() + " has " + std::to_string(param.data().size()) +
                         " bytes of data, expected " + std::to_string(numel * element));
  std::memcpy(out, param.data().data() + first * element, n * element);
  return Status::ok();
}

Status Executor::initializeParam(const plan::Param &param) {
  Slot &s = slots_[param.buffer()];
  auto ptr = ensureAllocated(param.buffer());
  if (!ptr)
    return ptr.status();
  s.persistent = true;
  // The value is made in host memory: in place on the host, else staged and copied over.
  std::vector<char> staging;
  void *value = *ptr;
  if (device_->kind() != DeviceKind::Host) {
    staging.resize(static_cast<size_t>(s.bytes));
    value = staging.data();
  }
  auto upload = [&]() -> Status {
    if (value == *ptr)
      return Status::ok();
    return device_->copyFromHost(*ptr, value, s.bytes).withContext("parameter " + param.name());
  };
  if (!param.has_shard()) {
    int64_t numel = numElements(s.shape);
    DS_RETURN_IF_ERROR(fillParamValue(param, s.dtype, numel, 0, numel, value));
    return upload();
  }

  // A ZeRO shard: the value describes the whole tensor; this rank keeps piece c, elements
  // [c*S, (c+1)*S) of it flattened and zero-padded, c its coordinate on the shard's mesh axis.
  // Only the piece is made (an initializer's element i depends on i alone).
  const plan::Shard &shard = param.shard();
  Communicator *axis = group(shard.axis());
  if (!axis)
    return Status::error("parameter " + param.name() + " is sharded over mesh axis '" +
                         shard.axis() + "', which the plan's mesh does not have");
  Shape whole(shard.whole_shape().begin(), shard.whole_shape().end());
  int64_t numel = numElements(whole);
  int64_t piece = numElements(s.shape);
  int64_t members = axis->size();
  int64_t expected = (numel + members - 1) / members;
  if (s.shape.size() != 1 || piece != expected)
    return Status::error("parameter " + param.name() + ": a shard of " + std::to_string(numel) +
                         " elements over the " + std::to_string(members) + " ranks of axis '" +
                         shard.axis() + "' has " + std::to_string(expected) +
                         " elements, but its buffer holds " + std::to_string(piece));
  int64_t first = axis->rank() * piece;
  int64_t present = std::clamp<int64_t>(numel - first, 0, piece);
  std::memset(value, 0, s.bytes); // the padding past the whole tensor's end
  DS_RETURN_IF_ERROR(fillParamValue(param, s.dtype, numel, first, present, value));
  return upload();
}

StatusOr<void *> Executor::ensureAllocated(uint32_t id, bool zeroFill) {
  Slot &s = slots_[id];
  if (!s.data && s.arenaOffset >= 0 && arena_) {
    DS_RETURN_IF_ERROR(completeDeferredFreesOverlapping(id));
    DS_RETURN_IF_ERROR(checkArenaBytesIdle(id));
    // Zero-filled as a fresh allocation would be: kernels that accumulate rely on it.
    s.data = static_cast<char *>(arena_) + s.arenaOffset;
    if (zeroFill)
      DS_RETURN_IF_ERROR(device_->fill(s.data, s.bytes, nullptr, 1)
                             .withContext("zeroing buffer " + plan_.buffers(id).name()));
    return s.data;
  }
  if (!s.data) {
    s.data = allocator_.allocate(s.bytes);
    if (!s.data)
      return Status::error("out of memory allocating " + std::to_string(s.bytes) + " bytes for buffer " +
                           plan_.buffers(id).name());
  }
  return s.data;
}

// The invariant that makes reuse safe (see freeBuffer), checked where a violation would be a
// silent race: no collective still in flight uses a placed buffer overlapping the bytes `id` is
// about to take. A plan from ds-opt never trips it; a hand-made or corrupt one would. In flight
// are a few collectives at most, so this costs little next to the zero-fill.
Status Executor::checkArenaBytesIdle(uint32_t id) const {
  const Slot &s = slots_[id];
  int64_t begin = s.arenaOffset, end = s.arenaOffset + std::max<int64_t>(s.bytes, 1);
  const plan::RankProgram &program = plan_.programs(world_.rank());
  for (const auto &[index, pending] : pending_) {
    const plan::Instruction &inst = program.instructions(index);
    auto check = [&](uint32_t other) -> Status {
      const Slot &o = slots_[other];
      if (other == id || o.arenaOffset < 0 || !o.data)
        return Status::ok();
      int64_t otherEnd = o.arenaOffset + std::max<int64_t>(o.bytes, 1);
      if (end <= o.arenaOffset || otherEnd <= begin)
        return Status::ok();
      return Status::error("buffer " + plan_.buffers(id).name() + " at arena offset " +
                           std::to_string(begin) + " overlaps buffer " +
                           plan_.buffers(other).name() + ", which " + describe(index) +
                           " still uses");
    };
    for (uint32_t other : inst.operands())
      DS_RETURN_IF_ERROR(check(other));
    for (uint32_t other : inst.results())
      DS_RETURN_IF_ERROR(check(other));
  }
  return Status::ok();
}

void Executor::release(uint32_t id) {
  Slot &s = slots_[id];
  if (s.persistent || !s.data)
    return;
  if (s.arenaOffset >= 0 && arena_) {
    // The bytes stay in the arena for the next occupant the compiler placed there; forgetting
    // the pointer keeps a read after the free an error, as it is for a freed allocation.
    s.data = nullptr;
    return;
  }
  allocator_.deallocate(s.data, s.bytes);
  s.data = nullptr;
}

StatusOr<std::shared_ptr<char>> Executor::stagingBlock(int64_t bytes) {
  char *block = nullptr;
  auto idle = freeStaging_.find(bytes);
  if (idle != freeStaging_.end()) {
    block = idle->second;
    freeStaging_.erase(idle);
  } else {
    block = static_cast<char *>(device_->allocate(bytes));
    if (!block)
      return Status::error("out of memory staging " + std::to_string(bytes) + " bytes");
  }
  // Safe to reuse once released: the collective that used it has completed and its finish step
  // has been issued, and on a GPU the next user's work is ordered after both on the streams.
  return std::shared_ptr<char>(block, [this, bytes](char *p) { freeStaging_.emplace(bytes, p); });
}

Communicator *Executor::group(const std::string &axis) {
  auto it = groups_.find(axis);
  return it == groups_.end() ? nullptr : it->second.get();
}

CommCounters Executor::commCounters() const {
  CommCounters total;
  for (const auto &[name, group] : groups_)
    for (int k = 0; k < kNumCollectiveKinds; ++k) {
      total.bytes[k] += group->counters().bytes[k];
      total.calls[k] += group->counters().calls[k];
    }
  return total;
}

std::string Executor::describe(int64_t index) const {
  const plan::Instruction &inst = plan_.programs(world_.rank()).instructions(index);
  std::string text = "instruction " + std::to_string(index) + " (" + inst.op();
  if (!inst.loc().empty())
    text += " at " + inst.loc();
  return text + ")";
}

Status Executor::setInput(const std::string &name, DType dtype, const Shape &shape,
                          const void *data) {
  for (const plan::Input &in : plan_.inputs()) {
    if (in.name() != name)
      continue;
    Slot &s = slots_[in.buffer()];
    if (dtype != s.dtype || shape != s.shape)
      return Status::error("input '" + name + "' must be " + std::string(dtypeName(s.dtype)) + " " +
                           shapeToString(s.shape) + ", got " + dtypeName(dtype) + " " +
                           shapeToString(shape));
    std::vector<char> &host = hostInputs_[in.buffer()];
    host.assign(static_cast<const char *>(data), static_cast<const char *>(data) + s.bytes);
    return device_->copyFromHost(s.data, data, s.bytes).withContext("input '" + name + "'");
  }
  return Status::error("the plan has no input named '" + name + "'");
}

const void *Executor::hostInput(uint32_t id) const {
  auto it = hostInputs_.find(id);
  return it == hostInputs_.end() ? nullptr : it->second.data();
}

// Tolerances as the CUDA kernel tests': a 16-bit result is right to about its rounding, an f32
// one to the summation-order differences of its reductions.
void Executor::noteKernelCheck(int64_t index, double error) {
  const plan::Instruction &inst = plan_.programs(world_.rank()).instructions(index);
  double tolerance = 1e-4;
  for (uint32_t id : inst.results())
    if (isHalfFloat(slots_[id].dtype))
      tolerance = 2e-2;
  kernelChecks_.push_back({index, inst.op(), error, tolerance});
  if (error > tolerance && ++kernelCheckFailures_ <= 20)
    std::fprintf(stderr, "ds-run: rank %d: kernel check: %s: error %.3g over tolerance %.0e\n",
                 world_.rank(), describe(index).c_str(), error, tolerance);
}

void Executor::noteHostFallback(const std::string &op) {
  if (hostFallbacks_[op]++ == 0)
    std::fprintf(stderr,
                 "ds-run: rank %d: '%s' has no kernel for these operands on %s; it runs on the "
                 "host, with its operands copied over and back\n",
                 world_.rank(), op.c_str(), device_->description().c_str());
}

StatusOr<TensorView> Executor::output(const std::string &name) const {
  for (const plan::Output &out : plan_.outputs())
    if (out.name() == name) {
      const Slot &s = slots_[out.buffer()];
      if (!s.data)
        return Status::error("output '" + name + "' has not been computed");
      if (device_->kind() == DeviceKind::Host)
        return TensorView(s.data, s.shape, s.dtype);
      std::vector<char> &copy = outputCopies_[out.buffer()];
      copy.resize(static_cast<size_t>(s.bytes));
      DS_RETURN_IF_ERROR(device_->copyToHost(copy.data(), s.data, s.bytes)
                             .withContext("output '" + name + "'"));
      return TensorView(copy.data(), s.shape, s.dtype);
    }
  return Status::error("the plan has no output named '" + name + "'");
}

Status Executor::completePending(int64_t index) {
  auto it = pending_.find(index);
  if (it == pending_.end())
    return Status::ok(); // already complete
  Pending &p = it->second;
  Status waited = p.handle->wait(options_.commTimeoutSeconds);
  if (!waited.isOk())
    return waited.withContext("rank " + std::to_string(world_.rank()) + ": " + describe(index));
  if (p.finish)
    DS_RETURN_IF_ERROR(p.finish().withContext(describe(index)));
  if (options_.recordTrace) {
    double now = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - epoch_)
                     .count();
    const plan::Instruction &inst = plan_.programs(world_.rank()).instructions(index);
    trace_.push_back({inst.op(), plan::COMM, p.startUs, now - p.startUs});
  }
  pending_.erase(it);
  // Buffers freed behind this collective are let go once no collective uses them any more.
  for (auto d = deferredFrees_.begin(); d != deferredFrees_.end();) {
    d->second.erase(index);
    if (d->second.empty()) {
      release(d->first);
      d = deferredFrees_.erase(d);
    } else {
      ++d;
    }
  }
  return Status::ok();
}

// A buffer `free`d behind a collective keeps its bytes until the collective completes. When a
// later buffer is placed over them, the collective must complete first: then, not at the free,
// is the earliest the compiler's placement needs it.
Status Executor::completeDeferredFreesOverlapping(uint32_t id) {
  const Slot &s = slots_[id];
  int64_t begin = s.arenaOffset, end = s.arenaOffset + std::max<int64_t>(s.bytes, 1);
  std::vector<int64_t> blocking;
  for (const auto &[freed, users] : deferredFrees_) {
    const Slot &o = slots_[freed];
    if (o.arenaOffset < 0)
      continue;
    int64_t otherEnd = o.arenaOffset + std::max<int64_t>(o.bytes, 1);
    if (end <= o.arenaOffset || otherEnd <= begin)
      continue;
    blocking.insert(blocking.end(), users.begin(), users.end());
  }
  for (int64_t index : blocking)
    DS_RETURN_IF_ERROR(completePending(index));
  return Status::ok();
}

// Why reusing arena bytes is safe. The compiler places a transient only in bytes no buffer
// live at that point of the program holds, with liveness taken in program order: a buffer is
// live from the instruction that writes it to its `free`. The executor runs instructions in
// that same order (a COMM instruction is issued in order but may complete later), so the one
// hazard is an asynchronous collective still reading or writing a buffer after its `free` ran. freeBuffer
// rules that out: before it lets go of a buffer it completes every pending instruction that
// names the buffer as an operand or result. Hence once `free` returns, nothing will touch the
// bytes, and the next occupant, which the compiler placed after that `free`, is first written
// (zero-filled in ensureAllocated) only then. A pending collective's own buffers are live
// until their `free`, so no other buffer is placed over them meanwhile.
//
// A `free` the plan puts on the comm stream (`behindCollective`: the buffer's last use is a
// collective, typically the input of an all_reduce or reduce_scatter) does not wait: the buffer
// is released when those collectives complete (completePending), or when a later buffer is
// placed over its bytes (completeDeferredFreesOverlapping), whichever comes first. Waiting at the
// free would stop compute until the collective is done, which is all the overlap there is.
Status Executor::freeBuffer(uint32_t id, bool behindCollective) {
  const plan::RankProgram &program = plan_.programs(world_.rank());
  std::vector<int64_t> touching;
  for (const auto &[index, pending] : pending_) {
    const plan::Instruction &inst = program.instructions(index);
    auto uses = [&](const auto &ids) {
      return std::find(ids.begin(), ids.end(), id) != ids.end();
    };
    if (uses(inst.operands()) || uses(inst.results()))
      touching.push_back(index);
  }
  if (behindCollective && !touching.empty()) {
    deferredFrees_[id].insert(touching.begin(), touching.end());
    return Status::ok();
  }
  for (int64_t index : touching)
    DS_RETURN_IF_ERROR(completePending(index));
  release(id);
  return Status::ok();
}

Status Executor::runStep(uint64_t step) {
  const plan::RankProgram &program = plan_.programs(world_.rank());
  if (program.functions_size() != 0)
    return Status::error("this plan is a training plan: its functions are run one by one");
  return runRange(0, program.instructions_size(), step);
}

Status Executor::runFunction(const std::string &name, uint64_t step) {
  const plan::RankProgram &program = plan_.programs(world_.rank());
  for (const plan::Function &function : program.functions())
    if (function.name() == name)
      return runRange(function.begin(), function.end(), step);
  return Status::error("the plan has no function named '" + name + "'");
}

bool Executor::hasFunction(const std::string &name) const {
  for (const plan::Function &function : plan_.programs(world_.rank()).functions())
    if (function.name() == name)
      return true;
  return false;
}

Status Executor::runRange(int64_t begin, int64_t end, uint64_t step) {
  step_ = step;
  const plan::RankProgram &program = plan_.programs(world_.rank());
  auto nowUs = [&] {
    return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - epoch_).count();
  };
  const bool onHost = device_->kind() == DeviceKind::Host;
  const auto &compute = computeTable();
  const auto &collectives = collectiveTable();
  for (int64_t index = begin; index < end; ++index) {
    const plan::Instruction &inst = program.instructions(index);
    if (options_.currentInstruction)
      *options_.currentInstruction = static_cast<std::sig_atomic_t>(index);
    if (step == 0 && index == options_.faultInstruction && world_.rank() == options_.faultRank) {
      std::fprintf(stderr, "ds-run: rank %d: injected fault '%s' at %s\n", world_.rank(),
                   options_.faultKind.c_str(), describe(index).c_str());
      std::fflush(stderr);
      if (options_.faultKind == "hang")
        for (;;)
          std::this_thread::sleep_for(std::chrono::seconds(1));
      ::raise(SIGKILL); // a real, abrupt death: no cleanup, no message to the others
    }
    for (uint32_t w : inst.waits())
      DS_RETURN_IF_ERROR(completePending(w));
    double start = nowUs();
    if (inst.op() == "free") {
      for (uint32_t id : inst.operands())
        DS_RETURN_IF_ERROR(freeBuffer(id, inst.stream() == plan::COMM));
      continue;
    }
    InstructionContext ctx(*this, inst, index);
    if (inst.stream() == plan::COMM) {
      auto fn = collectives.find(inst.op());
      if (fn == collectives.end())
        return Status::error(describe(index) + ": no collective implementation for '" + inst.op() + "'");
      auto issued = fn->second(ctx);
      if (!issued)
        return issued.status().withContext("rank " + std::to_string(world_.rank()) + ": " +
                                           describe(index));
      pending_[index] = {std::move(issued->handle), std::move(issued->finish), start};
      continue;
    }
    auto fn = compute.find(inst.op());
    if (onHost && fn == compute.end())
      return Status::error(describe(index) + ": the CPU backend has no kernel for '" + inst.op() + "'");
    auto runHere = [&]() -> Status {
      return onHost ? runCompute(inst.op(), fn->second, ctx) : runOnCuda(inst.op(), ctx);
    };
    if (options_.checkKernels) {
      auto error = checkAgainstHost(inst.op(), ctx, runHere);
      if (!error)
        return error.status().withContext(describe(index));
      noteKernelCheck(index, *error);
    } else {
      DS_RETURN_IF_ERROR(runHere().withContext(describe(index)));
    }
    if (options_.recordTrace) {
      // A GPU runs kernels behind the host: waiting for each one makes the trace its run time.
      DS_RETURN_IF_ERROR(device_->synchronize().withContext(describe(index)));
      trace_.push_back({inst.op(), inst.stream(), start, nowUs() - start});
    }
  }
  while (!pending_.empty())
    DS_RETURN_IF_ERROR(completePending(pending_.begin()->first));
  return Status::ok();
}

//===----------------------------------------------------------------------===//
// InstructionContext
//===----------------------------------------------------------------------===//

TensorView InstructionContext::in(int i) {
  if (i < static_cast<int>(inputOverrides.size()) && inputOverrides[i])
    return *inputOverrides[i];
  Executor::Slot &s = executor.slot(inst.operands(i));
  return TensorView(s.data, s.shape, s.dtype);
}

StatusOr<MutableTensorView> InstructionContext::out(int i) {
  if (i < static_cast<int>(outputOverrides.size()) && outputOverrides[i])
    return *outputOverrides[i];
  uint32_t id = inst.results(i);
  auto ptr = executor.ensureAllocated(id, zeroOutputs);
  if (!ptr)
    return ptr.status();
  Executor::Slot &s = executor.slot(id);
  return MutableTensorView(*ptr, s.shape, s.dtype);
}

Status InstructionContext::error(const std::string &message) const {
  return Status::error(message);
}

StatusOr<int64_t> InstructionContext::i(const std::string &name) const {
  auto it = inst.attrs().find(name);
  if (it == inst.attrs().end() || it->second.value_case() != plan::Attr::kI)
    return Status::error("missing integer attribute '" + name + "'");
  return it->second.i();
}

int64_t InstructionContext::iOr(const std::string &name, int64_t fallback) const {
  auto it = inst.attrs().find(name);
  if (it == inst.attrs().end() || it->second.value_case() != plan::Attr::kI)
    return fallback;
  return it->second.i();
}

StatusOr<double> InstructionContext::f(const std::string &name) const {
  auto it = inst.attrs().find(name);
  if (it == inst.attrs().end())
    return Status::error("missing float attribute '" + name + "'");
  if (it->second.value_case() == plan::Attr::kF)
    return it->second.f();
  if (it->second.value_case() == plan::Attr::kI)
    return static_cast<double>(it->second.i());
  return Status::error("attribute '" + name + "' is not a number");
}

StatusOr<std::string> InstructionContext::s(const std::string &name) const {
  auto it = inst.attrs().find(name);
  if (it == inst.attrs().end() || it->second.value_case() != plan::Attr::kS)
    return Status::error("missing string attribute '" + name + "'");
  return it->second.s();
}

StatusOr<std::vector<int64_t>> InstructionContext::ints(const std::string &name) const {
  auto it = inst.attrs().find(name);
  if (it == inst.attrs().end() || it->second.value_case() != plan::Attr::kInts)
    return Status::error("missing integer-list attribute '" + name + "'");
  return std::vector<int64_t>(it->second.ints().values().begin(), it->second.ints().values().end());
}

StatusOr<SliceBounds> shardSliceBounds(InstructionContext &c, const TensorView &in,
                                       const Shape &outShape) {
  DS_ASSIGN_OR_RETURN(axis, c.s("axis"));
  DS_ASSIGN_OR_RETURN(dimAttr, c.i("dim"));
  Communicator *group = c.executor.group(axis);
  if (!group)
    return c.error("the mesh has no axis '" + axis + "'");
  DS_ASSIGN_OR_RETURN(dim, normalizeAxis(dimAttr, in.rank(), "shard_slice dim"));
  if (static_cast<int64_t>(outShape.size()) != in.rank())
    return c.error("shard_slice of " + shapeToString(in.shape) + " into " +
                   shapeToString(outShape));
  int64_t piece = outShape[dim];
  if (piece * group->size() != in.shape[dim])
    return c.error("dimension " + std::to_string(dim) + " of size " +
                   std::to_string(in.shape[dim]) + " is not " + std::to_string(group->size()) +
                   " pieces of " + std::to_string(piece));
  SliceBounds bounds{std::vector<int64_t>(in.rank(), 0),
                     std::vector<int64_t>(in.shape.begin(), in.shape.end()),
                     std::vector<int64_t>(in.rank(), 1)};
  bounds.starts[dim] = group->rank() * piece;
  bounds.ends[dim] = bounds.starts[dim] + piece;
  return bounds;
}

namespace {
StatusOr<double> hostScalar(InstructionContext &c, int i, const char *name) {
  uint32_t id = c.inst.operands(i);
  const Executor::Slot &slot = c.executor.slot(id);
  if (numElements(slot.shape) != 1 || !slot.data)
    return c.error(std::string(name) + " must be a one-element tensor, got " +
                   shapeToString(slot.shape));
  alignas(8) char value[8] = {};
  const void *host = c.executor.device().kind() == DeviceKind::Host ? slot.data
                                                                     : c.executor.hostInput(id);
  if (host)
    std::memcpy(value, host, static_cast<size_t>(slot.bytes));
  else
    DS_RETURN_IF_ERROR(c.executor.device().copyToHost(value, slot.data, slot.bytes));
  switch (slot.dtype) {
  case DType::F32: { float f; std::memcpy(&f, value, 4); return static_cast<double>(f); }
  case DType::F64: { double d; std::memcpy(&d, value, 8); return d; }
  case DType::I64: { int64_t v; std::memcpy(&v, value, 8); return static_cast<double>(v); }
  case DType::I32: { int32_t v; std::memcpy(&v, value, 4); return static_cast<double>(v); }
  default: return c.error(std::string(name) + " must be f32, got " + dtypeName(slot.dtype));
  }
}
} // namespace

StatusOr<OptimizerScalars> optimizerScalars(InstructionContext &c, int firstScalar) {
  OptimizerScalars s;
  DS_ASSIGN_OR_RETURN(lr, hostScalar(c, firstScalar, "lr"));
  DS_ASSIGN_OR_RETURN(step, hostScalar(c, firstScalar + 1, "step"));
  DS_ASSIGN_OR_RETURN(gradScale, hostScalar(c, firstScalar + 2, "grad_scale"));
  if (step != std::floor(step))
    return c.error("step must be a whole number, got " + std::to_string(step));
  s.lr = static_cast<float>(lr);
  s.step = static_cast<int64_t>(step);
  s.gradScale = static_cast<float>(gradScale);
  return s;
}

Status aliasParam(InstructionContext &) { return Status::ok(); }

Status copyBytes(InstructionContext &c) {
  DS_ASSIGN_OR_RETURN(out, c.out(0));
  TensorView in = c.in(0);
  if (in.bytes() != out.bytes())
    return c.error("copies " + std::to_string(in.bytes()) + " bytes into a buffer of " +
                   std::to_string(out.bytes()));
  return c.executor.device().copy(out.data, in.data, in.bytes());
}

Status storeParam(InstructionContext &c) {
  int64_t offset = c.iOr("offset", -1);
  if (offset < 0)
    return copyBytes(c);
  DS_ASSIGN_OR_RETURN(out, c.out(0));
  TensorView in = c.in(0);
  if (in.dtype != out.dtype)
    return c.error("stores " + std::string(dtypeName(in.dtype)) + " into a parameter of " +
                   dtypeName(out.dtype));
  int64_t element = dtypeSize(in.dtype);
  if ((offset + in.numel()) * element > out.bytes())
    return c.error("elements [" + std::to_string(offset) + ", " +
                   std::to_string(offset + in.numel()) + ") are past the end of the parameter (" +
                   std::to_string(out.bytes() / element) + " elements)");
  return c.executor.device().copy(static_cast<char *>(out.data) + offset * element, in.data,
                                  in.bytes());
}

Status fillConstant(InstructionContext &c) {
  const plan::Buffer &buffer = c.executor.plan().buffers(c.inst.results(0));
  if (!buffer.splat())
    return Status::ok();
  DS_ASSIGN_OR_RETURN(out, c.out(0));
  const std::string &element = buffer.initial_data();
  return c.executor.device().fill(out.data, out.numel(), element.data(),
                                  static_cast<int64_t>(element.size()));
}

} // namespace ds::rt
