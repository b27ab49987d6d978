// Fused Adam/AdamW and SGD updates: one parallel loop over the flat buffers, in the float32
// arithmetic of torch 1.13's single-tensor optimizers, so a ds run tracks a torch run step for step.
//
// Torch computes its scalars (1 - lr * wd, lr / (1 - beta1^step), ...) in Python doubles and hands
// them to kernels that round them to f32 once; its `add(x, alpha=a)` and `addcmul` kernels fuse the
// last multiply-add (one rounding, as an FMA), while `addcdiv`, `mul` and `div` by a scalar round
// every operation. The loops below follow the same order.
#include "ds/Runtime/Kernels/CPU/Optimizer.h"

#include "Common.h"

#include <cmath>
#include <cstring>
#include <string>

namespace ds::rt::cpu {

namespace {

// a * b + c with one rounding to f32, as torch's vectorized fmadd: the f32 product is exact in
// double. (Rounding the double sum to f32 differs from a true FMA only when it lands exactly on an
// f32 tie, about once in 2^29 operations.) Plain double arithmetic keeps the loop vectorizable
// where an fmaf call would not be on a baseline x86-64 build.
inline float fusedMultiplyAdd(float a, float b, float c) {
  return static_cast<float>(static_cast<double>(a) * static_cast<double>(b) +
                            static_cast<double>(c));
}

Status checkState(const TensorView &param, const TensorView &t, const char *kernel,
                  const char *operand) {
  DS_RETURN_IF_ERROR(checkTensor(t, DType::F32, kernel, operand));
  if (t.shape != param.shape)
    return Status::error(std::string(kernel) + ": " + operand + " shape " +
                         shapeToString(t.shape) + " differs from the param's " +
                         shapeToString(param.shape));
  return Status::ok();
}

Status checkStep(int64_t step, const char *kernel) {
  if (step < 1)
    return Status::error(std::string(kernel) + ": step must be >= 1 (it counts optimizer steps, "
                                               "this one included), got " +
                         std::to_string(step));
  return Status::ok();
}

} // namespace

Status adamUpdate(const TensorView &param, const TensorView &grad, const TensorView &expAvg,
                  const TensorView &expAvgSq, float lr, int64_t step, float gradScale,
                  const AdamConfig &config, const MutableTensorView &newParam,
                  const MutableTensorView &newExpAvg, const MutableTensorView &newExpAvgSq) {
  const char *kernel = "adam_update";
  DS_RETURN_IF_ERROR(checkTensor(param, DType::F32, kernel, "param"));
  DS_RETURN_IF_ERROR(checkState(param, grad, kernel, "grad"));
  DS_RETURN_IF_ERROR(checkState(param, expAvg, kernel, "exp_avg"));
  DS_RETURN_IF_ERROR(checkState(param, expAvgSq, kernel, "exp_avg_sq"));
  DS_RETURN_IF_ERROR(checkOutput(newParam, DType::F32, param.shape, kernel, "new param"));
  DS_RETURN_IF_ERROR(checkOutput(newExpAvg, DType::F32, param.shape, kernel, "new exp_avg"));
  DS_RETURN_IF_ERROR(checkOutput(newExpAvgSq, DType::F32, param.shape, kernel, "new exp_avg_sq"));
  DS_RETURN_IF_ERROR(checkStep(step, kernel));

  // The scalars as torch forms them: in double, then one rounding to f32.
  const double lrD = lr;
  const float beta1 = static_cast<float>(config.beta1);
  const float beta2 = static_cast<float>(config.beta2);
  const float oneMinusBeta1 = static_cast<float>(1.0 - config.beta1);
  const float oneMinusBeta2 = static_cast<float>(1.0 - config.beta2);
  const float decay = static_cast<float>(1.0 - lrD * config.weightDecay);
  const float weightDecay = static_cast<float>(config.weightDecay);
  const bool decays = config.weightDecay != 0.0;
  const double biasCorrection1 = 1.0 - std::pow(config.beta1, static_cast<double>(step));
  const double biasCorrection2 = 1.0 - std::pow(config.beta2, static_cast<double>(step));
  const float negStepSize = static_cast<float>(-(lrD / biasCorrection1));
  const float biasCorrection2Sqrt = static_cast<float>(std::sqrt(biasCorrection2));
  const float eps = static_cast<float>(config.epsilon);
  const bool adamW = config.adamW;

  const float *p = param.as<float>(), *g = grad.as<float>();
  const float *m = expAvg.as<float>(), *v = expAvgSq.as<float>();
  float *pOut = newParam.as<float>(), *mOut = newExpAvg.as<float>(), *vOut = newExpAvgSq.as<float>();
  const int64_t n = param.numel();
#pragma omp parallel for simd schedule(static) if (n > detail::kParallelGrain)
  for (int64_t i = 0; i < n; ++i) {
    float gi = g[i] * gradScale;
    float pi = p[i];
    if (adamW)
      pi = pi * decay; // param.mul_(1 - lr * weight_decay)
    else if (decays)
      gi = fusedMultiplyAdd(weightDecay, pi, gi); // grad.add(param, alpha=weight_decay)
    // exp_avg.mul_(beta1).add_(grad, alpha=1 - beta1)
    const float mi = fusedMultiplyAdd(oneMinusBeta1, gi, m[i] * beta1);
    // exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
    const float vi = fusedMultiplyAdd(oneMinusBeta2 * gi, gi, v[i] * beta2);
    // (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps)
    const float denom = std::sqrt(vi) / biasCorrection2Sqrt + eps;
    // param.addcdiv_(exp_avg, denom, value=-step_size)
    pOut[i] = pi + (negStepSize * mi) / denom;
    mOut[i] = mi;
    vOut[i] = vi;
  }
  return Status::ok();
}

Status sgdUpdate(const TensorView &param, const TensorView &grad, const TensorView &momentumBuffer,
                 float lr, int64_t step, float gradScale, const SGDConfig &config,
                 const MutableTensorView &newParam, const MutableTensorView &newMomentumBuffer) {
  const char *kernel = "sgd_update";
  DS_RETURN_IF_ERROR(checkTensor(param, DType::F32, kernel, "param"));
  DS_RETURN_IF_ERROR(checkState(param, grad, kernel, "grad"));
  DS_RETURN_IF_ERROR(checkState(param, momentumBuffer, kernel, "momentum_buffer"));
  DS_RETURN_IF_ERROR(checkOutput(newParam, DType::F32, param.shape, kernel, "new param"));
  DS_RETURN_IF_ERROR(
      checkOutput(newMomentumBuffer, DType::F32, param.shape, kernel, "new momentum_buffer"));
  DS_RETURN_IF_ERROR(checkStep(step, kernel));

  const float weightDecay = static_cast<float>(config.weightDecay);
  const bool decays = config.weightDecay != 0.0;
  const bool hasMomentum = config.momentum != 0.0;
  const bool firstStep = step == 1; // torch's buffer starts as a clone of the first d
  const bool nesterov = config.nesterov;
  const float momentum = static_cast<float>(config.momentum);
  const float oneMinusDampening = static_cast<float>(1.0 - config.dampening);
  const float negLr = static_cast<float>(-static_cast<double>(lr));

  const float *p = param.as<float>(), *g = grad.as<float>(), *b = momentumBuffer.as<float>();
  float *pOut = newParam.as<float>(), *bOut = newMomentumBuffer.as<float>();
  const int64_t n = param.numel();
  if (!hasMomentum && bOut != b && n > 0)
    std::memcpy(bOut, b, sizeof(float) * n);
#pragma omp parallel for simd schedule(static) if (n > detail::kParallelGrain)
  for (int64_t i = 0; i < n; ++i) {
    float d = g[i] * gradScale;
    if (decays)
      d = fusedMultiplyAdd(weightDecay, p[i], d); // d_p.add(param, alpha=weight_decay)
    if (hasMomentum) {
      // buf.mul_(momentum).add_(d_p, alpha=1 - dampening)
      const float buf = firstStep ? d : fusedMultiplyAdd(oneMinusDampening, d, b[i] * momentum);
      bOut[i] = buf;
      d = nesterov ? fusedMultiplyAdd(momentum, buf, d) : buf; // d_p.add(buf, alpha=momentum)
    }
    pOut[i] = fusedMultiplyAdd(negLr, d, p[i]); // param.add_(d_p, alpha=-lr)
  }
  return Status::ok();
}

} // namespace ds::rt::cpu
