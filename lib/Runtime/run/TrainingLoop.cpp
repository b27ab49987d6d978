// The training loop of a training plan.
#include "TrainingLoop.h"
#include "TokenInputs.h"

#include "ds/Runtime/Train/Checkpoint.h"
#include "ds/Runtime/Train/LossScaler.h"
#include "ds/Runtime/Train/LRSchedule.h"

#include <mpi.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <map>

namespace ds::rt {

namespace {

Status setScalar(Executor &executor, const std::string &function, plan::Input::Source source,
                 double value) {
  for (const plan::Input &in : executor.plan().inputs())
    if (in.function() == function && in.source() == source) {
      float narrow = static_cast<float>(value);
      return executor.setInput(in.name(), DType::F32, {}, &narrow);
    }
  return Status::ok(); // the function does not read it (e.g. SGD without a step count)
}

StatusOr<double> scalarOutput(Executor &executor, const std::string &name) {
  DS_ASSIGN_OR_RETURN(view, executor.output(name));
  if (view.dtype != DType::F32 || numElements(view.shape) != 1)
    return Status::error("output '" + name + "' must be an f32 scalar");
  return static_cast<double>(*view.as<float>());
}

// Every rank agrees on `ok` (a failure on one rank, e.g. rank 0's checkpoint write, stops all).
Status agree(const TrainingRun &run, Status status) {
  if (!run.useMPI)
    return status;
  int mine = status.isOk() ? 0 : 1, any = 0;
  MPI_Allreduce(&mine, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  if (!status.isOk())
    return status;
  if (any)
    return Status::error("another rank failed (see its message)");
  return Status::ok();
}

// The tensors a checkpoint holds: every weight in fp32 and each optimizer state tensor, named
// "<weight>.<state>" as torch's state_dict keys go, always whole and in its weight's shape, so a
// checkpoint does not depend on the world size, ZeRO stage or precision that wrote it.
//
// Mixed precision keeps the fp32 value of a weight in its master (optimizer state "master")
// and a 16-bit copy in the weight itself: the master is saved under the weight's name (and not
// again in the optimizer file), and a load sets the master and rounds it into the 16-bit weight,
// as apply_update's cast does.
//
// A param the plan marks as a ZeRO shard (Param.shard: a weight under stage 3, optimizer state
// under stages 1 and 2) holds this rank's S elements of the zero-padded flat whole tensor. For a
// save the whole tensor is gathered over the shard's mesh axis; on load each rank takes its
// slice, whatever N wrote the checkpoint.
struct SavedTensor {
  CheckpointTensor whole;      // name, dtype, the whole shape; data: the slot or `staging`
  void *slot = nullptr;        // this rank's buffer
  Communicator *axis = nullptr; // the shard's mesh axis; null: not sharded
  int64_t shardElements = 0;
  std::vector<char> staging;   // the padded flat whole tensor of a shard
  Executor::Slot *halfWeight = nullptr; // a master's 16-bit weight (whole, or the same shard)
};

constexpr const char *kMasterState = "master";

// `weights` gets the masters in place of the weights they keep the fp32 value of.
Status checkpointTensors(Executor &executor, std::vector<SavedTensor> &weights,
                         std::vector<SavedTensor> &state) {
  std::map<std::string, Executor::Slot *> halfWeights; // weights that have a master
  for (const plan::Param &param : executor.plan().params())
    if (param.role() == plan::Param::OPTIMIZER_STATE && param.state() == kMasterState)
      halfWeights[param.owner()] = nullptr;
  for (const plan::Param &param : executor.plan().params())
    if (param.role() == plan::Param::WEIGHT && halfWeights.count(param.name()))
      halfWeights[param.name()] = &executor.slot(param.buffer());
  for (const plan::Param &param : executor.plan().params()) {
    bool weight = param.role() == plan::Param::WEIGHT;
    if (!weight && param.role() != plan::Param::OPTIMIZER_STATE)
      continue;
    if (weight && halfWeights.count(param.name()))
      continue;
    bool master = !weight && param.state() == kMasterState;
    Executor::Slot &slot = executor.slot(param.buffer());
    SavedTensor entry;
    entry.whole = CheckpointTensor{weight || master ? (weight ? param.name() : param.owner())
                                                    : param.owner() + "." + param.state(),
                                   slot.dtype, slot.shape, slot.data};
    entry.slot = slot.data;
    if (master) {
      entry.halfWeight = halfWeights[param.owner()];
      if (!entry.halfWeight)
        return Status::error("master " + param.name() + " names no weight " + param.owner());
    }
    if (param.has_shard()) {
      entry.axis = executor.group(param.shard().axis());
      if (!entry.axis)
        return Status::error("parameter " + param.name() + " is sharded over mesh axis '" +
                             param.shard().axis() + "', which the plan's mesh does not have");
      entry.shardElements = numElements(slot.shape);
      entry.whole.shape.assign(param.shard().whole_shape().begin(),
                               param.shard().whole_shape().end());
      entry.staging.resize(static_cast<size_t>(entry.shardElements * entry.axis->size()) *
                           dtypeSize(slot.dtype));
      entry.whole.data = entry.staging.data();
    }
    (weight || master ? weights : state).push_back(std::move(entry));
  }
  return Status::ok();
}

// After a load: each master's 16-bit weight rounded from it (to nearest even, as the cast
// kernel rounds): the whole weight, or this rank's piece where it is sharded like the master.
Status roundMastersIntoWeights(const std::vector<SavedTensor> &tensors) {
  for (const SavedTensor &master : tensors) {
    if (!master.halfWeight)
      continue;
    Executor::Slot &weight = *master.halfWeight;
    if (master.whole.dtype != DType::F32)
      return Status::error("the master of " + master.whole.name + " is not f32");
    const float *source = static_cast<const float *>(master.whole.data);
    int64_t count = numElements(weight.shape);
    if (master.axis && count == master.shardElements)
      source = static_cast<const float *>(master.slot);
    else if (count != numElements(master.whole.shape))
      return Status::error("weight " + master.whole.name + " has " + std::to_string(count) +
                           " elements; its master has " +
                           std::to_string(numElements(master.whole.shape)));
    if (weight.dtype == DType::BF16) {
      auto *out = static_cast<BFloat16 *>(weight.data);
      for (int64_t i = 0; i < count; ++i)
        out[i] = toBFloat16(source[i]);
    } else if (weight.dtype == DType::F16) {
      auto *out = static_cast<Half *>(weight.data);
      for (int64_t i = 0; i < count; ++i)
        out[i] = toHalf(source[i]);
    } else if (weight.dtype == DType::F32) {
      std::memcpy(weight.data, source, static_cast<size_t>(count) * sizeof(float));
    } else {
      return Status::error("weight " + master.whole.name + " is neither 16-bit nor f32");
    }
  }
  return Status::ok();
}

std::vector<CheckpointTensor> wholeTensors(const std::vector<SavedTensor> &tensors) {
  std::vector<CheckpointTensor> whole;
  for (const SavedTensor &tensor : tensors)
    whole.push_back(tensor.whole);
  return whole;
}

// Collective over each shard's axis: every member contributes its piece, whoever writes.
Status gatherShards(std::vector<SavedTensor> &tensors, double timeoutSeconds) {
  for (SavedTensor &tensor : tensors) {
    if (!tensor.axis)
      continue;
    Status status = Status::ok();
    auto gathered = tensor.axis->allGather(tensor.slot, tensor.staging.data(),
                                           tensor.shardElements, tensor.whole.dtype);
    if (gathered)
      status = (*gathered)->wait(timeoutSeconds);
    else
      status = gathered.status();
    if (!status.isOk())
      return status.withContext("gathering " + tensor.whole.name + " for the checkpoint");
  }
  return Status::ok();
}

// Each rank keeps its slice of the zero-padded flat tensor (the padding stays zero).
void sliceShards(std::vector<SavedTensor> &tensors) {
  for (SavedTensor &tensor : tensors) {
    if (!tensor.axis)
      continue;
    size_t element = dtypeSize(tensor.whole.dtype);
    size_t wholeBytes = static_cast<size_t>(numElements(tensor.whole.shape)) * element;
    std::memset(tensor.staging.data() + wholeBytes, 0, tensor.staging.size() - wholeBytes);
    std::memcpy(tensor.slot,
                tensor.staging.data() + tensor.axis->rank() * tensor.shardElements * element,
                tensor.shardElements * element);
  }
}

// ZeRO shards over the data-parallel ranks; checkpoints assume those are the whole world.
Status checkShardLayout(const plan::Training &config, int worldSize) {
  if (config.zero_stage() > 0 && config.data_parallel_size() != worldSize)
    return Status::error("checkpoints of ZeRO-sharded state need the data-parallel ranks to be "
                         "the whole world (" + std::to_string(config.data_parallel_size()) +
                         " of " + std::to_string(worldSize) + ")");
  return Status::ok();
}

class Trainer {
public:
  explicit Trainer(TrainingRun &run)
      : run_(run), config_(run.executor.plan().training()), scaler_(LossScaler::fromPlan(config_.loss_scaling())) {}

  Status run();

private:
  Status microSteps(int64_t step, double &meanLoss);
  Status save(int64_t stepsDone);
  Status load();

  TrainingRun &run_;
  const plan::Training &config_;
  LossScaler scaler_;
  int64_t stepsDone_ = 0;   // optimizer steps taken or skipped: the data position
  int64_t updatesDone_ = 0; // steps that updated the weights (the optimizer's step count)
};

Status Trainer::microSteps(int64_t step, double &meanLoss) {
  const int64_t ga = config_.gradient_accumulation_steps();
  const int64_t mb = config_.micro_batch_size();
  double sum = 0;
  for (int64_t a = 0; a < ga; ++a) {
    // DESIGN.md: micro-step a of data-parallel rank r takes samples
    // s*G + a*(mb*dp) + r*mb + [0, mb).
    int64_t first = step * config_.train_batch_size() + a * mb * run_.dpSize + run_.dpRank * mb;
    DS_RETURN_IF_ERROR(feedTokens(run_.executor, run_.options, run_.feed, "micro_step", first));
    DS_RETURN_IF_ERROR(
        setScalar(run_.executor, "micro_step", plan::Input::LOSS_SCALE, scaler_.scale()));
    DS_RETURN_IF_ERROR(run_.executor.runFunction("micro_step", step));
    DS_ASSIGN_OR_RETURN(loss, scalarOutput(run_.executor, "loss"));
    sum += loss;
  }
  meanLoss = sum / static_cast<double>(ga);
  return Status::ok();
}

Status Trainer::save(int64_t stepsDone) {
  DS_RETURN_IF_ERROR(checkShardLayout(config_, run_.world.size()));
  std::vector<SavedTensor> weights, state;
  DS_RETURN_IF_ERROR(checkpointTensors(run_.executor, weights, state));
  DS_RETURN_IF_ERROR(gatherShards(weights, run_.options.commTimeoutSeconds));
  DS_RETURN_IF_ERROR(gatherShards(state, run_.options.commTimeoutSeconds));
  Status status = Status::ok();
  if (run_.world.rank() == 0) {
    CheckpointContents contents;
    contents.weights = wholeTensors(weights);
    contents.optimizerState = wholeTensors(state);
    LossScalerState scale = scaler_.state();
    contents.state["loss_scale"] = formatExactDouble(scale.scale);
    contents.state["loss_scale_hysteresis"] = std::to_string(scale.hysteresis);
    contents.state["loss_scale_last_overflow"] = std::to_string(scale.lastOverflowIter);
    contents.state["loss_scale_iteration"] = std::to_string(scale.iteration);
    contents.state["optimizer_steps"] = std::to_string(updatesDone_);
    contents.state["samples_consumed"] =
        std::to_string(stepsDone * config_.train_batch_size());
    contents.state["train_batch_size"] = std::to_string(config_.train_batch_size());
    contents.state["world_size"] = std::to_string(run_.world.size());
    contents.state["precision"] = config_.precision();
    contents.state["optimizer"] = config_.optimizer();
    status = saveCheckpoint(run_.options.saveDir, static_cast<uint64_t>(stepsDone), contents);
    if (status.isOk())
      std::printf("saved checkpoint %s/%s\n", run_.options.saveDir.c_str(),
                  checkpointStepName(static_cast<uint64_t>(stepsDone)).c_str());
  }
  return agree(run_, status);
}

Status Trainer::load() {
  DS_RETURN_IF_ERROR(checkShardLayout(config_, run_.world.size()));
  std::vector<SavedTensor> weights, state;
  DS_RETURN_IF_ERROR(checkpointTensors(run_.executor, weights, state));
  auto loaded = loadCheckpoint(run_.options.loadDir, wholeTensors(weights), wholeTensors(state));
  Status status = loaded.status();
  if (loaded) {
    sliceShards(weights);
    sliceShards(state);
    status = roundMastersIntoWeights(weights);
  }
  if (loaded) {
    const auto &values = loaded->state;
    auto number = [&](const char *key, int64_t &out) -> Status {
      auto it = values.find(key);
      if (it == values.end())
        return Status::error(loaded->directory + ": trainer state has no '" + key + "'");
      out = std::strtoll(it->second.c_str(), nullptr, 10);
      return Status::ok();
    };
    int64_t batch = 0;
    if (status.isOk())
      status = number("train_batch_size", batch);
    if (status.isOk() && batch != config_.train_batch_size())
      status = Status::error(loaded->directory + ": the checkpoint was trained with "
                             "train_batch_size " + std::to_string(batch) + ", this plan uses " +
                             std::to_string(config_.train_batch_size()));
    if (status.isOk())
      status = number("optimizer_steps", updatesDone_);
    LossScalerState scale;
    if (status.isOk())
      status = number("loss_scale_hysteresis", scale.hysteresis);
    if (status.isOk())
      status = number("loss_scale_last_overflow", scale.lastOverflowIter);
    if (status.isOk())
      status = number("loss_scale_iteration", scale.iteration);
    if (status.isOk()) {
      auto it = values.find("loss_scale");
      if (it == values.end())
        status = Status::error(loaded->directory + ": trainer state has no 'loss_scale'");
      else
        scale.scale = std::strtod(it->second.c_str(), nullptr);
    }
    if (status.isOk())
      scaler_.restore(scale);
    stepsDone_ = static_cast<int64_t>(loaded->step);
    if (status.isOk() && run_.world.rank() == 0)
      std::printf("resumed from %s at step %lld\n", loaded->directory.c_str(),
                  static_cast<long long>(stepsDone_));
  }
  return agree(run_, status);
}

Status Trainer::run() {
  if (!run_.options.loadDir.empty())
    DS_RETURN_IF_ERROR(load());
  Executor &executor = run_.executor;
  const int64_t tokensPerStep =
      run_.tokensPerMicroStep * run_.dpSize * config_.gradient_accumulation_steps();
  while (stepsDone_ < run_.options.steps) {
    const int64_t step = stepsDone_;
    auto start = std::chrono::steady_clock::now();
    double loss = 0;
    DS_RETURN_IF_ERROR(microSteps(step, loss));

    DS_RETURN_IF_ERROR(executor.runFunction("reduce_gradients", step));
    DS_ASSIGN_OR_RETURN(normSq, scalarOutput(executor, "grad_norm_sq"));
    TrainingStats stats;
    stats.lossScaling = config_.loss_scaling().enabled();
    stats.lossScale = scaler_.scale();
    stats.gradNorm = std::sqrt(normSq) / scaler_.scale();
    // fp16 (loss scaling) and bf16 (DeepSpeed's bf16.check_grad_overflow, on by default) skip
    // a step whose gradients are not finite; fp32 lets it through, as torch would.
    bool checkOverflow = stats.lossScaling || config_.precision() == "bf16";
    stats.skipped = checkOverflow && !std::isfinite(normSq);
    stats.learningRate = learningRate(config_.schedule(), updatesDone_);
    if (!stats.skipped) {
      // torch.nn.utils.clip_grad_norm_: scale by max_norm / (norm + 1e-6) when that is below 1.
      double clip = 1.0;
      if (config_.gradient_clipping() > 0)
        clip = std::min(1.0, config_.gradient_clipping() / (stats.gradNorm + 1e-6));
      DS_RETURN_IF_ERROR(setScalar(executor, "apply_update", plan::Input::LEARNING_RATE,
                                   stats.learningRate));
      DS_RETURN_IF_ERROR(setScalar(executor, "apply_update", plan::Input::OPTIMIZER_STEP,
                                   static_cast<double>(updatesDone_ + 1)));
      DS_RETURN_IF_ERROR(setScalar(executor, "apply_update", plan::Input::GRAD_SCALE,
                                   clip / scaler_.scale()));
      DS_RETURN_IF_ERROR(executor.runFunction("apply_update", step));
      ++updatesDone_;
    }
    DS_RETURN_IF_ERROR(scaler_.update(stats.skipped).withContext(
        "step " + std::to_string(step + 1) + ": fp16 loss scale"));
    DS_RETURN_IF_ERROR(executor.runFunction("zero_gradients", step));
    // A GPU runs behind the host: count the kernels of apply_update and zero_gradients in this
    // step's time, not in the next one's.
    DS_RETURN_IF_ERROR(
        executor.device().synchronize().withContext("step " + std::to_string(step + 1)));
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    DS_RETURN_IF_ERROR(run_.reporter.report(step, loss, seconds, tokensPerStep, executor, stats));
    ++stepsDone_;
    bool last = stepsDone_ == run_.options.steps;
    bool interval = run_.options.saveInterval > 0 && stepsDone_ % run_.options.saveInterval == 0;
    if (!run_.options.saveDir.empty() && (interval || last))
      DS_RETURN_IF_ERROR(save(stepsDone_));
  }
  return Status::ok();
}

} // namespace

Status runTraining(TrainingRun &run) { return Trainer(run).run(); }

} // namespace ds::rt
