// What one instruction's implementation sees: its operands as views, its results allocated on
// demand, and typed access to its attributes with errors that name the instruction.
#ifndef DS_LIB_RUNTIME_EXEC_INSTRUCTIONCONTEXT_H
#define DS_LIB_RUNTIME_EXEC_INSTRUCTIONCONTEXT_H

#include "ds/Runtime/Exec/Executor.h"

#include <functional>
#include <map>
#include <optional>
#include <vector>

namespace ds::rt {

class InstructionContext {
public:
  InstructionContext(Executor &executor, const plan::Instruction &inst, int64_t index)
      : executor(executor), inst(inst), index(index) {}

  int64_t numOperands() const { return inst.operands_size(); }
  int64_t numResults() const { return inst.results_size(); }
  TensorView in(int i);
  StatusOr<MutableTensorView> out(int i);

  bool has(const std::string &name) const { return inst.attrs().count(name) != 0; }
  StatusOr<int64_t> i(const std::string &name) const;
  int64_t iOr(const std::string &name, int64_t fallback) const;
  StatusOr<double> f(const std::string &name) const;
  StatusOr<std::string> s(const std::string &name) const;
  StatusOr<std::vector<int64_t>> ints(const std::string &name) const;

  Status error(const std::string &message) const;

  Executor &executor;
  const plan::Instruction &inst;
  int64_t index;
  // Whether out(i) zero-fills a result it places in the arena; off only where the kernel is known
  // to write every element of every result.
  bool zeroOutputs = true;

  // Views in(i) / out(i) return instead of the plan's buffers, where set: the f32 staging of
  // 16-bit float operands and results (see runCompute).
  std::vector<std::optional<TensorView>> inputOverrides;
  std::vector<std::optional<MutableTensorView>> outputOverrides;
};

// ds-run --check-kernels (KernelCheck.cpp): runs `runOnDevice` for the instruction, then its CPU
// kernel on host copies of the operands as they were before it, and returns the worst error over
// its results (kernelCheckError).
StatusOr<double> checkAgainstHost(const std::string &op, InstructionContext &c,
                                  const std::function<Status()> &runOnDevice);
// max |device - host| / max |host| over the elements (the error measure of the CUDA kernel tests);
// infinity where the shapes, NaNs or infinities disagree.
double kernelCheckError(const TensorView &device, const TensorView &host);

// Data movement every device's table shares, done through the rank's Device:
// load_param aliases the parameter (no work); reshape copies operand 0's bytes into result 0;
// store_param copies the whole parameter, or with `offset` the flat elements
// [offset, offset + n); a splat constant is filled each time its function runs (its buffer is
// freed in between), any other constant was uploaded when the executor started.
Status aliasParam(InstructionContext &c);
Status copyBytes(InstructionContext &c);
Status storeParam(InstructionContext &c);
Status fillConstant(InstructionContext &c);

// The bounds of this rank's piece of `in` along `dim` of the mesh axis `axis` (shard_slice's
// attributes): the piece a reduce_scatter on that axis would leave here.
struct SliceBounds {
  std::vector<int64_t> starts, ends, steps;
};
StatusOr<SliceBounds> shardSliceBounds(InstructionContext &c, const TensorView &in,
                                       const Shape &outShape);

// The optimizer scalars (lr, step, grad_scale): one-element operands at `firstScalar`, read on
// the host from the executor's host copy of the inputs the training loop sets (no copy back from
// a GPU), else from the buffer.
struct OptimizerScalars {
  float lr = 0, gradScale = 1;
  int64_t step = 0;
};
StatusOr<OptimizerScalars> optimizerScalars(InstructionContext &c, int firstScalar);

// Issued collectives hand back a request and, optionally, work to do once it completes.
struct IssuedCollective {
  CommHandle handle;
  std::function<Status()> finish;
};

using ComputeFn = std::function<Status(InstructionContext &)>;
using CollectiveFn = std::function<StatusOr<IssuedCollective>(InstructionContext &)>;

// Kernel tables, one entry per op: adding an op adds an entry, nothing else.
const std::map<std::string, ComputeFn> &computeTable();
const std::map<std::string, CollectiveFn> &collectiveTable();

// Runs compute kernel `fn` for instruction `c` (op `op`). CPU kernels compute in f32 (or f64), so
// bf16/f16 float operands are widened to f32 first and float results come back rounded to their
// buffers' 16-bit dtype (ExecPrecision.cpp); every other instruction runs as it is.
Status runCompute(const std::string &op, const ComputeFn &fn, InstructionContext &c);

// Runs a compute instruction whose buffers live on a GPU: its CUDA kernel where the CUDA table
// has one for these operands, else runOnHost (exec/cuda/ExecComputeCuda.cpp; an error in a build
// without CUDA).
Status runOnCuda(const std::string &op, InstructionContext &c);

// Runs a compute instruction with the CPU kernel of `op` on host copies of its device buffers,
// copying its results back (HostFallback.cpp): correct for every op the CPU backend has, and as
// slow as the copies. Noted in Executor::hostFallbacks().
Status runOnHost(const std::string &op, InstructionContext &c);

} // namespace ds::rt

#endif // DS_LIB_RUNTIME_EXEC_INSTRUCTIONCONTEXT_H
