// DeepSpeed's batch-size rules. Every expected value and error below was checked against
// DeepSpeed 0.19.8's DeepSpeedConfig with the same keys and data-parallel size.
#include "ConfigTestUtil.h"

using namespace ds::config;
using namespace ds::config::test;

namespace {

BatchSizes resolved(llvm::StringRef json, int64_t dp) {
  ParsedConfig parsed = parseOK(json);
  llvm::Expected<BatchSizes> sizes = resolveBatchSizes(parsed.config, dp);
  if (!sizes) {
    ADD_FAILURE() << llvm::toString(sizes.takeError());
    return {};
  }
  return *sizes;
}

std::string resolveError(llvm::StringRef json, int64_t dp) {
  ParsedConfig parsed = parseOK(json);
  return errorOf(resolveBatchSizes(parsed.config, dp));
}

void expectSizes(const BatchSizes &got, int64_t train, int64_t micro, int64_t accum) {
  EXPECT_EQ(got.trainBatchSize, train);
  EXPECT_EQ(got.microBatchSizePerGPU, micro);
  EXPECT_EQ(got.gradientAccumulationSteps, accum);
}

TEST(BatchSizes, TrainAndMicroImplyAccumulation) {
  expectSizes(resolved(R"({"train_batch_size": 32, "train_micro_batch_size_per_gpu": 4})", 2),
              32, 4, 4);
}

TEST(BatchSizes, TrainAndAccumulationImplyMicro) {
  expectSizes(resolved(R"({"train_batch_size": 32, "gradient_accumulation_steps": 2})", 4), 32,
              4, 2);
}

TEST(BatchSizes, MicroAndAccumulationImplyTrain) {
  expectSizes(
      resolved(R"({"train_micro_batch_size_per_gpu": 4, "gradient_accumulation_steps": 3})", 2),
      24, 4, 3);
}

TEST(BatchSizes, TrainAloneMeansNoAccumulation) {
  expectSizes(resolved(R"({"train_batch_size": 16})", 4), 16, 4, 1);
}

TEST(BatchSizes, MicroAloneMeansNoAccumulation) {
  expectSizes(resolved(R"({"train_micro_batch_size_per_gpu": 5})", 3), 15, 5, 1);
}

TEST(BatchSizes, AllThreeAgree) {
  expectSizes(resolved(R"({"train_batch_size": 32, "train_micro_batch_size_per_gpu": 4,
                           "gradient_accumulation_steps": 4})",
                       2),
              32, 4, 4);
}

TEST(BatchSizes, NullIsAbsent) {
  expectSizes(resolved(R"({"train_batch_size": 8, "gradient_accumulation_steps": null})", 2), 8,
              4, 1);
}

TEST(BatchSizes, AllThreeDisagree) {
  std::string err = resolveError(R"({"train_batch_size": 32, "train_micro_batch_size_per_gpu": 4,
                                     "gradient_accumulation_steps": 2})",
                                 2);
  EXPECT_EQ(err, "ds_config.json: error: batch sizes disagree: train_batch_size 32 != "
                 "train_micro_batch_size_per_gpu 4 * gradient_accumulation_steps 2 * "
                 "data-parallel size 2");
}

// DeepSpeed derives with floor division and only then checks the product.
TEST(BatchSizes, FloorDivisionLeavesARemainder) {
  std::string err =
      resolveError(R"({"train_batch_size": 10, "train_micro_batch_size_per_gpu": 3})", 1);
  EXPECT_NE(err.find("train_batch_size 10 != train_micro_batch_size_per_gpu 3 * "
                     "gradient_accumulation_steps 3 (derived as train_batch_size 10 // "
                     "train_micro_batch_size_per_gpu 3 // data-parallel size 1)"),
            std::string::npos)
      << err;

  err = resolveError(R"({"train_batch_size": 8, "gradient_accumulation_steps": 3})", 2);
  EXPECT_NE(err.find("train_micro_batch_size_per_gpu 1 (derived as train_batch_size 8 // "
                     "data-parallel size 2 // gradient_accumulation_steps 3)"),
            std::string::npos)
      << err;
}

TEST(BatchSizes, DerivedAccumulationOfZero) {
  std::string err =
      resolveError(R"({"train_batch_size": 4, "train_micro_batch_size_per_gpu": 8})", 1);
  EXPECT_NE(err.find("'gradient_accumulation_steps' is 0"), std::string::npos) << err;
  EXPECT_NE(err.find("has to be greater than 0"), std::string::npos) << err;
}

TEST(BatchSizes, DerivedMicroBatchOfZero) {
  std::string err = resolveError(R"({"train_batch_size": 3})", 4);
  EXPECT_NE(err.find("'train_micro_batch_size_per_gpu' is 0 (derived as train_batch_size 3 // "
                     "data-parallel size 4)"),
            std::string::npos)
      << err;
}

TEST(BatchSizes, NeedsTrainOrMicro) {
  EXPECT_NE(resolveError(R"({"gradient_accumulation_steps": 3})", 1)
                .find("either 'train_batch_size' or 'train_micro_batch_size_per_gpu' needs to "
                      "be provided"),
            std::string::npos);
  EXPECT_NE(resolveError("{}", 1).find("needs to be provided"), std::string::npos);
}

TEST(BatchSizes, BadDataParallelSize) {
  EXPECT_NE(resolveError(R"({"train_batch_size": 8})", 0).find("data-parallel size must be at "
                                                               "least 1"),
            std::string::npos);
}

TEST(BatchSizes, GivenValuesMustBePositiveIntegers) {
  EXPECT_EQ(parseError(R"({"train_batch_size": 0})"),
            "ds_config.json: error: 'train_batch_size': expected an integer >= 1, got 0");
  EXPECT_EQ(parseError(R"({"train_micro_batch_size_per_gpu": 2.5})"),
            "ds_config.json: error: 'train_micro_batch_size_per_gpu': expected an integer >= 1, "
            "got 2.5");
  EXPECT_NE(parseError(R"({"gradient_accumulation_steps": "auto"})").find("\"auto\""),
            std::string::npos);
}

TEST(BatchSizes, ProductOverflowIsAnError) {
  EXPECT_NE(resolveError(R"({"train_micro_batch_size_per_gpu": 4611686018427387904})", 4)
                .find("overflows"),
            std::string::npos);
}

} // namespace
