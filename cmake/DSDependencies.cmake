# Finds every dependency of the build, failing with a message that names the Debian package to install.
# scripts/bootstrap.sh installs all of them.

macro(ds_require found what package)
  if(NOT ${found})
    message(FATAL_ERROR "ds: ${what} not found. Install the Debian package(s) `${package}` "
                        "(scripts/bootstrap.sh installs everything the build needs).")
  endif()
endmacro()

# Debian's interpreter: python3-torch and python3-onnx import only there, and lit runs on it.
if(NOT Python3_EXECUTABLE AND EXISTS /usr/bin/python3)
  set(Python3_EXECUTABLE /usr/bin/python3)
endif()
find_package(Python3 REQUIRED COMPONENTS Interpreter)

# MLIR / LLVM 19. Debian installs the CMake packages under /usr/lib/llvm-19.
find_package(MLIR CONFIG QUIET HINTS /usr/lib/llvm-19/lib/cmake/mlir)
ds_require(MLIR_FOUND "MLIR 19 (MLIRConfig.cmake)" "libmlir-19-dev mlir-19-tools llvm-19-dev llvm-19-tools")
if(NOT LLVM_VERSION_MAJOR EQUAL 19)
  message(FATAL_ERROR "ds: needs LLVM/MLIR 19, found ${LLVM_PACKAGE_VERSION} in ${LLVM_DIR}; "
                      "install libmlir-19-dev or pass -DMLIR_DIR=/usr/lib/llvm-19/lib/cmake/mlir")
endif()
message(STATUS "ds: MLIR from ${MLIR_DIR}")
message(STATUS "ds: LLVM ${LLVM_PACKAGE_VERSION} from ${LLVM_DIR}")

list(APPEND CMAKE_MODULE_PATH "${MLIR_CMAKE_DIR}" "${LLVM_CMAKE_DIR}")
set(LLVM_RUNTIME_OUTPUT_INTDIR ${CMAKE_BINARY_DIR}/bin)
set(LLVM_LIBRARY_OUTPUT_INTDIR ${CMAKE_BINARY_DIR}/lib)
set(MLIR_BINARY_DIR ${CMAKE_BINARY_DIR})
include(TableGen)
include(AddLLVM)
include(AddMLIR)
include(HandleLLVMOptions)
include_directories(SYSTEM ${LLVM_INCLUDE_DIRS} ${MLIR_INCLUDE_DIRS})
# TableGen include path: .td files include each other as "ds/..."
include_directories(${CMAKE_SOURCE_DIR}/include ${CMAKE_BINARY_DIR}/include)
separate_arguments(LLVM_DEFINITIONS_LIST NATIVE_COMMAND ${LLVM_DEFINITIONS})
add_definitions(${LLVM_DEFINITIONS_LIST})

# Debian ships libMLIR.so and libLLVM.so; linking the two dylibs (not the static component
# libraries) keeps links fast on a 2-core machine and avoids registering LLVM options twice.
if(NOT TARGET MLIR)
  message(FATAL_ERROR "ds: the MLIR shared library (libMLIR.so) is missing; install libmlir-19-dev")
endif()

# lit, FileCheck and friends come from llvm-19-tools.
find_program(DS_LIT lit.py HINTS ${LLVM_TOOLS_BINARY_DIR}/../build/utils/lit
             /usr/lib/llvm-19/build/utils/lit NO_DEFAULT_PATH)
find_program(DS_FILECHECK FileCheck HINTS ${LLVM_TOOLS_BINARY_DIR} NO_DEFAULT_PATH)
ds_require(DS_LIT "lit (build/utils/lit/lit.py under the LLVM 19 prefix)" "llvm-19-tools")
ds_require(DS_FILECHECK "FileCheck" "llvm-19-tools")

# ONNX: Debian's package exports the targets `onnx` and `onnx_proto` (no namespace).
find_package(ONNX CONFIG QUIET)
ds_require(ONNX_FOUND "ONNX (ONNXConfig.cmake)" "libonnx-dev")
find_package(Protobuf QUIET)
ds_require(Protobuf_FOUND "protobuf" "libprotobuf-dev protobuf-compiler")
if(NOT Protobuf_PROTOC_EXECUTABLE)
  message(FATAL_ERROR "ds: protoc not found. Install the Debian package `protobuf-compiler`.")
endif()

find_package(MPI QUIET COMPONENTS C CXX)
ds_require(MPI_FOUND "MPI (OpenMPI)" "libopenmpi-dev openmpi-bin")
find_package(OpenMP QUIET COMPONENTS CXX)
ds_require(OpenMP_CXX_FOUND "OpenMP for C++" "libgomp1 (comes with g++)")

# CPU GEMM: oneDNN (C API), chosen over OpenBLAS by measurement (bench/RESULTS.md).
find_package(dnnl CONFIG QUIET)
ds_require(dnnl_FOUND "oneDNN (dnnl-config.cmake)" "libdnnl-dev")

if(DS_BUILD_TESTS)
  find_package(GTest QUIET)
  ds_require(GTest_FOUND "GoogleTest" "libgtest-dev")
endif()

# CUDA + NCCL are optional: AUTO builds the CUDA parts when nvcc is found.
include(DSCuda)
