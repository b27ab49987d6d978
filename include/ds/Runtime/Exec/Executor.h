// Runs one rank's program of a plan: owns the buffers, initializes parameters, issues kernels on
// the compute stream and collectives on the communication stream, and waits where the plan says.
#ifndef DS_RUNTIME_EXEC_EXECUTOR_H
#define DS_RUNTIME_EXEC_EXECUTOR_H

#include "ds/Plan/Plan.pb.h"
#include "ds/Runtime/Communicator.h"
#include "ds/Runtime/Exec/Allocator.h"
#include "ds/Runtime/Exec/Device.h"
#include "ds/Runtime/Tensor.h"

#include <chrono>
#include <csignal>
#include <functional>
#include <map>
#include <set>
#include <memory>
#include <string>
#include <vector>

namespace ds::rt {

struct ExecutorOptions {
  // A collective that has not completed after this long is an error naming rank and instruction.
  double commTimeoutSeconds = 300;
  bool recordTrace = false;
  // Fault injection for tests: rank `faultRank` dies ("exit") or stops responding ("hang") when
  // it reaches instruction `faultInstruction` of step 0.
  int faultRank = -1;
  int64_t faultInstruction = -1;
  std::string faultKind;
  // When set, the index of the instruction running now is stored here before it starts, so a
  // signal handler can say where a rank was when it was stopped.
  volatile std::sig_atomic_t *currentInstruction = nullptr;
  // Where buffers live and kernels run; null: the host and the CPU kernels. A GPU device needs a
  // world communicator that moves device memory (NCCL).
  std::shared_ptr<Device> device;
  // Checks every compute instruction's kernel against the CPU kernel on copies of its operands
  // (ds-run --check-kernels): slow, for finding the instruction where a device disagrees.
  bool checkKernels = false;
};

// One instruction's kernel check: the worst error over its results (see checkKernels).
struct KernelCheckEntry {
  int64_t index = 0;
  std::string op;
  double error = 0;
  double tolerance = 0;
};

struct TraceEvent {
  std::string name;
  plan::Stream stream = plan::COMPUTE;
  double startUs = 0;
  double durationUs = 0;
};

class Executor {
public:
  // `world` must outlive the executor; sub-groups for every mesh axis are made here (a
  // collective call: every rank constructs its executor at the same point).
  static StatusOr<std::unique_ptr<Executor>> create(const plan::Plan &plan, Communicator &world,
                                                    ExecutorOptions options);
  ~Executor();

  // Copies `data` into the input's buffer; dtype and shape must match the plan.
  Status setInput(const std::string &name, DType dtype, const Shape &shape, const void *data);
  // Runs the whole instruction list of an inference plan.
  Status runStep(uint64_t step);
  // Runs one named function of a training plan ("micro_step", ...); every collective it issued
  // is complete when it returns.
  Status runFunction(const std::string &name, uint64_t step);
  bool hasFunction(const std::string &name) const;
  // An output of the last step, in host memory (a copy when buffers live on a GPU, valid until
  // the next call for the same output).
  StatusOr<TensorView> output(const std::string &name) const;

  int rank() const { return world_.rank(); }
  uint64_t step() const { return step_; }
  const plan::Plan &plan() const { return plan_; }
  const TrackingAllocator &allocator() const { return allocator_; }
  Device &device() const { return *device_; }
  // The value setInput last wrote into buffer `id` (an input's), kept in host memory so kernels
  // can read one-element inputs such as the learning rate without a copy from the GPU; null for
  // other buffers.
  const void *hostInput(uint32_t id) const;
  // Instructions whose op has no kernel on this device ran on the host, their operands copied
  // over and back: how many times, per op.
  const std::map<std::string, int64_t> &hostFallbacks() const { return hostFallbacks_; }
  // Every check made so far under ExecutorOptions::checkKernels.
  const std::vector<KernelCheckEntry> &kernelChecks() const { return kernelChecks_; }
  void noteHostFallback(const std::string &op);
  void noteKernelCheck(int64_t index, double error);
  // Bytes and calls of every collective issued so far, over all groups.
  CommCounters commCounters() const;
  const std::vector<TraceEvent> &trace() const { return trace_; }

  // What a kernel sees of the instruction it runs (ExecCompute.cpp, ExecCollectives.cpp).
  struct Slot {
    void *data = nullptr;
    int64_t bytes = 0;
    Shape shape;
    DType dtype = DType::F32;
    bool persistent = false; // params, constants and inputs live for the whole run
    int64_t arenaOffset = -1; // a transient's place in the arena (plan Buffer.arena_offset)
  };
  Slot &slot(uint32_t id) { return slots_[id]; }
  // A transient placed in the arena is zero-filled, as a fresh allocation would be, unless
  // `zeroFill` is false: the caller's kernel writes every element (the CUDA table says which;
  // on a GPU the fills are a large share of a step's memory traffic).
  StatusOr<void *> ensureAllocated(uint32_t id, bool zeroFill = true);
  void release(uint32_t id);
  Communicator *group(const std::string &axis);
  // `bytes` of device memory for a collective to stage its data in (one along a non-leading dim),
  // handed back to a pool when the last reference goes: the same collective in the next step
  // reuses it, so a step allocates (and on a GPU synchronizes for) nothing. Outside the tracking
  // allocator: the plan's buffers are what the planner predicts.
  StatusOr<std::shared_ptr<char>> stagingBlock(int64_t bytes);
  std::string describe(int64_t index) const;

private:
  Executor(const plan::Plan &plan, Communicator &world, ExecutorOptions options);
  Status initialize();
  Status initializeParam(const plan::Param &param);
  Status runRange(int64_t begin, int64_t end, uint64_t step);
  Status completePending(int64_t index);
  // Completes every in-flight collective that reads or writes buffer `id`, then frees it.
  Status freeBuffer(uint32_t id, bool behindCollective);
  Status completeDeferredFreesOverlapping(uint32_t id);
  Status checkArenaBytesIdle(uint32_t id) const;

  struct Pending {
    CommHandle handle;
    std::function<Status()> finish; // e.g. reorder a gathered buffer once data arrived
    double startUs = 0;
  };

  plan::Plan plan_;
  Communicator &world_;
  ExecutorOptions options_;
  std::shared_ptr<Device> device_; // before allocator_, which allocates from it
  TrackingAllocator allocator_;
  // The rank's transients, one allocation for the whole run (RankProgram.arena_bytes).
  void *arena_ = nullptr;
  int64_t arenaBytes_ = 0;
  std::vector<Slot> slots_;
  std::map<std::string, std::unique_ptr<Communicator>> groups_;
  std::map<int64_t, Pending> pending_;
  // Buffers freed behind collectives still in flight, and the instructions of those collectives.
  std::map<uint32_t, std::set<int64_t>> deferredFrees_;
  std::vector<TraceEvent> trace_;
  std::map<uint32_t, std::vector<char>> hostInputs_;
  mutable std::map<uint32_t, std::vector<char>> outputCopies_;
  std::map<std::string, int64_t> hostFallbacks_;
  std::vector<KernelCheckEntry> kernelChecks_;
  std::multimap<int64_t, char *> freeStaging_; // idle staging blocks by size
  int64_t kernelCheckFailures_ = 0;
  std::chrono::steady_clock::time_point epoch_;
  uint64_t step_ = 0;
};

} // namespace ds::rt

#endif // DS_RUNTIME_EXEC_EXECUTOR_H
