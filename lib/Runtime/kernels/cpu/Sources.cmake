# The CPU kernels that need only a C++17 compiler (OpenMP when present): every kernel but matmul,
# which needs oneDNN. DSRuntime compiles them; the kernels-only build (DS_KERNELS_ONLY) compiles
# them alone as the reference its CUDA kernel tests compare against.
get_filename_component(_dsRuntimeDir ${CMAKE_CURRENT_LIST_DIR}/../.. ABSOLUTE)
set(DS_CPU_KERNEL_SOURCES
  ${_dsRuntimeDir}/support/DType.cpp
  ${_dsRuntimeDir}/support/Shape.cpp
  ${_dsRuntimeDir}/support/Tensor.cpp
  ${_dsRuntimeDir}/kernels/cpu/Common.cpp
  ${_dsRuntimeDir}/kernels/cpu/cast.cpp
  ${_dsRuntimeDir}/kernels/cpu/concat.cpp
  ${_dsRuntimeDir}/kernels/cpu/elementwise.cpp
  ${_dsRuntimeDir}/kernels/cpu/gather.cpp
  ${_dsRuntimeDir}/kernels/cpu/gradients.cpp
  ${_dsRuntimeDir}/kernels/cpu/loss.cpp
  ${_dsRuntimeDir}/kernels/cpu/norm.cpp
  ${_dsRuntimeDir}/kernels/cpu/norm_grad.cpp
  ${_dsRuntimeDir}/kernels/cpu/optimizer.cpp
  ${_dsRuntimeDir}/kernels/cpu/random.cpp
  ${_dsRuntimeDir}/kernels/cpu/reduce.cpp
  ${_dsRuntimeDir}/kernels/cpu/scatter_grad.cpp
  ${_dsRuntimeDir}/kernels/cpu/shape.cpp
  ${_dsRuntimeDir}/kernels/cpu/softmax.cpp
  ${_dsRuntimeDir}/kernels/cpu/unary.cpp
)
