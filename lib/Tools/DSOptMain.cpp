//===- DSOptMain.cpp - the ds-opt driver ----------------------------------===//
//
// Everything but plans and ONNX models goes through mlir-opt's own main
// untouched. A `.dsplan` output needs the module after the passes rather than
// its text, so that path rebuilds mlir-opt's steps (parse, requested passes)
// from its pieces and then inserts releases and emits the plan. An ONNX input
// (.onnx, .onnxtxt) is imported (ds/Import) where MLIR would be parsed.
//
//===----------------------------------------------------------------------===//

#include "ds/Tools/DSOptMain.h"
#include "TrainingPipeline.h"

#include "ds/Import/ONNXImporter.h"
#include "ds/Target/CollectiveCheck.h"
#include "ds/Target/MemoryReport.h"
#include "ds/Target/PlanEmitter.h"
#include "ds/Transforms/Passes.h"

#include "mlir/Bytecode/BytecodeWriter.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"

using namespace mlir;

static llvm::cl::opt<int64_t> worldSizeOption(
    "ds-world-size",
    llvm::cl::desc("Number of ranks the program runs on (default 1)"),
    llvm::cl::init(1));

static llvm::cl::opt<bool>
    printPlanOption("ds-print-plan",
                    llvm::cl::desc("Read the input as a plan file (.dsplan) "
                                   "and print it as protobuf text"),
                    llvm::cl::init(false));

static llvm::cl::opt<std::string> configOption(
    "ds-config",
    llvm::cl::desc("DeepSpeed config (ds_config.json): compile the training step it "
                   "describes, for --ds-world-size data-parallel ranks"),
    llvm::cl::value_desc("file"), llvm::cl::init(""));

static llvm::cl::opt<bool> checkCollectivesOption(
    "ds-check-collectives",
    llvm::cl::desc("Read the input as a plan file (.dsplan) and check that the members of "
                   "every group issue the same collectives in the same order and sizes "
                   "(the emitter checks every plan it writes)"),
    llvm::cl::init(false));

static llvm::cl::opt<std::string> memoryReportOption(
    "ds-memory-report",
    llvm::cl::desc("Print each rank's predicted memory (parameters, gradients, optimizer "
                   "state, peak of transient buffers), the ZeRO paper's model-state figures "
                   "and per-step communication; =json for JSON. Needs no -o and no "
                   "parameter values"),
    llvm::cl::value_desc("json"), llvm::cl::ValueOptional, llvm::cl::init(""));

static constexpr llvm::StringLiteral kPlanExtension = ".dsplan";

/// Prints a driver error (no source location) and gives the exit code.
static int reportError(const llvm::Twine &message) {
  llvm::errs() << "ds-opt: error: " << message << "\n";
  return 1;
}

/// `file:line:col` of a diagnostic, or the input file when it points nowhere in
/// it.
static std::string formatDiagnosticLoc(Location loc,
                                       llvm::StringRef inputFilename) {
  auto fileLoc = loc->findInstanceOf<FileLineColLoc>();
  // Line 0 is the implicit module around the file's ops: the whole file.
  if (fileLoc && fileLoc.getLine() != 0)
    return (fileLoc.getFilename().getValue() + ":" +
            llvm::Twine(fileLoc.getLine()) + ":" +
            llvm::Twine(fileLoc.getColumn()))
        .str();
  return inputFilename.str();
}

static llvm::StringRef getSeverityName(DiagnosticSeverity severity) {
  switch (severity) {
  case DiagnosticSeverity::Error:
    return "error";
  case DiagnosticSeverity::Warning:
    return "warning";
  case DiagnosticSeverity::Note:
    return "note";
  case DiagnosticSeverity::Remark:
    return "remark";
  }
  llvm_unreachable("unknown diagnostic severity");
}

/// One line per diagnostic (and per note): `file:line:col: error: message`,
/// without the quoted source line that mlir-opt adds, so an error reads the
/// same in a terminal and in a log.
static void printDiagnostic(Diagnostic &diag, llvm::StringRef inputFilename) {
  llvm::errs() << formatDiagnosticLoc(diag.getLocation(), inputFilename) << ": "
               << getSeverityName(diag.getSeverity()) << ": " << diag.str()
               << "\n";
  for (Diagnostic &note : diag.getNotes())
    printDiagnostic(note, inputFilename);
}

/// The module to compile: parsed from MLIR (the file stays in `sourceMgr` as
/// long as the module lives), or imported from an ONNX model and cleaned up
/// (ds/Import/ONNXImporter.h). Null once the error is printed.
static OwningOpRef<ModuleOp> loadInputModule(llvm::StringRef inputFilename,
                                             MLIRContext &context,
                                             llvm::SourceMgr &sourceMgr,
                                             int64_t batchSize = 0) {
  if (::ds::isONNXModelPath(inputFilename)) {
    llvm::Expected<OwningOpRef<ModuleOp>> module =
        ::ds::importONNXModelFromCommandLine(inputFilename, context, batchSize);
    if (!module) {
      reportError(llvm::toString(module.takeError()));
      return nullptr;
    }
    return std::move(*module);
  }
  std::string errorMessage;
  std::unique_ptr<llvm::MemoryBuffer> input =
      openInputFile(inputFilename, &errorMessage);
  if (!input) {
    reportError(errorMessage);
    return nullptr;
  }
  sourceMgr.AddNewSourceBuffer(std::move(input), llvm::SMLoc());
  return parseSourceFile<ModuleOp>(sourceMgr, ParserConfig(&context));
}

/// Runs the passes named on the command line, then whatever `addFinalPasses` adds, over
/// `module`; shared by every path that does not go through MlirOptMain.
static LogicalResult
runRequestedPasses(ModuleOp module, const MlirOptMainConfig &config,
                   llvm::function_ref<void(PassManager &)> addFinalPasses = nullptr) {
  PassManager passManager(module.getContext(), ModuleOp::getOperationName(),
                          OpPassManager::Nesting::Implicit);
  passManager.enableVerifier(config.shouldVerifyPasses());
  if (failed(applyPassManagerCLOptions(passManager)) ||
      failed(config.setupPassPipeline(passManager)))
    return failure();
  if (addFinalPasses)
    addFinalPasses(passManager);
  return passManager.run(module);
}

/// The module to compile and, with --ds-config, its training setup, after the training passes
/// have made the step functions. Null once the error is printed.
static OwningOpRef<ModuleOp>
loadModuleForCompile(llvm::StringRef inputFilename, MLIRContext &context,
                     llvm::SourceMgr &sourceMgr,
                     std::optional<::ds::TrainingSetup> &training) {
  if (configOption.empty())
    return loadInputModule(inputFilename, context, sourceMgr);
  llvm::Expected<::ds::TrainingSetup> setup =
      ::ds::loadTrainingSetup(configOption, worldSizeOption);
  if (!setup) {
    llvm::errs() << llvm::toString(setup.takeError()) << "\n";
    return nullptr;
  }
  training = std::move(*setup);
  OwningOpRef<ModuleOp> module = loadInputModule(
      inputFilename, context, sourceMgr, training->training.micro_batch_size());
  if (!module || failed(::ds::checkMicroBatch(*module, *training)))
    return nullptr;
  PassManager passManager(&context, ModuleOp::getOperationName());
  ::ds::addTrainingPasses(passManager, *training);
  if (failed(passManager.run(*module)))
    return nullptr;
  return module;
}

/// `ds-opt MODEL.onnx|MODEL.mlir [--ds-config=...] [passes] [-o OUT]`: import (or
/// parse), build the training step when configured, run the requested passes and
/// print the module, as mlir-opt would print it had it been given as text.
static int printImportedModel(llvm::StringRef inputFilename,
                              llvm::StringRef outputFilename,
                              DialectRegistry &registry) {
  MlirOptMainConfig config = MlirOptMainConfig::createFromCLOptions();
  if (!config.inputSplitMarker().empty() || config.shouldVerifyDiagnostics())
    return reportError("--split-input-file and --verify-diagnostics cannot be "
                       "used with an ONNX model or --ds-config");
  MLIRContext context(registry);
  context.printOpOnDiagnostic(false);
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
    printDiagnostic(diag, inputFilename);
    return success();
  });
  llvm::SourceMgr sourceMgr;
  std::optional<::ds::TrainingSetup> training;
  OwningOpRef<ModuleOp> module =
      loadModuleForCompile(inputFilename, context, sourceMgr, training);
  if (!module)
    return 1;
  if (failed(runRequestedPasses(*module, config)))
    return 1;
  std::string errorMessage;
  std::unique_ptr<llvm::ToolOutputFile> output =
      openOutputFile(outputFilename, &errorMessage);
  if (!output)
    return reportError(errorMessage);
  if (config.shouldEmitBytecode()) {
    if (failed(writeBytecodeToFile(*module, output->os())))
      return reportError("cannot write bytecode to '" + outputFilename + "'");
  } else {
    module->print(output->os());
  }
  output->keep();
  return 0;
}

/// `--ds-memory-report[=json]` of the compiled `module` (after releases), on stdout.
static LogicalResult
printMemoryReport(ModuleOp module, llvm::StringRef inputFilename,
                  const std::optional<::ds::TrainingSetup> &training) {
  llvm::StringRef format = memoryReportOption.getValue();
  if (!format.empty() && format != "json" && format != "text") {
    reportError("--ds-memory-report=" + format + ": expected json or text");
    return failure();
  }
  ::ds::MemoryReportContext context;
  context.model = inputFilename.str();
  if (training) {
    context.precision = training->training.precision();
    context.optimizer = training->training.optimizer();
    context.zeroStage = training->config.zero.stage;
    context.gradientAccumulationSteps = training->training.gradient_accumulation_steps();
  }
  FailureOr<::ds::MemoryPlan> plan = ::ds::computeMemoryPlan(
      module, worldSizeOption, context.gradientAccumulationSteps);
  if (failed(plan))
    return failure();
  if (format == "json")
    llvm::outs() << llvm::formatv("{0:2}", ::ds::getMemoryReportJSON(*plan, context)) << "\n";
  else
    ::ds::printMemoryReport(*plan, context, llvm::outs());
  llvm::outs().flush();
  return success();
}

/// `ds-opt IN [passes] -o OUT.dsplan`: parse, run the requested passes, insert
/// releases, emit; with --ds-memory-report, report first (and emit only when the output is a
/// plan).
static int compileToPlan(llvm::StringRef inputFilename,
                         llvm::StringRef outputFilename,
                         DialectRegistry &registry) {
  MlirOptMainConfig config = MlirOptMainConfig::createFromCLOptions();
  if (!config.inputSplitMarker().empty() || config.shouldVerifyDiagnostics())
    return reportError(
        "--split-input-file and --verify-diagnostics cannot be used "
        "with a " +
        kPlanExtension + " output");

  MLIRContext context(registry);
  context.allowUnregisteredDialects(config.shouldAllowUnregisteredDialects());
  // Errors name their op and location; printing the whole op would bury them.
  context.printOpOnDiagnostic(false);
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
    printDiagnostic(diag, inputFilename);
    return success();
  });

  llvm::SourceMgr sourceMgr;
  std::optional<::ds::TrainingSetup> training;
  OwningOpRef<ModuleOp> module =
      loadModuleForCompile(inputFilename, context, sourceMgr, training);
  if (!module)
    return 1;

  // The runtime reuses storage only where the plan frees it.
  if (failed(runRequestedPasses(*module, config, [](PassManager &passManager) {
        passManager.addNestedPass<func::FuncOp>(mlir::ds::createInsertReleases());
      })))
    return 1;

  if (memoryReportOption.getNumOccurrences() &&
      failed(printMemoryReport(*module, inputFilename, training)))
    return 1;
  if (!llvm::StringRef(outputFilename).ends_with(kPlanExtension))
    return 0; // a report alone: nothing to emit, so parameters need no values

  FailureOr<::ds::plan::Plan> plan = ::ds::buildPlan(*module, worldSizeOption);
  if (failed(plan))
    return 1;
  if (training)
    *plan->mutable_training() = training->training;
  if (llvm::Error error = ::ds::writePlanFile(*plan, outputFilename))
    return reportError(llvm::toString(std::move(error)));
  return 0;
}

/// `ds-opt --ds-check-collectives IN.dsplan`.
static int checkPlanCollectives(llvm::StringRef inputFilename) {
  llvm::Expected<::ds::plan::Plan> plan = ::ds::readPlanFile(inputFilename);
  if (!plan)
    return reportError(llvm::toString(plan.takeError()));
  if (llvm::Error error = ::ds::checkCollectiveOrder(*plan))
    return reportError(inputFilename + ": " + llvm::toString(std::move(error)));
  llvm::outs() << inputFilename << ": the collectives of all " << plan->programs_size()
               << " ranks match\n";
  return 0;
}

/// `ds-opt --ds-print-plan IN.dsplan [-o OUT]`.
static int printPlan(llvm::StringRef inputFilename,
                     llvm::StringRef outputFilename) {
  if (outputFilename.ends_with(kPlanExtension))
    return reportError("--ds-print-plan writes text, not a plan: '" +
                       outputFilename + "' would hold text under a " +
                       kPlanExtension + " name");
  llvm::Expected<::ds::plan::Plan> plan = ::ds::readPlanFile(inputFilename);
  if (!plan)
    return reportError(llvm::toString(plan.takeError()));
  std::string errorMessage;
  std::unique_ptr<llvm::ToolOutputFile> output =
      openOutputFile(outputFilename, &errorMessage);
  if (!output)
    return reportError(errorMessage);
  output->os() << ::ds::formatPlanAsText(*plan);
  output->keep();
  return 0;
}

namespace ds {
int dsOptMain(int argc, char **argv, DialectRegistry &registry) {
  auto [inputFilename, outputFilename] =
      registerAndParseCLIOptions(argc, argv, "ds compiler driver\n", registry);
  if (worldSizeOption < 1)
    return reportError(
        "--ds-world-size=" + llvm::Twine(worldSizeOption.getValue()) +
        ": the world size must be at least 1");
  bool emitsPlan = llvm::StringRef(outputFilename).ends_with(kPlanExtension);
  bool importsONNX = ::ds::isONNXModelPath(inputFilename);
  if (!printPlanOption && !checkCollectivesOption && !emitsPlan && !importsONNX &&
      configOption.empty() &&
      !memoryReportOption.getNumOccurrences())
    return asMainReturnCode(
        MlirOptMain(argc, argv, inputFilename, outputFilename, registry));

  llvm::InitLLVM initLLVM(argc, argv);
  if (printPlanOption)
    return printPlan(inputFilename, outputFilename);
  if (checkCollectivesOption)
    return checkPlanCollectives(inputFilename);
  if (!emitsPlan && !memoryReportOption.getNumOccurrences())
    return printImportedModel(inputFilename, outputFilename, registry);
  return compileToPlan(inputFilename, outputFilename, registry);
}
} // namespace ds
