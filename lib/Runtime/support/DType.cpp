// Names and sizes of the runtime's element types.
#include "ds/Runtime/DType.h"

namespace ds::rt {

int64_t dtypeSize(DType type) {
  switch (type) {
  case DType::F32:
  case DType::I32:
    return 4;
  case DType::BF16:
  case DType::F16:
    return 2;
  case DType::I64:
  case DType::F64:
    return 8;
  case DType::U8:
    return 1;
  }
  return 0;
}

const char *dtypeName(DType type) {
  switch (type) {
  case DType::F32:
    return "f32";
  case DType::BF16:
    return "bf16";
  case DType::F16:
    return "f16";
  case DType::I64:
    return "i64";
  case DType::I32:
    return "i32";
  case DType::U8:
    return "u8";
  case DType::F64:
    return "f64";
  }
  return "?";
}

} // namespace ds::rt
