//===- EmitLibrary.h - LLVM dialect module -> shared library ------------------------------===//

#ifndef SLIMTUNE_COMPILER_CODEGEN_EMITLIBRARY_H
#define SLIMTUNE_COMPILER_CODEGEN_EMITLIBRARY_H

#include "mlir/IR/BuiltinOps.h"

#include <string>

namespace slimtune::codegen {

// Translates an LLVM-dialect module to machine code for this CPU family (x86-64 baseline, so
// an artifact runs on any x86-64 machine: it only calls kernels) and links it, in process,
// into a shared library at `path` (written to a temporary file first, then renamed).
// Returns false with `error` set on failure. Note: lld's driver resets every llvm::cl option
// of the process to its default; read command-line options before calling this.
bool emitSharedLibrary(mlir::ModuleOp module, const std::string &path, std::string &error);

} // namespace slimtune::codegen

#endif // SLIMTUNE_COMPILER_CODEGEN_EMITLIBRARY_H
