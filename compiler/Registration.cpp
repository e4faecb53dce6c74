//===- Registration.cpp - the dialects and passes slimtune uses --------------------------===//

#include "compiler/Registration.h"

#include "compiler/Pipelines.h"
#include "compiler/codegen/KernelCalls.h"

#include "dialects/slim/SlimOps.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Transforms/Passes.h"

void slimtune::registerDialects(mlir::DialectRegistry &registry) {
  registry.insert<mlir::slim::SlimDialect, mlir::func::FuncDialect, mlir::LLVM::LLVMDialect>();
}

void slimtune::registerPasses() {
  mlir::slim::registerSlimPasses();
  codegen::registerConvertSlimToKernelCallsPass();
  // Upstream clean-ups used between slim passes.
  mlir::registerCanonicalizerPass();
  mlir::registerCSEPass();
  registerPipelines();
}
