// Checkpoints: exact round trips, every kind of bad file caught with an error naming it, nothing
// half-applied, and a save that dies at any point leaving the previous checkpoint loadable.
#include "ds/Runtime/Train/Checkpoint.h"
#include "ds/Runtime/Train/Safetensors.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sys/resource.h>
#include <unistd.h>

namespace ds::rt {
namespace {

namespace fs = std::filesystem;

// Each test gets a fresh directory (ctest runs this binary's tests in parallel processes),
// removed afterwards unless the test failed.
class Checkpoint : public ::testing::Test {
protected:
  void SetUp() override {
    const auto *info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = std::string(info->test_suite_name()) + "_" + info->name();
    std::replace(name.begin(), name.end(), '/', '_');
    dir = ::testing::TempDir() + "/ds_checkpoint_" + name + "_" + std::to_string(::getpid());
    std::error_code ec;
    fs::remove_all(dir, ec);
    fs::create_directories(dir, ec);
  }
  void TearDown() override {
    std::error_code ec;
    if (!HasFailure())
      fs::remove_all(dir, ec);
  }
  std::string dir;
};

std::string readAll(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void writeAll(const std::string &path, const std::string &bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::vector<std::string> temporariesIn(const std::string &dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto &entry : fs::directory_iterator(dir, ec))
    if (entry.path().filename().string().rfind(".tmp.", 0) == 0)
      names.push_back(entry.path().filename().string());
  return names;
}

// Owns the buffers of a checkpoint's tensors; `fill` chooses random bits (so NaN payloads and
// denormals must survive too) or a sentinel byte for load destinations.
struct Buffers {
  std::vector<std::vector<char>> storage;
  std::vector<CheckpointTensor> tensors;

  void add(std::string name, DType dtype, Shape shape) {
    storage.emplace_back(static_cast<size_t>(numElements(shape) * dtypeSize(dtype)));
    tensors.push_back({std::move(name), dtype, std::move(shape), nullptr});
  }
  void fill(uint32_t seed) {
    std::mt19937 gen(seed);
    for (size_t i = 0; i < storage.size(); ++i) {
      for (char &c : storage[i])
        c = static_cast<char>(gen());
      tensors[i].data = storage[i].data();
    }
  }
  void fillWith(char sentinel) {
    for (size_t i = 0; i < storage.size(); ++i) {
      std::fill(storage[i].begin(), storage[i].end(), sentinel);
      tensors[i].data = storage[i].data();
    }
  }
};

// A small GPT-like checkpoint: f32 master weights, a bf16 copy, i64 counters, a scalar and an
// empty tensor; Adam moments as optimizer state.
void makeModel(Buffers &weights, Buffers &optimizer) {
  weights.add("blocks.0.attn.c_attn.weight", DType::F32, {8, 24});
  weights.add("blocks.0.attn.c_attn.bias", DType::F32, {24});
  weights.add("wte.weight.bf16", DType::BF16, {16, 8});
  weights.add("data.sample_counts", DType::I64, {5});
  weights.add("scalar", DType::F32, {});
  weights.add("empty", DType::F32, {0, 3});
  for (const char *moment : {".exp_avg", ".exp_avg_sq"}) {
    optimizer.add(std::string("blocks.0.attn.c_attn.weight") + moment, DType::F32, {8, 24});
    optimizer.add(std::string("blocks.0.attn.c_attn.bias") + moment, DType::F32, {24});
  }
  optimizer.add("step", DType::I64, {});
}

std::map<std::string, std::string> sampleState(uint64_t step) {
  return {{"step", std::to_string(step)},
          {"lr", formatExactDouble(0.1 + 0.2)},
          {"loss_scale", formatExactDouble(65536.0)},
          {"data_position", "123456789012"},
          {"world_size", "4"},
          {"note", "quote \" backslash \\ newline \n tab \t bell \a utf-8 \xc3\xa9"}};
}

Status saveSample(const std::string &dir, uint64_t step, Buffers &weights, Buffers &optimizer) {
  weights.fill(static_cast<uint32_t>(step));
  optimizer.fill(static_cast<uint32_t>(step) + 1000);
  return saveCheckpoint(dir, step, {weights.tensors, optimizer.tensors, sampleState(step)});
}

void expectSameBytes(const Buffers &a, const Buffers &b) {
  ASSERT_EQ(a.storage.size(), b.storage.size());
  for (size_t i = 0; i < a.storage.size(); ++i)
    EXPECT_TRUE(a.storage[i] == b.storage[i]) << a.tensors[i].name;
}

// Saves step 1 of the sample model into `dir` and returns destinations for a load.
struct SavedSample {
  Buffers weights, optimizer, loadWeights, loadOptimizer;
  std::string stepDir;
};

void saveStepOne(const std::string &dir, SavedSample &s) {
  makeModel(s.weights, s.optimizer);
  makeModel(s.loadWeights, s.loadOptimizer);
  Status st = saveSample(dir, 1, s.weights, s.optimizer);
  ASSERT_TRUE(st) << st.message();
  s.loadWeights.fillWith('\x5a');
  s.loadOptimizer.fillWith('\x5a');
  s.stepDir = dir + "/step_00000001";
}

// The load must fail with a message containing every piece of `expected`, and leave the
// destinations as they were.
void expectLoadFails(const std::string &dir, SavedSample &s,
                     const std::vector<std::string> &expected) {
  auto loaded = loadCheckpoint(dir, s.loadWeights.tensors, s.loadOptimizer.tensors);
  ASSERT_FALSE(loaded);
  for (const std::string &piece : expected)
    EXPECT_NE(loaded.status().message().find(piece), std::string::npos)
        << "'" << piece << "' not in: " << loaded.status().message();
  for (const auto *buffers : {&s.loadWeights, &s.loadOptimizer})
    for (const auto &bytes : buffers->storage)
      for (char c : bytes)
        ASSERT_EQ(c, '\x5a') << "a destination was written by a failed load";
}

TEST_F(Checkpoint, RoundTripIsExact) {
  SavedSample s;
  saveStepOne(dir, s);
  auto loaded = loadCheckpoint(dir + "/", s.loadWeights.tensors, s.loadOptimizer.tensors);
  ASSERT_TRUE(loaded) << loaded.status().message();
  expectSameBytes(s.weights, s.loadWeights);
  expectSameBytes(s.optimizer, s.loadOptimizer);
  EXPECT_EQ(loaded->step, 1u);
  EXPECT_EQ(loaded->directory, s.stepDir);
  EXPECT_EQ(loaded->state, sampleState(1));
  EXPECT_EQ(readAll(dir + "/latest"), "step_00000001\n");
  EXPECT_TRUE(temporariesIn(dir).empty());

  // Loading the step directory itself gives the same.
  auto direct = loadCheckpoint(s.stepDir, s.loadWeights.tensors, s.loadOptimizer.tensors);
  ASSERT_TRUE(direct) << direct.status().message();
  EXPECT_EQ(direct->state, loaded->state);
}

TEST_F(Checkpoint, DoublesRoundTripExactly) {
  for (double v : {0.1 + 0.2, -0.0, 1e-310, 6.02214076e23, 2.0 / 3.0, 1.0 / 0.0, -1e308}) {
    double back = std::strtod(formatExactDouble(v).c_str(), nullptr);
    EXPECT_EQ(std::memcmp(&v, &back, sizeof v), 0) << formatExactDouble(v);
  }
  EXPECT_TRUE(std::isnan(std::strtod(formatExactDouble(std::nan("")).c_str(), nullptr)));
}

TEST_F(Checkpoint, LatestFollowsSavesAndExistingStepsAreNeverOverwritten) {
  SavedSample s;
  saveStepOne(dir, s);
  Buffers w2, o2;
  makeModel(w2, o2);
  ASSERT_TRUE(saveSample(dir, 20, w2, o2));
  EXPECT_EQ(readAll(dir + "/latest"), "step_00000020\n");
  auto loaded = loadCheckpoint(dir, s.loadWeights.tensors, s.loadOptimizer.tensors);
  ASSERT_TRUE(loaded) << loaded.status().message();
  EXPECT_EQ(loaded->step, 20u);
  expectSameBytes(w2, s.loadWeights);

  // Saving step 1 again must not touch step_00000001 or `latest`.
  std::string before = readAll(s.stepDir + "/model.safetensors");
  Status again = saveSample(dir, 1, w2, o2);
  ASSERT_FALSE(again);
  EXPECT_NE(again.message().find("step_00000001 already exists"), std::string::npos)
      << again.message();
  EXPECT_EQ(readAll(s.stepDir + "/model.safetensors"), before);
  EXPECT_EQ(readAll(dir + "/latest"), "step_00000020\n");
  EXPECT_TRUE(temporariesIn(dir).empty());
}

TEST_F(Checkpoint, FilesAreRealSafetensors) {
  SavedSample s;
  saveStepOne(dir, s);
  std::string bytes = readAll(s.stepDir + "/model.safetensors");
  auto header = parseSafetensors(bytes);
  ASSERT_TRUE(header) << header.status().message();
  EXPECT_EQ(header->dataStart % 8, 0u);
  EXPECT_EQ(header->metadata.at("format"), "pt");
  EXPECT_EQ(header->entries.size(), s.weights.tensors.size());
  // The reference writer's order: 8-byte types, then 4-byte, then 2-byte; by name within each.
  std::vector<std::string> order;
  for (const auto &e : header->entries)
    order.push_back(e.name);
  std::vector<std::string> expected = {"data.sample_counts", "blocks.0.attn.c_attn.bias",
                                       "blocks.0.attn.c_attn.weight", "empty", "scalar",
                                       "wte.weight.bf16"};
  EXPECT_EQ(order, expected);
  for (const auto &e : header->entries)
    EXPECT_EQ((header->dataStart + e.begin) % safetensorsElementSize(e.dtype), 0u) << e.name;
}

TEST_F(Checkpoint, CorruptDataByteIsCaughtByTheChecksum) {
  SavedSample s;
  saveStepOne(dir, s);
  // The model file is fine; the optimizer file is bad: no weight may be written either.
  std::string path = s.stepDir + "/optimizer.safetensors";
  std::string bytes = readAll(path);
  bytes[bytes.size() - 100] ^= 0x01;
  writeAll(path, bytes);
  expectLoadFails(dir, s, {"optimizer.safetensors", "checksum mismatch"});
}

TEST_F(Checkpoint, CorruptStateValueIsCaught) {
  SavedSample s;
  saveStepOne(dir, s);
  std::string path = s.stepDir + "/trainer_state.json";
  std::string text = readAll(path);
  size_t at = text.find("123456789012");
  ASSERT_NE(at, std::string::npos);
  text[at] = '9'; // still valid JSON, wrong data position
  writeAll(path, text);
  expectLoadFails(dir, s, {"trainer_state.json", "checksum mismatch"});
}

TEST_F(Checkpoint, TruncatedFileIsCaught) {
  SavedSample s;
  saveStepOne(dir, s);
  std::string path = s.stepDir + "/model.safetensors";
  std::string bytes = readAll(path);
  writeAll(path, bytes.substr(0, bytes.size() / 2));
  expectLoadFails(dir, s, {"model.safetensors", "truncated"});
}

TEST_F(Checkpoint, MissingFileIsCaught) {
  SavedSample s;
  saveStepOne(dir, s);
  fs::remove(s.stepDir + "/optimizer.safetensors");
  expectLoadFails(dir, s, {"optimizer.safetensors", "cannot open"});
}

TEST_F(Checkpoint, MismatchedRequestsNameTheTensor) {
  SavedSample s;
  saveStepOne(dir, s);
  s.loadWeights.tensors[0].shape = {24, 8}; // same size, wrong shape
  expectLoadFails(dir, s,
                  {"model.safetensors", "\"blocks.0.attn.c_attn.weight\"", "[8,24]", "[24,8]"});
  s.loadWeights.tensors[0].shape = {8, 24};

  s.loadWeights.tensors[2].dtype = DType::F16; // bf16 in the file
  expectLoadFails(dir, s, {"\"wte.weight.bf16\" is BF16, but F16 was requested"});
  s.loadWeights.tensors[2].dtype = DType::BF16;

  s.loadOptimizer.tensors[1].name = "blocks.0.attn.c_attn.bias.momentum";
  expectLoadFails(dir, s,
                  {"optimizer.safetensors", "no tensor \"blocks.0.attn.c_attn.bias.momentum\""});
}

TEST_F(Checkpoint, NoCheckpointIsAClearError) {
  auto loaded = loadCheckpoint(dir, {}, {});
  ASSERT_FALSE(loaded);
  EXPECT_NE(loaded.status().message().find("no checkpoint here"), std::string::npos)
      << loaded.status().message();
  loaded = loadCheckpoint(dir + "/nope", {}, {});
  ASSERT_FALSE(loaded);
  EXPECT_NE(loaded.status().message().find("no such checkpoint directory"), std::string::npos);
}

TEST_F(Checkpoint, InvalidTensorsAreRefusedBeforeWriting) {
  Buffers w, o;
  makeModel(w, o);
  w.fill(1);
  o.fill(2);
  std::vector<CheckpointTensor> twice = w.tensors;
  twice.push_back(w.tensors[0]);
  twice.back().dtype = DType::I32;
  Status st = saveCheckpoint(dir, 3, {twice, o.tensors, {}});
  ASSERT_FALSE(st);
  EXPECT_NE(st.message().find("\"blocks.0.attn.c_attn.weight\" is listed twice"),
            std::string::npos)
      << st.message();
  EXPECT_FALSE(fs::exists(dir + "/step_00000003"));
  EXPECT_FALSE(fs::exists(dir + "/latest"));
  EXPECT_TRUE(temporariesIn(dir).empty());
}

// --- A save that dies part way -------------------------------------------------------------

constexpr int kCrashExit = 42;
const char *crashStage = nullptr;
void crashAt(const char *stage) {
  if (std::strcmp(stage, crashStage) == 0)
    _exit(kCrashExit);
}

// After the crash, `latest` and the loaded checkpoint are still step 1, and the next save
// succeeds and clears whatever the crash left behind.
void expectStepOneSurvives(const std::string &dir, SavedSample &s) {
  EXPECT_EQ(readAll(dir + "/latest"), "step_00000001\n");
  auto loaded = loadCheckpoint(dir, s.loadWeights.tensors, s.loadOptimizer.tensors);
  ASSERT_TRUE(loaded) << loaded.status().message();
  EXPECT_EQ(loaded->step, 1u);
  expectSameBytes(s.weights, s.loadWeights);
  expectSameBytes(s.optimizer, s.loadOptimizer);

  Buffers w3, o3;
  makeModel(w3, o3);
  Status st = saveSample(dir, 3, w3, o3);
  ASSERT_TRUE(st) << st.message();
  EXPECT_TRUE(temporariesIn(dir).empty());
  loaded = loadCheckpoint(dir, s.loadWeights.tensors, s.loadOptimizer.tensors);
  ASSERT_TRUE(loaded) << loaded.status().message();
  EXPECT_EQ(loaded->step, 3u);
}

// Runs in a death-test child: the hook ends the process at `crashStage`.
void saveStepTwoCrashingAtStage(const std::string &dir) {
  setCheckpointSaveHookForTesting(crashAt);
  Buffers w2, o2;
  makeModel(w2, o2);
  (void)saveSample(dir, 2, w2, o2);
}

class CheckpointCrash : public Checkpoint, public ::testing::WithParamInterface<const char *> {};

TEST_P(CheckpointCrash, PreviousCheckpointStaysLoadable) {
  SavedSample s;
  saveStepOne(dir, s);
  crashStage = GetParam();
  EXPECT_EXIT(saveStepTwoCrashingAtStage(dir), ::testing::ExitedWithCode(kCrashExit), "");
  if (std::string(GetParam()) == "renamed")
    EXPECT_TRUE(fs::exists(dir + "/step_00000002")); // complete, but `latest` never named it
  else
    EXPECT_EQ(temporariesIn(dir).size(), 1u); // the crash left its temporary behind
  expectStepOneSurvives(dir, s);
}

INSTANTIATE_TEST_SUITE_P(Stages, CheckpointCrash,
                         ::testing::Values("model.safetensors", "optimizer.safetensors",
                                           "trainer_state.json", "renamed"));

// A larger model so that a file-size limit cuts a file in the middle of its data.
void makeLargeModel(Buffers &weights, Buffers &optimizer) {
  makeModel(weights, optimizer);
  weights.add("lm_head.weight", DType::F32, {256, 256});
}

// Runs in a death-test child. Once a file passes 64 KiB (half way through model.safetensors,
// whose lm_head alone is 256 KiB) the kernel kills the process with SIGXFSZ, or, with the signal
// ignored, fails the write with EFBIG as a full disk fails it with ENOSPC. Exits 0 when the save
// reported the error and left nothing behind.
void saveLargeStepTwoUnderFileSizeLimit(const std::string &dir, bool ignoreSignal) {
  struct rlimit noCore = {0, 0}, limit = {64 << 10, 64 << 10};
  setrlimit(RLIMIT_CORE, &noCore);
  if (ignoreSignal)
    std::signal(SIGXFSZ, SIG_IGN);
  setrlimit(RLIMIT_FSIZE, &limit);
  Buffers w2, o2;
  makeLargeModel(w2, o2);
  Status st = saveSample(dir, 2, w2, o2);
  std::fprintf(stderr, "%s\n", st.message().c_str());
  _exit(!st && temporariesIn(dir).empty() && !fs::exists(dir + "/step_00000002") ? 0 : 1);
}

TEST_F(Checkpoint, ProcessKilledInTheMiddleOfAFile) {
  SavedSample s;
  saveStepOne(dir, s);
  EXPECT_EXIT(saveLargeStepTwoUnderFileSizeLimit(dir, false), ::testing::KilledBySignal(SIGXFSZ),
              "");
  ASSERT_EQ(temporariesIn(dir).size(), 1u);
  std::string temp = dir + "/" + temporariesIn(dir)[0];
  EXPECT_EQ(fs::file_size(temp + "/model.safetensors"), 64u << 10);
  expectStepOneSurvives(dir, s);
}

TEST_F(Checkpoint, WriteErrorIsReportedAndCleanedUp) {
  SavedSample s;
  saveStepOne(dir, s);
  // The save must say which file failed and why, and leave nothing behind.
  EXPECT_EXIT(saveLargeStepTwoUnderFileSizeLimit(dir, true), ::testing::ExitedWithCode(0),
              "saving checkpoint step 2: .*model.safetensors: write failed: File too large");
  expectStepOneSurvives(dir, s);
}

} // namespace
} // namespace ds::rt
