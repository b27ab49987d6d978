// Unary math, broadcasting binary arithmetic and comparisons, select and fill on device tensors:
// one thread per output element (grid-stride), with a flat path when every operand is contiguous
// in the output's order.
#include "ds/Runtime/Kernels/CUDA/Tensor.h"

#include "TensorCommon.cuh"

#include <cstring>
#include <type_traits>

namespace ds::rt::cuda {

namespace {

using namespace detail;
using cpu::BinaryOp;
using cpu::CompareOp;
using cpu::UnaryOp;

//===----------------------------------------------------------------------===//
// Unary
//===----------------------------------------------------------------------===//

// As unary.cpp: sigmoid takes exp of a non-positive number only.
__device__ __forceinline__ float sigmoidF(float v) {
  if (v >= 0.0f)
    return 1.0f / (1.0f + expf(-v));
  const float e = expf(v);
  return e / (1.0f + e);
}

template <int Op> __device__ __forceinline__ float unaryOp(float v) {
  switch (static_cast<UnaryOp>(Op)) {
  case UnaryOp::Neg:
    return -v;
  case UnaryOp::Exp:
    return expf(v);
  case UnaryOp::Log:
    return logf(v);
  case UnaryOp::Tanh:
    return tanhf(v);
  case UnaryOp::Erf:
    return erff(v);
  case UnaryOp::Sqrt:
    return sqrtf(v);
  case UnaryOp::Rsqrt:
    return 1.0f / sqrtf(v);
  case UnaryOp::Reciprocal:
    return 1.0f / v;
  case UnaryOp::Relu:
    return v < 0.0f ? 0.0f : v; // keeps NaN, as torch.relu
  case UnaryOp::Sigmoid:
    return sigmoidF(v);
  case UnaryOp::Silu:
    return v * sigmoidF(v);
  case UnaryOp::Abs:
    return fabsf(v);
  case UnaryOp::Gelu:
    return 0.5f * v * (1.0f + erff(v * 0.70710678118654752440f));
  case UnaryOp::GeluTanh: {
    const float k = 0.79788456080286535588f, c = 0.044715f;
    return 0.5f * v * (1.0f + tanhf(k * (v + c * v * v * v)));
  }
  }
  return v;
}

template <typename T, int Op> __global__ void unaryKernel(const T *x, T *y, int64_t n) {
  DS_CUDA_GRID_LOOP(i, n) { store(y, i, unaryOp<Op>(load(x, i))); }
}

template <typename T, int Op> void launchUnary(const void *x, void *y, int64_t n, cudaStream_t s) {
  unaryKernel<T, Op><<<gridFor(n, kElemThreads), kElemThreads, 0, s>>>(static_cast<const T *>(x),
                                                                       static_cast<T *>(y), n);
}

template <typename T>
void launchUnaryOp(UnaryOp op, const void *x, void *y, int64_t n, cudaStream_t s) {
#define DS_UNARY_CASE(name)                                                                        \
  case UnaryOp::name:                                                                              \
    return launchUnary<T, static_cast<int>(UnaryOp::name)>(x, y, n, s);
  switch (op) {
    DS_UNARY_CASE(Neg)
    DS_UNARY_CASE(Exp)
    DS_UNARY_CASE(Log)
    DS_UNARY_CASE(Tanh)
    DS_UNARY_CASE(Erf)
    DS_UNARY_CASE(Sqrt)
    DS_UNARY_CASE(Rsqrt)
    DS_UNARY_CASE(Reciprocal)
    DS_UNARY_CASE(Relu)
    DS_UNARY_CASE(Sigmoid)
    DS_UNARY_CASE(Silu)
    DS_UNARY_CASE(Abs)
    DS_UNARY_CASE(Gelu)
    DS_UNARY_CASE(GeluTanh)
  }
#undef DS_UNARY_CASE
}

//===----------------------------------------------------------------------===//
// Binary and compare
//===----------------------------------------------------------------------===//

// The CPU's static_cast<C>(std::pow(double(a), double(b))) without the device pow's rounding
// error (which could truncate an exact 20736 to 20735): exact by squaring for b >= 0 (wrapping
// where the CPU's conversion would overflow); for b < 0 the truncation of 1 / a^|b|, with x86's
// conversion of infinity (the type's minimum) for a = 0.
template <typename C> __device__ __forceinline__ C integerPow(C a, C b) {
  using U = typename std::make_unsigned<C>::type;
  if (b < 0) {
    if (a == 1)
      return 1;
    if (a == -1)
      return (b & 1) ? -1 : 1;
    const C minValue = static_cast<C>(U(1) << (sizeof(C) * 8 - 1));
    return a == 0 ? minValue : C(0);
  }
  U result = 1, base = static_cast<U>(a);
  for (U e = static_cast<U>(b); e; e >>= 1) {
    if (e & 1)
      result *= base;
    base *= base;
  }
  return static_cast<C>(result);
}

// op(a, b) in the compute type C (float for f32/bf16, the integer itself otherwise), with the
// semantics of elementwise.cpp.
template <int Op> struct BinaryFn {
  template <typename C> __device__ __forceinline__ C operator()(C a, C b) const {
    switch (static_cast<BinaryOp>(Op)) {
    case BinaryOp::Add:
      return a + b;
    case BinaryOp::Sub:
      return a - b;
    case BinaryOp::Mul:
      return a * b;
    case BinaryOp::Div:
      if constexpr (std::is_integral<C>::value)
        return b == 0 ? C(0) : a / b; // truncating; no trap on zero
      else
        return a / b;
    case BinaryOp::Pow:
      if constexpr (std::is_integral<C>::value)
        return integerPow(a, b);
      else
        return powf(a, b);
    case BinaryOp::Max:
      return (a > b || a != a) ? a : b; // NaN in either operand wins
    case BinaryOp::Min:
      return (a < b || a != a) ? a : b;
    }
    return a;
  }
};

template <int Op> struct CompareFn {
  template <typename C> __device__ __forceinline__ uint8_t operator()(C a, C b) const {
    switch (static_cast<CompareOp>(Op)) {
    case CompareOp::Eq:
      return a == b;
    case CompareOp::Ne:
      return a != b;
    case CompareOp::Lt:
      return a < b;
    case CompareOp::Le:
      return a <= b;
    case CompareOp::Gt:
      return a > b;
    case CompareOp::Ge:
      return a >= b;
    }
    return 0;
  }
};

template <typename T, typename Out, typename Fn>
__global__ void binaryFlatKernel(const T *a, const T *b, Out *out, int64_t n, Fn fn) {
  DS_CUDA_GRID_LOOP(i, n) { store(out, i, fn(load(a, i), load(b, i))); }
}

template <typename T, typename Out, typename Fn>
__global__ void binaryMapKernel(const T *a, const T *b, Out *out, int64_t n, IndexMap<2> map,
                                Fn fn) {
  DS_CUDA_GRID_LOOP(i, n) {
    int64_t off[2];
    map.offsets(i, off);
    store(out, i, fn(load(a, off[0]), load(b, off[1])));
  }
}

template <typename T, typename Out, typename Fn>
Status launchBinary(const TensorView &a, const TensorView &b, const MutableTensorView &out,
                    const Fn &fn, void *stream, const char *kernel) {
  const int64_t n = out.numel();
  if (n == 0)
    return Status::ok();
  IndexMap<2> map;
  const std::vector<int64_t> strides[2] = {broadcastStrides(a.shape, out.shape),
                                           broadcastStrides(b.shape, out.shape)};
  DS_RETURN_IF_ERROR(planIndexMap(out.shape, strides, map, kernel));
  const T *pa = static_cast<const T *>(a.data), *pb = static_cast<const T *>(b.data);
  Out *po = static_cast<Out *>(out.data);
  if (map.isFlat())
    binaryFlatKernel<<<gridFor(n, kElemThreads), kElemThreads, 0, asStream(stream)>>>(pa, pb, po, n,
                                                                                      fn);
  else
    binaryMapKernel<<<gridFor(n, kElemThreads), kElemThreads, 0, asStream(stream)>>>(pa, pb, po, n,
                                                                                     map, fn);
  return launched(kernel);
}

// The element type arithmetic accepts, as elementwise.cpp's arithmeticType plus bf16: that of the
// lhs when it is one the kernels know, else f32 (so the error names what was expected).
DType arithmeticType(const TensorView &a) {
  switch (a.dtype) {
  case DType::I64:
  case DType::I32:
  case DType::F64:
  case DType::BF16:
    return a.dtype;
  default:
    return DType::F32;
  }
}

Status checkBroadcastOperands(const TensorView &a, const TensorView &b,
                              const MutableTensorView &out, DType inType, DType outType,
                              const std::string &kernel) {
  DS_RETURN_IF_ERROR(checkTensor(a, inType, kernel.c_str(), "lhs"));
  DS_RETURN_IF_ERROR(checkTensor(b, inType, kernel.c_str(), "rhs"));
  StatusOr<Shape> shape = broadcastShapes(a.shape, b.shape);
  if (!shape)
    return shape.status().withContext(kernel);
  DS_RETURN_IF_ERROR(checkOutput(out, outType, *shape, kernel.c_str()));
  if (inType == DType::F64)
    return unsupportedType(kernel.c_str(), inType);
  return Status::ok();
}

// Calls fn(T{}) with the storage type of an arithmetic dtype (f32, bf16, i64, i32).
template <typename Fn> Status dispatchArithmetic(DType type, const Fn &fn) {
  switch (type) {
  case DType::BF16:
    return fn(Bf16{});
  case DType::I64:
    return fn(int64_t{});
  case DType::I32:
    return fn(int32_t{});
  default:
    return fn(float{});
  }
}

template <typename T>
Status binaryTyped(BinaryOp op, const TensorView &a, const TensorView &b,
                   const MutableTensorView &out, void *stream, const char *kernel) {
#define DS_BINARY_CASE(name)                                                                       \
  case BinaryOp::name:                                                                             \
    return launchBinary<T, T>(a, b, out, BinaryFn<static_cast<int>(BinaryOp::name)>(), stream,     \
                              kernel);
  switch (op) {
    DS_BINARY_CASE(Add)
    DS_BINARY_CASE(Sub)
    DS_BINARY_CASE(Mul)
    DS_BINARY_CASE(Div)
    DS_BINARY_CASE(Pow)
    DS_BINARY_CASE(Max)
    DS_BINARY_CASE(Min)
  }
#undef DS_BINARY_CASE
  return Status::error(std::string(kernel) + ": unknown op");
}

template <typename T>
Status compareTyped(CompareOp op, const TensorView &a, const TensorView &b,
                    const MutableTensorView &out, void *stream, const char *kernel) {
#define DS_COMPARE_CASE(name)                                                                      \
  case CompareOp::name:                                                                            \
    return launchBinary<T, uint8_t>(a, b, out, CompareFn<static_cast<int>(CompareOp::name)>(),     \
                                    stream, kernel);
  switch (op) {
    DS_COMPARE_CASE(Eq)
    DS_COMPARE_CASE(Ne)
    DS_COMPARE_CASE(Lt)
    DS_COMPARE_CASE(Le)
    DS_COMPARE_CASE(Gt)
    DS_COMPARE_CASE(Ge)
  }
#undef DS_COMPARE_CASE
  return Status::error(std::string(kernel) + ": unknown op");
}

//===----------------------------------------------------------------------===//
// Select and fill
//===----------------------------------------------------------------------===//

template <typename W>
__global__ void selectKernel(const uint8_t *c, const W *a, const W *b, W *out, int64_t n,
                             IndexMap<3> map) {
  DS_CUDA_GRID_LOOP(i, n) {
    int64_t off[3];
    map.offsets(i, off);
    out[i] = c[off[0]] ? a[off[1]] : b[off[2]];
  }
}

template <typename W> __global__ void fillKernel(W *out, int64_t n, W value) {
  DS_CUDA_GRID_LOOP(i, n) { out[i] = value; }
}

} // namespace

Status unary(cpu::UnaryOp op, const TensorView &x, const MutableTensorView &out, void *stream) {
  const std::string kernel = std::string("cuda ") + cpu::unaryOpName(op);
  const DType type = x.dtype == DType::BF16 || x.dtype == DType::F64 ? x.dtype : DType::F32;
  DS_RETURN_IF_ERROR(checkTensor(x, type, kernel.c_str(), "input"));
  DS_RETURN_IF_ERROR(checkOutput(out, type, x.shape, kernel.c_str()));
  return dispatchFloatView(type, kernel.c_str(), [&](auto zero) {
    using T = decltype(zero);
    const int64_t n = x.numel();
    if (n == 0)
      return Status::ok();
    launchUnaryOp<T>(op, x.data, out.data, n, asStream(stream));
    return launched(kernel.c_str());
  });
}

Status binary(cpu::BinaryOp op, const TensorView &a, const TensorView &b,
              const MutableTensorView &out, void *stream) {
  const std::string kernel = std::string("cuda ") + cpu::binaryOpName(op);
  const DType type = arithmeticType(a);
  DS_RETURN_IF_ERROR(checkBroadcastOperands(a, b, out, type, type, kernel));
  return dispatchArithmetic(type, [&](auto zero) {
    using T = decltype(zero);
    return binaryTyped<T>(op, a, b, out, stream, kernel.c_str());
  });
}

Status compare(cpu::CompareOp op, const TensorView &a, const TensorView &b,
               const MutableTensorView &out, void *stream) {
  const std::string kernel = std::string("cuda compare ") + cpu::compareOpName(op);
  const DType type = arithmeticType(a);
  DS_RETURN_IF_ERROR(checkBroadcastOperands(a, b, out, type, DType::U8, kernel));
  return dispatchArithmetic(type, [&](auto zero) {
    using T = decltype(zero);
    return compareTyped<T>(op, a, b, out, stream, kernel.c_str());
  });
}

Status select(const TensorView &cond, const TensorView &a, const TensorView &b,
              const MutableTensorView &out, void *stream) {
  const char *kernel = "cuda select";
  DS_RETURN_IF_ERROR(checkTensor(cond, DType::U8, kernel, "cond"));
  const DType type = a.dtype;
  DS_RETURN_IF_ERROR(checkTensor(a, type, kernel, "true value"));
  DS_RETURN_IF_ERROR(checkTensor(b, type, kernel, "false value"));
  StatusOr<Shape> shape = broadcastShapes({cond.shape, a.shape, b.shape});
  if (!shape)
    return shape.status().withContext(kernel);
  DS_RETURN_IF_ERROR(checkOutput(out, type, *shape, kernel));
  const int64_t n = out.numel();
  if (n == 0)
    return Status::ok();
  IndexMap<3> map;
  const std::vector<int64_t> strides[3] = {broadcastStrides(cond.shape, out.shape),
                                           broadcastStrides(a.shape, out.shape),
                                           broadcastStrides(b.shape, out.shape)};
  DS_RETURN_IF_ERROR(planIndexMap(out.shape, strides, map, kernel));
  return dispatchWord(dtypeSize(type), kernel, [&](auto word) {
    using W = decltype(word);
    selectKernel<W><<<gridFor(n, kElemThreads), kElemThreads, 0, asStream(stream)>>>(
        static_cast<const uint8_t *>(cond.data), static_cast<const W *>(a.data),
        static_cast<const W *>(b.data), static_cast<W *>(out.data), n, map);
    return launched(kernel);
  });
}

Status fill(void *out, const void *element, int64_t elementBytes, int64_t n, void *stream) {
  const char *kernel = "cuda fill";
  DS_RETURN_IF_ERROR(checkSizes(n, 0, kernel));
  if (n == 0)
    return Status::ok();
  if (!out || !element)
    return Status::error(std::string(kernel) + ": null pointer");
  return dispatchWord(elementBytes, kernel, [&](auto word) {
    using W = decltype(word);
    W value;
    std::memcpy(&value, element, sizeof(W));
    if (value == W(0) || sizeof(W) == 1)
      return fromCuda(
          cudaMemsetAsync(out, static_cast<int>(value & 0xffu), n * sizeof(W), asStream(stream)),
          kernel);
    fillKernel<W><<<gridFor(n, kElemThreads), kElemThreads, 0, asStream(stream)>>>(
        static_cast<W *>(out), n, value);
    return launched(kernel);
  });
}

} // namespace ds::rt::cuda
