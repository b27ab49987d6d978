// Reading and writing NumPy .npy files (format 1.0, little-endian, C order): how users hand
// inputs to ds-run and how tests read its outputs.
#ifndef DS_RUNTIME_EXEC_NPY_H
#define DS_RUNTIME_EXEC_NPY_H

#include "ds/Runtime/DType.h"
#include "ds/Runtime/Shape.h"
#include "ds/Runtime/Status.h"

#include <string>
#include <vector>

namespace ds::rt {

struct NpyArray {
  DType dtype = DType::F32;
  Shape shape;
  std::vector<char> data;
};

StatusOr<NpyArray> readNpy(const std::string &path);
// Writes through a temporary file and a rename, so a reader never sees half a file.
Status writeNpy(const std::string &path, DType dtype, const Shape &shape, const void *data);

} // namespace ds::rt

#endif // DS_RUNTIME_EXEC_NPY_H
