# Finds NCCL for the NCCL communicator (DSNcclComm); included by DSCuda when CUDA is found, so the
# full and the kernels-only builds find the same one. Sets DS_HAVE_NCCL and, when found, the
# imported target DS::nccl. libnccl is linked dynamically (its soname, libnccl.so.2): on GPU
# machines it may come from PyTorch's nvidia-nccl pip package through LD_LIBRARY_PATH instead.
# -DDS_NCCL_ROOT=DIR (or $NCCL_HOME) points at an install with include/ and lib/.
set(DS_HAVE_NCCL OFF)
set(_dsNcclHints ${DS_NCCL_ROOT} $ENV{NCCL_HOME} ${CUDAToolkit_LIBRARY_ROOT})
find_path(DS_NCCL_INCLUDE_DIR nccl.h
  HINTS ${_dsNcclHints} ${CUDAToolkit_INCLUDE_DIRS} PATH_SUFFIXES include)
# libnccl.so.2 too: the pip package ships no unversioned libnccl.so.
find_library(DS_NCCL_LIBRARY NAMES nccl libnccl.so.2
  HINTS ${_dsNcclHints} ${CUDAToolkit_LIBRARY_DIR} /usr/local/cuda/lib /usr/local/cuda/lib64
  PATH_SUFFIXES lib lib64)
if(DS_NCCL_INCLUDE_DIR AND DS_NCCL_LIBRARY)
  set(DS_HAVE_NCCL ON)
  if(NOT TARGET DS::nccl)
    add_library(DS::nccl SHARED IMPORTED GLOBAL)
    set_target_properties(DS::nccl PROPERTIES
      IMPORTED_LOCATION ${DS_NCCL_LIBRARY}
      INTERFACE_INCLUDE_DIRECTORIES ${DS_NCCL_INCLUDE_DIR})
  endif()
  message(STATUS "ds: NCCL: ${DS_NCCL_LIBRARY} (headers in ${DS_NCCL_INCLUDE_DIR})")
else()
  message(STATUS "ds: NCCL not found (nccl.h: ${DS_NCCL_INCLUDE_DIR}, "
                 "library: ${DS_NCCL_LIBRARY}); the NCCL communicator and its tests are not built")
endif()

# DSNcclComm: the NCCL backend of Communicator. `commLib` provides Communicator.cpp (meshGroup,
# busBytes) and DType.cpp: DSRuntime in the full build, DSCommCore in the kernels-only one.
function(ds_add_nccl_communicator commLib)
  add_library(DSNcclComm STATIC ${DS_SOURCE_DIR}/lib/Runtime/comm/NCCLCommunicator.cpp)
  target_include_directories(DSNcclComm PUBLIC ${DS_SOURCE_DIR}/include)
  target_compile_features(DSNcclComm PUBLIC cxx_std_17)
  target_link_libraries(DSNcclComm PUBLIC ${commLib} PRIVATE CUDA::cudart_static DS::nccl)
  set_target_properties(DSNcclComm PROPERTIES POSITION_INDEPENDENT_CODE ON)
endfunction()
