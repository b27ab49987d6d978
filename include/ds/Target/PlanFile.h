//===- PlanFile.h - reading, writing and printing plan files ----*- C++ -*-===//
//
// A plan file is one binary-serialized ds.plan.Plan message (schema:
// include/ds/Plan/Plan.proto).
//
//===----------------------------------------------------------------------===//

#ifndef DS_TARGET_PLANFILE_H
#define DS_TARGET_PLANFILE_H

#include "ds/Plan/Plan.pb.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <string>

namespace ds {

/// Writes `plan` to `path` atomically: into a temporary file beside it, then
/// renamed over it, so a reader never sees half a plan and a failed write
/// leaves any older plan in place. Serialization is deterministic: the same
/// plan always gives the same bytes.
llvm::Error writePlanFile(const plan::Plan &plan, llvm::StringRef path);

/// Reads a plan file; the error names the file and says what is wrong with it.
llvm::Expected<plan::Plan> readPlanFile(llvm::StringRef path);

/// The plan in protobuf text format, for people and FileCheck.
std::string formatPlanAsText(const plan::Plan &plan);

} // namespace ds

#endif // DS_TARGET_PLANFILE_H
