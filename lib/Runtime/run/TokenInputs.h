// Feeding a step's token windows and targets into the plan's token inputs (DESIGN.md's data
// convention), shared by inference runs and the training loop.
#ifndef DS_LIB_RUNTIME_RUN_TOKENINPUTS_H
#define DS_LIB_RUNTIME_RUN_TOKENINPUTS_H

#include "DataFeed.h"

#include "ds/Runtime/Exec/Executor.h"
#include "ds/Runtime/Run/RunOptions.h"

namespace ds::rt {

// Whether --input gives the input `name` a fixed value.
bool givenByFlag(const RunOptions &options, const std::string &name);

// Fills every TOKENS/TARGETS input of `function` ("" = the step function) not given by --input
// with samples firstSample .. firstSample + batch of `feed`.
Status feedTokens(Executor &executor, const RunOptions &options, const DataFeed *feed,
                  const std::string &function, int64_t firstSample);

} // namespace ds::rt

#endif // DS_LIB_RUNTIME_RUN_TOKENINPUTS_H
