//===- KernelCalls.h - slim ops as calls of the runtime's kernels -------------------------===//
//
// Code generation is an MLIR dialect conversion (convert-slim-to-kernel-calls): every slim op
// of a planned step becomes one or a few calls through the kernel table the step receives
// (kernel_abi.h), one pattern per op family (populateSlimToKernelCallPatterns). Tensors become
// pointers: into the arena at their planned offset (slim.offsets), or to one of the runtime's
// buffers (arguments, outputs). Stashes and unstashes without an encoding are free: they name
// the stashed buffer.
//
// The patterns share a KernelCallEnv: the values the step function loads once on entry (the
// arena, the buffer and kernel tables, the device context) and what the plan decided about
// the step as a whole (which results go straight to an output buffer).
//
//===-------------------------------------------------------------------------------------===//

#ifndef SLIMTUNE_COMPILER_CODEGEN_KERNELCALLS_H
#define SLIMTUNE_COMPILER_CODEGEN_KERNELCALLS_H

#include "dialects/slim/KernelTarget.h"

#include "slimtune/kernel_abi.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Transforms/DialectConversion.h"
#include "llvm/ADT/DenseMap.h"

namespace slimtune::codegen {

// The discardable attribute that marks a kernel call (its slimtune_kernel_id) until the
// status checks are added after it.
inline constexpr llvm::StringLiteral kKernelIdAttr = "slim.kernel_id";

struct KernelCallEnv {
  const mlir::slim::KernelTarget *target = nullptr;
  mlir::Type ptr;                      // !llvm.ptr
  mlir::Value arena, buffers, kernels; // loaded from slimtune_step_args on entry
  mlir::Value context;                 // every kernel's first argument
  mlir::Value stepCounter;             // i32*: the "step" input, or a zero for a step without one
  // Results computed straight into a runtime buffer (returned values): result -> buffer index.
  llvm::DenseMap<mlir::Value, int64_t> outputBuffer;
  // Step arguments (as the patterns see them) -> their buffer index.
  llvm::DenseMap<mlir::Value, int64_t> argumentBuffer;
  // For each function result, its buffer (an argument's when it updates it in place).
  std::vector<int64_t> resultBuffer;
  // Encoded stashes in op order: each one's random stream for stochastic rounding.
  llvm::DenseMap<mlir::Operation *, int64_t> stashSite;
};

// Emits kernel calls and addresses at the rewriter's insertion point.
class KernelCallBuilder {
public:
  KernelCallBuilder(mlir::ConversionPatternRewriter &rewriter, mlir::Location loc,
                    const KernelCallEnv &env)
      : b_(rewriter), loc_(loc), env_(env) {}

  // One argument of a kernel call, with its ABI letter (p, l, i, f).
  struct Arg {
    char kind;
    mlir::Value value;
  };
  Arg p(mlir::Value pointer) { return {'p', pointer ? pointer : null()}; }
  Arg l(int64_t v);
  Arg i(int64_t v);
  Arg f(double v);

  // A call of kernel `id` with `args` (after the context), checked against the ABI's
  // signature string; fails, with a diagnostic on `op`, when they disagree.
  mlir::LogicalResult call(mlir::Operation *op, slimtune_kernel_id id, llvm::ArrayRef<Arg> args);

  mlir::Value null();
  mlir::Value bufferPointer(int64_t index);
  mlir::Value offset(mlir::Value base, int64_t bytes);
  // Where result #i of `op` goes: its output buffer or its planned arena offset. Null, with
  // a diagnostic, when the op was not planned.
  mlir::Value resultPointer(mlir::Operation *op, unsigned i);
  // The op's planned workspace, or null when it has none.
  mlir::Value workspace(mlir::Operation *op);

private:
  mlir::ConversionPatternRewriter &b_;
  mlir::Location loc_;
  const KernelCallEnv &env_;
};

// Tensors and stash handles as !llvm.ptr.
void populateKernelCallTypeConversions(mlir::TypeConverter &converter);
// One pattern per op family: embeddings, norms, linear layers and adapters, attention,
// elementwise ops, memory (stash, zeros, slices), the loss, the optimizer, the return.
void populateSlimToKernelCallPatterns(mlir::RewritePatternSet &patterns,
                                      const mlir::TypeConverter &converter,
                                      const KernelCallEnv &env);

// Rewrites the planned step `step` (slim-plan-memory has run) of `module` into the LLVM
// function `slimtune_artifact_step` for the kernels of `target`, erasing `step`. Fails, with
// diagnostics, when an op has no lowering or no planned buffer.
mlir::LogicalResult convertStepToKernelCalls(mlir::func::FuncOp step,
                                             const mlir::slim::KernelTarget &target);

// Adds `const char *slimtune_artifact_manifest(void)` returning `manifest` to `module`.
void addManifestFunction(mlir::ModuleOp module, llvm::StringRef manifest);

// Registers the pass convert-slim-to-kernel-calls{target=cpu} (slimtune-opt).
void registerConvertSlimToKernelCallsPass();

} // namespace slimtune::codegen

#endif // SLIMTUNE_COMPILER_CODEGEN_KERNELCALLS_H
