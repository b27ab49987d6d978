//===- GradientCheck.h - derivative rules against finite differences ------===//
//
// A case is a function body computing %y from its inputs. The harness wraps it as
// f(inputs..., w) = reduce_sum(y * w) with a fixed random w, differentiates f with ds-autodiff,
// compiles both f and its gradient to plans, runs them on the CPU runtime and compares the
// analytic gradient of every float input with central differences of f.
//
//===----------------------------------------------------------------------===//

#ifndef DS_UNITTESTS_AUTODIFF_GRADIENTCHECK_H
#define DS_UNITTESTS_AUTODIFF_GRADIENTCHECK_H

#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

namespace ds::gradcheck {

struct Input {
  std::string name; // SSA name without '%'
  std::vector<int64_t> shape;
  std::vector<double> values;   // float inputs (differentiated)
  std::vector<int64_t> indices; // i64 inputs (targets, gather indices): not differentiated
  bool isIndex = false;
};

struct Case {
  std::string name;
  std::vector<Input> inputs;
  // Ops defining %y from the inputs; `{T}` stands for the float element type.
  std::string body;
  std::vector<int64_t> resultShape;
  // Element type of every float tensor: f64 unless a kernel the case needs has no f64 version
  // (the case says so where it sets f32, with a step and tolerance to match).
  std::string elementType = "f64";
  double step = 1e-6;
  double tolerance = 1e-6; // on |analytic - numeric| / max(1, |numeric|)
  // Called with each input's name and analytic gradient, for checks beyond the differences.
  std::function<void(const std::string &, const std::vector<double> &)> inspect;
};

/// Random inputs that keep away from kinks and singularities by construction.
class Inputs {
public:
  explicit Inputs(uint64_t seed) : rng(seed) {}
  std::vector<double> uniform(int64_t n, double lo, double hi);
  /// Magnitudes in [lo, hi] with random signs: never within lo of zero.
  std::vector<double> awayFromZero(int64_t n, double lo, double hi);
  /// Values at least `gap` apart in random order: no ties for max and friends.
  std::vector<double> distinct(int64_t n, double lo, double gap);

private:
  std::mt19937_64 rng;
};

Input floatInput(std::string name, std::vector<int64_t> shape, std::vector<double> values);
Input indexInput(std::string name, std::vector<int64_t> shape, std::vector<int64_t> indices);
int64_t numElements(const std::vector<int64_t> &shape);

/// Runs the check and reports every mismatch through GoogleTest.
void checkGradients(const Case &c);

} // namespace ds::gradcheck

#endif // DS_UNITTESTS_AUTODIFF_GRADIENTCHECK_H
