// Fused Adam/AdamW: one elementwise pass over param, grad and the two moments, with the roundings
// of cpu::adamUpdate (torch's single-tensor Adam): explicit _rn intrinsics keep nvcc from
// contracting products into FMAs that torch does not form, and form the ones it does.
#include "ds/Runtime/Kernels/CUDA/Optimizer.h"

#include "Common.cuh"

#include <cmath>

namespace ds::rt::cuda {

namespace {

using namespace detail;

struct AdamScalars {
  float beta1, beta2, oneMinusBeta1, oneMinusBeta2, decay, weightDecay, negStepSize,
      biasCorrection2Sqrt, eps, gradScale;
  bool adamW, decays;
};

__global__ void adamKernel(float *p, const float *g, float *m, float *v, int64_t n,
                           AdamScalars s) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x) {
    float gi = __fmul_rn(g[i], s.gradScale);
    float pi = p[i];
    if (s.adamW)
      pi = __fmul_rn(pi, s.decay);
    else if (s.decays)
      gi = __fmaf_rn(s.weightDecay, pi, gi);
    const float mi = __fmaf_rn(s.oneMinusBeta1, gi, __fmul_rn(m[i], s.beta1));
    const float vi = __fmaf_rn(__fmul_rn(s.oneMinusBeta2, gi), gi, __fmul_rn(v[i], s.beta2));
    const float denom = __fadd_rn(__fdiv_rn(__fsqrt_rn(vi), s.biasCorrection2Sqrt), s.eps);
    p[i] = __fadd_rn(pi, __fdiv_rn(__fmul_rn(s.negStepSize, mi), denom));
    m[i] = mi;
    v[i] = vi;
  }
}

} // namespace

Status adamUpdate(float *param, const float *grad, float *expAvg, float *expAvgSq, int64_t n,
                  float lr, int64_t step, float gradScale, const AdamConfig &config,
                  void *stream) {
  const char *kernel = "cuda adam_update";
  DS_RETURN_IF_ERROR(checkSizes(n, 0, kernel));
  if (step < 1)
    return Status::error(std::string(kernel) + ": step must be >= 1 (it counts optimizer steps, "
                                               "this one included), got " +
                         std::to_string(step));
  if (n == 0)
    return Status::ok();
  // The scalars as torch (and the CPU kernel) form them: in double, then one rounding to f32.
  const double lrD = lr;
  AdamScalars s;
  s.beta1 = static_cast<float>(config.beta1);
  s.beta2 = static_cast<float>(config.beta2);
  s.oneMinusBeta1 = static_cast<float>(1.0 - config.beta1);
  s.oneMinusBeta2 = static_cast<float>(1.0 - config.beta2);
  s.decay = static_cast<float>(1.0 - lrD * config.weightDecay);
  s.weightDecay = static_cast<float>(config.weightDecay);
  s.decays = config.weightDecay != 0.0;
  const double biasCorrection1 = 1.0 - std::pow(config.beta1, static_cast<double>(step));
  const double biasCorrection2 = 1.0 - std::pow(config.beta2, static_cast<double>(step));
  s.negStepSize = static_cast<float>(-(lrD / biasCorrection1));
  s.biasCorrection2Sqrt = static_cast<float>(std::sqrt(biasCorrection2));
  s.eps = static_cast<float>(config.epsilon);
  s.gradScale = gradScale;
  s.adamW = config.adamW;
  constexpr int kThreads = 256;
  adamKernel<<<gridFor(n, kThreads), kThreads, 0, asStream(stream)>>>(param, grad, expAvg,
                                                                      expAvgSq, n, s);
  return launched(kernel);
}

} // namespace ds::rt::cuda
