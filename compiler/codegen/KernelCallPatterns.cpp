//===- KernelCallPatterns.cpp - one conversion pattern per slim op family -----------------===//
//
// Each pattern places the op's results (KernelCallBuilder::resultPointer), calls the kernel
// that computes them with the sizes the static shapes give, and replaces the op by the result
// pointers. Shapes are read from the op (tensor types); pointers from the adaptor.
//
//===-------------------------------------------------------------------------------------===//

#include "compiler/codegen/KernelCalls.h"

#include "dialects/slim/SlimOps.h"
#include "passes/ArenaPlanner.h"

#include <cmath>

using namespace mlir;
using namespace mlir::slim;

namespace slimtune::codegen {
namespace {

using K = KernelCallBuilder;

int64_t rows(Value v) {
  auto t = cast<RankedTensorType>(v.getType());
  return t.getNumElements() / t.getShape().back();
}
int64_t cols(Value v) { return cast<RankedTensorType>(v.getType()).getShape().back(); }
int64_t dim(Value v, int d) { return cast<RankedTensorType>(v.getType()).getDimSize(d); }
int64_t count(Value v) { return cast<RankedTensorType>(v.getType()).getNumElements(); }
int32_t layout(WeightLayout w) { return w == WeightLayout::out_in ? 0 : 1; }
double epsilon(APFloat e) { return e.convertToDouble(); }

// The lowering of one op: given its result pointers, emit the calls.
template <typename OpT>
using LowerFn = LogicalResult (*)(OpT op, typename OpT::Adaptor in, K &k, ArrayRef<Value> out,
                                  const KernelCallEnv &env);

template <typename OpT>
class KernelCallPattern : public OpConversionPattern<OpT> {
public:
  KernelCallPattern(const TypeConverter &converter, MLIRContext *ctx, const KernelCallEnv &env,
                    LowerFn<OpT> lower)
      : OpConversionPattern<OpT>(converter, ctx), env_(env), lower_(lower) {}

  LogicalResult matchAndRewrite(OpT op, typename OpT::Adaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    K k(rewriter, op.getLoc(), env_);
    SmallVector<Value> results;
    for (unsigned i = 0; i < op->getNumResults(); ++i) {
      Value pointer = k.resultPointer(op, i);
      if (!pointer)
        return failure();
      results.push_back(pointer);
    }
    if (failed(lower_(op, adaptor, k, results, env_)))
      return failure();
    rewriter.replaceOp(op, results);
    return success();
  }

private:
  const KernelCallEnv &env_;
  LowerFn<OpT> lower_;
};

//===-- Memory: stashes, zeros, slices ------------------------------------------===//

// A stash without an encoding names its value's buffer; with #slim.quant it is the codes.
class StashPattern : public OpConversionPattern<StashOp> {
public:
  StashPattern(const TypeConverter &converter, MLIRContext *ctx, const KernelCallEnv &env)
      : OpConversionPattern(converter, ctx), env_(env) {}

  LogicalResult matchAndRewrite(StashOp op, OpAdaptor in,
                                ConversionPatternRewriter &rewriter) const override {
    if (!op.getEncodingAttr()) {
      rewriter.replaceOp(op, in.getInput());
      return success();
    }
    auto quant = dyn_cast<QuantEncodingAttr>(op.getEncodingAttr());
    if (!quant)
      return op.emitOpError() << "has an encoding code generation does not know";
    K k(rewriter, op.getLoc(), env_);
    Value codes = k.resultPointer(op, 0);
    if (!codes)
      return failure();
    Value x = op.getInput();
    int64_t site = env_.stashSite.lookup(op);
    int32_t stochastic = quant.getRounding() == Rounding::stochastic;
    LogicalResult called =
        quant.getRange() == QuantRange::ema
            ? k.call(op, SLIMTUNE_KERNEL_QUANTIZE_EMA,
                     {k.p(codes), k.p(in.getInput()), k.p(in.getRangeState()), k.l(rows(x)),
                      k.l(cols(x)), k.l(quant.getGroup()), k.i(quant.getBits()), k.i(stochastic),
                      k.l(site), k.p(env_.stepCounter), k.f(quant.getDecay().value)})
            : k.call(op, SLIMTUNE_KERNEL_QUANTIZE,
                     {k.p(codes), k.p(in.getInput()), k.l(rows(x)), k.l(cols(x)),
                      k.l(quant.getGroup()), k.i(quant.getBits()), k.i(stochastic), k.l(site),
                      k.p(env_.stepCounter)});
    if (failed(called))
      return failure();
    rewriter.replaceOp(op, codes);
    return success();
  }

private:
  const KernelCallEnv &env_;
};

class UnstashPattern : public OpConversionPattern<UnstashOp> {
public:
  UnstashPattern(const TypeConverter &converter, MLIRContext *ctx, const KernelCallEnv &env)
      : OpConversionPattern(converter, ctx), env_(env) {}

  LogicalResult matchAndRewrite(UnstashOp op, OpAdaptor in,
                                ConversionPatternRewriter &rewriter) const override {
    if (!isEncoded(op.getHandle())) {
      rewriter.replaceOp(op, in.getHandle());
      return success();
    }
    auto quant = cast<QuantEncodingAttr>(op.getHandle().getDefiningOp<StashOp>().getEncodingAttr());
    K k(rewriter, op.getLoc(), env_);
    Value y = k.resultPointer(op, 0);
    if (!y || failed(k.call(op, SLIMTUNE_KERNEL_DEQUANTIZE,
                            {k.p(y), k.p(in.getHandle()), k.l(rows(op.getResult())),
                             k.l(cols(op.getResult())), k.l(quant.getGroup()),
                             k.i(quant.getBits())})))
      return failure();
    rewriter.replaceOp(op, y);
    return success();
  }

private:
  const KernelCallEnv &env_;
};

LogicalResult lowerZeros(ZerosOp op, ZerosOp::Adaptor, K &k, ArrayRef<Value> out,
                         const KernelCallEnv &) {
  return k.call(op, SLIMTUNE_KERNEL_FILL_ZERO, {k.p(out[0]), k.l(tensorBytes(op.getType()))});
}

LogicalResult lowerSlice(SliceOp op, SliceOp::Adaptor in, K &k, ArrayRef<Value> out,
                         const KernelCallEnv &) {
  int64_t width = static_cast<int64_t>(op.getEnd() - op.getStart());
  Value x = op.getInput();
  return k.call(op, SLIMTUNE_KERNEL_COPY_COLUMNS,
                {k.p(out[0]), k.p(in.getInput()), k.l(rows(x)), k.l(cols(x)), k.l(width),
                 k.l(static_cast<int64_t>(op.getStart())), k.l(0), k.l(width)});
}

LogicalResult lowerConcat(ConcatOp op, ConcatOp::Adaptor in, K &k, ArrayRef<Value> out,
                          const KernelCallEnv &) {
  int64_t offset = 0, total = cols(op.getResult());
  for (auto [part, pointer] : llvm::zip(op.getInputs(), in.getInputs())) {
    if (failed(k.call(op, SLIMTUNE_KERNEL_COPY_COLUMNS,
                      {k.p(out[0]), k.p(pointer), k.l(rows(part)), k.l(cols(part)), k.l(total),
                       k.l(0), k.l(offset), k.l(cols(part))})))
      return failure();
    offset += cols(part);
  }
  return success();
}

//===-- Embeddings ----------------------------------------------------------------===//

LogicalResult lowerEmbedding(EmbeddingOp op, EmbeddingOp::Adaptor in, K &k, ArrayRef<Value> out,
                             const KernelCallEnv &) {
  // A bf16 table (frozen weights kept in bf16) is widened to f32 rows by its own kernel, a
  // table in blocks decoded by its own.
  Type element = op.getTable().getType().getElementType();
  if (isa<BlocksType>(element))
    return k.call(op, SLIMTUNE_KERNEL_EMBEDDING_BLOCKS,
                  {k.p(out[0]), k.p(in.getTable()), k.p(in.getIds()), k.l(count(op.getIds())),
                   k.l(cols(op.getTable())), k.l(dim(op.getTable(), 0)),
                   k.i(weightFormat(element))});
  const bool bf16 = element.isBF16();
  return k.call(op, bf16 ? SLIMTUNE_KERNEL_EMBEDDING_BF16 : SLIMTUNE_KERNEL_EMBEDDING,
                {k.p(out[0]), k.p(in.getTable()), k.p(in.getIds()), k.l(count(op.getIds())),
                 k.l(cols(op.getTable())), k.l(dim(op.getTable(), 0))});
}

LogicalResult lowerPositionEmbedding(PositionEmbeddingOp op, PositionEmbeddingOp::Adaptor in,
                                     K &k, ArrayRef<Value> out, const KernelCallEnv &) {
  return k.call(op, SLIMTUNE_KERNEL_POSITION_EMBEDDING,
                {k.p(out[0]), k.p(in.getTable()), k.l(dim(op.getIds(), 0)),
                 k.l(dim(op.getIds(), 1)), k.l(cols(op.getTable()))});
}

//===-- Norms -----------------------------------------------------------------------===//

LogicalResult lowerRMSNorm(RMSNormOp op, RMSNormOp::Adaptor in, K &k, ArrayRef<Value> out,
                           const KernelCallEnv &) {
  Value x = op.getInput();
  return k.call(op, SLIMTUNE_KERNEL_RMS_NORM,
                {k.p(out[0]), k.p(in.getInput()), k.p(in.getScale()), k.l(rows(x)), k.l(cols(x)),
                 k.f(epsilon(op.getEpsilon()))});
}

LogicalResult lowerRMSNormGrad(RMSNormGradOp op, RMSNormGradOp::Adaptor in, K &k,
                               ArrayRef<Value> out, const KernelCallEnv &) {
  Value x = op.getInput();
  return k.call(op, SLIMTUNE_KERNEL_RMS_NORM_GRAD,
                {k.p(out[0]), k.p(in.getResultGrad()), k.p(in.getInput()), k.p(in.getScale()),
                 k.l(rows(x)), k.l(cols(x)), k.f(epsilon(op.getEpsilon()))});
}

LogicalResult lowerLayerNorm(LayerNormOp op, LayerNormOp::Adaptor in, K &k, ArrayRef<Value> out,
                             const KernelCallEnv &) {
  Value x = op.getInput();
  return k.call(op, SLIMTUNE_KERNEL_LAYER_NORM,
                {k.p(out[0]), k.p(in.getInput()), k.p(in.getScale()), k.p(in.getShift()),
                 k.l(rows(x)), k.l(cols(x)), k.f(epsilon(op.getEpsilon()))});
}

LogicalResult lowerLayerNormGrad(LayerNormGradOp op, LayerNormGradOp::Adaptor in, K &k,
                                 ArrayRef<Value> out, const KernelCallEnv &) {
  Value x = op.getInput();
  return k.call(op, SLIMTUNE_KERNEL_LAYER_NORM_GRAD,
                {k.p(out[0]), k.p(in.getResultGrad()), k.p(in.getInput()), k.p(in.getScale()),
                 k.l(rows(x)), k.l(cols(x)), k.f(epsilon(op.getEpsilon()))});
}

LogicalResult lowerNormalize(NormalizeOp op, NormalizeOp::Adaptor in, K &k, ArrayRef<Value> out,
                             const KernelCallEnv &) {
  Value x = op.getInput();
  return k.call(op, SLIMTUNE_KERNEL_NORMALIZE,
                {k.p(out[0]), k.p(out[1]), k.p(in.getInput()), k.l(rows(x)), k.l(cols(x)),
                 k.f(epsilon(op.getEpsilon())), k.i(op.getKind() == NormKind::layer)});
}

LogicalResult lowerNormalizeGrad(NormalizeGradOp op, NormalizeGradOp::Adaptor in, K &k,
                                 ArrayRef<Value> out, const KernelCallEnv &) {
  Value z = op.getResult();
  return k.call(op, SLIMTUNE_KERNEL_NORMALIZE_GRAD,
                {k.p(out[0]), k.p(in.getResultGrad()), k.p(in.getResult()), k.p(in.getRstd()),
                 k.l(rows(z)), k.l(cols(z)), k.i(op.getKind() == NormKind::layer)});
}

LogicalResult lowerScaleShift(ScaleShiftOp op, ScaleShiftOp::Adaptor in, K &k,
                              ArrayRef<Value> out, const KernelCallEnv &) {
  Value x = op.getInput();
  return k.call(op, SLIMTUNE_KERNEL_SCALE_SHIFT,
                {k.p(out[0]), k.p(in.getInput()), k.p(in.getScale()), k.p(in.getShift()),
                 k.l(rows(x)), k.l(cols(x))});
}

//===-- Linear layers and adapters ------------------------------------------------===//

// slim.linear, and slim.sampled_linear, whose forward is the same.
template <typename LinearLike>
LogicalResult lowerLinear(LinearLike op, typename LinearLike::Adaptor in, K &k, ArrayRef<Value> out,
                          const KernelCallEnv &) {
  // A weight in blocks: its kernel decodes it into the workspace a panel at a time.
  if (Type element = op.getWeight().getType().getElementType(); isa<BlocksType>(element))
    return k.call(op, SLIMTUNE_KERNEL_LINEAR_BLOCKS,
                  {k.p(out[0]), k.p(in.getInput()), k.p(in.getWeight()), k.p(in.getBias()),
                   k.p(k.workspace(op)), k.l(rows(op.getInput())), k.l(op.getInFeatures()),
                   k.l(op.getOutFeatures()), k.i(layout(op.getLayout())),
                   k.i(weightFormat(element))});
  // A bf16 weight: its kernel rounds the input to bf16 in the workspace and multiplies there.
  if (op.getWeight().getType().getElementType().isBF16())
    return k.call(op, SLIMTUNE_KERNEL_LINEAR_BF16,
                  {k.p(out[0]), k.p(in.getInput()), k.p(in.getWeight()), k.p(in.getBias()),
                   k.p(k.workspace(op)), k.l(rows(op.getInput())), k.l(op.getInFeatures()),
                   k.l(op.getOutFeatures()), k.i(layout(op.getLayout()))});
  return k.call(op, SLIMTUNE_KERNEL_LINEAR,
                {k.p(out[0]), k.p(in.getInput()), k.p(in.getWeight()), k.p(in.getBias()),
                 k.l(rows(op.getInput())), k.l(op.getInFeatures()), k.l(op.getOutFeatures()),
                 k.i(layout(op.getLayout()))});
}

LogicalResult lowerSampledLinearGrad(SampledLinearGradOp op, SampledLinearGradOp::Adaptor in, K &k,
                                    ArrayRef<Value> out, const KernelCallEnv &env) {
  // out[1] is the columns argument's own buffer when the step returns it (slim.updates, as
  // slim-autodiff does): the kernel then updates the columns in place.
  return k.call(op, SLIMTUNE_KERNEL_SAMPLED_LINEAR_GRAD,
                {k.p(out[0]), k.p(out[1]), k.p(in.getColumns()), k.p(in.getResultGrad()),
                 k.p(in.getWeight()), k.p(in.getLeft()), k.p(in.getRight()), k.p(in.getNorms()),
                 k.p(k.workspace(op)), k.l(rows(op.getResultGrad())), k.l(op.getInFeatures()),
                 k.l(op.getOutFeatures()), k.l(count(op.getColumns())), k.l(op.getRank()),
                 k.l(static_cast<int64_t>(op.getRefresh())), k.i(layout(op.getLayout())),
                 k.i(op.getWeight().getType().getElementType().isBF16() ? 1 : 0),
                 k.p(env.stepCounter)});
}

LogicalResult lowerWeightGrad(WeightGradOp op, WeightGradOp::Adaptor in, K &k,
                              ArrayRef<Value> out, const KernelCallEnv &) {
  Value x = op.getInput();
  return k.call(op, SLIMTUNE_KERNEL_WEIGHT_GRAD,
                {k.p(out[0]), k.p(in.getResultGrad()), k.p(in.getInput()), k.l(rows(x)),
                 k.l(cols(x)), k.l(cols(op.getResultGrad())), k.i(layout(op.getLayout()))});
}

LogicalResult lowerSumRows(SumRowsOp op, SumRowsOp::Adaptor in, K &k, ArrayRef<Value> out,
                           const KernelCallEnv &) {
  Value x = op.getInput();
  return k.call(op, SLIMTUNE_KERNEL_SUM_ROWS,
                {k.p(out[0]), k.p(in.getInput()), k.l(rows(x)), k.l(cols(x))});
}

LogicalResult lowerLora(LoraOp op, LoraOp::Adaptor in, K &k, ArrayRef<Value> out,
                        const KernelCallEnv &env) {
  Value x = op.getInput();
  return k.call(op, SLIMTUNE_KERNEL_LORA,
                {k.p(out[0]), k.p(in.getInput()), k.p(in.getLoraA()), k.p(in.getLoraB()),
                 k.p(k.workspace(op)), k.l(rows(x)), k.l(cols(x)), k.l(dim(op.getLoraB(), 0)),
                 k.l(op.getRank()), k.f(op.getScale().convertToDouble()),
                 k.f(op.getDropout().convertToDouble()), k.l(static_cast<int64_t>(op.getSeed())),
                 k.p(env.stepCounter)});
}

// lora_grad for either op: dx is the first result's buffer, or NULL (lora_weight_grad: not
// computed); dA and dB follow.
template <typename LoraGradLike>
LogicalResult callLoraGrad(LoraGradLike op, typename LoraGradLike::Adaptor in, K &k, Value dx,
                           Value da, Value db, const KernelCallEnv &env) {
  Value x = op.getInput();
  return k.call(op, SLIMTUNE_KERNEL_LORA_GRAD,
                {k.p(dx), k.p(da), k.p(db), k.p(in.getResultGrad()), k.p(in.getInput()),
                 k.p(in.getLoraA()), k.p(in.getLoraB()), k.p(k.workspace(op)), k.l(rows(x)),
                 k.l(cols(x)), k.l(dim(op.getLoraB(), 0)), k.l(dim(op.getLoraA(), 0)),
                 k.f(op.getScale().convertToDouble()), k.f(op.getDropout().convertToDouble()),
                 k.l(static_cast<int64_t>(op.getSeed())), k.p(env.stepCounter)});
}

LogicalResult lowerLoraGrad(LoraGradOp op, LoraGradOp::Adaptor in, K &k, ArrayRef<Value> out,
                            const KernelCallEnv &env) {
  return callLoraGrad(op, in, k, out[0], out[1], out[2], env);
}

LogicalResult lowerLoraWeightGrad(LoraWeightGradOp op, LoraWeightGradOp::Adaptor in, K &k,
                                  ArrayRef<Value> out, const KernelCallEnv &env) {
  return callLoraGrad(op, in, k, Value(), out[0], out[1], env);
}

LogicalResult lowerMergeLora(MergeLoraOp op, MergeLoraOp::Adaptor in, K &k, ArrayRef<Value> out,
                             const KernelCallEnv &) {
  return k.call(op, SLIMTUNE_KERNEL_MERGE_LORA,
                {k.p(out[0]), k.p(in.getWeight()), k.p(in.getLoraA()), k.p(in.getLoraB()),
                 k.l(op.getInFeatures()), k.l(op.getOutFeatures()), k.l(op.getRank()),
                 k.f(op.getScale().convertToDouble()), k.i(layout(op.getLayout()))});
}

//===-- Attention -------------------------------------------------------------------===//

// What every attention kernel takes last: b, t, heads, kv_heads, head_dim, scale.
template <typename OpT>
SmallVector<K::Arg> attentionSizes(OpT op, K &k) {
  Value q = op.getQuery();
  return {k.l(dim(q, 0)), k.l(dim(q, 1)), k.l(static_cast<int64_t>(op.getNumHeads())),
          k.l(static_cast<int64_t>(op.getNumKvHeads())), k.l(op.getHeadDim()),
          k.f(op.getScaleOrDefault())};
}

LogicalResult lowerRope(RopeOp op, RopeOp::Adaptor in, K &k, ArrayRef<Value> out,
                        const KernelCallEnv &) {
  Value x = op.getInput();
  return k.call(op, SLIMTUNE_KERNEL_ROPE,
                {k.p(out[0]), k.p(in.getInput()), k.l(dim(x, 0)), k.l(dim(x, 1)), k.l(cols(x)),
                 k.l(static_cast<int64_t>(op.getHeadDim())), k.f(op.getTheta().convertToDouble()),
                 k.i(op.getInverse() ? 1 : 0)});
}

LogicalResult lowerAttention(AttentionOp op, AttentionOp::Adaptor in, K &k, ArrayRef<Value> out,
                             const KernelCallEnv &env) {
  // No logsumexp is wanted: it goes after the kernel's workspace (getWorkspaceBytes).
  Value q = op.getQuery(), work = k.workspace(op);
  int64_t lseOffset = env.target->attentionWork(dim(q, 0), dim(q, 1), op.getNumHeads()) *
                      static_cast<int64_t>(sizeof(float));
  SmallVector<K::Arg> args = {k.p(out[0]), k.p(k.offset(work, lseOffset)), k.p(in.getQuery()),
                              k.p(in.getKey()), k.p(in.getValue()), k.p(work)};
  args.append(attentionSizes(op, k));
  return k.call(op, SLIMTUNE_KERNEL_ATTENTION, args);
}

LogicalResult lowerAttentionWithLse(AttentionWithLseOp op, AttentionWithLseOp::Adaptor in, K &k,
                                    ArrayRef<Value> out, const KernelCallEnv &) {
  SmallVector<K::Arg> args = {k.p(out[0]),        k.p(out[1]),      k.p(in.getQuery()),
                              k.p(in.getKey()),   k.p(in.getValue()), k.p(k.workspace(op))};
  args.append(attentionSizes(op, k));
  return k.call(op, SLIMTUNE_KERNEL_ATTENTION, args);
}

LogicalResult lowerAttentionGrad(AttentionGradOp op, AttentionGradOp::Adaptor in, K &k,
                                 ArrayRef<Value> out, const KernelCallEnv &) {
  SmallVector<K::Arg> args = {k.p(out[0]),         k.p(out[1]),          k.p(out[2]),
                              k.p(in.getQuery()),  k.p(in.getKey()),     k.p(in.getValue()),
                              k.p(in.getOutput()), k.p(in.getLse()),     k.p(in.getOutputGrad()),
                              k.p(k.workspace(op))};
  args.append(attentionSizes(op, k));
  return k.call(op, SLIMTUNE_KERNEL_ATTENTION_GRAD, args);
}

//===-- Elementwise -----------------------------------------------------------------===//

LogicalResult lowerSilu(SiluOp op, SiluOp::Adaptor in, K &k, ArrayRef<Value> out,
                        const KernelCallEnv &) {
  return k.call(op, SLIMTUNE_KERNEL_SILU,
                {k.p(out[0]), k.p(in.getInput()), k.l(count(op.getInput()))});
}

LogicalResult lowerSiluGrad(SiluGradOp op, SiluGradOp::Adaptor in, K &k, ArrayRef<Value> out,
                            const KernelCallEnv &) {
  return k.call(op, SLIMTUNE_KERNEL_SILU_GRAD,
                {k.p(out[0]), k.p(in.getResultGrad()), k.p(in.getInput()),
                 k.l(count(op.getInput()))});
}

LogicalResult lowerGelu(GeluOp op, GeluOp::Adaptor in, K &k, ArrayRef<Value> out,
                        const KernelCallEnv &) {
  return k.call(op, SLIMTUNE_KERNEL_GELU,
                {k.p(out[0]), k.p(in.getInput()), k.l(count(op.getInput())),
                 k.i(op.getApproximate() == GeluApproximation::tanh)});
}

LogicalResult lowerGeluGrad(GeluGradOp op, GeluGradOp::Adaptor in, K &k, ArrayRef<Value> out,
                            const KernelCallEnv &) {
  return k.call(op, SLIMTUNE_KERNEL_GELU_GRAD,
                {k.p(out[0]), k.p(in.getResultGrad()), k.p(in.getInput()),
                 k.l(count(op.getInput())), k.i(op.getApproximate() == GeluApproximation::tanh)});
}

LogicalResult lowerActivationFlags(ActivationFlagsOp op, ActivationFlagsOp::Adaptor in, K &k,
                                   ArrayRef<Value> out, const KernelCallEnv &) {
  return k.call(op, SLIMTUNE_KERNEL_ACTIVATION_FLAGS,
                {k.p(out[0]), k.p(in.getInput()), k.l(count(op.getInput())),
                 k.i(static_cast<int32_t>(op.getKind()))});
}

LogicalResult lowerActivationGradFromFlags(ActivationGradFromFlagsOp op,
                                           ActivationGradFromFlagsOp::Adaptor in, K &k,
                                           ArrayRef<Value> out, const KernelCallEnv &) {
  return k.call(op, SLIMTUNE_KERNEL_ACTIVATION_GRAD_FLAGS,
                {k.p(out[0]), k.p(in.getResultGrad()), k.p(in.getFlags()),
                 k.l(count(op.getResultGrad())), k.i(static_cast<int32_t>(op.getKind()))});
}

LogicalResult lowerAdd(AddOp op, AddOp::Adaptor in, K &k, ArrayRef<Value> out,
                       const KernelCallEnv &) {
  return k.call(op, SLIMTUNE_KERNEL_ADD,
                {k.p(out[0]), k.p(in.getLhs()), k.p(in.getRhs()), k.l(count(op.getLhs()))});
}

LogicalResult lowerMul(MulOp op, MulOp::Adaptor in, K &k, ArrayRef<Value> out,
                       const KernelCallEnv &) {
  return k.call(op, SLIMTUNE_KERNEL_MUL,
                {k.p(out[0]), k.p(in.getLhs()), k.p(in.getRhs()), k.l(count(op.getLhs()))});
}

LogicalResult lowerScaledAdd(ScaledAddOp op, ScaledAddOp::Adaptor in, K &k, ArrayRef<Value> out,
                             const KernelCallEnv &) {
  return k.call(op, SLIMTUNE_KERNEL_SCALED_ADD,
                {k.p(out[0]), k.p(in.getLhs()), k.p(in.getRhs()), k.l(count(op.getLhs())),
                 k.f(op.getAlpha().convertToDouble()), k.f(op.getBeta().convertToDouble())});
}

//===-- Loss ------------------------------------------------------------------------===//

LogicalResult lowerCrossEntropy(CrossEntropyOp op, CrossEntropyOp::Adaptor in, K &k,
                                ArrayRef<Value> out, const KernelCallEnv &) {
  Value logits = op.getLogits();
  return k.call(op, SLIMTUNE_KERNEL_CROSS_ENTROPY,
                {k.p(out[0]), k.p(Value()), k.p(in.getLogits()), k.p(in.getTargets()),
                 k.l(rows(logits)), k.l(cols(logits)), k.i(op.getIgnoreIndex())});
}

LogicalResult lowerCrossEntropyWithGrad(CrossEntropyWithGradOp op,
                                        CrossEntropyWithGradOp::Adaptor in, K &k,
                                        ArrayRef<Value> out, const KernelCallEnv &) {
  Value logits = op.getLogits();
  return k.call(op, SLIMTUNE_KERNEL_CROSS_ENTROPY,
                {k.p(out[0]), k.p(out[1]), k.p(in.getLogits()), k.p(in.getTargets()),
                 k.l(rows(logits)), k.l(cols(logits)), k.i(op.getIgnoreIndex())});
}

// slim.linear_cross_entropy (dx null) and its training form: one kernel, chunk by chunk.
template <typename HeadLoss>
LogicalResult lowerLinearCrossEntropy(HeadLoss op, typename HeadLoss::Adaptor in, K &k,
                                      ArrayRef<Value> out, const KernelCallEnv &) {
  auto weight = op.getWeight().getType();
  const bool outIn = op.getLayout() == WeightLayout::out_in;
  return k.call(op, SLIMTUNE_KERNEL_LINEAR_CROSS_ENTROPY,
                {k.p(out[0]), k.p(out.size() > 1 ? out[1] : Value()), k.p(in.getInput()),
                 k.p(in.getWeight()), k.p(in.getTargets()), k.p(k.workspace(op)),
                 k.l(rows(op.getInput())), k.l(weight.getDimSize(outIn ? 1 : 0)),
                 k.l(weight.getDimSize(outIn ? 0 : 1)), k.l(static_cast<int64_t>(op.getChunk())),
                 k.i(layout(op.getLayout())), k.i(weightFormat(weight.getElementType())),
                 k.i(op.getIgnoreIndex())});
}

//===-- Optimizer -------------------------------------------------------------------===//

LogicalResult lowerGlobalNormSquared(GlobalNormSquaredOp op, GlobalNormSquaredOp::Adaptor in,
                                     K &k, ArrayRef<Value> out, const KernelCallEnv &) {
  if (failed(k.call(op, SLIMTUNE_KERNEL_FILL_ZERO, {k.p(out[0]), k.l(sizeof(double))})))
    return failure();
  for (auto [g, pointer] : llvm::zip(op.getGradients(), in.getGradients()))
    if (failed(k.call(op, SLIMTUNE_KERNEL_SUM_SQUARES, {k.p(out[0]), k.p(pointer), k.l(count(g))})))
      return failure();
  return success();
}

LogicalResult lowerSqrt(SqrtOp op, SqrtOp::Adaptor in, K &k, ArrayRef<Value> out,
                        const KernelCallEnv &) {
  return k.call(op, SLIMTUNE_KERNEL_SQRT_F64, {k.p(out[0]), k.p(in.getInput())});
}

LogicalResult lowerAdamW(AdamWOp op, AdamWOp::Adaptor in, K &k, ArrayRef<Value> out,
                         const KernelCallEnv &) {
  // In place: the results are the argument buffers (slim.updates).
  return k.call(op, SLIMTUNE_KERNEL_ADAMW,
                {k.p(out[0]), k.p(out[1]), k.p(out[2]), k.p(in.getGrad()),
                 k.l(count(op.getParam())), k.p(in.getLr()), k.p(in.getStep()),
                 k.p(in.getNormSquared()), k.f(op.getMaxGradNorm().convertToDouble()),
                 k.f(op.getBeta1().convertToDouble()), k.f(op.getBeta2().convertToDouble()),
                 k.f(op.getEps().convertToDouble()), k.f(op.getWeightDecay().convertToDouble())});
}

//===-- The return ------------------------------------------------------------------===//

// Returned values were computed straight into their output buffers; an argument returned as
// is (not through an op) is copied to its own. The step then reports success.
class ReturnPattern : public OpConversionPattern<func::ReturnOp> {
public:
  ReturnPattern(const TypeConverter &converter, MLIRContext *ctx, const KernelCallEnv &env)
      : OpConversionPattern(converter, ctx), env_(env) {}

  LogicalResult matchAndRewrite(func::ReturnOp op, OpAdaptor in,
                                ConversionPatternRewriter &rewriter) const override {
    K k(rewriter, op.getLoc(), env_);
    for (auto [i, value] : llvm::enumerate(op.getOperands())) {
      auto arg = env_.argumentBuffer.find(value);
      if (arg == env_.argumentBuffer.end() || env_.resultBuffer[i] == arg->second)
        continue;
      // copy_columns moves 4-byte words: every step buffer (f32, i32, f64) is whole words.
      int64_t words = tensorBytes(value.getType()) / 4;
      if (failed(k.call(op, SLIMTUNE_KERNEL_COPY_COLUMNS,
                        {k.p(k.bufferPointer(env_.resultBuffer[i])), k.p(in.getOperands()[i]),
                         k.l(1), k.l(words), k.l(words), k.l(0), k.l(0), k.l(words)})))
        return failure();
    }
    Value ok = rewriter.create<LLVM::ConstantOp>(op.getLoc(), rewriter.getI32Type(),
                                                 rewriter.getI32IntegerAttr(SLIMTUNE_KERNEL_OK));
    rewriter.replaceOpWithNewOp<LLVM::ReturnOp>(op, ok);
    return success();
  }

private:
  const KernelCallEnv &env_;
};

template <typename OpT>
void add(RewritePatternSet &patterns, const TypeConverter &converter, const KernelCallEnv &env,
         LowerFn<OpT> lower) {
  patterns.add(std::make_unique<KernelCallPattern<OpT>>(converter, patterns.getContext(), env, lower));
}

} // namespace

void populateKernelCallTypeConversions(TypeConverter &converter) {
  converter.addConversion([](Type type) { return type; });
  converter.addConversion([](RankedTensorType type) -> Type {
    return LLVM::LLVMPointerType::get(type.getContext());
  });
  converter.addConversion([](StashType type) -> Type {
    return LLVM::LLVMPointerType::get(type.getContext());
  });
}

void populateSlimToKernelCallPatterns(RewritePatternSet &patterns, const TypeConverter &converter,
                                      const KernelCallEnv &env) {
  MLIRContext *ctx = patterns.getContext();
  patterns.add<StashPattern, UnstashPattern, ReturnPattern>(converter, ctx, env);
  add<ZerosOp>(patterns, converter, env, lowerZeros);
  add<SliceOp>(patterns, converter, env, lowerSlice);
  add<ConcatOp>(patterns, converter, env, lowerConcat);
  add<EmbeddingOp>(patterns, converter, env, lowerEmbedding);
  add<PositionEmbeddingOp>(patterns, converter, env, lowerPositionEmbedding);
  add<RMSNormOp>(patterns, converter, env, lowerRMSNorm);
  add<RMSNormGradOp>(patterns, converter, env, lowerRMSNormGrad);
  add<LayerNormOp>(patterns, converter, env, lowerLayerNorm);
  add<LayerNormGradOp>(patterns, converter, env, lowerLayerNormGrad);
  add<NormalizeOp>(patterns, converter, env, lowerNormalize);
  add<NormalizeGradOp>(patterns, converter, env, lowerNormalizeGrad);
  add<ScaleShiftOp>(patterns, converter, env, lowerScaleShift);
  add<LinearOp>(patterns, converter, env, lowerLinear<LinearOp>);
  add<SampledLinearOp>(patterns, converter, env, lowerLinear<SampledLinearOp>);
  add<SampledLinearGradOp>(patterns, converter, env, lowerSampledLinearGrad);
  add<WeightGradOp>(patterns, converter, env, lowerWeightGrad);
  add<SumRowsOp>(patterns, converter, env, lowerSumRows);
  add<LoraOp>(patterns, converter, env, lowerLora);
  add<LoraGradOp>(patterns, converter, env, lowerLoraGrad);
  add<LoraWeightGradOp>(patterns, converter, env, lowerLoraWeightGrad);
  add<MergeLoraOp>(patterns, converter, env, lowerMergeLora);
  add<RopeOp>(patterns, converter, env, lowerRope);
  add<AttentionOp>(patterns, converter, env, lowerAttention);
  add<AttentionWithLseOp>(patterns, converter, env, lowerAttentionWithLse);
  add<AttentionGradOp>(patterns, converter, env, lowerAttentionGrad);
  add<SiluOp>(patterns, converter, env, lowerSilu);
  add<SiluGradOp>(patterns, converter, env, lowerSiluGrad);
  add<GeluOp>(patterns, converter, env, lowerGelu);
  add<GeluGradOp>(patterns, converter, env, lowerGeluGrad);
  add<ActivationFlagsOp>(patterns, converter, env, lowerActivationFlags);
  add<ActivationGradFromFlagsOp>(patterns, converter, env, lowerActivationGradFromFlags);
  add<AddOp>(patterns, converter, env, lowerAdd);
  add<MulOp>(patterns, converter, env, lowerMul);
  add<ScaledAddOp>(patterns, converter, env, lowerScaledAdd);
  add<CrossEntropyOp>(patterns, converter, env, lowerCrossEntropy);
  add<CrossEntropyWithGradOp>(patterns, converter, env, lowerCrossEntropyWithGrad);
  add<LinearCrossEntropyOp>(patterns, converter, env, lowerLinearCrossEntropy<LinearCrossEntropyOp>);
  add<LinearCrossEntropyWithGradOp>(patterns, converter, env,
                                    lowerLinearCrossEntropy<LinearCrossEntropyWithGradOp>);
  add<GlobalNormSquaredOp>(patterns, converter, env, lowerGlobalNormSquared);
  add<SqrtOp>(patterns, converter, env, lowerSqrt);
  add<AdamWOp>(patterns, converter, env, lowerAdamW);
}

} // namespace slimtune::codegen
