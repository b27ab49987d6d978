// ds-run: launch or join the ranks, feed each step's inputs, run the plan, report every step.
#include "ds/Runtime/Run/RunDriver.h"
#include "DataFeed.h"
#include "Launcher.h"
#include "OnnxTest.h"
#include "StepReport.h"
#include "TokenInputs.h"
#include "TrainingLoop.h"

#include "ds/Runtime/Exec/Executor.h"
#include "ds/Runtime/Exec/Npy.h"
#include "ds/Runtime/Exec/PlanReader.h"
#include "ds/Runtime/MPICommunicator.h"
#include "ds/Runtime/SelfCommunicator.h"
#ifdef DS_HAVE_NCCL
#include "ds/Runtime/NCCLCommunicator.h"
#endif

#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <sys/stat.h>
#include <unistd.h>

namespace ds::rt {

namespace {

// Where this rank is, for the signal handler: mpirun stops the surviving ranks with SIGTERM when
// one dies, and each then says which instruction it was at.
volatile std::sig_atomic_t gCurrentInstruction = -1;
int gRank = 0;
// "instruction 7 (all_reduce at model.mlir:12:5)" for each instruction of this rank, made before
// the run so the handler only reads memory.
std::vector<std::string> gDescriptions;

void onStopSignal(int signal) {
  char message[512];
  int index = static_cast<int>(gCurrentInstruction);
  const char *where = index >= 0 && index < static_cast<int>(gDescriptions.size())
                          ? gDescriptions[index].c_str()
                          : "start-up";
  int n = std::snprintf(message, sizeof message, "ds-run: rank %d stopped by signal %d at %s\n",
                        gRank, signal, where);
  if (n > 0)
    (void)!::write(STDERR_FILENO, message, std::min(static_cast<size_t>(n), sizeof message - 1));
  ::_exit(128 + signal);
}

std::string expandRank(std::string path, int rank) {
  for (size_t at; (at = path.find("{rank}")) != std::string::npos;)
    path.replace(at, 6, std::to_string(rank));
  return path;
}

// Fills the inputs given by --input once (any input, token inputs too: a user may feed exact
// windows); every other input must be a token input fed from --data each step.
Status loadFileInputs(Executor &executor, const RunOptions &options) {
  const plan::Plan &plan = executor.plan();
  for (const auto &[name, pathPattern] : options.inputs) {
    bool known = false;
    for (const plan::Input &in : plan.inputs())
      known |= in.name() == name;
    if (!known)
      return Status::error("--input " + name + ": the plan has no input named '" + name + "'");
  }
  for (const plan::Input &in : plan.inputs()) {
    std::optional<std::string> pattern;
    for (const auto &[name, path] : options.inputs)
      if (name == in.name())
        pattern = path;
    if (!pattern) {
      if (in.source() == plan::Input::FILE)
        return Status::error("input '" + in.name() + "' has no value: pass --input " + in.name() +
                             "=FILE.npy");
      continue;
    }
    std::string path = expandRank(*pattern, executor.rank());
    DS_ASSIGN_OR_RETURN(array, readNpy(path));
    DS_RETURN_IF_ERROR(
        executor.setInput(in.name(), array.dtype, array.shape, array.data.data()).withContext(path));
  }
  return Status::ok();
}

// The scalar the run reports as its loss: the output named "loss", else the only f32 scalar.
std::optional<std::string> lossOutput(const plan::Plan &plan) {
  std::optional<std::string> scalar;
  int scalars = 0;
  for (const plan::Output &out : plan.outputs()) {
    const plan::Buffer &b = plan.buffers(out.buffer());
    if (b.shape_size() != 0 || b.dtype() != plan::F32)
      continue;
    if (out.name() == "loss")
      return out.name();
    scalar = out.name();
    ++scalars;
  }
  return scalars == 1 ? scalar : std::nullopt;
}

Status writeOutputs(const Executor &executor, const std::string &dir) {
  ::mkdir(dir.c_str(), 0755);
  for (const plan::Output &out : executor.plan().outputs()) {
    DS_ASSIGN_OR_RETURN(view, executor.output(out.name()));
    std::string path = dir + "/" + out.name() + ".rank" + std::to_string(executor.rank()) + ".npy";
    DS_RETURN_IF_ERROR(writeNpy(path, view.dtype, view.shape, view.data));
  }
  return Status::ok();
}

// The size of the data-parallel axis and this rank's coordinate on it (the whole world when the
// mesh has no "dp" axis).
void dataParallelPosition(const plan::Plan &plan, int rank, int64_t &dpSize, int64_t &dpRank) {
  dpSize = 1;
  dpRank = 0;
  MeshShape mesh;
  int dpAxis = -1;
  for (int i = 0; i < plan.mesh().axis_names_size(); ++i) {
    mesh.push_back({plan.mesh().axis_names(i), plan.mesh().axis_sizes(i)});
    if (plan.mesh().axis_names(i) == "dp")
      dpAxis = i;
  }
  auto coords = meshCoordinates(mesh, rank);
  if (dpAxis < 0 || !coords) {
    dpSize = planWorldSize(plan);
    dpRank = rank;
    return;
  }
  dpSize = mesh[dpAxis].size;
  dpRank = (*coords)[dpAxis];
}

// This rank's place among the ranks of its node, as launchers name it: mpirun's
// OMPI_COMM_WORLD_LOCAL_RANK, or LOCAL_RANK (torchrun, the deepspeed launcher); 0 alone.
int localRank() {
  for (const char *name : {"OMPI_COMM_WORLD_LOCAL_RANK", "LOCAL_RANK", "MPI_LOCALRANKID"})
    if (const char *value = std::getenv(name))
      return std::atoi(value);
  return 0;
}

// --backend, or the default: the GPU when this ds-run has the CUDA backend and sees one, unless
// the run needs what only the CPU backend has (checkpoints), so that a command that works on a
// machine without a GPU keeps working on one with a GPU.
StatusOr<std::string> chosenBackend(const RunOptions &options) {
  if (!options.backend.empty())
    return options.backend;
  // The environment's default, for harnesses whose expected numbers come from one backend (the
  // lit suite pins cpu: its golden curves are the CPU's).
  if (const char *env = std::getenv("DS_RUN_BACKEND"); env && *env) {
    std::string backend = env;
    if (backend != "cpu" && backend != "cuda")
      return Status::error("DS_RUN_BACKEND must be cpu or cuda, got '" + backend + "'");
    return backend;
  }
  if (!options.saveDir.empty() || !options.loadDir.empty())
    return std::string("cpu");
  return std::string(cudaBackendBuilt() && cudaDeviceCount() > 0 ? "cuda" : "cpu");
}

// The device of a rank and the communicator its executor uses between devices: the host world
// itself for the CPU; for a GPU, an NCCL communicator bootstrapped over the host world.
struct RankDevice {
  std::shared_ptr<Device> device;
  std::unique_ptr<Communicator> deviceWorld; // null: the host world moves the data
};

StatusOr<RankDevice> openDevice(const RunOptions &options, Communicator &hostWorld) {
  RankDevice rank;
  DS_ASSIGN_OR_RETURN(backend, chosenBackend(options));
  if (backend != "cuda")
    return rank;
  if (!options.saveDir.empty() || !options.loadDir.empty())
    return Status::error("checkpoints (--save, --load) are not supported by the cuda backend yet; "
                         "use --backend cpu");
  DS_ASSIGN_OR_RETURN(device, createCudaDevice(localRank()));
  rank.device = std::move(device);
#ifdef DS_HAVE_NCCL
  NcclOptions nccl;
  nccl.computeStream = rank.device->stream();
  DS_ASSIGN_OR_RETURN(world, createNcclCommunicator(hostWorld, nccl));
  rank.deviceWorld = std::move(world);
  return rank;
#else
  (void)hostWorld;
  return Status::error("this ds-run was built without NCCL, which the cuda backend uses between "
                       "ranks (and for a world of one); use --backend cpu");
#endif
}

// --check-kernels: how many instructions were compared, how many disagreed, and the worst.
void reportKernelChecks(const Executor &executor) {
  const std::vector<KernelCheckEntry> &checks = executor.kernelChecks();
  if (checks.empty())
    return;
  const KernelCheckEntry *worst = &checks.front();
  int64_t over = 0;
  for (const KernelCheckEntry &check : checks) {
    over += check.error > check.tolerance ? 1 : 0;
    if (check.error / check.tolerance > worst->error / worst->tolerance)
      worst = &check;
  }
  std::fprintf(stderr,
               "ds-run: rank %d: kernel check: %zu instructions compared, %lld over tolerance; "
               "worst %s: error %.3g (tolerance %.0e)\n",
               executor.rank(), checks.size(), static_cast<long long>(over),
               executor.describe(worst->index).c_str(), worst->error, worst->tolerance);
}

Status runRank(const RunOptions &options, const plan::Plan &plan, Communicator &world,
               bool useMPI) {
  DS_ASSIGN_OR_RETURN(rankDevice, openDevice(options, world));
  ExecutorOptions execOptions;
  execOptions.device = rankDevice.device;
  execOptions.checkKernels = options.checkKernels;
  execOptions.commTimeoutSeconds = options.commTimeoutSeconds;
  execOptions.recordTrace = !options.tracePath.empty();
  execOptions.faultRank = options.faultRank;
  execOptions.faultInstruction = options.faultInstruction;
  execOptions.faultKind = options.faultKind;
  execOptions.currentInstruction = &gCurrentInstruction;
  Communicator &executorWorld = rankDevice.deviceWorld ? *rankDevice.deviceWorld : world;
  DS_ASSIGN_OR_RETURN(executor, Executor::create(plan, executorWorld, execOptions));
  if (rankDevice.device && world.rank() == 0)
    std::fprintf(stderr, "ds-run: backend cuda on %s\n",
                 rankDevice.device->description().c_str());
  for (int64_t i = 0; i < plan.programs(world.rank()).instructions_size(); ++i)
    gDescriptions.push_back(executor->describe(i));
  DS_RETURN_IF_ERROR(loadFileInputs(*executor, options));
  // Said when the run ends, however it ends.
  struct KernelCheckSummary {
    const Executor &executor;
    ~KernelCheckSummary() { reportKernelChecks(executor); }
  } kernelCheckSummary{*executor};

  std::optional<DataFeed> feed;
  if (!options.dataPath.empty()) {
    DS_ASSIGN_OR_RETURN(opened, DataFeed::open(options.dataPath, options.dataDType));
    feed = std::move(opened);
  }
  int64_t dpSize, dpRank;
  dataParallelPosition(plan, world.rank(), dpSize, dpRank);
  // Tokens one rank consumes per call, and its micro-batch (samples per call).
  int64_t tokensPerRank = 0, microBatch = 1;
  for (const plan::Input &in : plan.inputs())
    if (in.source() == plan::Input::TOKENS) {
      const plan::Buffer &b = plan.buffers(in.buffer());
      tokensPerRank = 1;
      for (int64_t d : b.shape())
        tokensPerRank *= d;
      microBatch = b.shape_size() > 0 ? b.shape(0) : 1;
    }

  StepReporter reporter(options, plan, world.rank(), world.size(), useMPI);
  DS_RETURN_IF_ERROR(reporter.open());
  if (plan.has_training()) {
    TrainingRun run{options, *executor, feed ? &*feed : nullptr, reporter, world, useMPI,
                    dpSize, dpRank, tokensPerRank};
    DS_RETURN_IF_ERROR(runTraining(run));
    if (!options.tracePath.empty())
      DS_RETURN_IF_ERROR(reporter.writeTrace(executor->trace()));
    return Status::ok();
  }
  std::optional<std::string> loss = lossOutput(plan);
  for (int64_t step = 0; step < options.steps; ++step) {
    // DESIGN.md: step s of data-parallel rank r takes samples s*G + r*mb + [0, mb), G = mb*dp.
    DS_RETURN_IF_ERROR(feedTokens(*executor, options, feed ? &*feed : nullptr, "",
                                  step * microBatch * dpSize + dpRank * microBatch));
    auto start = std::chrono::steady_clock::now();
    DS_RETURN_IF_ERROR(executor->runStep(static_cast<uint64_t>(step)));
    // A GPU runs behind the host: the step's time is its kernels', not the time to enqueue them.
    DS_RETURN_IF_ERROR(executor->device().synchronize().withContext("step " + std::to_string(step)));
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::optional<double> lossValue;
    if (loss) {
      DS_ASSIGN_OR_RETURN(view, executor->output(*loss));
      lossValue = *view.as<float>();
    }
    DS_RETURN_IF_ERROR(reporter.report(step, lossValue, seconds, tokensPerRank * dpSize, *executor));
  }
  if (!options.outputDir.empty())
    DS_RETURN_IF_ERROR(writeOutputs(*executor, options.outputDir));
  if (!options.tracePath.empty())
    DS_RETURN_IF_ERROR(reporter.writeTrace(executor->trace()));
  return Status::ok();
}

int rankFromEnvironment() {
  const char *rank = std::getenv("OMPI_COMM_WORLD_RANK");
  return rank ? std::atoi(rank) : 0;
}

} // namespace

int runMain(int argc, char **argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  auto options = parseRunOptions(args);
  if (!options) {
    std::fprintf(stderr, "ds-run: %s\n", options.status().message().c_str());
    return 1;
  }
  if (options->help) {
    std::fputs(runUsage(), stdout);
    return 0;
  }
  if (!options->onnxTestDir.empty())
    return runOnnxTest(options->onnxTestDir, OnnxTestTolerance());
  if (options->np > 1 && !launchedByMPI()) {
    StatusOr<int> exitCode = runUnderMPI(*options, args);
    if (!exitCode) {
      std::fprintf(stderr, "ds-run: %s\n", exitCode.status().message().c_str());
      return 1;
    }
    return *exitCode;
  }
  // Read and check the plan before MPI starts so a bad file fails fast, said once (rank 0).
  gRank = rankFromEnvironment();
  auto plan = readPlan(options->planPath);
  if (!plan) {
    if (gRank == 0)
      std::fprintf(stderr, "ds-run: %s\n", plan.status().message().c_str());
    return 1;
  }
  std::signal(SIGTERM, onStopSignal);
  std::signal(SIGINT, onStopSignal);

  // One rank outside mpirun needs no MPI at all: no start-up cost, no session directory.
  bool useMPI = launchedByMPI() || options->np > 1;
  int rank = 0, size = 1;
  if (useMPI) {
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
  }
  gRank = rank;
  Status status = Status::ok();
  if (options->np > 0 && options->np != size)
    status = Status::error("--np " + std::to_string(options->np) + " but mpirun started " +
                           std::to_string(size) + " ranks");
  if (status.isOk() && planWorldSize(*plan) != size)
    status = Status::error(options->planPath + ": the plan is for " +
                           std::to_string(planWorldSize(*plan)) + " ranks but " + std::to_string(size) +
                           " were launched (compile with --ds-world-size=" + std::to_string(size) +
                           " or launch " + std::to_string(planWorldSize(*plan)) + " ranks)");
  if (status.isOk()) {
    if (useMPI) {
      auto world = createMPIWorldCommunicator();
      status = world ? runRank(*options, *plan, **world, useMPI) : world.status();
    } else {
      std::unique_ptr<Communicator> world = createSelfCommunicator();
      status = runRank(*options, *plan, *world, useMPI);
    }
  }
  if (!status.isOk()) {
    std::fprintf(stderr, "ds-run: rank %d: %s\n", rank, status.message().c_str());
    std::fflush(stderr);
    if (useMPI && size > 1)
      MPI_Abort(MPI_COMM_WORLD, 1); // every rank stops now, none waits on this one
    if (useMPI)
      MPI_Finalize();
    return 1;
  }
  if (useMPI)
    MPI_Finalize();
  return 0;
}

} // namespace ds::rt
