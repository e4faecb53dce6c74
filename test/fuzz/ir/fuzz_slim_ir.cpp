// libFuzzer target: slim IR on arbitrary bytes, as `slimtune compile` reads it: parsed and
// verified with the slim and func dialects, and a module that verifies goes through the
// passes of the baseline pipeline (shape inference, autodiff, optimizer, memory plan). A pass
// may refuse with a diagnostic; it may not crash, hang or touch memory it does not own.
#include "dialects/slim/SlimOps.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"

#include <cstddef>
#include <cstdint>
#include <memory>

// Debian's MLIR libraries are not instrumented, but LLVM's headers poison the slabs of their
// bump allocators when compiled with ASan (here): the uninstrumented code then trips over the
// poison. Manual poisoning is switched off; ASan's own checks of this code stay on.
extern "C" const char *__asan_default_options() { return "allow_user_poisoning=0"; }

namespace {
// A context lives for many inputs (making one costs more than most inputs take); it is made
// anew every so often, as it keeps every type and attribute it has uniqued.
std::unique_ptr<mlir::MLIRContext> freshContext() {
  mlir::DialectRegistry registry;
  registry.insert<mlir::slim::SlimDialect, mlir::func::FuncDialect>();
  auto context = std::make_unique<mlir::MLIRContext>(registry, mlir::MLIRContext::Threading::DISABLED);
  context->loadAllAvailableDialects();
  context->getDiagEngine().registerHandler([](mlir::Diagnostic &) { return mlir::success(); });
  return context;
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static std::unique_ptr<mlir::MLIRContext> context;
  static int uses = 0;
  if (!context || ++uses % 2000 == 0)
    context = freshContext();
  llvm::SourceMgr sources;
  sources.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(llvm::StringRef(reinterpret_cast<const char *>(data), size),
                                           "fuzz.mlir"),
      llvm::SMLoc());
  mlir::OwningOpRef<mlir::ModuleOp> module = mlir::parseSourceFile<mlir::ModuleOp>(sources, context.get());
  if (!module || mlir::failed(mlir::verify(*module)))
    return 0;
  mlir::PassManager pm(context.get());
  mlir::OpPassManager &func = pm.nest<mlir::func::FuncOp>();
  func.addPass(mlir::slim::createSlimInferShapes());
  func.addPass(mlir::slim::createSlimAutodiff());
  func.addPass(mlir::slim::createSlimOptimizer());
  func.addPass(mlir::slim::createSlimPlanMemory());
  (void)pm.run(*module);
  return 0;
}
