//===- ModuleState.cpp - what a module declares beside its ops ------------===//

#include "ModuleState.h"

#include "PlanTensors.h"

#include "ds/Dialect/DS/IR/DSOps.h"

using namespace mlir;
using namespace mlir::ds;

namespace ds {

FailureOr<func::FuncOp> findStepFunction(ModuleOp module) {
  SmallVector<func::FuncOp> candidates;
  for (func::FuncOp func : module.getOps<func::FuncOp>())
    if (func.isPublic() && !func.isExternal())
      candidates.push_back(func);
  if (candidates.size() == 1)
    return candidates.front();
  // A module may hold both; the training step is what ds-run is for.
  for (StringRef preferred : {"train_step", "forward"})
    for (func::FuncOp func : candidates)
      if (func.getSymName() == preferred)
        return func;
  if (candidates.empty())
    return module.emitError("no step function: the module has no public "
                            "func.func with a body");
  InFlightDiagnostic diag =
      module.emitError("cannot choose the step function among ");
  llvm::interleaveComma(candidates, diag, [&](func::FuncOp func) {
    diag << "@" << func.getSymName();
  });
  diag << ": name it train_step or forward, or make the others private";
  return failure();
}

LogicalResult addMesh(ModuleOp module, int64_t worldSize, plan::Plan &plan) {
  SmallVector<MeshOp> meshes(module.getOps<MeshOp>());
  plan::Mesh &mesh = *plan.mutable_mesh();
  if (meshes.empty()) {
    // Without a mesh the program has no collectives: plain data parallelism
    // over every rank.
    mesh.add_axis_names("dp");
    mesh.add_axis_sizes(worldSize);
    return success();
  }
  if (meshes.size() > 1)
    return meshes[1].emitError(
               "a plan has one device mesh, but the module also declares @")
           << meshes[0].getSymName();
  MeshOp meshOp = meshes.front();
  if (meshOp.getNumDevices() != worldSize)
    return meshOp.emitError("mesh @")
           << meshOp.getSymName() << " has " << meshOp.getNumDevices()
           << " devices, but the world size is " << worldSize;
  for (StringRef name : meshOp.getAxisNames().getAsValueRange<StringAttr>())
    mesh.add_axis_names(name.str());
  for (int64_t size : meshOp.getAxisSizes())
    mesh.add_axis_sizes(size);
  return success();
}

static plan::Initializer::Distribution
convertDistribution(InitDistribution distribution) {
  switch (distribution) {
  case InitDistribution::Zeros:
    return plan::Initializer::ZEROS;
  case InitDistribution::Ones:
    return plan::Initializer::ONES;
  case InitDistribution::Normal:
    return plan::Initializer::NORMAL;
  case InitDistribution::Uniform:
    return plan::Initializer::UNIFORM;
  }
  llvm_unreachable("unknown initializer distribution");
}

FailureOr<llvm::StringMap<uint32_t>> addParams(ModuleOp module,
                                               plan::Plan &plan) {
  llvm::StringMap<uint32_t> bufferOf;
  for (ParamOp paramOp : module.getOps<ParamOp>()) {
    StringRef name = paramOp.getSymName();
    // The runtime has to fill the buffer before the first step; a shapes-only
    // model is enough to plan memory, but not to run.
    if (!paramOp.getInitialValue() && !paramOp.getInitializer())
      return paramOp.emitError("parameter @")
             << name << " has no value or initializer";
    FailureOr<uint32_t> buffer =
        appendBuffer(plan, paramOp.getTensorType(), ("@" + name).str());
    if (failed(buffer))
      return paramOp.emitError("a plan buffer cannot hold elements of type ")
             << paramOp.getTensorType().getElementType();
    bufferOf[name] = *buffer;

    plan::Param &param = *plan.add_params();
    param.set_name(name.str());
    param.set_buffer(*buffer);
    param.set_trainable(paramOp.isTrainable());
    // ds-build-training marks the state it adds with the parameter it belongs to.
    if (auto role = paramOp->getAttrOfType<StringAttr>("ds.role")) {
      param.set_trainable(false);
      if (role.getValue() == "gradient")
        param.set_role(plan::Param::GRADIENT);
      else if (role.getValue() == "optimizer_state")
        param.set_role(plan::Param::OPTIMIZER_STATE);
      else
        return paramOp.emitError("unknown ds.role '") << role.getValue() << "'";
      if (auto owner = paramOp->getAttrOfType<StringAttr>("ds.owner"))
        param.set_owner(owner.str());
      if (auto state = paramOp->getAttrOfType<StringAttr>("ds.state"))
        param.set_state(state.str());
    }
    // The verifier has checked the layout; data and init below describe the whole tensor.
    if (auto shard = paramOp->getAttrOfType<DictionaryAttr>("ds.shard")) {
      plan::Shard &out = *param.mutable_shard();
      out.set_axis(shard.getAs<StringAttr>("axis").str());
      for (int64_t dim : shard.getAs<DenseI64ArrayAttr>("shape").asArrayRef())
        out.add_whole_shape(dim);
    }
    if (std::optional<ElementsAttr> value = paramOp.getInitialValue()) {
      FailureOr<std::string> bytes = getTensorBytes(*value, paramOp.getLoc());
      if (failed(bytes))
        return failure();
      param.set_data(std::move(*bytes));
      continue;
    }
    InitializerAttr initializer = *paramOp.getInitializer();
    plan::Initializer &init = *param.mutable_init();
    init.set_distribution(convertDistribution(initializer.getDistribution()));
    init.set_a(initializer.getA().convertToDouble());
    init.set_b(initializer.getB().convertToDouble());
    init.set_seed(initializer.getSeed());
  }
  return bufferOf;
}

} // namespace ds
