// The lr schedules and the fp16 loss scaler against sequences DeepSpeed itself produced
// (Inputs/*.txt, written by scripts/fixtures/make_schedule_fixtures.py).
#include "ds/Runtime/Train/LRSchedule.h"
#include "ds/Runtime/Train/LossScaler.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#ifndef DS_RUNTIME_TEST_INPUTS
#error "DS_RUNTIME_TEST_INPUTS must name unittests/Runtime/Inputs"
#endif

namespace ds::rt {
namespace {

// "key=value" fields after the kind and name of a fixture header line.
std::map<std::string, std::string> fields(std::istringstream &line) {
  std::map<std::string, std::string> out;
  std::string field;
  while (line >> field) {
    size_t eq = field.find('=');
    out[field.substr(0, eq)] = field.substr(eq + 1);
  }
  return out;
}

std::vector<std::string> fixtureLines(const std::string &file) {
  std::ifstream in(std::string(DS_RUNTIME_TEST_INPUTS) + "/" + file);
  EXPECT_TRUE(in.good()) << "cannot open fixture " << file;
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);)
    if (!line.empty() && line[0] != '#')
      lines.push_back(line);
  return lines;
}

struct ScheduleCase {
  std::string name;
  plan::LRSchedule schedule;
  std::vector<std::pair<int64_t, double>> lrs; // (update, lr)
};

std::vector<ScheduleCase> readScheduleCases() {
  std::vector<ScheduleCase> cases;
  for (const std::string &text : fixtureLines("lr_schedules.txt")) {
    std::istringstream line(text);
    std::string kind;
    line >> kind;
    if (kind == "schedule") {
      ScheduleCase c;
      line >> c.name;
      auto f = fields(line);
      plan::LRSchedule::Type type = plan::LRSchedule::CONSTANT;
      plan::LRSchedule::WarmupType warmupType = plan::LRSchedule::LOG;
      EXPECT_TRUE(plan::LRSchedule::Type_Parse(f["type"], &type)) << f["type"];
      EXPECT_TRUE(plan::LRSchedule::WarmupType_Parse(f["warmup_type"], &warmupType));
      c.schedule.set_type(type);
      c.schedule.set_warmup_type(warmupType);
      c.schedule.set_base_lr(std::stod(f["base_lr"]));
      c.schedule.set_warmup_num_steps(std::stoll(f["warmup_num_steps"]));
      c.schedule.set_total_num_steps(std::stoll(f["total_num_steps"]));
      if (f.count("warmup_min_lr"))
        c.schedule.set_warmup_min_lr(std::stod(f["warmup_min_lr"]));
      if (f.count("warmup_max_lr"))
        c.schedule.set_warmup_max_lr(std::stod(f["warmup_max_lr"]));
      if (f.count("warmup_min_ratio"))
        c.schedule.set_warmup_min_ratio(std::stod(f["warmup_min_ratio"]));
      if (f.count("cos_min_ratio"))
        c.schedule.set_cos_min_ratio(std::stod(f["cos_min_ratio"]));
      cases.push_back(std::move(c));
    } else if (kind == "lr" && !cases.empty()) {
      int64_t step;
      std::string value;
      line >> step >> value;
      cases.back().lrs.emplace_back(step, std::stod(value));
    }
  }
  return cases;
}

void expectRelativelyClose(double want, double got, const std::string &where) {
  EXPECT_LE(std::abs(got - want), 1e-12 * std::abs(want)) << where << ": want " << want
                                                          << ", got " << got;
}

TEST(LRSchedule, MatchesDeepSpeed) {
  std::vector<ScheduleCase> cases = readScheduleCases();
  ASSERT_EQ(cases.size(), 10u);
  for (const ScheduleCase &c : cases) {
    ASSERT_EQ(c.lrs.size(), 60u) << c.name;
    for (const auto &[step, lr] : c.lrs)
      expectRelativelyClose(lr, learningRate(c.schedule, step),
                            c.name + " update " + std::to_string(step));
  }
}

TEST(LRSchedule, ConstantIsTheOptimizerLR) {
  plan::LRSchedule s;
  s.set_type(plan::LRSchedule::CONSTANT);
  s.set_base_lr(3e-4);
  for (int64_t step : {0, 1, 1000})
    EXPECT_EQ(learningRate(s, step), 3e-4);
}

// DeepSpeed sets the lr when it builds the scheduler (last_batch_iteration -1) and steps it only
// after an update: the first update runs at warmup_min_lr, and WarmupCosineLR's at 0.
TEST(LRSchedule, FirstUpdateUsesTheSchedulersInitialLR) {
  plan::LRSchedule warmup;
  warmup.set_type(plan::LRSchedule::WARMUP_LR);
  warmup.set_warmup_type(plan::LRSchedule::LINEAR);
  warmup.set_warmup_min_lr(1e-4);
  warmup.set_warmup_max_lr(1e-3);
  warmup.set_warmup_num_steps(10);
  EXPECT_EQ(learningRate(warmup, 0), 1e-4);
  EXPECT_EQ(learningRate(warmup, 1), 1e-4); // last_batch_iteration 0: 0 / 10 of the way
  EXPECT_DOUBLE_EQ(learningRate(warmup, 2), 1e-4 + 9e-4 * 0.1);
  EXPECT_EQ(learningRate(warmup, 11), 1e-3);

  plan::LRSchedule cosine;
  cosine.set_type(plan::LRSchedule::WARMUP_COSINE_LR);
  cosine.set_base_lr(1e-3);
  cosine.set_warmup_min_ratio(0.5);
  cosine.set_warmup_num_steps(4);
  cosine.set_total_num_steps(20);
  EXPECT_EQ(learningRate(cosine, 0), 0.0);
  EXPECT_EQ(learningRate(cosine, 1), 1e-3 * 0.5);
}

struct ScalerRow {
  bool error = false;
  int64_t index = 0;
  bool overflow = false;
  double used = 0;
  LossScalerState after;
};

struct ScalerCase {
  std::string name;
  double initScale = 0, minScale = 0;
  int64_t window = 0, hysteresis = 0;
  bool consecutive = false;
  std::vector<ScalerRow> rows;

  LossScaler make() const {
    return LossScaler(initScale, window, minScale, hysteresis, consecutive);
  }
};

std::vector<ScalerCase> readScalerCases() {
  std::vector<ScalerCase> cases;
  for (const std::string &text : fixtureLines("loss_scaler.txt")) {
    std::istringstream line(text);
    std::string kind;
    line >> kind;
    if (kind == "scaler") {
      ScalerCase c;
      line >> c.name;
      auto f = fields(line);
      c.initScale = std::stod(f["init_scale"]);
      c.window = std::stoll(f["scale_window"]);
      c.minScale = std::stod(f["min_scale"]);
      c.hysteresis = std::stoll(f["delayed_shift"]);
      c.consecutive = f["consecutive_hysteresis"] == "1";
      cases.push_back(std::move(c));
    } else if ((kind == "update" || kind == "error") && !cases.empty()) {
      ScalerRow row;
      row.error = kind == "error";
      line >> row.index;
      if (!row.error) {
        int overflow;
        std::string used, scale;
        line >> overflow >> used >> scale >> row.after.hysteresis >> row.after.lastOverflowIter >>
            row.after.iteration;
        row.overflow = overflow != 0;
        row.used = std::stod(used);
        row.after.scale = std::stod(scale);
      }
      cases.back().rows.push_back(row);
    }
  }
  return cases;
}

void expectState(const LossScalerState &want, const LossScalerState &got,
                 const std::string &where) {
  EXPECT_EQ(got.scale, want.scale) << where;
  EXPECT_EQ(got.hysteresis, want.hysteresis) << where;
  EXPECT_EQ(got.lastOverflowIter, want.lastOverflowIter) << where;
  EXPECT_EQ(got.iteration, want.iteration) << where;
}

TEST(LossScaler, MatchesDeepSpeedsDynamicLossScaler) {
  std::vector<ScalerCase> cases = readScalerCases();
  ASSERT_EQ(cases.size(), 6u);
  for (const ScalerCase &c : cases) {
    LossScaler scaler = c.make();
    EXPECT_TRUE(scaler.isDynamic());
    ASSERT_FALSE(c.rows.empty()) << c.name;
    for (const ScalerRow &row : c.rows) {
      std::string where = c.name + " update " + std::to_string(row.index);
      if (row.error) {
        // DeepSpeed raises before touching its state; so must we.
        LossScalerState before = scaler.state();
        Status status = scaler.update(true);
        EXPECT_FALSE(status.isOk()) << where;
        expectState(before, scaler.state(), where);
        continue;
      }
      EXPECT_EQ(scaler.scale(), row.used) << where;
      EXPECT_TRUE(scaler.update(row.overflow).isOk()) << where;
      expectState(row.after, scaler.state(), where);
    }
  }
}

// A checkpoint taken mid-run and restored into a fresh scaler continues the same sequence.
TEST(LossScaler, RestoredStateContinuesTheSequence) {
  for (const ScalerCase &c : readScalerCases()) {
    LossScaler first = c.make();
    size_t half = c.rows.size() / 2;
    for (size_t i = 0; i < half; ++i)
      ASSERT_TRUE(first.update(c.rows[i].overflow).isOk());
    LossScaler resumed = c.make();
    resumed.restore(first.state());
    for (size_t i = half; i < c.rows.size(); ++i) {
      const ScalerRow &row = c.rows[i];
      if (row.error) {
        EXPECT_FALSE(resumed.update(true).isOk()) << c.name;
        break;
      }
      EXPECT_EQ(resumed.scale(), row.used) << c.name << " update " << row.index;
      ASSERT_TRUE(resumed.update(row.overflow).isOk());
      expectState(row.after, resumed.state(), c.name);
    }
  }
}

TEST(LossScaler, StaticScaleNeverMoves) {
  LossScaler scaler(128.0);
  EXPECT_FALSE(scaler.isDynamic());
  for (bool overflow : {true, false, true, true})
    EXPECT_TRUE(scaler.update(overflow).isOk());
  EXPECT_EQ(scaler.scale(), 128.0);
}

TEST(LossScaler, FromPlan) {
  plan::LossScaling off;
  EXPECT_EQ(LossScaler::fromPlan(off).scale(), 1.0);
  EXPECT_FALSE(LossScaler::fromPlan(off).isDynamic());

  plan::LossScaling fixed;
  fixed.set_enabled(true);
  fixed.set_initial_scale(512.0);
  EXPECT_EQ(LossScaler::fromPlan(fixed).scale(), 512.0);
  EXPECT_FALSE(LossScaler::fromPlan(fixed).isDynamic());

  plan::LossScaling dynamic;
  dynamic.set_enabled(true);
  dynamic.set_dynamic(true);
  dynamic.set_initial_scale(65536.0);
  dynamic.set_window(2);
  dynamic.set_hysteresis(1);
  dynamic.set_min_scale(1.0);
  LossScaler scaler = LossScaler::fromPlan(dynamic);
  EXPECT_TRUE(scaler.isDynamic());
  ASSERT_TRUE(scaler.update(true).isOk());
  EXPECT_EQ(scaler.scale(), 32768.0);
  // DeepSpeed counts the clean iterations strictly between the overflow and this one, so the
  // (window + 1)-th clean update is the one that doubles.
  ASSERT_TRUE(scaler.update(false).isOk());
  ASSERT_TRUE(scaler.update(false).isOk());
  EXPECT_EQ(scaler.scale(), 32768.0);
  ASSERT_TRUE(scaler.update(false).isOk());
  EXPECT_EQ(scaler.scale(), 65536.0);
}

} // namespace
} // namespace ds::rt
