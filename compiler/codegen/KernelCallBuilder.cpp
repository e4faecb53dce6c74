//===- KernelCallBuilder.cpp - addresses and checked kernel calls -------------------------===//

#include "compiler/codegen/KernelCalls.h"

#include "passes/ArenaPlanner.h"

#include "llvm/Support/FormatVariadic.h"

using namespace mlir;

namespace slimtune::codegen {
namespace {
const char *kernelSignature(slimtune_kernel_id id) {
  static const char *signatures[] = {
#define SLIMTUNE_KERNEL_SIGNATURE(ID, name, signature) signature,
      SLIMTUNE_KERNELS(SLIMTUNE_KERNEL_SIGNATURE)
#undef SLIMTUNE_KERNEL_SIGNATURE
  };
  return signatures[id];
}

const char *kernelName(slimtune_kernel_id id) {
  static const char *names[] = {
#define SLIMTUNE_KERNEL_NAME(ID, name, signature) #name,
      SLIMTUNE_KERNELS(SLIMTUNE_KERNEL_NAME)
#undef SLIMTUNE_KERNEL_NAME
  };
  return names[id];
}
} // namespace

KernelCallBuilder::Arg KernelCallBuilder::l(int64_t v) {
  return {'l', b_.create<LLVM::ConstantOp>(loc_, b_.getI64Type(), b_.getI64IntegerAttr(v))};
}

KernelCallBuilder::Arg KernelCallBuilder::i(int64_t v) {
  return {'i', b_.create<LLVM::ConstantOp>(loc_, b_.getI32Type(),
                                           b_.getI32IntegerAttr(static_cast<int32_t>(v)))};
}

KernelCallBuilder::Arg KernelCallBuilder::f(double v) {
  return {'f', b_.create<LLVM::ConstantOp>(loc_, b_.getF32Type(),
                                           b_.getF32FloatAttr(static_cast<float>(v)))};
}

Value KernelCallBuilder::null() { return b_.create<LLVM::ZeroOp>(loc_, env_.ptr); }

Value KernelCallBuilder::bufferPointer(int64_t index) {
  Value address = b_.create<LLVM::GEPOp>(loc_, env_.ptr, env_.ptr, env_.buffers,
                                         ArrayRef<LLVM::GEPArg>{static_cast<int32_t>(index)});
  return b_.create<LLVM::LoadOp>(loc_, env_.ptr, address);
}

Value KernelCallBuilder::offset(Value base, int64_t bytes) {
  Value count = b_.create<LLVM::ConstantOp>(loc_, b_.getI64Type(), b_.getI64IntegerAttr(bytes));
  return b_.create<LLVM::GEPOp>(loc_, env_.ptr, b_.getI8Type(), base, ValueRange{count});
}

Value KernelCallBuilder::resultPointer(Operation *op, unsigned i) {
  Value result = op->getResult(i);
  if (auto it = env_.outputBuffer.find(result); it != env_.outputBuffer.end())
    return bufferPointer(it->second);
  auto offsets = op->getAttrOfType<DenseI64ArrayAttr>(mlir::slim::kOffsetsAttr);
  if (!offsets || static_cast<int64_t>(i) >= offsets.size() || offsets[i] < 0) {
    op->emitOpError() << "has no planned buffer for result #" << i
                      << "; run slim-plan-memory before code generation";
    return Value();
  }
  return offset(env_.arena, offsets[i]);
}

Value KernelCallBuilder::workspace(Operation *op) {
  auto work = op->getAttrOfType<DenseI64ArrayAttr>(mlir::slim::kWorkspaceAttr);
  return work ? offset(env_.arena, work[0]) : Value();
}

LogicalResult KernelCallBuilder::call(Operation *op, slimtune_kernel_id id, ArrayRef<Arg> args) {
  std::string kinds;
  SmallVector<Type> types = {env_.ptr};
  SmallVector<Value> operands;
  for (const Arg &a : args)
    kinds.push_back(a.kind);
  // The one place generated code meets the runtime: the call must match the ABI exactly.
  if (kinds != kernelSignature(id))
    return op->emitOpError() << llvm::formatv("calls kernel {0} as '{1}', but the ABI says '{2}'",
                                              kernelName(id), kinds, kernelSignature(id));
  Value slot = b_.create<LLVM::GEPOp>(loc_, env_.ptr, env_.ptr, env_.kernels,
                                      ArrayRef<LLVM::GEPArg>{static_cast<int32_t>(id)});
  operands.push_back(b_.create<LLVM::LoadOp>(loc_, env_.ptr, slot));
  operands.push_back(env_.context);
  for (const Arg &a : args) {
    operands.push_back(a.value);
    types.push_back(a.value.getType());
  }
  auto type = LLVM::LLVMFunctionType::get(b_.getI32Type(), types);
  auto callOp = b_.create<LLVM::CallOp>(loc_, type, operands);
  callOp->setAttr(kKernelIdAttr, b_.getI32IntegerAttr(id));
  return success();
}

} // namespace slimtune::codegen
