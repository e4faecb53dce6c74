//===- LowerToLLVM.h - a planned slim step as LLVM dialect code ---------------------------===//

#ifndef SLIMTUNE_COMPILER_CODEGEN_LOWERTOLLVM_H
#define SLIMTUNE_COMPILER_CODEGEN_LOWERTOLLVM_H

#include "compiler/codegen/StepBuffers.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

namespace slimtune::codegen {

// An LLVM-dialect module with the artifact's two entry points (kernel_abi.h): the manifest
// (`manifest` as a constant string) and the step, which calls the runtime's kernels in the
// planned order on the planned buffers. Null, with a diagnostic, when an op has no lowering
// or no planned buffer.
mlir::OwningOpRef<mlir::ModuleOp> lowerStepToLLVM(mlir::func::FuncOp step,
                                                  const StepBuffers &buffers,
                                                  llvm::StringRef manifest);

} // namespace slimtune::codegen

#endif // SLIMTUNE_COMPILER_CODEGEN_LOWERTOLLVM_H
