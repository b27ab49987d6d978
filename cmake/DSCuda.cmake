# Finds nvcc and the CUDA toolkit and enables the CUDA language; sets DS_HAVE_CUDA. Shared by the
# full build (DSDependencies) and the kernels-only build (DSKernelsOnly), so both pick the same
# compiler and architectures.
set(DS_HAVE_CUDA OFF)
if(NOT DS_ENABLE_CUDA STREQUAL "OFF")
  if(NOT CMAKE_CUDA_COMPILER AND EXISTS /usr/local/cuda/bin/nvcc)
    set(CMAKE_CUDA_COMPILER /usr/local/cuda/bin/nvcc)
  endif()
  include(CheckLanguage)
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    find_package(CUDAToolkit QUIET)
  endif()
  if(CMAKE_CUDA_COMPILER AND CUDAToolkit_FOUND)
    set(DS_HAVE_CUDA ON)
  elseif(DS_ENABLE_CUDA STREQUAL "ON")
    message(FATAL_ERROR "ds: DS_ENABLE_CUDA=ON but no CUDA compiler/toolkit was found "
                        "(looked for nvcc on PATH and in /usr/local/cuda/bin)")
  endif()
endif()
if(DS_HAVE_CUDA)
  # H200/H100 by default: "90" compiles sm_90 code plus compute_90 PTX, which newer GPUs JIT.
  # One architecture keeps the build short; pass -DCMAKE_CUDA_ARCHITECTURES=... for others.
  if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES OR CMAKE_CUDA_ARCHITECTURES STREQUAL "")
    set(CMAKE_CUDA_ARCHITECTURES 90)
  endif()
  enable_language(CUDA)
  set(CMAKE_CUDA_STANDARD 17)
  set(CMAKE_CUDA_STANDARD_REQUIRED ON)
endif()
message(STATUS "ds: CUDA backend: ${DS_HAVE_CUDA} (DS_ENABLE_CUDA=${DS_ENABLE_CUDA})")
if(DS_HAVE_CUDA)
  message(STATUS "ds: CUDA architectures: ${CMAKE_CUDA_ARCHITECTURES}")
endif()
