//===- MemoryReport.cpp - ds-opt --ds-memory-report -----------------------===//
//
// Binary units (MiB, GiB) for ds's own figures, as allocators and nvidia-smi count; decimal GB
// for the ZeRO paper's, as the paper counts them (7.5B parameters, 64 ranks: 120 GB at stage 0).
//
//===----------------------------------------------------------------------===//

#include "ds/Target/MemoryReport.h"

#include "llvm/Support/Format.h"

namespace ds {

namespace {

constexpr double kMiB = 1024.0 * 1024.0;
constexpr double kGiB = kMiB * 1024.0;

std::string formatBinary(double bytes) {
  std::string text;
  llvm::raw_string_ostream os(text);
  if (bytes >= kGiB)
    os << llvm::format("%.2f GiB", bytes / kGiB);
  else
    os << llvm::format("%.2f MiB", bytes / kMiB);
  return text;
}

/// One line of a table: label, exact bytes, human size.
void printRow(llvm::raw_ostream &os, llvm::StringRef label, int64_t bytes) {
  os << llvm::format("  %-44s %20lld  %12s\n", label.str().c_str(),
                     static_cast<long long>(bytes), formatBinary(bytes).c_str());
}

/// llvm::format keeps its arguments by value, which arrays cannot be.
const char *kText(const char *text) { return text; }

const char *const kPaperFormulas[4] = {"(2+2+12)Psi", "4Psi+12Psi/N", "2Psi+14Psi/N",
                                       "16Psi/N"};
const char *const kPaperStages[4] = {"stage 0 (baseline DP)", "stage 1 (P_os)",
                                     "stage 2 (P_os+g)", "stage 3 (P_os+g+p)"};

} // namespace

double getZeroPaperModelStateBytes(int stage, int64_t psi, int64_t worldSize) {
  double p = static_cast<double>(psi), n = static_cast<double>(worldSize);
  switch (stage) {
  case 0:
    return (2 + 2 + 12) * p;
  case 1:
    return 4 * p + 12 * p / n;
  case 2:
    return 2 * p + 14 * p / n;
  default:
    return 16 * p / n;
  }
}

void printMemoryReport(const MemoryPlan &plan, const MemoryReportContext &context,
                       llvm::raw_ostream &os) {
  os << "ds memory report";
  if (!context.model.empty())
    os << ": " << context.model;
  os << "\n";
  os << "  ranks " << plan.worldSize;
  if (!context.precision.empty())
    os << ", " << context.precision << ", " << context.optimizer << ", ZeRO stage "
       << context.zeroStage << ", gradient accumulation " << context.gradientAccumulationSteps;
  os << "\n  trainable parameters (Psi): " << plan.trainableElements << "\n\n";

  os << "Predicted memory per rank (every rank runs the same program)\n";
  os << llvm::format("  %-44s %20s  %12s\n", kText("category"), kText("bytes"), kText("size"));
  printRow(os, "parameters (weights)", plan.weightBytes);
  printRow(os, "gradients (accumulators)", plan.gradientBytes);
  printRow(os, "optimizer state (and fp32 masters)", plan.optimizerStateBytes);
  printRow(os, "constants", plan.constantBytes);
  printRow(os, "inputs", plan.inputBytes);
  printRow(os, "outputs kept between calls", plan.retainedBytes());
  const FunctionMemory *peak = plan.peakFunction();
  if (peak)
    printRow(os, "transient arena (sized by @" + peak->name + ")", plan.arenaBytes());
  printRow(os, "predicted peak", plan.predictedPeakBytes());

  // Every function's transients are placed from offset 0 of the same arena; the most bytes live
  // at once bounds each placement from below.
  os << "\nTransient buffers per function, placed in one arena (activations and temporaries)\n";
  os << llvm::format("  %-24s %8s %16s %16s %16s %16s\n", kText("function"), kText("calls"),
                     kText("live peak bytes"), kText("arena bytes"), kText("fragmentation"),
                     kText("kept bytes"));
  for (const FunctionMemory &function : plan.functions)
    os << llvm::format("  %-24s %8lld %16lld %16lld %16lld %16lld\n",
                       ("@" + function.name).c_str(),
                       static_cast<long long>(function.callsPerStep),
                       static_cast<long long>(function.transientPeakBytes),
                       static_cast<long long>(function.arenaBytes),
                       static_cast<long long>(function.arenaBytes - function.transientPeakBytes),
                       static_cast<long long>(function.retainedBytes));
  os << llvm::format("  %-24s %8s %16lld %16lld %16lld\n", kText("arena"), kText(""),
                     static_cast<long long>(plan.transientPeakBytes()),
                     static_cast<long long>(plan.arenaBytes()),
                     static_cast<long long>(plan.arenaBytes() - plan.transientPeakBytes()));

  os << "\nModel states per rank: the ZeRO paper's formulas for DeepSpeed's layout\n"
        "(mixed-precision Adam, K = 12; N = "
     << plan.worldSize << ", 1 GB = 1e9 bytes)\n";
  for (int stage = 0; stage < 4; ++stage) {
    double bytes = getZeroPaperModelStateBytes(stage, plan.trainableElements, plan.worldSize);
    os << llvm::format("  %-24s %-14s %20.0f  %10.2f GB\n", kPaperStages[stage],
                       kPaperFormulas[stage], bytes, bytes / 1e9);
  }
  // ds-build-training keeps DeepSpeed's layout under bf16/fp16 (16-bit weights and gradients,
  // fp32 masters and state); fp32 training keeps everything in fp32.
  bool mixed = context.precision == "bf16" || context.precision == "fp16";
  os << "ds, this plan (stage " << context.zeroStage << "): "
     << (mixed ? "16-bit weights and gradients, fp32 master weights and optimizer state\n"
               : "fp32 weights, gradient accumulators and optimizer state\n");
  double own = static_cast<double>(plan.modelStateBytes());
  os << llvm::format("  %-39s %20lld  %10.2f GB\n", kText("model states"),
                     static_cast<long long>(plan.modelStateBytes()), own / 1e9);
  os << llvm::format("  %-39s %20lld  %10.2f GB\n", kText("predicted peak"),
                     static_cast<long long>(plan.predictedPeakBytes()),
                     plan.predictedPeakBytes() / 1e9);

  os << "\nCommunication per optimizer step and rank (bus bytes, as nccl-tests counts)\n";
  if (plan.collectives.empty())
    os << "  none\n";
  for (const auto &[kind, volume] : plan.collectives)
    os << llvm::format("  %-16s %8lld calls %20lld message bytes %20lld bus bytes\n",
                       kind.c_str(), static_cast<long long>(volume.calls),
                       static_cast<long long>(volume.messageBytes),
                       static_cast<long long>(volume.busBytes));
}

llvm::json::Value getMemoryReportJSON(const MemoryPlan &plan,
                                      const MemoryReportContext &context) {
  llvm::json::Array functions;
  for (const FunctionMemory &function : plan.functions)
    functions.push_back(llvm::json::Object{{"name", function.name},
                                           {"calls_per_step", function.callsPerStep},
                                           {"transient_peak_bytes", function.transientPeakBytes},
                                           {"arena_bytes", function.arenaBytes},
                                           {"retained_bytes", function.retainedBytes}});
  llvm::json::Array paper;
  for (int stage = 0; stage < 4; ++stage)
    paper.push_back(llvm::json::Object{
        {"stage", stage},
        {"formula", kPaperFormulas[stage]},
        {"bytes", getZeroPaperModelStateBytes(stage, plan.trainableElements, plan.worldSize)}});
  llvm::json::Object comm;
  for (const auto &[kind, volume] : plan.collectives)
    comm[kind] = llvm::json::Object{{"calls", volume.calls},
                                    {"message_bytes", volume.messageBytes},
                                    {"bus_bytes", volume.busBytes}};
  const FunctionMemory *peak = plan.peakFunction();
  return llvm::json::Object{
      {"model", context.model},
      {"world_size", plan.worldSize},
      {"precision", context.precision},
      {"optimizer", context.optimizer},
      {"zero_stage", context.zeroStage},
      {"gradient_accumulation_steps", context.gradientAccumulationSteps},
      {"trainable_parameters", plan.trainableElements},
      {"per_rank",
       llvm::json::Object{
           {"weights", plan.weightBytes},
           {"gradients", plan.gradientBytes},
           {"optimizer_state", plan.optimizerStateBytes},
           {"constants", plan.constantBytes},
           {"inputs", plan.inputBytes},
           {"retained_outputs", plan.retainedBytes()},
           {"model_states", plan.modelStateBytes()},
           {"transient_peak", plan.transientPeakBytes()},
           {"arena", plan.arenaBytes()},
           {"arena_function", peak ? peak->name : ""},
           {"arena_fragmentation", plan.arenaBytes() - plan.transientPeakBytes()},
           {"predicted_peak", plan.predictedPeakBytes()}}},
      {"functions", std::move(functions)},
      {"zero_paper_model_states", std::move(paper)},
      {"comm_bytes_per_step", std::move(comm)}};
}

} // namespace ds
