// Operand checks shared by all kernels, so every kernel reports bad operands the same way.
#include "ds/Runtime/Tensor.h"

namespace ds::rt {

static std::string where(const char *kernel, const char *operand) {
  return std::string(kernel) + ": " + operand;
}

Status checkTensor(const TensorView &t, DType dtype, const char *kernel, const char *operand) {
  if (t.dtype != dtype)
    return Status::error(where(kernel, operand) + " must be " + dtypeName(dtype) + ", got " +
                         dtypeName(t.dtype));
  DS_RETURN_IF_ERROR(checkShape(t.shape, where(kernel, operand).c_str()));
  if (!t.data && t.numel() > 0)
    return Status::error(where(kernel, operand) + " has no data");
  return Status::ok();
}

Status checkOutput(const MutableTensorView &t, DType dtype, const Shape &expected,
                   const char *kernel, const char *operand) {
  DS_RETURN_IF_ERROR(checkTensor(t, dtype, kernel, operand));
  if (t.shape != expected)
    return Status::error(where(kernel, operand) + " shape " + shapeToString(t.shape) +
                         " differs from the expected " + shapeToString(expected));
  return Status::ok();
}

} // namespace ds::rt
