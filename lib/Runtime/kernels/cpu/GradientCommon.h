// What the backward kernels share: picking float or double from a dtype, and checking that every
// float operand has that dtype. Kept apart from Common.h so the gradient kernels carry their own
// element-type dispatch.
#ifndef DS_LIB_RUNTIME_KERNELS_CPU_GRADIENTCOMMON_H
#define DS_LIB_RUNTIME_KERNELS_CPU_GRADIENTCOMMON_H

#include "ds/Runtime/Tensor.h"

#include <initializer_list>
#include <string>
#include <utility>

namespace ds::rt::cpu::detail {

// Returns fn(T{}) with T = float for F32 and double for F64; an error naming `kernel` otherwise.
template <typename Fn> Status dispatchFloat(DType dtype, const char *kernel, const Fn &fn) {
  switch (dtype) {
  case DType::F32:
    return fn(float{});
  case DType::F64:
    return fn(double{});
  default:
    return Status::error(std::string(kernel) + ": element type must be f32 or f64, got " +
                         dtypeName(dtype));
  }
}

// Each (view, operand name) has `dtype`, a valid shape, and data.
inline Status checkFloatOperands(DType dtype, const char *kernel,
                                 std::initializer_list<std::pair<TensorView, const char *>> views) {
  for (const auto &[view, name] : views)
    DS_RETURN_IF_ERROR(checkTensor(view, dtype, kernel, name));
  return Status::ok();
}

// Index tensors (gather indices, loss targets) are i64 or i32.
inline Status checkIndexTensor(const TensorView &t, const char *kernel, const char *operand) {
  if (t.dtype != DType::I64 && t.dtype != DType::I32)
    return Status::error(std::string(kernel) + ": " + operand + " must be i64 or i32, got " +
                         dtypeName(t.dtype));
  return checkTensor(t, t.dtype, kernel, operand);
}

// Returns fn(Index{}) with Index = int64_t or int32_t per the (checked) index dtype.
template <typename Fn> Status dispatchIndex(DType dtype, const Fn &fn) {
  return dtype == DType::I64 ? fn(int64_t{}) : fn(int32_t{});
}

} // namespace ds::rt::cpu::detail

#endif // DS_LIB_RUNTIME_KERNELS_CPU_GRADIENTCOMMON_H
