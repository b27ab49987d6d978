//===- PlanVersion.h - the plan schema version both sides agree on --------===//
//
// Shared by the emitter and the runtime; no MLIR and no protobuf types here.
//
//===----------------------------------------------------------------------===//

#ifndef DS_PLAN_PLANVERSION_H
#define DS_PLAN_PLANVERSION_H

namespace ds::plan {
/// A runtime reads plans of its own major version and any minor version.
inline constexpr unsigned kPlanVersionMajor = 3; // 3: Param.shard (a shard's value is the whole tensor)
inline constexpr unsigned kPlanVersionMinor = 1; // 1: Buffer.arena_offset, RankProgram.arena_bytes
} // namespace ds::plan

#endif // DS_PLAN_PLANVERSION_H
