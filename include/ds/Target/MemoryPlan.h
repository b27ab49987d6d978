//===- MemoryPlan.h - per-rank memory and traffic of a compiled step -*- C++ -*-===//
//
// What one rank of a compiled module (after --ds-insert-releases) holds and sends, predicted
// from the IR alone: no plan, no parameter values. It follows the runtime's buffer model (see
// MemoryPlan.cpp), so the predicted peak is the `peak_bytes` ds-run reports, and it places
// every transient buffer in the rank's arena: the one assignment the plan emitter writes.
//
//===----------------------------------------------------------------------===//

#ifndef DS_TARGET_MEMORYPLAN_H
#define DS_TARGET_MEMORYPLAN_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LogicalResult.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallVector.h"

#include <cstdint>
#include <map>
#include <string>

namespace ds {

/// One function the runtime calls, and the buffers it allocates on its own.
struct FunctionMemory {
  std::string name;
  int64_t callsPerStep = 1;
  /// The most bytes of this function's transient buffers (results of its ops, freed at their
  /// ds.release) live at once: a lower bound on any arena that holds them.
  int64_t transientPeakBytes = 0;
  /// The arena extent this function's placement needs (>= transientPeakBytes; the difference
  /// is fragmentation).
  int64_t arenaBytes = 0;
  /// Results never released (the function's outputs): allocated on the first call and kept
  /// from then on, since every call writes them into the same buffers.
  int64_t retainedBytes = 0;
};

/// One collective kind's traffic per optimizer step and rank.
struct CollectiveVolume {
  int64_t calls = 0;
  int64_t messageBytes = 0; // the full messages, as busBytes() in the runtime takes them
  int64_t busBytes = 0;     // what the runtime counts in run.jsonl's comm_bytes
};

struct MemoryPlan {
  int64_t worldSize = 1;
  /// Ψ: elements of the trainable parameters (weights, not the state training adds).
  int64_t trainableElements = 0;
  int64_t weightBytes = 0;         // ds.param without ds.role (trainable or frozen)
  int64_t gradientBytes = 0;       // ds.role = "gradient"
  int64_t optimizerStateBytes = 0; // ds.role = "optimizer_state"
  int64_t constantBytes = 0;       // ds.constant results: loaded with the plan, never freed
  int64_t inputBytes = 0;          // function arguments: allocated before the first step
  llvm::SmallVector<FunctionMemory> functions; // in the order the runtime calls them
  std::map<std::string, CollectiveVolume> collectives; // by kind ("all_reduce", ...)
  /// Every transient's byte offset in the rank's arena; the plan emitter copies these into the
  /// plan, so the report and the plan cannot disagree.
  llvm::DenseMap<mlir::Value, int64_t> arenaOffsets;

  int64_t modelStateBytes() const { return weightBytes + gradientBytes + optimizerStateBytes; }
  int64_t retainedBytes() const;
  /// Parameters, state, constants, inputs and every function's retained outputs.
  int64_t persistentBytes() const;
  /// The function whose arena extent is the largest (the one that sets the arena's size).
  const FunctionMemory *peakFunction() const;
  /// The arena every function's transients are placed in: the largest extent over functions.
  int64_t arenaBytes() const;
  /// The most transient bytes live at once in any function: the arena's lower bound.
  int64_t transientPeakBytes() const;
  /// Persistent bytes plus the arena.
  int64_t predictedPeakBytes() const;
};

/// Analyses `module` for `worldSize` ranks: a training module (ds-build-training's four
/// functions, micro_step called `microStepsPerStep` times a step) or a single step function.
/// Parameters need only their shapes. Errors go to the module's diagnostic engine.
mlir::FailureOr<MemoryPlan> computeMemoryPlan(mlir::ModuleOp module, int64_t worldSize,
                                              int64_t microStepsPerStep = 1);

} // namespace ds

#endif // DS_TARGET_MEMORYPLAN_H
