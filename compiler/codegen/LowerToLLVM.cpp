//===- LowerToLLVM.cpp - a planned slim step as LLVM dialect code ------------------------===//
//
// Every slim op becomes one or a few calls of the runtime's kernels, through the table the
// step receives (kernel_abi.h): the generated code is the schedule, the kernels do the math.
// Each tensor is a pointer: into the arena at its planned offset, or to one of the runtime's
// buffers (arguments, outputs). Stashes and unstashes are free: they name the stashed buffer.
//
//===-------------------------------------------------------------------------------------===//

#include "compiler/codegen/LowerToLLVM.h"

#include "dialects/slim/SlimOps.h"
#include "passes/MemoryPlan.h"

#include "slimtune/kernel_abi.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>

using namespace mlir;
using namespace mlir::slim;

namespace slimtune::codegen {
namespace {

// Mesa's moving-range decay (range = ema): r <- 0.9 r + 0.1 r_batch (TECHNIQUES.md §1).
constexpr double kMesaRangeDecay = 0.9;

const char *kernelSignature(slimtune_kernel_id id) {
  static const char *signatures[] = {
#define SLIMTUNE_KERNEL_SIGNATURE(ID, name, signature) signature,
      SLIMTUNE_KERNELS(SLIMTUNE_KERNEL_SIGNATURE)
#undef SLIMTUNE_KERNEL_SIGNATURE
  };
  return signatures[id];
}

// One argument of a kernel call, with its ABI kind (p, l, i, f).
struct Arg {
  char kind;
  Value value;
};

class StepLowering {
public:
  StepLowering(func::FuncOp step, const StepBuffers &buffers, ModuleOp module)
      : step_(step), buffers_(buffers), module_(module), b_(module.getContext()) {}

  LogicalResult lower(StringRef manifest) {
    MLIRContext *ctx = module_.getContext();
    Location loc = step_.getLoc();
    ptr_ = LLVM::LLVMPointerType::get(ctx);
    b_.setInsertionPointToEnd(module_.getBody());

    // const char *slimtune_artifact_manifest(void)
    std::string text = manifest.str();
    text.push_back('\0');
    auto global = b_.create<LLVM::GlobalOp>(
        loc, LLVM::LLVMArrayType::get(b_.getI8Type(), text.size()), /*isConstant=*/true,
        LLVM::Linkage::Internal, "slimtune_manifest_text", b_.getStringAttr(text));
    auto manifestFn = b_.create<LLVM::LLVMFuncOp>(loc, SLIMTUNE_MANIFEST_SYMBOL,
                                                   LLVM::LLVMFunctionType::get(ptr_, {}));
    {
      OpBuilder::InsertionGuard guard(b_);
      b_.setInsertionPointToStart(manifestFn.addEntryBlock(b_));
      Value address = b_.create<LLVM::AddressOfOp>(loc, global);
      b_.create<LLVM::ReturnOp>(loc, address);
    }

    // void slimtune_artifact_step(const slimtune_step_args *args)
    auto stepFn = b_.create<LLVM::LLVMFuncOp>(
        loc, SLIMTUNE_STEP_SYMBOL,
        LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(ctx), {ptr_}));
    b_.setInsertionPointToStart(stepFn.addEntryBlock(b_));
    Value args = stepFn.getArgument(0);
    // struct slimtune_step_args { uint32_t abi_version; uint8_t *arena; void *const *buffers;
    //                             void *const *kernels; }
    auto argsType = LLVM::LLVMStructType::getLiteral(ctx, {b_.getI32Type(), ptr_, ptr_, ptr_});
    auto field = [&](int32_t i) {
      Value address = b_.create<LLVM::GEPOp>(loc, ptr_, argsType, args,
                                             ArrayRef<LLVM::GEPArg>{0, i});
      return b_.create<LLVM::LoadOp>(loc, ptr_, address).getResult();
    };
    arena_ = field(1);
    buffersBase_ = field(2);
    kernels_ = field(3);

    for (BlockArgument arg : step_.getArguments())
      pointers_[arg] = bufferPointer(arg.getArgNumber(), loc);
    Operation *ret = step_.getBody().front().getTerminator();
    // A returned value is computed straight into its output buffer (or, for an in-place
    // update, into its argument's buffer).
    for (auto [i, value] : llvm::enumerate(ret->getOperands()))
      if (!isa<BlockArgument>(value))
        outputOf_[value] = buffers_.resultBuffer[i];

    for (Operation &op : step_.getBody().front().without_terminator())
      if (failed(lowerOp(&op)))
        return failure();
    // An argument returned as is (not through an op) is copied to its output buffer.
    for (auto [i, value] : llvm::enumerate(ret->getOperands())) {
      auto arg = dyn_cast<BlockArgument>(value);
      if (!arg || buffers_.resultBuffer[i] == arg.getArgNumber())
        continue;
      int64_t words = tensorBytes(value.getType()) / 4;
      call(loc, SLIMTUNE_KERNEL_COPY_COLUMNS,
           {p(bufferPointer(buffers_.resultBuffer[i], loc)), p(pointerOf(value)), l(1), l(words),
            l(words), l(0), l(0), l(words)});
    }
    b_.create<LLVM::ReturnOp>(loc, ValueRange());
    return success();
  }

private:
  //===-- Addresses -------------------------------------------------------------===//

  Value bufferPointer(int64_t index, Location loc) {
    Value address = b_.create<LLVM::GEPOp>(loc, ptr_, ptr_, buffersBase_,
                                           ArrayRef<LLVM::GEPArg>{static_cast<int32_t>(index)});
    return b_.create<LLVM::LoadOp>(loc, ptr_, address);
  }

  Value byteOffset(Value base, int64_t offset, Location loc) {
    Value bytes = b_.create<LLVM::ConstantOp>(loc, b_.getI64Type(), b_.getI64IntegerAttr(offset));
    return b_.create<LLVM::GEPOp>(loc, ptr_, b_.getI8Type(), base, ValueRange{bytes});
  }

  Value pointerOf(Value v) {
    if (!v)
      return null_ ? null_ : (null_ = b_.create<LLVM::ZeroOp>(step_.getLoc(), ptr_));
    return pointers_.lookup(v);
  }

  // Where result #i of `op` goes: its output buffer, its planned arena offset, or (for
  // stashes and unstashes) the buffer it names.
  LogicalResult placeResults(Operation *op) {
    auto offsets = op->getAttrOfType<DenseI64ArrayAttr>(kOffsetsAttr);
    for (auto [i, result] : llvm::enumerate(op->getResults())) {
      if (auto it = outputOf_.find(result); it != outputOf_.end()) {
        pointers_[result] = bufferPointer(it->second, op->getLoc());
        continue;
      }
      if (isa<StashOp, UnstashOp>(op) && !isEncoded(isa<StashOp>(op) ? result : op->getOperand(0))) {
        pointers_[result] = pointerOf(op->getOperand(0));
        continue;
      }
      if (!offsets || offsets[i] < 0)
        return op->emitOpError() << "has no planned buffer for result #" << i
                                 << "; run slim-plan-memory before code generation";
      pointers_[result] = byteOffset(arena_, offsets[i], op->getLoc());
    }
    return success();
  }

  Value workspace(Operation *op) {
    auto work = op->getAttrOfType<DenseI64ArrayAttr>(kWorkspaceAttr);
    return work ? byteOffset(arena_, work[0], op->getLoc()) : pointerOf(Value());
  }

  //===-- Kernel calls ------------------------------------------------------------===//

  Arg p(Value v) { return {'p', v}; }
  Arg l(int64_t v) {
    return {'l', b_.create<LLVM::ConstantOp>(step_.getLoc(), b_.getI64Type(), b_.getI64IntegerAttr(v))};
  }
  Arg i(int64_t v) {
    return {'i', b_.create<LLVM::ConstantOp>(step_.getLoc(), b_.getI32Type(),
                                             b_.getI32IntegerAttr(static_cast<int32_t>(v)))};
  }
  Arg f(double v) {
    return {'f', b_.create<LLVM::ConstantOp>(step_.getLoc(), b_.getF32Type(),
                                             b_.getF32FloatAttr(static_cast<float>(v)))};
  }

  void call(Location loc, slimtune_kernel_id id, ArrayRef<Arg> args) {
    std::string kinds;
    SmallVector<Type> types;
    SmallVector<Value> operands;
    for (const Arg &a : args) {
      kinds.push_back(a.kind);
      operands.push_back(a.value);
      types.push_back(a.value.getType());
    }
    // The one place generated code meets the runtime: the call must match the ABI exactly.
    if (kinds != kernelSignature(id))
      llvm::report_fatal_error(llvm::Twine("slimtune codegen: call of kernel ") + llvm::Twine(id) +
                               " as '" + kinds + "', the ABI says '" + kernelSignature(id) + "'");
    Value slot = b_.create<LLVM::GEPOp>(loc, ptr_, ptr_, kernels_,
                                        ArrayRef<LLVM::GEPArg>{static_cast<int32_t>(id)});
    Value kernel = b_.create<LLVM::LoadOp>(loc, ptr_, slot);
    operands.insert(operands.begin(), kernel);
    auto type = LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(b_.getContext()), types);
    b_.create<LLVM::CallOp>(loc, type, operands);
  }

  //===-- Ops -----------------------------------------------------------------------===//

  static int64_t rows(Value v) {
    auto t = cast<RankedTensorType>(v.getType());
    return t.getNumElements() / t.getShape().back();
  }
  static int64_t cols(Value v) { return cast<RankedTensorType>(v.getType()).getShape().back(); }
  static int64_t dim(Value v, int d) { return cast<RankedTensorType>(v.getType()).getDimSize(d); }
  static int64_t count(Value v) { return cast<RankedTensorType>(v.getType()).getNumElements(); }

  // The step counter's buffer (LoRA dropout draws from it).
  Value stepPointer() {
    for (BlockArgument arg : step_.getArguments())
      if (auto in = step_.getArgAttrOfType<StringAttr>(arg.getArgNumber(), SlimDialect::kInputAttrName);
          in && in.getValue() == "step")
        return pointerOf(arg);
    return Value();
  }

  // LoRA dropout needs the step counter; a step without one (no optimizer) uses step 0.
  Value stepOrZero(Location loc) {
    if (Value s = stepPointer())
      return s;
    if (!zeroStep_) {
      OpBuilder::InsertionGuard guard(b_);
      b_.setInsertionPointToStart(&b_.getBlock()->getParent()->front());
      Value one = b_.create<LLVM::ConstantOp>(loc, b_.getI64Type(), b_.getI64IntegerAttr(1));
      zeroStep_ = b_.create<LLVM::AllocaOp>(loc, ptr_, b_.getI32Type(), one);
      Value zero = b_.create<LLVM::ConstantOp>(loc, b_.getI32Type(), b_.getI32IntegerAttr(0));
      b_.create<LLVM::StoreOp>(loc, zero, zeroStep_);
    }
    return zeroStep_;
  }

  LogicalResult lowerOp(Operation *op) {
    if (failed(placeResults(op)))
      return failure();
    Location loc = op->getLoc();
    auto P = [&](Value v) { return p(pointerOf(v)); };
    auto R = [&](unsigned i = 0) { return p(pointerOf(op->getResult(i))); };
    auto layout = [](WeightLayout w) { return w == WeightLayout::out_in ? 0 : 1; };
    auto attnScale = [](std::optional<APFloat> s, Value q, int64_t heads) {
      return s ? s->convertToDouble() : 1.0 / std::sqrt(static_cast<double>(cols(q) / heads));
    };

    return llvm::TypeSwitch<Operation *, LogicalResult>(op)
        .Case([&](StashOp o) {
          auto quant = dyn_cast_or_null<QuantEncodingAttr>(o.getEncodingAttr());
          if (!o.getEncodingAttr())
            return success(); // names the value's own buffer
          if (!quant)
            return LogicalResult(o.emitOpError() << "has an encoding code generation does not know");
          // Each stash site its own random stream for stochastic rounding.
          if (quant.getRange() == QuantRange::ema) {
            call(loc, SLIMTUNE_KERNEL_QUANTIZE_EMA,
                 {R(), P(o.getInput()), P(o.getRangeState()), l(rows(o.getInput())),
                  l(cols(o.getInput())), l(quant.getGroup()), i(quant.getBits()),
                  i(quant.getRounding() == Rounding::stochastic), l(stashSites_++),
                  p(stepOrZero(loc)), f(kMesaRangeDecay)});
            return success();
          }
          call(loc, SLIMTUNE_KERNEL_QUANTIZE,
               {R(), P(o.getInput()), l(rows(o.getInput())), l(cols(o.getInput())),
                l(quant.getGroup()), i(quant.getBits()),
                i(quant.getRounding() == Rounding::stochastic), l(stashSites_++),
                p(stepOrZero(loc))});
          return success();
        })
        .Case([&](UnstashOp o) {
          if (!isEncoded(o.getHandle()))
            return success();
          auto quant = cast<QuantEncodingAttr>(o.getHandle().getDefiningOp<StashOp>().getEncodingAttr());
          call(loc, SLIMTUNE_KERNEL_DEQUANTIZE,
               {R(), P(o.getHandle()), l(rows(o.getResult())), l(cols(o.getResult())),
                l(quant.getGroup()), i(quant.getBits())});
          return success();
        })
        .Case([&](EmbeddingOp o) {
          call(loc, SLIMTUNE_KERNEL_EMBEDDING, {R(), P(o.getTable()), P(o.getIds()), l(count(o.getIds())),
                                                l(cols(o.getTable())), l(dim(o.getTable(), 0))});
          return success();
        })
        .Case([&](PositionEmbeddingOp o) {
          call(loc, SLIMTUNE_KERNEL_POSITION_EMBEDDING, {R(), P(o.getTable()), l(dim(o.getIds(), 0)),
                                                         l(dim(o.getIds(), 1)), l(cols(o.getTable()))});
          return success();
        })
        .Case([&](RMSNormOp o) {
          call(loc, SLIMTUNE_KERNEL_RMS_NORM, {R(), P(o.getInput()), P(o.getScale()), l(rows(o.getInput())),
                                               l(cols(o.getInput())), f(o.getEpsilon().convertToDouble())});
          return success();
        })
        .Case([&](RMSNormGradOp o) {
          call(loc, SLIMTUNE_KERNEL_RMS_NORM_GRAD,
               {R(), P(o.getResultGrad()), P(o.getInput()), P(o.getScale()), l(rows(o.getInput())),
                l(cols(o.getInput())), f(o.getEpsilon().convertToDouble())});
          return success();
        })
        .Case([&](LayerNormOp o) {
          call(loc, SLIMTUNE_KERNEL_LAYER_NORM,
               {R(), P(o.getInput()), P(o.getScale()), P(o.getShift()), l(rows(o.getInput())),
                l(cols(o.getInput())), f(o.getEpsilon().convertToDouble())});
          return success();
        })
        .Case([&](LayerNormGradOp o) {
          call(loc, SLIMTUNE_KERNEL_LAYER_NORM_GRAD,
               {R(), P(o.getResultGrad()), P(o.getInput()), P(o.getScale()), l(rows(o.getInput())),
                l(cols(o.getInput())), f(o.getEpsilon().convertToDouble())});
          return success();
        })
        .Case([&](NormalizeOp o) {
          call(loc, SLIMTUNE_KERNEL_NORMALIZE,
               {R(0), R(1), P(o.getInput()), l(rows(o.getInput())), l(cols(o.getInput())),
                f(o.getEpsilon().convertToDouble()), i(o.getKind() == NormKind::layer)});
          return success();
        })
        .Case([&](NormalizeGradOp o) {
          call(loc, SLIMTUNE_KERNEL_NORMALIZE_GRAD,
               {R(), P(o.getResultGrad()), P(o.getResult()), P(o.getRstd()), l(rows(o.getResult())),
                l(cols(o.getResult())), i(o.getKind() == NormKind::layer)});
          return success();
        })
        .Case([&](ScaleShiftOp o) {
          call(loc, SLIMTUNE_KERNEL_SCALE_SHIFT,
               {R(), P(o.getInput()), P(o.getScale()), P(o.getShift()), l(rows(o.getInput())),
                l(cols(o.getInput()))});
          return success();
        })
        .Case([&](LinearOp o) {
          call(loc, SLIMTUNE_KERNEL_LINEAR,
               {R(), P(o.getInput()), P(o.getWeight()), P(o.getBias()), l(rows(o.getInput())),
                l(o.getInFeatures()), l(o.getOutFeatures()), i(layout(o.getLayout()))});
          return success();
        })
        .Case([&](WeightGradOp o) {
          call(loc, SLIMTUNE_KERNEL_WEIGHT_GRAD,
               {R(), P(o.getResultGrad()), P(o.getInput()), l(rows(o.getInput())),
                l(cols(o.getInput())), l(cols(o.getResultGrad())), i(layout(o.getLayout()))});
          return success();
        })
        .Case([&](SumRowsOp o) {
          call(loc, SLIMTUNE_KERNEL_SUM_ROWS, {R(), P(o.getInput()), l(rows(o.getInput())), l(cols(o.getInput()))});
          return success();
        })
        .Case([&](LoraOp o) {
          call(loc, SLIMTUNE_KERNEL_LORA,
               {R(), P(o.getInput()), P(o.getLoraA()), P(o.getLoraB()), p(workspace(op)),
                l(rows(o.getInput())), l(cols(o.getInput())), l(dim(o.getLoraB(), 0)), l(o.getRank()),
                f(o.getScale().convertToDouble()), f(o.getDropout().convertToDouble()),
                l(static_cast<int64_t>(o.getSeed())), p(stepOrZero(loc))});
          return success();
        })
        .Case([&](LoraGradOp o) {
          call(loc, SLIMTUNE_KERNEL_LORA_GRAD,
               {R(0), R(1), R(2), P(o.getResultGrad()), P(o.getInput()), P(o.getLoraA()),
                P(o.getLoraB()), p(workspace(op)), l(rows(o.getInput())), l(cols(o.getInput())),
                l(dim(o.getLoraB(), 0)), l(dim(o.getLoraA(), 0)), f(o.getScale().convertToDouble()),
                f(o.getDropout().convertToDouble()), l(static_cast<int64_t>(o.getSeed())),
                p(stepOrZero(loc))});
          return success();
        })
        .Case([&](MergeLoraOp o) {
          call(loc, SLIMTUNE_KERNEL_MERGE_LORA,
               {R(), P(o.getWeight()), P(o.getLoraA()), P(o.getLoraB()), l(o.getInFeatures()),
                l(o.getOutFeatures()), l(o.getRank()), f(o.getScale().convertToDouble()),
                i(layout(o.getLayout()))});
          return success();
        })
        .Case([&](RopeOp o) {
          call(loc, SLIMTUNE_KERNEL_ROPE,
               {R(), P(o.getInput()), l(dim(o.getInput(), 0)), l(dim(o.getInput(), 1)),
                l(cols(o.getInput())), l(static_cast<int64_t>(o.getHeadDim())),
                f(o.getTheta().convertToDouble()), i(o.getInverse() ? 1 : 0)});
          return success();
        })
        .Case([&](AttentionOp o) {
          // No logsumexp is wanted: it goes to the second half of the workspace.
          Value work = workspace(op);
          int64_t heads = static_cast<int64_t>(o.getNumHeads());
          int64_t lseOffset = slimtune_attention_work(dim(o.getQuery(), 0), dim(o.getQuery(), 1), heads) * 4;
          call(loc, SLIMTUNE_KERNEL_ATTENTION,
               {R(), p(byteOffset(work, lseOffset, loc)), P(o.getQuery()), P(o.getKey()),
                P(o.getValue()), p(work), l(dim(o.getQuery(), 0)), l(dim(o.getQuery(), 1)), l(heads),
                l(static_cast<int64_t>(o.getNumKvHeads())), l(o.getHeadDim()),
                f(attnScale(o.getScale(), o.getQuery(), heads))});
          return success();
        })
        .Case([&](AttentionWithLseOp o) {
          int64_t heads = static_cast<int64_t>(o.getNumHeads());
          call(loc, SLIMTUNE_KERNEL_ATTENTION,
               {R(0), R(1), P(o.getQuery()), P(o.getKey()), P(o.getValue()), p(workspace(op)),
                l(dim(o.getQuery(), 0)), l(dim(o.getQuery(), 1)), l(heads),
                l(static_cast<int64_t>(o.getNumKvHeads())), l(cols(o.getQuery()) / heads),
                f(attnScale(o.getScale(), o.getQuery(), heads))});
          return success();
        })
        .Case([&](AttentionGradOp o) {
          int64_t heads = static_cast<int64_t>(o.getNumHeads());
          call(loc, SLIMTUNE_KERNEL_ATTENTION_GRAD,
               {R(0), R(1), R(2), P(o.getQuery()), P(o.getKey()), P(o.getValue()), P(o.getOutput()),
                P(o.getLse()), P(o.getOutputGrad()), p(workspace(op)), l(dim(o.getQuery(), 0)),
                l(dim(o.getQuery(), 1)), l(heads), l(static_cast<int64_t>(o.getNumKvHeads())),
                l(cols(o.getQuery()) / heads), f(attnScale(o.getScale(), o.getQuery(), heads))});
          return success();
        })
        .Case([&](SiluOp o) {
          call(loc, SLIMTUNE_KERNEL_SILU, {R(), P(o.getInput()), l(count(o.getInput()))});
          return success();
        })
        .Case([&](SiluGradOp o) {
          call(loc, SLIMTUNE_KERNEL_SILU_GRAD,
               {R(), P(o.getResultGrad()), P(o.getInput()), l(count(o.getInput()))});
          return success();
        })
        .Case([&](GeluOp o) {
          call(loc, SLIMTUNE_KERNEL_GELU, {R(), P(o.getInput()), l(count(o.getInput())),
                                           i(o.getApproximate() == GeluApproximation::tanh)});
          return success();
        })
        .Case([&](GeluGradOp o) {
          call(loc, SLIMTUNE_KERNEL_GELU_GRAD,
               {R(), P(o.getResultGrad()), P(o.getInput()), l(count(o.getInput())),
                i(o.getApproximate() == GeluApproximation::tanh)});
          return success();
        })
        .Case([&](ActivationFlagsOp o) {
          call(loc, SLIMTUNE_KERNEL_ACTIVATION_FLAGS,
               {R(), P(o.getInput()), l(count(o.getInput())), i(static_cast<int32_t>(o.getKind()))});
          return success();
        })
        .Case([&](ActivationGradFromFlagsOp o) {
          call(loc, SLIMTUNE_KERNEL_ACTIVATION_GRAD_FLAGS,
               {R(), P(o.getResultGrad()), P(o.getFlags()), l(count(o.getResultGrad())),
                i(static_cast<int32_t>(o.getKind()))});
          return success();
        })
        .Case([&](AddOp o) {
          call(loc, SLIMTUNE_KERNEL_ADD, {R(), P(o.getLhs()), P(o.getRhs()), l(count(o.getLhs()))});
          return success();
        })
        .Case([&](MulOp o) {
          call(loc, SLIMTUNE_KERNEL_MUL, {R(), P(o.getLhs()), P(o.getRhs()), l(count(o.getLhs()))});
          return success();
        })
        .Case([&](ZerosOp o) {
          call(loc, SLIMTUNE_KERNEL_FILL_ZERO, {R(), l(tensorBytes(o.getType()))});
          return success();
        })
        .Case([&](SliceOp o) {
          int64_t width = static_cast<int64_t>(o.getEnd() - o.getStart());
          call(loc, SLIMTUNE_KERNEL_COPY_COLUMNS,
               {R(), P(o.getInput()), l(rows(o.getInput())), l(cols(o.getInput())), l(width),
                l(static_cast<int64_t>(o.getStart())), l(0), l(width)});
          return success();
        })
        .Case([&](ConcatOp o) {
          int64_t offset = 0, total = cols(o.getResult());
          for (Value part : o.getInputs()) {
            call(loc, SLIMTUNE_KERNEL_COPY_COLUMNS,
                 {R(), P(part), l(rows(part)), l(cols(part)), l(total), l(0), l(offset), l(cols(part))});
            offset += cols(part);
          }
          return success();
        })
        .Case([&](CrossEntropyOp o) {
          call(loc, SLIMTUNE_KERNEL_CROSS_ENTROPY,
               {R(), p(pointerOf(Value())), P(o.getLogits()), P(o.getTargets()), l(rows(o.getLogits())),
                l(cols(o.getLogits())), i(o.getIgnoreIndex())});
          return success();
        })
        .Case([&](CrossEntropyWithGradOp o) {
          call(loc, SLIMTUNE_KERNEL_CROSS_ENTROPY,
               {R(0), R(1), P(o.getLogits()), P(o.getTargets()), l(rows(o.getLogits())),
                l(cols(o.getLogits())), i(o.getIgnoreIndex())});
          return success();
        })
        .Case([&](GlobalNormSquaredOp o) {
          call(loc, SLIMTUNE_KERNEL_FILL_ZERO, {R(), l(8)});
          for (Value g : o.getGradients())
            call(loc, SLIMTUNE_KERNEL_SUM_SQUARES, {R(), P(g), l(count(g))});
          return success();
        })
        .Case([&](SqrtOp o) {
          call(loc, SLIMTUNE_KERNEL_SQRT_F64, {R(), P(o.getInput())});
          return success();
        })
        .Case([&](AdamWOp o) {
          // In place: the results are the argument buffers (slim.updates).
          call(loc, SLIMTUNE_KERNEL_ADAMW,
               {R(0), R(1), R(2), P(o.getGrad()), l(count(o.getParam())), P(o.getLr()), P(o.getStep()),
                P(o.getNormSquared()), f(o.getMaxGradNorm().convertToDouble()),
                f(o.getBeta1().convertToDouble()), f(o.getBeta2().convertToDouble()),
                f(o.getEps().convertToDouble()), f(o.getWeightDecay().convertToDouble())});
          return success();
        })
        .Default([&](Operation *) {
          return op->emitOpError() << "has no CPU lowering";
        });
  }

  func::FuncOp step_;
  const StepBuffers &buffers_;
  ModuleOp module_;
  OpBuilder b_;
  Type ptr_;
  Value arena_, buffersBase_, kernels_, null_, zeroStep_;
  int64_t stashSites_ = 0; // encoded stashes so far: the seed of each one's rounding stream
  DenseMap<Value, Value> pointers_;
  DenseMap<Value, int64_t> outputOf_;
};

} // namespace

OwningOpRef<ModuleOp> lowerStepToLLVM(func::FuncOp step, const StepBuffers &buffers,
                                      StringRef manifest) {
  MLIRContext *ctx = step.getContext();
  ctx->loadDialect<LLVM::LLVMDialect>();
  OwningOpRef<ModuleOp> module = ModuleOp::create(step.getLoc());
  if (failed(StepLowering(step, buffers, *module).lower(manifest)))
    return nullptr;
  return module;
}

} // namespace slimtune::codegen
