# Finds Debian's MLIR/LLVM 19 and loads its CMake helpers the way MLIR's examples/standalone does.
# Everything configured after this file sees LLVM's compile options (no exceptions, RTTI on).
find_package(MLIR REQUIRED CONFIG HINTS /usr/lib/llvm-19/lib/cmake/mlir)
if(NOT LLVM_VERSION_MAJOR EQUAL 19)
  message(FATAL_ERROR "slimtune needs MLIR/LLVM 19, found ${LLVM_PACKAGE_VERSION} at ${MLIR_DIR}")
endif()
message(STATUS "slimtune: MLIR from ${MLIR_DIR}, LLVM ${LLVM_PACKAGE_VERSION}")

set(LLVM_RUNTIME_OUTPUT_INTDIR ${CMAKE_BINARY_DIR}/bin)
set(LLVM_LIBRARY_OUTPUT_INTDIR ${CMAKE_BINARY_DIR}/lib)
set(MLIR_BINARY_DIR ${CMAKE_BINARY_DIR})

list(APPEND CMAKE_MODULE_PATH "${MLIR_CMAKE_DIR}" "${LLVM_CMAKE_DIR}")
include(TableGen)
include(AddLLVM)
include(AddMLIR)
include(HandleLLVMOptions)

include_directories(SYSTEM ${LLVM_INCLUDE_DIRS} ${MLIR_INCLUDE_DIRS})
# Compiler sources include each other from the repository root ("dialects/slim/SlimOps.h"),
# and generated .inc files from the same relative path under the build tree.
include_directories(${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR})
# The runtime's ABI header (kernel_abi.h) is the one part of the runtime passes may include.
include_directories(${PROJECT_SOURCE_DIR}/runtime/include)
link_directories(${LLVM_BUILD_LIBRARY_DIR})
separate_arguments(SLIMTUNE_LLVM_DEFINITIONS NATIVE_COMMAND ${LLVM_DEFINITIONS})
add_definitions(${SLIMTUNE_LLVM_DEFINITIONS})
