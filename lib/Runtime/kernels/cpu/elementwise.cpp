// Binary arithmetic, comparisons and select with numpy broadcasting: arithmetic and comparisons
// on f32, f64, i64 and i32 (integer ops appear in index arithmetic the importer could not fold),
// select on any element type.
#include "ds/Runtime/Kernels/CPU/Elementwise.h"

#include "Common.h"

#include <cmath>
#include <functional>
#include <type_traits>

namespace ds::rt::cpu {

using detail::BroadcastLoop;

const char *binaryOpName(BinaryOp op) {
  switch (op) {
  case BinaryOp::Add:
    return "add";
  case BinaryOp::Sub:
    return "sub";
  case BinaryOp::Mul:
    return "mul";
  case BinaryOp::Div:
    return "div";
  case BinaryOp::Pow:
    return "pow";
  case BinaryOp::Max:
    return "max";
  case BinaryOp::Min:
    return "min";
  }
  return "?";
}

const char *compareOpName(CompareOp op) {
  switch (op) {
  case CompareOp::Eq:
    return "eq";
  case CompareOp::Ne:
    return "ne";
  case CompareOp::Lt:
    return "lt";
  case CompareOp::Le:
    return "le";
  case CompareOp::Gt:
    return "gt";
  case CompareOp::Ge:
    return "ge";
  }
  return "?";
}

namespace {

// The inner loop specialised on which operands advance, so the common cases vectorize.
template <typename In0, typename In1, typename Out, typename Op>
void binaryLoop(const BroadcastLoop &loop, const In0 *a, const In1 *b, Out *out, const Op &op) {
  const int64_t sa = loop.strides[0].back(), sb = loop.strides[1].back();
  detail::runBroadcast(loop, [&](int64_t o, const int64_t *in, int64_t len) {
    const In0 *pa = a + in[0];
    const In1 *pb = b + in[1];
    Out *po = out + o;
    if (sa == 1 && sb == 1) {
#pragma omp simd
      for (int64_t j = 0; j < len; ++j)
        po[j] = op(pa[j], pb[j]);
    } else if (sa == 1 && sb == 0) {
      const In1 vb = *pb;
#pragma omp simd
      for (int64_t j = 0; j < len; ++j)
        po[j] = op(pa[j], vb);
    } else if (sa == 0 && sb == 1) {
      const In0 va = *pa;
#pragma omp simd
      for (int64_t j = 0; j < len; ++j)
        po[j] = op(va, pb[j]);
    } else {
      for (int64_t j = 0; j < len; ++j)
        po[j] = op(pa[j * sa], pb[j * sb]);
    }
  });
}

template <typename T> struct AddOp {
  T operator()(T a, T b) const { return a + b; }
};
template <typename T> struct SubOp {
  T operator()(T a, T b) const { return a - b; }
};
template <typename T> struct MulOp {
  T operator()(T a, T b) const { return a * b; }
};
template <typename T> struct DivOp {
  T operator()(T a, T b) const {
    if constexpr (std::is_integral_v<T>)
      return b == 0 ? T(0) : a / b; // truncating, as C and ONNX; no trap on zero
    else
      return a / b;
  }
};
template <typename T> struct PowOp {
  T operator()(T a, T b) const {
    if constexpr (std::is_integral_v<T>)
      return static_cast<T>(std::pow(static_cast<double>(a), static_cast<double>(b)));
    else
      return std::pow(a, b);
  }
};
// NaN in either operand wins, as torch.maximum/minimum.
template <typename T> struct MaxOp {
  T operator()(T a, T b) const { return (a > b || a != a) ? a : b; }
};
template <typename T> struct MinOp {
  T operator()(T a, T b) const { return (a < b || a != a) ? a : b; }
};

template <typename T, typename Cmp> struct CompareFn {
  uint8_t operator()(T a, T b) const { return Cmp()(a, b) ? 1 : 0; }
};

template <typename T>
void binaryTyped(BinaryOp op, const BroadcastLoop &loop, const TensorView &a, const TensorView &b,
                 const MutableTensorView &out) {
  const T *pa = a.as<T>(), *pb = b.as<T>();
  T *po = out.as<T>();
  switch (op) {
  case BinaryOp::Add:
    binaryLoop(loop, pa, pb, po, AddOp<T>());
    break;
  case BinaryOp::Sub:
    binaryLoop(loop, pa, pb, po, SubOp<T>());
    break;
  case BinaryOp::Mul:
    binaryLoop(loop, pa, pb, po, MulOp<T>());
    break;
  case BinaryOp::Div:
    binaryLoop(loop, pa, pb, po, DivOp<T>());
    break;
  case BinaryOp::Pow:
    binaryLoop(loop, pa, pb, po, PowOp<T>());
    break;
  case BinaryOp::Max:
    binaryLoop(loop, pa, pb, po, MaxOp<T>());
    break;
  case BinaryOp::Min:
    binaryLoop(loop, pa, pb, po, MinOp<T>());
    break;
  }
}

template <typename T>
void compareTyped(CompareOp op, const BroadcastLoop &loop, const TensorView &a,
                  const TensorView &b, const MutableTensorView &out) {
  const T *pa = a.as<T>(), *pb = b.as<T>();
  uint8_t *po = out.as<uint8_t>();
  switch (op) {
  case CompareOp::Eq:
    binaryLoop(loop, pa, pb, po, CompareFn<T, std::equal_to<T>>());
    break;
  case CompareOp::Ne:
    binaryLoop(loop, pa, pb, po, CompareFn<T, std::not_equal_to<T>>());
    break;
  case CompareOp::Lt:
    binaryLoop(loop, pa, pb, po, CompareFn<T, std::less<T>>());
    break;
  case CompareOp::Le:
    binaryLoop(loop, pa, pb, po, CompareFn<T, std::less_equal<T>>());
    break;
  case CompareOp::Gt:
    binaryLoop(loop, pa, pb, po, CompareFn<T, std::greater<T>>());
    break;
  case CompareOp::Ge:
    binaryLoop(loop, pa, pb, po, CompareFn<T, std::greater_equal<T>>());
    break;
  }
}

// The element type arithmetic and comparisons accept: that of the lhs when it is f32, f64, i64
// or i32, else f32 (so the error names what was expected).
DType arithmeticType(const TensorView &a) {
  return a.dtype == DType::I64 || a.dtype == DType::I32 || a.dtype == DType::F64 ? a.dtype
                                                                                 : DType::F32;
}

// Checks a and b (dtype `inType`) and out (dtype `outType`, the broadcast shape) for `kernel`.
Status checkBroadcastOperands(const TensorView &a, const TensorView &b,
                              const MutableTensorView &out, DType inType, DType outType,
                              const std::string &kernel) {
  DS_RETURN_IF_ERROR(checkTensor(a, inType, kernel.c_str(), "lhs"));
  DS_RETURN_IF_ERROR(checkTensor(b, inType, kernel.c_str(), "rhs"));
  StatusOr<Shape> shape = broadcastShapes(a.shape, b.shape);
  if (!shape)
    return shape.status().withContext(kernel);
  return checkOutput(out, outType, *shape, kernel.c_str());
}

} // namespace

Status binary(BinaryOp op, const TensorView &a, const TensorView &b,
              const MutableTensorView &out) {
  DType type = arithmeticType(a);
  DS_RETURN_IF_ERROR(checkBroadcastOperands(a, b, out, type, type, binaryOpName(op)));
  BroadcastLoop loop = detail::planBroadcast(out.shape, {a.shape, b.shape});
  if (type == DType::I64)
    binaryTyped<int64_t>(op, loop, a, b, out);
  else if (type == DType::I32)
    binaryTyped<int32_t>(op, loop, a, b, out);
  else if (type == DType::F64)
    binaryTyped<double>(op, loop, a, b, out);
  else
    binaryTyped<float>(op, loop, a, b, out);
  return Status::ok();
}

Status compare(CompareOp op, const TensorView &a, const TensorView &b,
               const MutableTensorView &out) {
  std::string kernel = std::string("compare ") + compareOpName(op);
  DType type = arithmeticType(a);
  DS_RETURN_IF_ERROR(checkBroadcastOperands(a, b, out, type, DType::U8, kernel));
  BroadcastLoop loop = detail::planBroadcast(out.shape, {a.shape, b.shape});
  if (type == DType::I64)
    compareTyped<int64_t>(op, loop, a, b, out);
  else if (type == DType::I32)
    compareTyped<int32_t>(op, loop, a, b, out);
  else if (type == DType::F64)
    compareTyped<double>(op, loop, a, b, out);
  else
    compareTyped<float>(op, loop, a, b, out);
  return Status::ok();
}

namespace {
// Select moves elements without looking at them, so it works on words of the element's size.
template <typename Word>
void selectWords(const BroadcastLoop &loop, const uint8_t *pc, const Word *pa, const Word *pb,
                 Word *po) {
  const int64_t sc = loop.strides[0].back(), sa = loop.strides[1].back(),
                sb = loop.strides[2].back();
  detail::runBroadcast(loop, [&](int64_t o, const int64_t *in, int64_t len) {
    const uint8_t *c = pc + in[0];
    const Word *x = pa + in[1], *y = pb + in[2];
    Word *z = po + o;
    if (sc == 1 && sa == 1 && sb == 1) {
#pragma omp simd
      for (int64_t j = 0; j < len; ++j)
        z[j] = c[j] ? x[j] : y[j];
    } else {
      for (int64_t j = 0; j < len; ++j)
        z[j] = c[j * sc] ? x[j * sa] : y[j * sb];
    }
  });
}
} // namespace

Status select(const TensorView &cond, const TensorView &a, const TensorView &b,
              const MutableTensorView &out) {
  DS_RETURN_IF_ERROR(checkTensor(cond, DType::U8, "select", "cond"));
  DType type = a.dtype;
  DS_RETURN_IF_ERROR(checkTensor(a, type, "select", "true value"));
  DS_RETURN_IF_ERROR(checkTensor(b, type, "select", "false value"));
  StatusOr<Shape> shape = broadcastShapes({cond.shape, a.shape, b.shape});
  if (!shape)
    return shape.status().withContext("select");
  DS_RETURN_IF_ERROR(checkOutput(out, type, *shape, "select"));

  BroadcastLoop loop = detail::planBroadcast(out.shape, {cond.shape, a.shape, b.shape});
  const uint8_t *pc = cond.as<uint8_t>();
  switch (dtypeSize(type)) {
  case 1:
    selectWords(loop, pc, a.as<uint8_t>(), b.as<uint8_t>(), out.as<uint8_t>());
    break;
  case 2:
    selectWords(loop, pc, a.as<uint16_t>(), b.as<uint16_t>(), out.as<uint16_t>());
    break;
  case 4:
    selectWords(loop, pc, a.as<uint32_t>(), b.as<uint32_t>(), out.as<uint32_t>());
    break;
  default:
    selectWords(loop, pc, a.as<uint64_t>(), b.as<uint64_t>(), out.as<uint64_t>());
    break;
  }
  return Status::ok();
}

} // namespace ds::rt::cpu
