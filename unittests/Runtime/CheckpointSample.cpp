// Writes a small checkpoint with known values to argv[1], for check_checkpoint.py to read back
// with numpy: proof that the files are safetensors and JSON any tool can read.
#include "ds/Runtime/Train/Checkpoint.h"

#include <cstdint>
#include <cstdio>

using namespace ds::rt;

int main(int argc, char **argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  // Keep these values in step with check_checkpoint.py.
  float weight[6], expAvg[6], scalar = 3.25f;
  for (int i = 0; i < 6; ++i) {
    weight[i] = i * 0.5f - 1.0f;
    expAvg[i] = i * 0.25f;
  }
  BFloat16 wte[4] = {toBFloat16(1.0f), toBFloat16(-2.5f), toBFloat16(0.15625f),
                     toBFloat16(0x1p127f)};
  Half half[2] = {toHalf(1.5f), toHalf(-65504.0f)};
  int64_t counts[3] = {-1, int64_t{1} << 40, INT64_MAX}, step = 3;
  int32_t ids[2] = {-7, 123456};
  uint8_t mask[3] = {0, 1, 255};

  CheckpointContents contents;
  contents.weights = {{"blocks.0.attn.c_attn.weight", DType::F32, {2, 3}, weight},
                      {"wte.weight", DType::BF16, {4}, wte},
                      {"counts", DType::I64, {3}, counts},
                      {"half", DType::F16, {2}, half},
                      {"ids", DType::I32, {2}, ids},
                      {"mask", DType::U8, {3}, mask},
                      {"scalar", DType::F32, {}, &scalar}};
  contents.optimizerState = {{"blocks.0.attn.c_attn.weight.exp_avg", DType::F32, {2, 3}, expAvg},
                             {"step", DType::I64, {}, &step}};
  contents.state = {{"step", "3"},
                    {"lr", formatExactDouble(0.1 + 0.2)},
                    {"note", "\xc3\xbcnicode \"quoted\"\n"}};
  Status st = saveCheckpoint(argv[1], 3, contents);
  if (!st) {
    std::fprintf(stderr, "%s\n", st.message().c_str());
    return 1;
  }
  return 0;
}
