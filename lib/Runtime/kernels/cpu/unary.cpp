// Unary math on f32 (exp, log, activations, gelu in both torch forms).
#include "ds/Runtime/Kernels/CPU/Elementwise.h"

#include "Common.h"

#include <cmath>

namespace ds::rt::cpu {

const char *unaryOpName(UnaryOp op) {
  switch (op) {
  case UnaryOp::Neg:
    return "neg";
  case UnaryOp::Exp:
    return "exp";
  case UnaryOp::Log:
    return "log";
  case UnaryOp::Tanh:
    return "tanh";
  case UnaryOp::Erf:
    return "erf";
  case UnaryOp::Sqrt:
    return "sqrt";
  case UnaryOp::Rsqrt:
    return "rsqrt";
  case UnaryOp::Reciprocal:
    return "reciprocal";
  case UnaryOp::Relu:
    return "relu";
  case UnaryOp::Sigmoid:
    return "sigmoid";
  case UnaryOp::Silu:
    return "silu";
  case UnaryOp::Abs:
    return "abs";
  case UnaryOp::Gelu:
    return "gelu";
  case UnaryOp::GeluTanh:
    return "gelu_tanh";
  }
  return "?";
}

namespace {

// Both branches avoid exp overflow: exp is only ever taken of a non-positive number.
inline float sigmoid(float x) {
  if (x >= 0.0f)
    return 1.0f / (1.0f + std::exp(-x));
  float e = std::exp(x);
  return e / (1.0f + e);
}

template <typename Fn> void unaryLoop(const float *x, float *out, int64_t n, const Fn &fn) {
#pragma omp parallel for simd schedule(static) if (n > detail::kParallelGrain)
  for (int64_t i = 0; i < n; ++i)
    out[i] = fn(x[i]);
}

} // namespace

Status unary(UnaryOp op, const TensorView &x, const MutableTensorView &out) {
  const char *kernel = unaryOpName(op);
  DS_RETURN_IF_ERROR(checkTensor(x, DType::F32, kernel, "input"));
  DS_RETURN_IF_ERROR(checkOutput(out, DType::F32, x.shape, kernel));
  const float *in = x.as<float>();
  float *o = out.as<float>();
  const int64_t n = x.numel();
  switch (op) {
  case UnaryOp::Neg:
    unaryLoop(in, o, n, [](float v) { return -v; });
    break;
  case UnaryOp::Exp:
    unaryLoop(in, o, n, [](float v) { return std::exp(v); });
    break;
  case UnaryOp::Log:
    unaryLoop(in, o, n, [](float v) { return std::log(v); });
    break;
  case UnaryOp::Tanh:
    unaryLoop(in, o, n, [](float v) { return std::tanh(v); });
    break;
  case UnaryOp::Erf:
    unaryLoop(in, o, n, [](float v) { return std::erf(v); });
    break;
  case UnaryOp::Sqrt:
    unaryLoop(in, o, n, [](float v) { return std::sqrt(v); });
    break;
  case UnaryOp::Rsqrt:
    unaryLoop(in, o, n, [](float v) { return 1.0f / std::sqrt(v); });
    break;
  case UnaryOp::Reciprocal:
    unaryLoop(in, o, n, [](float v) { return 1.0f / v; });
    break;
  case UnaryOp::Relu:
    // v > 0 ? v : 0 would turn NaN into 0; torch.relu keeps NaN.
    unaryLoop(in, o, n, [](float v) { return v < 0.0f ? 0.0f : v; });
    break;
  case UnaryOp::Sigmoid:
    unaryLoop(in, o, n, [](float v) { return sigmoid(v); });
    break;
  case UnaryOp::Silu:
    unaryLoop(in, o, n, [](float v) { return v * sigmoid(v); });
    break;
  case UnaryOp::Abs:
    unaryLoop(in, o, n, [](float v) { return std::fabs(v); });
    break;
  case UnaryOp::Gelu:
    unaryLoop(in, o, n, [](float v) {
      return 0.5f * v * (1.0f + std::erf(v * 0.70710678118654752f));
    });
    break;
  case UnaryOp::GeluTanh:
    unaryLoop(in, o, n, [](float v) {
      const float k = 0.79788456080286536f; // sqrt(2 / pi)
      return 0.5f * v * (1.0f + std::tanh(k * (v + 0.044715f * v * v * v)));
    });
    break;
  }
  return Status::ok();
}

} // namespace ds::rt::cpu
