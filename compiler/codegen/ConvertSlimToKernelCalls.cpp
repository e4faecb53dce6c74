//===- ConvertSlimToKernelCalls.cpp - convert-slim-to-kernel-calls ------------------------===//
//
// The planned step function becomes `int32_t slimtune_artifact_step(const slimtune_step_args *)`
// (kernel_abi.h) in three steps:
//   1. an entry block loads the arena, the buffer and kernel tables and the device context
//      from the args, and a pointer for each step argument; the step's ops move in after it;
//   2. the dialect conversion turns every slim op into kernel calls (KernelCallPatterns.cpp);
//   3. after each kernel call, a check of its status: the first failure records the kernel's
//      id in *args->failed_kernel and returns the status, so nothing runs on after an error.
//
//===-------------------------------------------------------------------------------------===//

#include "compiler/codegen/KernelCalls.h"

#include "compiler/codegen/StepBuffers.h"
#include "dialects/slim/SlimOps.h"
#include "passes/ArenaPlanner.h"

#include "mlir/Pass/Pass.h"

using namespace mlir;
using namespace mlir::slim;

namespace slimtune::codegen {
namespace {

// struct slimtune_step_args { uint32_t abi_version; uint8_t *arena; void *const *buffers;
//                             void *const *kernels; void *device_context; int32_t *failed_kernel; }
enum ArgsField : int32_t { kArena = 1, kBuffers, kKernels, kContext, kFailedKernel };

LLVM::LLVMStructType argsType(MLIRContext *ctx) {
  Type ptr = LLVM::LLVMPointerType::get(ctx);
  return LLVM::LLVMStructType::getLiteral(ctx, {IntegerType::get(ctx, 32), ptr, ptr, ptr, ptr, ptr});
}

Value loadField(OpBuilder &b, Location loc, Value args, ArgsField field) {
  Type ptr = LLVM::LLVMPointerType::get(b.getContext());
  Value address = b.create<LLVM::GEPOp>(loc, ptr, argsType(b.getContext()), args,
                                        ArrayRef<LLVM::GEPArg>{0, static_cast<int32_t>(field)});
  return b.create<LLVM::LoadOp>(loc, ptr, address);
}

// Step 1: the function, its entry block, and the step's ops moved into it. Step arguments
// become casts of their buffer pointers, which the conversion folds away.
LLVM::LLVMFuncOp buildStepFunction(func::FuncOp step, KernelCallEnv &env) {
  MLIRContext *ctx = step.getContext();
  Location loc = step.getLoc();
  OpBuilder b(step);
  env.ptr = LLVM::LLVMPointerType::get(ctx);
  auto fn = b.create<LLVM::LLVMFuncOp>(
      loc, SLIMTUNE_STEP_SYMBOL, LLVM::LLVMFunctionType::get(b.getI32Type(), {env.ptr}));
  Block *entry = fn.addEntryBlock(b);
  b.setInsertionPointToStart(entry);
  Value args = fn.getArgument(0);
  env.arena = loadField(b, loc, args, kArena);
  env.buffers = loadField(b, loc, args, kBuffers);
  env.kernels = loadField(b, loc, args, kKernels);
  env.context = loadField(b, loc, args, kContext);

  Block &body = step.getBody().front();
  for (BlockArgument arg : body.getArguments()) {
    Value address = b.create<LLVM::GEPOp>(loc, env.ptr, env.ptr, env.buffers,
                                          ArrayRef<LLVM::GEPArg>{static_cast<int32_t>(arg.getArgNumber())});
    Value pointer = b.create<LLVM::LoadOp>(loc, env.ptr, address);
    auto input = step.getArgAttrOfType<StringAttr>(arg.getArgNumber(), SlimDialect::kInputAttrName);
    if (input && input.getValue() == "step")
      env.stepCounter = pointer;
    Value tensor = b.create<UnrealizedConversionCastOp>(loc, arg.getType(), pointer).getResult(0);
    env.argumentBuffer[tensor] = arg.getArgNumber();
    arg.replaceAllUsesWith(tensor);
  }
  // LoRA dropout and stochastic rounding draw from the step counter; a step without one (no
  // optimizer) draws as at step 0.
  if (!env.stepCounter) {
    Value one = b.create<LLVM::ConstantOp>(loc, b.getI64Type(), b.getI64IntegerAttr(1));
    env.stepCounter = b.create<LLVM::AllocaOp>(loc, env.ptr, b.getI32Type(), one);
    Value zero = b.create<LLVM::ConstantOp>(loc, b.getI32Type(), b.getI32IntegerAttr(0));
    b.create<LLVM::StoreOp>(loc, zero, env.stepCounter);
  }
  entry->getOperations().splice(entry->end(), body.getOperations());
  return fn;
}

// After the conversion: a cast of a pointer to a tensor and back is the pointer.
LogicalResult foldPointerCasts(LLVM::LLVMFuncOp fn) {
  SmallVector<UnrealizedConversionCastOp> casts;
  fn.walk([&](UnrealizedConversionCastOp cast) { casts.push_back(cast); });
  for (UnrealizedConversionCastOp cast : casts) {
    auto inner = cast.getInputs().front().getDefiningOp<UnrealizedConversionCastOp>();
    if (inner && inner.getInputs().front().getType() == cast.getResult(0).getType()) {
      cast.getResult(0).replaceAllUsesWith(inner.getInputs().front());
      cast->erase();
    }
  }
  bool left = false;
  fn.walk([&](UnrealizedConversionCastOp cast) {
    if (cast->use_empty())
      cast->erase();
    else
      left = true;
  });
  if (left)
    return fn.emitError() << "convert-slim-to-kernel-calls: a tensor was left unconverted";
  return success();
}

// Step 3: after each kernel call, branch to the failure block when its status is not OK.
void addStatusChecks(LLVM::LLVMFuncOp fn) {
  SmallVector<LLVM::CallOp> calls;
  fn.walk([&](LLVM::CallOp call) {
    if (call->hasAttr(kKernelIdAttr))
      calls.push_back(call);
  });
  if (calls.empty())
    return;
  MLIRContext *ctx = fn.getContext();
  Location loc = fn.getLoc();
  OpBuilder b(ctx);
  Type i32 = b.getI32Type(), ptr = LLVM::LLVMPointerType::get(ctx);

  // ^failed(%status, %kernel): *args->failed_kernel = %kernel (when given); return %status.
  Block *failed = b.createBlock(&fn.getBody(), fn.getBody().end(), {i32, i32}, {loc, loc});
  Block *store = b.createBlock(&fn.getBody(), fn.getBody().end());
  Block *done = b.createBlock(&fn.getBody(), fn.getBody().end());
  b.setInsertionPointToEnd(failed);
  Value where = loadField(b, loc, fn.getArgument(0), kFailedKernel);
  Value null = b.create<LLVM::ZeroOp>(loc, ptr);
  Value given = b.create<LLVM::ICmpOp>(loc, LLVM::ICmpPredicate::ne, where, null);
  b.create<LLVM::CondBrOp>(loc, given, store, done);
  b.setInsertionPointToEnd(store);
  b.create<LLVM::StoreOp>(loc, failed->getArgument(1), where);
  b.create<LLVM::BrOp>(loc, done);
  b.setInsertionPointToEnd(done);
  b.create<LLVM::ReturnOp>(loc, failed->getArgument(0));

  for (LLVM::CallOp call : calls) {
    auto id = call->getAttrOfType<IntegerAttr>(kKernelIdAttr);
    call->removeAttr(kKernelIdAttr);
    Block *before = call->getBlock();
    Block *after = before->splitBlock(call->getNextNode());
    b.setInsertionPointToEnd(before);
    Value status = call.getResult();
    Value ok = b.create<LLVM::ConstantOp>(call.getLoc(), i32, b.getI32IntegerAttr(SLIMTUNE_KERNEL_OK));
    Value bad = b.create<LLVM::ICmpOp>(call.getLoc(), LLVM::ICmpPredicate::ne, status, ok);
    Value kernel = b.create<LLVM::ConstantOp>(call.getLoc(), i32, id);
    b.create<LLVM::CondBrOp>(call.getLoc(), bad, failed, ValueRange{status, kernel}, after,
                             ValueRange{});
  }
}

} // namespace

LogicalResult convertStepToKernelCalls(func::FuncOp step, const KernelTarget &target) {
  MLIRContext *ctx = step.getContext();
  ctx->loadDialect<LLVM::LLVMDialect>();
  if (step.isExternal() || !step.getBody().hasOneBlock())
    return step.emitError() << "convert-slim-to-kernel-calls: expects a planned step of one block";
  if (!step->hasAttr(kArenaBytesAttr))
    return step.emitError() << "convert-slim-to-kernel-calls: the step has no memory plan; run "
                               "slim-plan-memory before code generation";
  FailureOr<StepBuffers> buffers = collectStepBuffers(step);
  if (failed(buffers))
    return failure();

  KernelCallEnv env;
  env.target = &target;
  env.resultBuffer = buffers->resultBuffer;
  // A returned value is computed straight into its output buffer (or, for an in-place
  // update, into its argument's buffer).
  Operation *ret = step.getBody().front().getTerminator();
  for (auto [i, value] : llvm::enumerate(ret->getOperands()))
    if (!isa<BlockArgument>(value))
      env.outputBuffer[value] = buffers->resultBuffer[i];
  int64_t sites = 0;
  step.walk([&](StashOp stash) {
    if (stash.getEncodingAttr())
      env.stashSite[stash] = sites++;
  });

  LLVM::LLVMFuncOp fn = buildStepFunction(step, env);
  step.erase();

  TypeConverter converter;
  populateKernelCallTypeConversions(converter);
  ConversionTarget legal(*ctx);
  legal.addLegalDialect<LLVM::LLVMDialect>();
  legal.addLegalOp<UnrealizedConversionCastOp>();
  legal.addIllegalDialect<SlimDialect>();
  legal.addIllegalOp<func::ReturnOp>();
  RewritePatternSet patterns(ctx);
  populateSlimToKernelCallPatterns(patterns, converter, env);
  if (failed(applyPartialConversion(fn, legal, std::move(patterns))) || failed(foldPointerCasts(fn)))
    return failure();
  addStatusChecks(fn);
  return success();
}

void addManifestFunction(ModuleOp module, StringRef manifest) {
  MLIRContext *ctx = module.getContext();
  Location loc = module.getLoc();
  OpBuilder b(ctx);
  b.setInsertionPointToEnd(module.getBody());
  std::string text = manifest.str();
  text.push_back('\0');
  Type ptr = LLVM::LLVMPointerType::get(ctx);
  auto global = b.create<LLVM::GlobalOp>(loc, LLVM::LLVMArrayType::get(b.getI8Type(), text.size()),
                                         /*isConstant=*/true, LLVM::Linkage::Internal,
                                         "slimtune_manifest_text", b.getStringAttr(text));
  auto fn = b.create<LLVM::LLVMFuncOp>(loc, SLIMTUNE_MANIFEST_SYMBOL,
                                       LLVM::LLVMFunctionType::get(ptr, {}));
  b.setInsertionPointToStart(fn.addEntryBlock(b));
  b.create<LLVM::ReturnOp>(loc, b.create<LLVM::AddressOfOp>(loc, global).getResult());
}

namespace {

// slimtune-opt's view of code generation: every planned step of the module in place.
struct ConvertSlimToKernelCallsPass
    : public PassWrapper<ConvertSlimToKernelCallsPass, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(ConvertSlimToKernelCallsPass)

  ConvertSlimToKernelCallsPass() = default;
  ConvertSlimToKernelCallsPass(const ConvertSlimToKernelCallsPass &other) : PassWrapper(other) {}

  StringRef getArgument() const override { return "convert-slim-to-kernel-calls"; }
  StringRef getDescription() const override {
    return "Lower a planned slim step to an LLVM-dialect function calling the runtime's kernels";
  }
  void getDependentDialects(DialectRegistry &registry) const override {
    registry.insert<LLVM::LLVMDialect>();
  }

  void runOnOperation() override {
    const KernelTarget *kernels = lookupKernelTarget(target);
    if (!kernels) {
      getOperation().emitError() << "convert-slim-to-kernel-calls: unknown target \"" << target
                                 << "\"";
      return signalPassFailure();
    }
    SmallVector<func::FuncOp> steps(getOperation().getOps<func::FuncOp>());
    if (steps.size() > 1) {
      getOperation().emitError() << "convert-slim-to-kernel-calls: expects one step function, "
                                    "got "
                                 << steps.size();
      return signalPassFailure();
    }
    for (func::FuncOp step : steps)
      if (failed(convertStepToKernelCalls(step, *kernels)))
        return signalPassFailure();
  }

  Option<std::string> target{*this, "target",
                             llvm::cl::desc("The kernel backend to generate calls for"),
                             llvm::cl::init("cpu")};
};

} // namespace

void registerConvertSlimToKernelCallsPass() {
  PassRegistration<ConvertSlimToKernelCallsPass>();
}

} // namespace slimtune::codegen
