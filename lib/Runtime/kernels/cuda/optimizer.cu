// Fused Adam/AdamW and SGD: one elementwise pass over param, grad and the state, with the roundings
// of cpu::adamUpdate (torch's single-tensor Adam): explicit _rn intrinsics keep nvcc from
// contracting products into FMAs that torch does not form, and form the ones it does.
#include "ds/Runtime/Kernels/CUDA/Optimizer.h"

#include "TensorCommon.cuh"

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

struct SgdScalars {
  float weightDecay, momentum, oneMinusDampening, negLr, gradScale;
  bool decays, hasMomentum, firstStep, nesterov;
};

// optimizer.cpp's fusedMultiplyAdd: the product of two floats is exact in double, so one double
// fma rounds exactly as the CPU's double multiply-add does.
__device__ __forceinline__ float fmaDouble(float a, float b, float c) {
  return static_cast<float>(__fma_rn(static_cast<double>(a), static_cast<double>(b),
                                     static_cast<double>(c)));
}

__global__ void sgdKernel(const float *p, const float *g, const float *b, float *pOut, float *bOut,
                          int64_t n, SgdScalars s) {
  DS_CUDA_GRID_LOOP(i, n) {
    float d = __fmul_rn(g[i], s.gradScale);
    const float pi = p[i];
    if (s.decays)
      d = fmaDouble(s.weightDecay, pi, d); // d_p.add(param, alpha=weight_decay)
    if (s.hasMomentum) {
      // buf.mul_(momentum).add_(d_p, alpha=1 - dampening); torch's buffer starts as d.
      const float buf =
          s.firstStep ? d : fmaDouble(s.oneMinusDampening, d, __fmul_rn(b[i], s.momentum));
      bOut[i] = buf;
      d = s.nesterov ? fmaDouble(s.momentum, buf, d) : buf;
    }
    pOut[i] = fmaDouble(s.negLr, d, pi); // param.add_(d_p, alpha=-lr)
  }
}

Status checkSgdState(const TensorView &param, const TensorView &t, const char *kernel,
                     const char *operand) {
  DS_RETURN_IF_ERROR(checkTensor(t, DType::F32, kernel, operand));
  if (t.shape != param.shape)
    return Status::error(std::string(kernel) + ": " + operand + " shape " +
                         shapeToString(t.shape) + " differs from the param's " +
                         shapeToString(param.shape));
  return Status::ok();
}

} // namespace

Status sgdUpdate(const TensorView &param, const TensorView &grad, const TensorView &momentumBuffer,
                 float lr, int64_t step, float gradScale, const SGDConfig &config,
                 const MutableTensorView &newParam, const MutableTensorView &newMomentumBuffer,
                 void *stream) {
  const char *kernel = "cuda sgd_update";
  DS_RETURN_IF_ERROR(checkTensor(param, DType::F32, kernel, "param"));
  DS_RETURN_IF_ERROR(checkSgdState(param, grad, kernel, "grad"));
  DS_RETURN_IF_ERROR(checkSgdState(param, momentumBuffer, kernel, "momentum_buffer"));
  DS_RETURN_IF_ERROR(checkOutput(newParam, DType::F32, param.shape, kernel, "new param"));
  DS_RETURN_IF_ERROR(
      checkOutput(newMomentumBuffer, DType::F32, param.shape, kernel, "new momentum_buffer"));
  if (step < 1)
    return Status::error(std::string(kernel) + ": step must be >= 1 (it counts optimizer steps, "
                                               "this one included), got " +
                         std::to_string(step));
  SgdScalars s;
  s.weightDecay = static_cast<float>(config.weightDecay);
  s.decays = config.weightDecay != 0.0;
  s.hasMomentum = config.momentum != 0.0;
  s.firstStep = step == 1;
  s.nesterov = config.nesterov;
  s.momentum = static_cast<float>(config.momentum);
  s.oneMinusDampening = static_cast<float>(1.0 - config.dampening);
  s.negLr = static_cast<float>(-static_cast<double>(lr));
  s.gradScale = gradScale;
  const int64_t n = param.numel();
  if (n == 0)
    return Status::ok();
  cudaStream_t st = asStream(stream);
  if (!s.hasMomentum && newMomentumBuffer.data != momentumBuffer.data)
    DS_RETURN_IF_ERROR(fromCuda(cudaMemcpyAsync(newMomentumBuffer.data, momentumBuffer.data,
                                                n * sizeof(float), cudaMemcpyDeviceToDevice, st),
                                kernel));
  sgdKernel<<<gridFor(n, kElemThreads), kElemThreads, 0, st>>>(
      static_cast<const float *>(param.data), static_cast<const float *>(grad.data),
      static_cast<const float *>(momentumBuffer.data), static_cast<float *>(newParam.data),
      static_cast<float *>(newMomentumBuffer.data), n, s);
  return launched(kernel);
}

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
