// Element type conversion between f32, f64, bf16, f16, i64, i32 and u8 (bool).
#ifndef DS_RUNTIME_KERNELS_CPU_CAST_H
#define DS_RUNTIME_KERNELS_CPU_CAST_H

#include "ds/Runtime/Tensor.h"

namespace ds::rt::cpu {

// out = x converted to out.dtype; shapes must match. Floats narrow with round-to-nearest-even,
// floats go to integers by truncation toward zero (NaN or out of range is an error naming the
// element), and anything goes to u8 as a bool (nonzero -> 1). Integers and f64 reach bf16/f16
// through f32.
Status cast(const TensorView &x, const MutableTensorView &out);

} // namespace ds::rt::cpu

#endif // DS_RUNTIME_KERNELS_CPU_CAST_H
