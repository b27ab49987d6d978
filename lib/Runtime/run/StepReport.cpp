// Per-step reports and the merged trace.
#include "StepReport.h"

#include <mpi.h>

#include <cmath>
#include <cstdio>
#include <sstream>

namespace ds::rt {

namespace {
const char *streamName(plan::Stream stream) {
  switch (stream) {
  case plan::COMPUTE: return "compute";
  case plan::COMM: return "comm";
  case plan::COPY: return "copy";
  case plan::IO: return "io";
  default: return "other";
  }
}

std::string jsonNumber(double value) {
  if (!std::isfinite(value))
    return "null"; // JSON has no NaN or infinity
  char text[32];
  std::snprintf(text, sizeof text, "%.9g", value);
  return text;
}
} // namespace

Status StepReporter::open() {
  if (rank_ != 0 || options_.logPath.empty())
    return Status::ok();
  log_.open(options_.logPath, std::ios::trunc);
  if (!log_)
    return Status::error(options_.logPath + ": cannot write the log");
  return Status::ok();
}

Status StepReporter::report(int64_t step, std::optional<double> loss, double seconds,
                            int64_t tokensPerStep, const Executor &executor,
                            const std::optional<TrainingStats> &training) {
  // The loss is the global-batch mean: every rank's micro-batch has the same number of tokens,
  // so it is the mean of the ranks' losses, the same number everywhere.
  double localLoss = loss.value_or(0.0), globalLoss = localLoss;
  double slowest = seconds;
  if (useMPI_) {
    MPI_Allreduce(&localLoss, &globalLoss, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
    globalLoss /= size_;
    MPI_Allreduce(&seconds, &slowest, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  }

  CommCounters now = executor.commCounters();
  // Per rank: peak bytes, then bytes sent this step by collective kind.
  std::vector<double> mine(1 + kNumCollectiveKinds);
  mine[0] = static_cast<double>(executor.allocator().peakBytes());
  for (int k = 0; k < kNumCollectiveKinds; ++k)
    mine[1 + k] = static_cast<double>(now.bytes[k] - previous_.bytes[k]);
  previous_ = now;
  std::vector<double> all(rank_ == 0 ? mine.size() * size_ : 0);
  if (useMPI_)
    MPI_Gather(mine.data(), static_cast<int>(mine.size()), MPI_DOUBLE, all.data(),
               static_cast<int>(mine.size()), MPI_DOUBLE, 0, MPI_COMM_WORLD);
  else
    all = mine;
  if (rank_ != 0)
    return Status::ok();

  auto field = [&](int r, int k) { return all[r * mine.size() + k]; };
  double peakMax = 0;
  for (int r = 0; r < size_; ++r)
    peakMax = std::max(peakMax, field(r, 0));
  double tokensPerSecond = slowest > 0 ? tokensPerStep / slowest : 0;
  std::printf("step %lld/%lld", static_cast<long long>(step + 1),
              static_cast<long long>(options_.steps));
  if (loss)
    std::printf(" | loss %.6f", globalLoss);
  if (training) {
    std::printf(" | lr %.3e", training->learningRate);
    if (std::isfinite(training->gradNorm))
      std::printf(" | grad norm %.4f", training->gradNorm);
    else
      std::printf(" | grad norm not finite");
    if (training->lossScaling)
      std::printf(" | loss scale %g", training->lossScale);
    if (training->skipped)
      std::printf(" | overflow: step skipped");
  }
  if (tokensPerStep > 0)
    std::printf(" | %.0f tokens/s", tokensPerSecond);
  std::printf(" | %.2f ms | peak %.2f MiB\n", slowest * 1e3, peakMax / (1024.0 * 1024.0));
  std::fflush(stdout);

  if (!log_.is_open())
    return Status::ok();
  std::ostringstream line;
  line << "{\"step\": " << step + 1 << ", \"loss\": " << (loss ? jsonNumber(globalLoss) : "null")
       << ", \"lr\": " << (training ? jsonNumber(training->learningRate) : "null")
       << ", \"grad_norm\": " << (training ? jsonNumber(training->gradNorm) : "null");
  if (training && training->lossScaling)
    line << ", \"loss_scale\": " << jsonNumber(training->lossScale)
         << ", \"skipped\": " << (training->skipped ? "true" : "false");
  line << ", \"tokens_per_s\": " << jsonNumber(tokensPerSecond)
       << ", \"step_time_s\": " << jsonNumber(slowest) << ", \"peak_bytes\": [";
  for (int r = 0; r < size_; ++r)
    line << (r ? ", " : "") << static_cast<int64_t>(field(r, 0));
  line << "], \"comm_bytes\": {";
  for (int k = 0; k < kNumCollectiveKinds; ++k) {
    line << (k ? ", " : "") << "\"" << collectiveKindName(static_cast<CollectiveKind>(k)) << "\": [";
    for (int r = 0; r < size_; ++r)
      line << (r ? ", " : "") << static_cast<int64_t>(field(r, 1 + k));
    line << "]";
  }
  line << "}}\n";
  log_ << line.str();
  log_.flush();
  if (!log_)
    return Status::error(options_.logPath + ": write failed");
  return Status::ok();
}

Status StepReporter::writeTrace(const std::vector<TraceEvent> &events) {
  std::ostringstream mine;
  mine << "{\"name\": \"process_name\", \"ph\": \"M\", \"pid\": " << rank_
       << ", \"args\": {\"name\": \"rank " << rank_ << "\"}}";
  for (plan::Stream s : {plan::COMPUTE, plan::COMM})
    mine << ",\n{\"name\": \"thread_name\", \"ph\": \"M\", \"pid\": " << rank_ << ", \"tid\": " << s
         << ", \"args\": {\"name\": \"" << streamName(s) << "\"}}";
  for (const TraceEvent &e : events)
    mine << ",\n{\"name\": \"" << e.name << "\", \"cat\": \"" << streamName(e.stream)
         << "\", \"ph\": \"X\", \"pid\": " << rank_ << ", \"tid\": " << e.stream
         << ", \"ts\": " << jsonNumber(e.startUs) << ", \"dur\": " << jsonNumber(e.durationUs) << "}";
  std::string text = mine.str();
  int length = static_cast<int>(text.size());
  std::vector<int> lengths(rank_ == 0 ? size_ : 0), offsets(rank_ == 0 ? size_ : 0);
  if (useMPI_)
    MPI_Gather(&length, 1, MPI_INT, lengths.data(), 1, MPI_INT, 0, MPI_COMM_WORLD);
  else
    lengths[0] = length;
  std::string all;
  if (rank_ == 0) {
    int total = 0;
    for (int r = 0; r < size_; ++r) {
      offsets[r] = total;
      total += lengths[r];
    }
    all.resize(static_cast<size_t>(total));
  }
  if (useMPI_)
    MPI_Gatherv(text.data(), length, MPI_CHAR, all.data(), lengths.data(), offsets.data(), MPI_CHAR,
                0, MPI_COMM_WORLD);
  else
    all = text;
  if (rank_ != 0)
    return Status::ok();
  std::string tmp = options_.tracePath + ".tmp";
  std::ofstream out(tmp, std::ios::trunc);
  out << "{\"displayTimeUnit\": \"ms\", \"traceEvents\": [\n";
  for (int r = 0; r < size_; ++r)
    out << (r ? ",\n" : "") << all.substr(offsets[r], lengths[r]);
  out << "\n]}\n";
  out.close();
  if (!out || std::rename(tmp.c_str(), options_.tracePath.c_str()) != 0)
    return Status::error(options_.tracePath + ": cannot write the trace");
  return Status::ok();
}

} // namespace ds::rt
