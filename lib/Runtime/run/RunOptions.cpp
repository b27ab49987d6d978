// Parsing ds-run's flags: `--flag value` or `--flag=value`; every error names the flag.
#include "ds/Runtime/Run/RunOptions.h"

#include <cstdlib>

namespace ds::rt {

const char *runUsage() {
  return R"(usage: ds-run PLAN.dsplan [options]
       mpirun -np N ds-run PLAN.dsplan [options]

  --np N                 launch N ranks through mpirun (as DeepSpeed's launcher does)
  --hostfile FILE        DeepSpeed hostfile ("host slots=N" lines), passed on to mpirun
  --steps S              steps to run (default 1); for a training plan, the optimizer step to
                         stop after, counted from the start of training (a resumed run continues)
  --data FILE            token file for the plan's token/target inputs (DESIGN.md convention)
  --data-dtype T         uint16 (default, nanoGPT's train.bin) or int32
  --input NAME=FILE.npy  value of a user input; "{rank}" in FILE becomes the rank
  --output-dir DIR       write every output as DIR/NAME.rank<R>.npy after the last step
  --log FILE             one JSON object per step (rank 0 writes it)
  --trace FILE           Chrome trace of every instruction, one track per rank and stream
  --save DIR             training: write checkpoints under DIR (DIR/step_N, DIR/latest)
  --save-interval K      training: a checkpoint every K optimizer steps (default: only at the end)
  --load DIR             training: resume from DIR's latest checkpoint (or DIR as a step directory)
  --comm-timeout S       seconds a collective may take before every rank stops (default 300)
  --backend cpu|cuda     where to run: the CPU, or one GPU per rank (its local rank's) with NCCL
                         between ranks; default cuda when this ds-run has CUDA and sees a GPU
                         (cpu with --save or --load, which only the cpu backend has);
                         the environment's DS_RUN_BACKEND=cpu|cuda overrides that default
  --check-kernels        run each compute instruction's CPU kernel again on copies of its operands
                         and compare (max |x - cpu| / max |cpu| per result; over 1e-4, or 2e-2
                         for 16-bit results, is reported): finds the first instruction where the
                         cuda backend disagrees with the CPU. Slow; for small models
  --fault-inject R:I:K   testing: rank R dies (K=exit) or hangs (K=hang) at instruction I

       ds-run --onnx-test DIR
  runs one ONNX backend test case (DIR/model.onnx, DIR/test_data_set_*): compiles it with the
  ds-opt next to ds-run, runs it forward on one rank, compares every output (rtol 1e-4,
  atol 1e-5), prints PASS or FAIL with the worst error, exits 0 or 1
)";
}

namespace {
Status parseInt(const std::string &flag, const std::string &text, int64_t &out) {
  char *end = nullptr;
  long long value = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0')
    return Status::error(flag + ": expected an integer, got '" + text + "'");
  out = value;
  return Status::ok();
}
} // namespace

StatusOr<RunOptions> parseRunOptions(const std::vector<std::string> &args) {
  RunOptions o;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string arg = args[i];
    if (arg == "-h" || arg == "--help") {
      o.help = true;
      continue;
    }
    if (arg == "--check-kernels") {
      o.checkKernels = true;
      continue;
    }
    if (arg.rfind("--", 0) != 0) {
      if (!o.planPath.empty())
        return Status::error("unexpected argument '" + arg + "' (the plan is " + o.planPath + ")");
      o.planPath = arg;
      continue;
    }
    std::string flag = arg, value;
    bool hasValue = false;
    if (size_t eq = arg.find('='); eq != std::string::npos) {
      flag = arg.substr(0, eq);
      value = arg.substr(eq + 1);
      hasValue = true;
    }
    auto next = [&]() -> Status {
      if (hasValue)
        return Status::ok();
      if (i + 1 >= args.size())
        return Status::error(flag + " needs a value");
      value = args[++i];
      return Status::ok();
    };
    int64_t number = 0;
    if (flag == "--np") {
      DS_RETURN_IF_ERROR(next());
      DS_RETURN_IF_ERROR(parseInt(flag, value, number));
      if (number < 1)
        return Status::error("--np must be at least 1, got " + value);
      o.np = static_cast<int>(number);
    } else if (flag == "--onnx-test") {
      DS_RETURN_IF_ERROR(next());
      o.onnxTestDir = value;
    } else if (flag == "--hostfile") {
      DS_RETURN_IF_ERROR(next());
      o.hostfile = value;
    } else if (flag == "--steps") {
      DS_RETURN_IF_ERROR(next());
      DS_RETURN_IF_ERROR(parseInt(flag, value, number));
      if (number < 1)
        return Status::error("--steps must be at least 1, got " + value);
      o.steps = number;
    } else if (flag == "--save") {
      DS_RETURN_IF_ERROR(next());
      o.saveDir = value;
    } else if (flag == "--save-interval") {
      DS_RETURN_IF_ERROR(next());
      DS_RETURN_IF_ERROR(parseInt(flag, value, number));
      if (number < 1)
        return Status::error("--save-interval must be at least 1, got " + value);
      o.saveInterval = number;
    } else if (flag == "--load") {
      DS_RETURN_IF_ERROR(next());
      o.loadDir = value;
    } else if (flag == "--data") {
      DS_RETURN_IF_ERROR(next());
      o.dataPath = value;
    } else if (flag == "--data-dtype") {
      DS_RETURN_IF_ERROR(next());
      if (value != "uint16" && value != "int32")
        return Status::error("--data-dtype must be uint16 or int32, got '" + value + "'");
      o.dataDType = value;
    } else if (flag == "--input") {
      DS_RETURN_IF_ERROR(next());
      size_t eq = value.find('=');
      if (eq == std::string::npos || eq == 0)
        return Status::error("--input expects NAME=FILE.npy, got '" + value + "'");
      o.inputs.emplace_back(value.substr(0, eq), value.substr(eq + 1));
    } else if (flag == "--output-dir") {
      DS_RETURN_IF_ERROR(next());
      o.outputDir = value;
    } else if (flag == "--log") {
      DS_RETURN_IF_ERROR(next());
      o.logPath = value;
    } else if (flag == "--trace") {
      DS_RETURN_IF_ERROR(next());
      o.tracePath = value;
    } else if (flag == "--comm-timeout") {
      DS_RETURN_IF_ERROR(next());
      char *end = nullptr;
      o.commTimeoutSeconds = std::strtod(value.c_str(), &end);
      if (value.empty() || *end != '\0' || !(o.commTimeoutSeconds > 0))
        return Status::error("--comm-timeout expects a positive number of seconds, got '" + value + "'");
    } else if (flag == "--backend") {
      DS_RETURN_IF_ERROR(next());
      if (value != "cpu" && value != "cuda")
        return Status::error("--backend must be cpu or cuda, got '" + value + "'");
      o.backend = value;
    } else if (flag == "--fault-inject") {
      DS_RETURN_IF_ERROR(next());
      size_t a = value.find(':'), b = value.rfind(':');
      if (a == std::string::npos || a == b)
        return Status::error("--fault-inject expects RANK:INSTRUCTION:exit|hang, got '" + value + "'");
      int64_t rank = 0;
      DS_RETURN_IF_ERROR(parseInt(flag, value.substr(0, a), rank));
      DS_RETURN_IF_ERROR(parseInt(flag, value.substr(a + 1, b - a - 1), o.faultInstruction));
      o.faultRank = static_cast<int>(rank);
      o.faultKind = value.substr(b + 1);
      if (o.faultKind != "exit" && o.faultKind != "hang")
        return Status::error("--fault-inject kind must be exit or hang, got '" + o.faultKind + "'");
    } else {
      return Status::error("unknown option '" + flag + "' (see ds-run --help)");
    }
  }
  if (!o.onnxTestDir.empty() && !o.planPath.empty())
    return Status::error("--onnx-test runs a test directory, not the plan " + o.planPath);
  if (!o.help && o.planPath.empty() && o.onnxTestDir.empty())
    return Status::error("no plan file given (see ds-run --help)");
  return o;
}

} // namespace ds::rt
