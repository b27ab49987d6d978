// Non-owning views of row-major contiguous buffers: the unit every kernel reads and writes.
// The executor owns memory (arenas from the plan); kernels only see these views.
#ifndef DS_RUNTIME_TENSOR_H
#define DS_RUNTIME_TENSOR_H

#include "ds/Runtime/DType.h"
#include "ds/Runtime/Shape.h"

namespace ds::rt {

// A read-only tensor.
struct TensorView {
  const void *data = nullptr;
  Shape shape;
  DType dtype = DType::F32;

  TensorView() = default;
  TensorView(const void *data, Shape shape, DType dtype)
      : data(data), shape(std::move(shape)), dtype(dtype) {}
  template <typename T>
  TensorView(const T *data, Shape shape)
      : data(data), shape(std::move(shape)), dtype(DTypeOf<T>::value) {}

  int64_t rank() const { return static_cast<int64_t>(shape.size()); }
  int64_t numel() const { return numElements(shape); }
  int64_t bytes() const { return numel() * dtypeSize(dtype); }
  template <typename T> const T *as() const { return static_cast<const T *>(data); }
};

// A tensor a kernel writes. Converts to a TensorView so an output can feed the next kernel.
struct MutableTensorView {
  void *data = nullptr;
  Shape shape;
  DType dtype = DType::F32;

  MutableTensorView() = default;
  MutableTensorView(void *data, Shape shape, DType dtype)
      : data(data), shape(std::move(shape)), dtype(dtype) {}
  template <typename T>
  MutableTensorView(T *data, Shape shape)
      : data(data), shape(std::move(shape)), dtype(DTypeOf<T>::value) {}

  operator TensorView() const { return TensorView(data, shape, dtype); }
  int64_t rank() const { return static_cast<int64_t>(shape.size()); }
  int64_t numel() const { return numElements(shape); }
  int64_t bytes() const { return numel() * dtypeSize(dtype); }
  template <typename T> T *as() const { return static_cast<T *>(data); }
};

// Checks shared by all kernels; each error message starts with the kernel and operand names.
Status checkTensor(const TensorView &t, DType dtype, const char *kernel, const char *operand);
Status checkOutput(const MutableTensorView &t, DType dtype, const Shape &expected,
                   const char *kernel, const char *operand = "output");

} // namespace ds::rt

#endif // DS_RUNTIME_TENSOR_H
