//===- PlanEmitter.cpp - ds step function -> plan -------------------------===//
//
// Walks the step function once, in order: every tensor value gets a buffer,
// every op an instruction. The program is SPMD, so every rank gets the same
// instruction list.
//
//===----------------------------------------------------------------------===//

#include "ds/Target/PlanEmitter.h"

#include "ModuleState.h"
#include "OpAttrs.h"
#include "PlanTensors.h"
#include "StreamWaits.h"

#include "ds/Dialect/DS/IR/DSOps.h"
#include "ds/Plan/PlanVersion.h"
#include "ds/Target/CollectiveCheck.h"
#include "ds/Target/MemoryPlan.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/AsmState.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSwitch.h"

using namespace mlir;
using namespace mlir::ds;
namespace plan = ::ds::plan;

namespace {

/// `file:line:col` of the first file location in `loc`, or "" when it has none.
std::string formatLoc(Location loc) {
  auto fileLoc = loc->findInstanceOf<FileLineColLoc>();
  if (!fileLoc)
    return "";
  return (fileLoc.getFilename().getValue() + ":" + Twine(fileLoc.getLine()) +
          ":" + Twine(fileLoc.getColumn()))
      .str();
}

/// Collectives are the ops that touch the network; the runtime runs them on the
/// COMM stream.
bool isCollective(Operation *op) {
  auto memory = dyn_cast<MemoryEffectOpInterface>(op);
  if (!memory)
    return false;
  SmallVector<MemoryEffects::EffectInstance> effects;
  memory.getEffects(effects);
  return llvm::any_of(effects, [](const MemoryEffects::EffectInstance &effect) {
    return effect.getResource() == CommunicationResource::get();
  });
}

/// Builds one plan; see buildPlan.
class PlanBuilder {
public:
  PlanBuilder(ModuleOp module, int64_t worldSize)
      : module(module), worldSize(worldSize) {}

  FailureOr<plan::Plan> build();

private:
  /// Adds `func` as one function of the program; `name` is empty for the single step function
  /// of an inference plan.
  LogicalResult addFunction(func::FuncOp func, StringRef name, plan::RankProgram &program);
  LogicalResult addInputs(func::FuncOp step, StringRef function);
  LogicalResult addInstructions(Block &body, plan::RankProgram &program);
  LogicalResult addOutputs(func::FuncOp step, func::ReturnOp ret, StringRef function);
  /// Copies the memory plan's arena offsets onto the transients' buffers.
  LogicalResult placeTransients(plan::RankProgram &program);

  /// A new buffer for `value`, named `name` (a default name when empty).
  FailureOr<uint32_t> addBuffer(Value value, StringRef name = {});
  /// The buffer an operand reads; also rejects reads of a parameter's old value
  /// (see below).
  FailureOr<uint32_t> getOperandBuffer(Operation *user, Value value);
  std::string getDefaultName(Value value);

  ModuleOp module;
  int64_t worldSize;
  plan::Plan planMessage;
  std::unique_ptr<AsmState> asmState; // SSA names ("%12") of the step function
  DenseMap<Value, uint32_t> bufferOf;
  llvm::StringMap<uint32_t> paramBufferOf;

  // ds.load_param results alias the parameter's storage, so once a
  // ds.store_param writes the parameter, values loaded before it would silently
  // read the new contents. Such reads are rejected instead: they need a copy
  // the plan does not make.
  DenseMap<Value, LoadParamOp> loadOf;
  llvm::StringMap<StoreParamOp> lastStoreOf;
};

std::string PlanBuilder::getDefaultName(Value value) {
  if (auto name = value.getLoc()->findInstanceOf<NameLoc>()) {
    std::string text = name.getName().str();
    auto result = dyn_cast<OpResult>(value);
    if (result && result.getOwner()->getNumResults() > 1)
      text += "#" + std::to_string(result.getResultNumber());
    return text;
  }
  std::string text;
  llvm::raw_string_ostream os(text);
  value.printAsOperand(os, *asmState);
  return text;
}

FailureOr<uint32_t> PlanBuilder::addBuffer(Value value, StringRef name) {
  FailureOr<uint32_t> id =
      ::ds::appendBuffer(planMessage, value.getType(),
                         name.empty() ? getDefaultName(value) : name.str());
  if (failed(id))
    return emitError(value.getLoc(),
                     "a plan buffer cannot hold a value of type ")
           << value.getType()
           << " (expected a static tensor of f32, f16, bf16, f64, i64, i32, i8 "
              "or i1)";
  bufferOf[value] = *id;
  return *id;
}

FailureOr<uint32_t> PlanBuilder::getOperandBuffer(Operation *user,
                                                  Value value) {
  auto load = loadOf.find(value);
  if (load != loadOf.end()) {
    StringRef param = load->second.getParam();
    StoreParamOp store = lastStoreOf.lookup(param);
    if (store && load->second->isBeforeInBlock(store)) {
      InFlightDiagnostic diag =
          emitError(user->getLoc(), "reads @")
          << param << " as loaded before a ds.store_param overwrote it";
      diag.attachNote(load->second.getLoc()) << "loaded here";
      diag.attachNote(store.getLoc()) << "overwritten here";
      return diag;
    }
  }
  auto buffer = bufferOf.find(value);
  if (buffer == bufferOf.end())
    return emitError(user->getLoc(),
                     "operand is not a value of the step function");
  return buffer->second;
}

/// The training loop's per-step scalars, by the argument names ds-build-training gives them.
std::optional<plan::Input::Source> getScalarSource(StringRef name) {
  return llvm::StringSwitch<std::optional<plan::Input::Source>>(name)
      .Case("learning_rate", plan::Input::LEARNING_RATE)
      .Case("optimizer_step", plan::Input::OPTIMIZER_STEP)
      .Case("grad_scale", plan::Input::GRAD_SCALE)
      .Case("loss_scale", plan::Input::LOSS_SCALE)
      .Default(std::nullopt);
}

LogicalResult PlanBuilder::addInputs(func::FuncOp step, StringRef function) {
  // The data convention: the first integer input takes the token window, the
  // second the next-token targets. i1 masks are not token ids.
  int integerInputs = 0;
  for (BlockArgument argument : step.getArguments()) {
    unsigned index = argument.getArgNumber();
    auto given = step.getArgAttrOfType<StringAttr>(index, "ds.name");
    std::string name = given ? given.str() : "input" + std::to_string(index);
    FailureOr<uint32_t> buffer = addBuffer(argument, given ? name : "");
    if (failed(buffer))
      return failure();
    plan::Input &input = *planMessage.add_inputs();
    input.set_name(name);
    input.set_buffer(*buffer);
    input.set_function(function.str());
    if (auto scalar = getScalarSource(name)) {
      input.set_source(*scalar);
      continue;
    }
    Type element = cast<RankedTensorType>(argument.getType()).getElementType();
    bool isInteger = element.isSignlessInteger() && !element.isInteger(1);
    plan::Input::Source source = plan::Input::FILE;
    if (isInteger && integerInputs == 0)
      source = plan::Input::TOKENS;
    else if (isInteger && integerInputs == 1)
      source = plan::Input::TARGETS;
    integerInputs += isInteger;
    input.set_source(source);
  }
  return success();
}

LogicalResult PlanBuilder::addInstructions(Block &body,
                                           plan::RankProgram &program) {
  // Waits stay inside the function: the runtime completes every collective of a function
  // before the function returns.
  ::ds::StreamWaits streamWaits;
  const uint32_t offset = program.instructions_size();
  for (Operation &op : body) {
    if (isa<func::ReturnOp>(op))
      continue; // the outputs say what it returns
    if (auto load = dyn_cast<LoadParamOp>(op)) {
      // Reads the parameter's storage in place: no instruction, no copy.
      bufferOf[load.getResult()] = paramBufferOf.lookup(load.getParam());
      loadOf[load.getResult()] = load;
      continue;
    }
    if (!isa<DSDialect>(op.getDialect()) || isa<ParamOp, MeshOp>(op))
      return op.emitError("the plan emitter does not know op '")
             << op.getName() << "'";

    plan::Instruction &instruction = *program.add_instructions();
    instruction.set_loc(formatLoc(op.getLoc()));
    SmallVector<uint32_t> reads, writes;
    for (Value operand : op.getOperands()) {
      FailureOr<uint32_t> buffer = getOperandBuffer(&op, operand);
      if (failed(buffer))
        return failure();
      instruction.add_operands(*buffer);
      reads.push_back(*buffer);
    }

    if (auto release = dyn_cast<ReleaseOp>(op)) {
      if (auto load = loadOf.lookup(release.getValue()))
        return op.emitError("cannot free the storage of parameter @")
               << load.getParam() << ", which lives from step to step";
      instruction.set_op("free");
      writes = std::move(reads);
      reads.clear();
    } else if (auto store = dyn_cast<StoreParamOp>(op)) {
      instruction.set_op("store_param");
      uint32_t paramBuffer = paramBufferOf.lookup(store.getParam());
      instruction.add_results(paramBuffer);
      writes.push_back(paramBuffer);
      lastStoreOf[store.getParam()] = store;
    } else {
      instruction.set_op(op.getName().stripDialect().str());
      for (Value result : op.getResults()) {
        FailureOr<uint32_t> buffer = addBuffer(result);
        if (failed(buffer))
          return failure();
        instruction.add_results(*buffer);
        writes.push_back(*buffer);
      }
    }

    if (auto constant = dyn_cast<ConstantOp>(op)) {
      // The value travels as the buffer's initial_data. The instruction marks
      // where the value is first needed: a runtime may keep constants resident
      // from load time, or (re)fill the buffer from initial_data here, after a
      // free of an earlier step handed the storage to other values.
      plan::Buffer &buffer = *planMessage.mutable_buffers(instruction.results(0));
      auto dense = dyn_cast<DenseElementsAttr>(constant.getValue());
      bool splat = dense && dense.isSplat() && dense.getNumElements() > 1;
      FailureOr<std::string> bytes = ::ds::getTensorBytes(
          splat ? dense.resizeSplat(RankedTensorType::get({}, dense.getElementType()))
                : constant.getValue(),
          op.getLoc());
      if (failed(bytes))
        return failure();
      buffer.set_initial_data(std::move(*bytes));
      buffer.set_splat(splat);
    } else if (failed(::ds::addInherentAttrs(&op, instruction))) {
      return failure();
    }

    plan::Stream stream = plan::COMPUTE;
    if (isCollective(&op))
      stream = plan::COMM;
    else if (isa<ReleaseOp>(op))
      // Freeing a collective's input on the compute stream would stall compute
      // until the collective is done; freeing it behind the collective costs
      // nothing.
      stream = streamWaits.getLastUseStream(instruction.operands(0));
    instruction.set_stream(stream);
    for (uint32_t wait : streamWaits.add(stream, reads, writes))
      instruction.add_waits(offset + wait);
  }
  return success();
}

LogicalResult PlanBuilder::addOutputs(func::FuncOp step, func::ReturnOp ret,
                                      StringRef function) {
  for (OpOperand &operand : ret->getOpOperands()) {
    unsigned index = operand.getOperandNumber();
    FailureOr<uint32_t> buffer = getOperandBuffer(ret, operand.get());
    if (failed(buffer))
      return failure();
    auto given = step.getResultAttrOfType<StringAttr>(index, "ds.name");
    plan::Output &output = *planMessage.add_outputs();
    output.set_name(given ? given.str() : "output" + std::to_string(index));
    output.set_buffer(*buffer);
    output.set_function(function.str());
  }
  return success();
}

LogicalResult PlanBuilder::addFunction(func::FuncOp func, StringRef name,
                                       plan::RankProgram &program) {
  Region &region = func.getBody();
  if (!llvm::hasSingleElement(region))
    return func->emitError("function @")
           << func.getSymName() << " has " << region.getBlocks().size()
           << " blocks; a plan is one straight-line instruction list";
  Block &body = region.front();
  auto ret = dyn_cast<func::ReturnOp>(body.getTerminator());
  if (!ret)
    return func->emitError("function @")
           << func.getSymName() << " does not end in func.return";
  asmState = std::make_unique<AsmState>(func);
  // A function sees parameters as they were when it started.
  loadOf.clear();
  lastStoreOf.clear();
  uint32_t begin = program.instructions_size();
  if (failed(addInputs(func, name)) || failed(addInstructions(body, program)) ||
      failed(addOutputs(func, ret, name)))
    return failure();
  if (!name.empty()) {
    plan::Function &range = *program.add_functions();
    range.set_name(name.str());
    range.set_begin(begin);
    range.set_end(program.instructions_size());
  }
  return success();
}

LogicalResult PlanBuilder::placeTransients(plan::RankProgram &program) {
  // The placement is the memory report's own (MemoryPlan.cpp walks the same functions in the
  // same order), so what the report predicts is what the plan asks the runtime for. The calls
  // per step change no offset.
  FailureOr<::ds::MemoryPlan> memory = ::ds::computeMemoryPlan(module, worldSize);
  if (failed(memory))
    return failure();
  for (const auto &[value, offset] : memory->arenaOffsets) {
    auto buffer = bufferOf.find(value);
    if (buffer == bufferOf.end())
      return emitError(value.getLoc(), "the memory plan placed a value with no plan buffer");
    planMessage.mutable_buffers(buffer->second)->set_arena_offset(offset);
  }
  program.set_arena_bytes(memory->arenaBytes());
  return success();
}

FailureOr<plan::Plan> PlanBuilder::build() {
  if (worldSize < 1)
    return module.emitError("the world size must be at least 1, got ")
           << worldSize;
  planMessage.mutable_version()->set_major(::ds::plan::kPlanVersionMajor);
  planMessage.mutable_version()->set_minor(::ds::plan::kPlanVersionMinor);
  planMessage.set_producer("ds-opt");
  if (failed(::ds::addMesh(module, worldSize, planMessage)))
    return failure();
  FailureOr<llvm::StringMap<uint32_t>> params =
      ::ds::addParams(module, planMessage);
  if (failed(params))
    return failure();
  paramBufferOf = std::move(*params);

  plan::RankProgram program;
  if (auto micro = module.lookupSymbol<func::FuncOp>("micro_step")) {
    // A training plan (ds-build-training): every function, by name, in the
    // order the runtime calls them.
    for (StringRef name : {"micro_step", "reduce_gradients", "apply_update",
                           "zero_gradients"}) {
      auto func = module.lookupSymbol<func::FuncOp>(name);
      if (!func)
        return module.emitError("training plan without function @") << name;
      if (failed(addFunction(func, name, program)))
        return failure();
    }
  } else {
    FailureOr<func::FuncOp> step = ::ds::findStepFunction(module);
    if (failed(step) || failed(addFunction(*step, "", program)))
      return failure();
  }
  if (failed(placeTransients(program)))
    return failure();

  // SPMD: every rank runs the same list; a rank finds its groups from the mesh.
  for (int64_t rank = 0; rank < worldSize; ++rank) {
    plan::RankProgram &copy = *planMessage.add_programs();
    copy = program;
    copy.set_rank(static_cast<int32_t>(rank));
  }
  // SPMD plans pass by construction; the check is for the passes that will give ranks
  // different lists (pipeline stages, uneven shards), where a mismatch would hang the run.
  if (llvm::Error error = ::ds::checkCollectiveOrder(planMessage))
    return module.emitError("the per-rank programs would hang: ")
           << llvm::toString(std::move(error));
  return std::move(planMessage);
}

} // namespace

namespace ds {
FailureOr<plan::Plan> buildPlan(ModuleOp module, int64_t worldSize) {
  return PlanBuilder(module, worldSize).build();
}
} // namespace ds
