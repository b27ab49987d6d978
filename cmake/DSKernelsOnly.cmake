# The kernels-only build (-DDS_KERNELS_ONLY=ON): the CUDA kernel library, the CPU kernels that need
# nothing but a C++17 compiler (every kernel but the oneDNN matmul), and DSCudaKernelTests, which
# compares the two; with NCCL, also the NCCL communicator and DSNcclTests. It needs CUDA, CMake and a compiler: no MLIR, ONNX, protobuf, MPI or oneDNN.
# GoogleTest is used when installed; otherwise the tests run under the stand-in harness in
# unittests/Cuda/TestHarness.h, one ctest test that exits 77 (skipped) when no device is present.
set(DS_SOURCE_DIR ${CMAKE_CURRENT_SOURCE_DIR})
set(CMAKE_RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bin)
set(CMAKE_ARCHIVE_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/lib)

if(DS_ENABLE_CUDA STREQUAL "OFF")
  message(FATAL_ERROR "ds: DS_KERNELS_ONLY builds the CUDA kernels; it cannot run with "
                      "DS_ENABLE_CUDA=OFF")
endif()
set(DS_ENABLE_CUDA ON)
include(DSCuda)

include(${DS_SOURCE_DIR}/lib/Runtime/kernels/cpu/Sources.cmake)
add_library(DSCpuKernels STATIC ${DS_CPU_KERNEL_SOURCES})
target_include_directories(DSCpuKernels PUBLIC ${DS_SOURCE_DIR}/include)
target_compile_features(DSCpuKernels PUBLIC cxx_std_17)
find_package(OpenMP QUIET COMPONENTS CXX)
if(OpenMP_CXX_FOUND)
  target_link_libraries(DSCpuKernels PUBLIC OpenMP::OpenMP_CXX)
else()
  # The kernels' `#pragma omp` lines then compile to serial loops.
  target_compile_options(DSCpuKernels PRIVATE -Wno-unknown-pragmas)
endif()

add_subdirectory(lib/Runtime/kernels/cuda)

# The NCCL communicator needs only the backend-independent Communicator.cpp (and DType.cpp, in
# DSCpuKernels); its test bootstraps through SelfCommunicator. Neither needs MPI or protobuf.
if(DS_HAVE_NCCL)
  add_library(DSCommCore STATIC
    lib/Runtime/comm/Communicator.cpp
    lib/Runtime/comm/SelfCommunicator.cpp)
  target_link_libraries(DSCommCore PUBLIC DSCpuKernels)
  ds_add_nccl_communicator(DSCommCore)
endif()

enable_testing()
set(DS_CUDA_TEST_CPU_KERNELS DSCpuKernels)
find_package(GTest QUIET)
if(GTest_FOUND)
  set(DS_CUDA_TESTS_USE_GTEST ON)
else()
  set(DS_CUDA_TESTS_USE_GTEST OFF)
endif()
message(STATUS "ds: kernels-only build; GoogleTest: ${DS_CUDA_TESTS_USE_GTEST} "
               "(OFF: the stand-in harness of unittests/Cuda/TestHarness.h)")
add_subdirectory(unittests/Cuda)
