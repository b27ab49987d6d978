//===- MemoryReport.h - ds-opt --ds-memory-report ----------------*- C++ -*-===//
//
// A MemoryPlan for a user: per-rank bytes by category, the ZeRO paper's model-state figures for
// the same model as a reference, and per-step traffic; as a table or as JSON.
//
//===----------------------------------------------------------------------===//

#ifndef DS_TARGET_MEMORYREPORT_H
#define DS_TARGET_MEMORYREPORT_H

#include "ds/Target/MemoryPlan.h"

#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <string>

namespace ds {

/// What the plan was compiled for, as the report states it (empty/zero when not training).
struct MemoryReportContext {
  std::string model;     // the input file
  std::string precision; // "fp32", "bf16", "fp16"
  std::string optimizer;
  int64_t zeroStage = 0;
  int64_t gradientAccumulationSteps = 1;
};

/// The ZeRO paper's (Rajbhandari et al. 2020, section 5) model-state bytes per rank for stage
/// 0..3 with mixed-precision Adam (K = 12): (2+2+12)Ψ, 4Ψ+12Ψ/N, 2Ψ+14Ψ/N, 16Ψ/N. These
/// describe DeepSpeed's layout (fp16 weights and gradients beside fp32 masters and moments).
double getZeroPaperModelStateBytes(int stage, int64_t psi, int64_t worldSize);

void printMemoryReport(const MemoryPlan &plan, const MemoryReportContext &context,
                       llvm::raw_ostream &os);
llvm::json::Value getMemoryReportJSON(const MemoryPlan &plan,
                                      const MemoryReportContext &context);

} // namespace ds

#endif // DS_TARGET_MEMORYREPORT_H
