//===- CollectiveCheck.h - every rank issues matching collectives -*- C++ -*-===//
//
// A collective that one member of a group issues and another does not, or issues in another
// order or size, hangs or corrupts the run (ZeRO-3's classic hang). Because the whole plan is
// known before it runs, that is checked statically, per group along each mesh axis.
//
//===----------------------------------------------------------------------===//

#ifndef DS_TARGET_COLLECTIVECHECK_H
#define DS_TARGET_COLLECTIVECHECK_H

#include "ds/Plan/Plan.pb.h"

#include "llvm/Support/Error.h"

namespace ds {

/// Checks that, for every mesh axis, the members of each group along it issue the same
/// collectives on that axis in the same order, with the same op, message size, dtype and
/// attributes (dims, root, shift, reduce kind). The error names both instructions (rank,
/// index, op, size, source location) of the first mismatch.
llvm::Error checkCollectiveOrder(const plan::Plan &plan);

} // namespace ds

#endif // DS_TARGET_COLLECTIVECHECK_H
