// Unary math on f32 and f64 (exp, log, activations, gelu in both torch forms).
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
template <typename T> inline T sigmoid(T x) {
  if (x >= T(0))
    return T(1) / (T(1) + std::exp(-x));
  T e = std::exp(x);
  return e / (T(1) + e);
}

template <typename T, typename Fn> void unaryLoop(const T *x, T *out, int64_t n, const Fn &fn) {
#pragma omp parallel for simd schedule(static) if (n > detail::kParallelGrain)
  for (int64_t i = 0; i < n; ++i)
    out[i] = fn(x[i]);
}

// One instantiation per element type; constants are written as long doubles so each T gets them
// rounded once (for f32 the same floats as f-suffixed literals).
template <typename T> void unaryTyped(UnaryOp op, const T *in, T *o, int64_t n) {
  switch (op) {
  case UnaryOp::Neg:
    unaryLoop(in, o, n, [](T v) { return -v; });
    break;
  case UnaryOp::Exp:
    unaryLoop(in, o, n, [](T v) { return std::exp(v); });
    break;
  case UnaryOp::Log:
    unaryLoop(in, o, n, [](T v) { return std::log(v); });
    break;
  case UnaryOp::Tanh:
    unaryLoop(in, o, n, [](T v) { return std::tanh(v); });
    break;
  case UnaryOp::Erf:
    unaryLoop(in, o, n, [](T v) { return std::erf(v); });
    break;
  case UnaryOp::Sqrt:
    unaryLoop(in, o, n, [](T v) { return std::sqrt(v); });
    break;
  case UnaryOp::Rsqrt:
    unaryLoop(in, o, n, [](T v) { return T(1) / std::sqrt(v); });
    break;
  case UnaryOp::Reciprocal:
    unaryLoop(in, o, n, [](T v) { return T(1) / v; });
    break;
  case UnaryOp::Relu:
    // v > 0 ? v : 0 would turn NaN into 0; torch.relu keeps NaN.
    unaryLoop(in, o, n, [](T v) { return v < T(0) ? T(0) : v; });
    break;
  case UnaryOp::Sigmoid:
    unaryLoop(in, o, n, [](T v) { return sigmoid(v); });
    break;
  case UnaryOp::Silu:
    unaryLoop(in, o, n, [](T v) { return v * sigmoid(v); });
    break;
  case UnaryOp::Abs:
    unaryLoop(in, o, n, [](T v) { return std::fabs(v); });
    break;
  case UnaryOp::Gelu:
    unaryLoop(in, o, n, [](T v) {
      const T rsqrt2 = static_cast<T>(0.707106781186547524400844362104849039L);
      return T(0.5) * v * (T(1) + std::erf(v * rsqrt2));
    });
    break;
  case UnaryOp::GeluTanh:
    unaryLoop(in, o, n, [](T v) {
      const T k = static_cast<T>(0.797884560802865355879892119868763737L); // sqrt(2 / pi)
      const T c = static_cast<T>(0.044715L);
      return T(0.5) * v * (T(1) + std::tanh(k * (v + c * v * v * v)));
    });
    break;
  }
}

} // namespace

Status unary(UnaryOp op, const TensorView &x, const MutableTensorView &out) {
  const char *kernel = unaryOpName(op);
  const DType type = x.dtype == DType::F64 ? DType::F64 : DType::F32;
  DS_RETURN_IF_ERROR(checkTensor(x, type, kernel, "input"));
  DS_RETURN_IF_ERROR(checkOutput(out, type, x.shape, kernel));
  if (type == DType::F64)
    unaryTyped(op, x.as<double>(), out.as<double>(), x.numel());
  else
    unaryTyped(op, x.as<float>(), out.as<float>(), x.numel());
  return Status::ok();
}

} // namespace ds::rt::cpu
