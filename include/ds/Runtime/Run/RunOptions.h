// ds-run's command line, parsed without MLIR or LLVM (the runtime links neither).
#ifndef DS_RUNTIME_RUN_RUNOPTIONS_H
#define DS_RUNTIME_RUN_RUNOPTIONS_H

#include "ds/Runtime/Status.h"

#include <string>
#include <utility>
#include <vector>

namespace ds::rt {

struct RunOptions {
  std::string planPath;
  int np = 0; // 0: not given
  std::string hostfile;
  std::string dataPath;
  std::string dataDType = "uint16";
  int64_t steps = 1;
  std::string logPath;
  std::string tracePath;
  std::vector<std::pair<std::string, std::string>> inputs; // NAME=PATH; "{rank}" expands
  std::string outputDir;
  double commTimeoutSeconds = 300;
  std::string backend; // "cpu", "cuda"; empty: cuda when built with CUDA and a GPU is seen
  int faultRank = -1;
  int64_t faultInstruction = -1;
  std::string faultKind;
  std::string onnxTestDir; // --onnx-test DIR
  std::string saveDir;     // --save DIR
  int64_t saveInterval = 0; // --save-interval K (0: save only after the last step)
  std::string loadDir;     // --load DIR
  bool checkKernels = false; // --check-kernels
  bool help = false;
};

StatusOr<RunOptions> parseRunOptions(const std::vector<std::string> &args);
const char *runUsage();

} // namespace ds::rt

#endif // DS_RUNTIME_RUN_RUNOPTIONS_H
