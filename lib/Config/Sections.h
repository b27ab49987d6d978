// The readers of ds_config.json's sections, one file per concept; DSConfig.cpp calls them in
// order on the top-level object.
#ifndef DS_LIB_CONFIG_SECTIONS_H
#define DS_LIB_CONFIG_SECTIONS_H

#include "ConfigReader.h"
#include "ds/Config/DSConfig.h"

#include <string>
#include <vector>

namespace ds::config::detail {

void parseOptimizer(Section &top, DSConfig &config);
// After parseOptimizer: WarmupCosineLR needs to know whether an optimizer lr exists.
void parseScheduler(Section &top, DSConfig &config);
void parsePrecision(Section &top, DSConfig &config);
void parseZero(Section &top, DSConfig &config);
void parseCheckpoint(Section &top, DSConfig &config);
// "FILE:LINE:COL: error: duplicate key 'a.b'" for every repeated key of valid JSON `text`.
std::vector<std::string> findDuplicateKeys(llvm::StringRef text, llvm::StringRef fileName);

// Checks between sections (ZeRO stage against fp16/bf16 options, all-reduce op), last.
void checkCrossSection(Diagnostics &diag, const DSConfig &config);

} // namespace ds::config::detail

#endif // DS_LIB_CONFIG_SECTIONS_H
