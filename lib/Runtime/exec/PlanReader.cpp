// Plan files: parse, then refuse anything the executor would misread, naming what is wrong.
#include "ds/Runtime/Exec/PlanReader.h"
#include "ds/Plan/PlanVersion.h"

#include <fstream>
#include <sstream>

namespace ds::rt {

int64_t planWorldSize(const plan::Plan &plan) {
  int64_t world = 1;
  for (int64_t size : plan.mesh().axis_sizes())
    world *= size;
  return world;
}

StatusOr<plan::Plan> readPlan(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return Status::error(path + ": cannot open plan file");
  std::stringstream bytes;
  bytes << in.rdbuf();
  plan::Plan result;
  if (!result.ParseFromString(bytes.str()))
    return Status::error(path + ": not a ds plan (the file is truncated or corrupt)");
  DS_RETURN_IF_ERROR(validatePlan(result, path));
  return result;
}

Status validatePlan(const plan::Plan &plan, const std::string &path) {
  if (!plan.has_version() || plan.version().major() != plan::kPlanVersionMajor)
    return Status::error(path + ": plan version " + std::to_string(plan.version().major()) + "." +
                         std::to_string(plan.version().minor()) + " is not supported (this ds-run reads " +
                         std::to_string(plan::kPlanVersionMajor) + ".x); recompile it with this ds-opt");
  const auto &mesh = plan.mesh();
  if (mesh.axis_names_size() != mesh.axis_sizes_size() || mesh.axis_names_size() == 0)
    return Status::error(path + ": the plan's mesh has " + std::to_string(mesh.axis_names_size()) +
                         " axis names and " + std::to_string(mesh.axis_sizes_size()) + " sizes");
  for (int64_t size : mesh.axis_sizes())
    if (size < 1)
      return Status::error(path + ": mesh axis size " + std::to_string(size) + " is not positive");
  int64_t world = planWorldSize(plan);
  if (plan.programs_size() != world)
    return Status::error(path + ": the mesh has " + std::to_string(world) + " ranks but the plan has " +
                         std::to_string(plan.programs_size()) + " rank programs");
  int64_t numBuffers = plan.buffers_size();
  for (int64_t i = 0; i < numBuffers; ++i) {
    const plan::Buffer &b = plan.buffers(i);
    if (b.id() != i)
      return Status::error(path + ": buffer #" + std::to_string(i) + " has id " + std::to_string(b.id()));
    for (int64_t d : b.shape())
      if (d < 0)
        return Status::error(path + ": buffer " + b.name() + " has a negative dimension");
  }
  auto checkBuffer = [&](uint32_t id, const std::string &where) -> Status {
    if (id >= numBuffers)
      return Status::error(path + ": " + where + " names buffer " + std::to_string(id) + " but the plan has " +
                           std::to_string(numBuffers));
    return Status::ok();
  };
  for (const auto &p : plan.params())
    DS_RETURN_IF_ERROR(checkBuffer(p.buffer(), "parameter " + p.name()));
  for (const auto &in : plan.inputs())
    DS_RETURN_IF_ERROR(checkBuffer(in.buffer(), "input " + in.name()));
  for (const auto &out : plan.outputs())
    DS_RETURN_IF_ERROR(checkBuffer(out.buffer(), "output " + out.name()));
  for (int64_t r = 0; r < world; ++r) {
    const plan::RankProgram &program = plan.programs(r);
    if (program.rank() != r)
      return Status::error(path + ": rank program #" + std::to_string(r) + " is for rank " +
                           std::to_string(program.rank()));
    for (int64_t i = 0; i < program.instructions_size(); ++i) {
      const plan::Instruction &inst = program.instructions(i);
      std::string where = "rank " + std::to_string(r) + " instruction " + std::to_string(i) + " (" +
                          inst.op() + ")";
      for (uint32_t id : inst.operands())
        DS_RETURN_IF_ERROR(checkBuffer(id, where));
      for (uint32_t id : inst.results())
        DS_RETURN_IF_ERROR(checkBuffer(id, where));
      for (uint32_t w : inst.waits())
        if (w >= i)
          return Status::error(path + ": " + where + " waits for instruction " + std::to_string(w) +
                               ", which does not come before it");
    }
  }
  return Status::ok();
}

} // namespace ds::rt
