// Binary arithmetic, comparisons and select with numpy broadcasting, on f32.
#include "ds/Runtime/Kernels/CPU/Elementwise.h"

#include "Common.h"

#include <cmath>

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

struct AddOp {
  float operator()(float a, float b) const { return a + b; }
};
struct SubOp {
  float operator()(float a, float b) const { return a - b; }
};
struct MulOp {
  float operator()(float a, float b) const { return a * b; }
};
struct DivOp {
  float operator()(float a, float b) const { return a / b; }
};
struct PowOp {
  float operator()(float a, float b) const { return std::pow(a, b); }
};
// NaN in either operand wins, as torch.maximum/minimum.
struct MaxOp {
  float operator()(float a, float b) const { return (a > b || a != a) ? a : b; }
};
struct MinOp {
  float operator()(float a, float b) const { return (a < b || a != a) ? a : b; }
};

template <typename Cmp> struct CompareFn {
  uint8_t operator()(float a, float b) const { return Cmp()(a, b) ? 1 : 0; }
};
struct EqCmp {
  bool operator()(float a, float b) const { return a == b; }
};
struct NeCmp {
  bool operator()(float a, float b) const { return a != b; }
};
struct LtCmp {
  bool operator()(float a, float b) const { return a < b; }
};
struct LeCmp {
  bool operator()(float a, float b) const { return a <= b; }
};
struct GtCmp {
  bool operator()(float a, float b) const { return a > b; }
};
struct GeCmp {
  bool operator()(float a, float b) const { return a >= b; }
};

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
  DS_RETURN_IF_ERROR(checkBroadcastOperands(a, b, out, DType::F32, DType::F32, binaryOpName(op)));
  BroadcastLoop loop = detail::planBroadcast(out.shape, {a.shape, b.shape});
  const float *pa = a.as<float>(), *pb = b.as<float>();
  float *po = out.as<float>();
  switch (op) {
  case BinaryOp::Add:
    binaryLoop(loop, pa, pb, po, AddOp());
    break;
  case BinaryOp::Sub:
    binaryLoop(loop, pa, pb, po, SubOp());
    break;
  case BinaryOp::Mul:
    binaryLoop(loop, pa, pb, po, MulOp());
    break;
  case BinaryOp::Div:
    binaryLoop(loop, pa, pb, po, DivOp());
    break;
  case BinaryOp::Pow:
    binaryLoop(loop, pa, pb, po, PowOp());
    break;
  case BinaryOp::Max:
    binaryLoop(loop, pa, pb, po, MaxOp());
    break;
  case BinaryOp::Min:
    binaryLoop(loop, pa, pb, po, MinOp());
    break;
  }
  return Status::ok();
}

Status compare(CompareOp op, const TensorView &a, const TensorView &b,
               const MutableTensorView &out) {
  std::string kernel = std::string("compare ") + compareOpName(op);
  DS_RETURN_IF_ERROR(checkBroadcastOperands(a, b, out, DType::F32, DType::U8, kernel));
  BroadcastLoop loop = detail::planBroadcast(out.shape, {a.shape, b.shape});
  const float *pa = a.as<float>(), *pb = b.as<float>();
  uint8_t *po = out.as<uint8_t>();
  switch (op) {
  case CompareOp::Eq:
    binaryLoop(loop, pa, pb, po, CompareFn<EqCmp>());
    break;
  case CompareOp::Ne:
    binaryLoop(loop, pa, pb, po, CompareFn<NeCmp>());
    break;
  case CompareOp::Lt:
    binaryLoop(loop, pa, pb, po, CompareFn<LtCmp>());
    break;
  case CompareOp::Le:
    binaryLoop(loop, pa, pb, po, CompareFn<LeCmp>());
    break;
  case CompareOp::Gt:
    binaryLoop(loop, pa, pb, po, CompareFn<GtCmp>());
    break;
  case CompareOp::Ge:
    binaryLoop(loop, pa, pb, po, CompareFn<GeCmp>());
    break;
  }
  return Status::ok();
}

Status select(const TensorView &cond, const TensorView &a, const TensorView &b,
              const MutableTensorView &out) {
  DS_RETURN_IF_ERROR(checkTensor(cond, DType::U8, "select", "cond"));
  DS_RETURN_IF_ERROR(checkTensor(a, DType::F32, "select", "true value"));
  DS_RETURN_IF_ERROR(checkTensor(b, DType::F32, "select", "false value"));
  StatusOr<Shape> shape = broadcastShapes({cond.shape, a.shape, b.shape});
  if (!shape)
    return shape.status().withContext("select");
  DS_RETURN_IF_ERROR(checkOutput(out, DType::F32, *shape, "select"));

  BroadcastLoop loop = detail::planBroadcast(out.shape, {cond.shape, a.shape, b.shape});
  const uint8_t *pc = cond.as<uint8_t>();
  const float *pa = a.as<float>(), *pb = b.as<float>();
  float *po = out.as<float>();
  const int64_t sc = loop.strides[0].back(), sa = loop.strides[1].back(),
                sb = loop.strides[2].back();
  detail::runBroadcast(loop, [&](int64_t o, const int64_t *in, int64_t len) {
    const uint8_t *c = pc + in[0];
    const float *x = pa + in[1], *y = pb + in[2];
    float *z = po + o;
    if (sc == 1 && sa == 1 && sb == 1) {
#pragma omp simd
      for (int64_t j = 0; j < len; ++j)
        z[j] = c[j] ? x[j] : y[j];
    } else {
      for (int64_t j = 0; j < len; ++j)
        z[j] = c[j * sc] ? x[j * sa] : y[j * sb];
    }
  });
  return Status::ok();
}

} // namespace ds::rt::cpu
