//===- Autodiff.cpp - slim-autodiff --------------------------------------------------------===//
//
// Turns a forward graph (params, tokens, targets -> mean cross-entropy) into one that also
// returns the gradient of the loss with respect to every trainable parameter: reverse mode
// over the single block, backward ops appended after the forward ones.
//
// Memory is the point of slimtune, so what the backward keeps is explicit and minimal:
// - a forward value the backward reads is stashed once (slim.stash right after its
//   definition, slim.unstash before its first backward use), however many backward ops read
//   it (the q- and v-adapters of a layer share the stash of their input);
// - a frozen linear's backward (dx = dy·W) reads only W, so its input is not stashed;
// - attention becomes slim.attention_with_lse and its backward keeps q, k, v, the output and
//   the per-row logsumexp: no T×T matrix across the step;
// - the loss and its gradient are fused (slim.cross_entropy_with_grad), so the logits are not
//   stashed and their buffer can become the gradient's.
//
//===-------------------------------------------------------------------------------------===//

#include "passes/ActiveValues.h"
#include "passes/Passes.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"

namespace mlir::slim {
#define GEN_PASS_DEF_SLIMAUTODIFF
#include "passes/Passes.h.inc"
} // namespace mlir::slim

using namespace mlir;
using namespace mlir::slim;

namespace {

// A slice's gradient: the part [start, end) of its source's last dimension.
struct SlicePart {
  int64_t start, end;
  Value grad;
};

class Differentiator {
public:
  explicit Differentiator(func::FuncOp func) : func_(func), b_(func.getContext()) {}

  LogicalResult run() {
    if (failed(check()))
      return failure();
    active_ = activeValues(func_);
    if (!active_.contains(loss_))
      return func_.emitError() << "slim-autodiff: the loss does not depend on any trainable "
                                  "parameter";
    replaceForwardOps();
    Operation *ret = func_.getBody().front().getTerminator();
    b_.setInsertionPoint(ret);

    SmallVector<Operation *> ops;
    for (Operation &op : func_.getBody().front().without_terminator())
      ops.push_back(&op);
    for (Operation *op : llvm::reverse(ops))
      if (failed(backward(op)))
        return failure();
    return finish(ret);
  }

private:
  //===-- Setup -------------------------------------------------------------------===//

  LogicalResult check() {
    if (func_.isExternal() || !func_.getBody().hasOneBlock())
      return func_.emitError() << "slim-autodiff: expects a graph of one block";
    auto ret = cast<func::ReturnOp>(func_.getBody().front().getTerminator());
    if (ret.getNumOperands() != 1)
      return func_.emitError() << "slim-autodiff: expects a forward graph returning the loss "
                                  "alone, got "
                               << ret.getNumOperands() << " results";
    loss_ = ret.getOperand(0);
    if (!loss_.getDefiningOp<CrossEntropyOp>())
      return func_.emitError() << "slim-autodiff: the loss must be a slim.cross_entropy";
    WalkResult walk = func_.walk([&](Operation *op) {
      if (isa<StashOp, UnstashOp, CrossEntropyWithGradOp, AdamWOp, LoraGradOp, AttentionGradOp>(op)) {
        op->emitOpError() << "slim-autodiff: the graph is already a training step";
        return WalkResult::interrupt();
      }
      for (Type t : op->getResultTypes())
        if (auto tensor = dyn_cast<RankedTensorType>(t); tensor && !tensor.hasStaticShape()) {
          op->emitOpError() << "slim-autodiff: result type " << t
                            << " is not static; run slim-infer-shapes first";
          return WalkResult::interrupt();
        }
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return failure();
    for (BlockArgument arg : trainableArguments(func_))
      trainable_.push_back(arg);
    if (trainable_.empty())
      return func_.emitError() << "slim-autodiff: no parameter is trainable (add an adapter)";
    return success();
  }

  // Forward ops whose backward needs more than their result: attention also yields its
  // logsumexp; the loss comes fused with its gradient.
  void replaceForwardOps() {
    SmallVector<AttentionOp> attentions;
    func_.walk([&](AttentionOp op) {
      if (active_.contains(op.getResult()))
        attentions.push_back(op);
    });
    for (AttentionOp op : attentions) {
      OpBuilder fb(op);
      auto with = createInferred<AttentionWithLseOp>(
          fb, op.getLoc(), op.getQuery(), op.getKey(), op.getValue(), op.getNumHeadsAttr(),
          op.getNumKvHeadsAttr(), op.getScaleAttr());
      op.getResult().replaceAllUsesWith(with.getResult());
      active_.insert(with.getResult());
      active_.insert(with.getLse());
      op.erase();
    }
    auto ce = loss_.getDefiningOp<CrossEntropyOp>();
    OpBuilder fb(ce);
    auto fused = createInferred<CrossEntropyWithGradOp>(fb, ce.getLoc(), ce.getLogits(),
                                                        ce.getTargets(), ce.getIgnoreIndexAttr());
    ce.getLoss().replaceAllUsesWith(fused.getLoss());
    ce.erase();
    loss_ = fused.getLoss();
    active_.insert(loss_);
    // The seed: d(loss)/d(logits) comes out of the fused op itself.
    adjoint_[fused.getLogits()] = fused.getLogitsGrad();
  }

  //===-- Values the backward reads -------------------------------------------===//

  // The forward value `v` as the backward sees it: arguments directly, anything else through
  // one stash per value.
  Value saved(Value v) {
    if (isa<BlockArgument>(v))
      return v;
    if (Value u = unstashed_.lookup(v))
      return u;
    // A norm's affine part (slim-share-norm-stash) is recomputed from the normalized value,
    // which the norm's own backward keeps anyway, rather than kept as a second copy.
    if (auto affine = v.getDefiningOp<ScaleShiftOp>()) {
      Value shift = affine.getShift();
      auto value = createInferred<ScaleShiftOp>(b_, v.getLoc(), saved(affine.getInput()),
                                                saved(affine.getScale()),
                                                shift ? saved(shift) : Value());
      unstashed_[v] = value.getResult();
      return value.getResult();
    }
    OpBuilder sb(v.getContext());
    sb.setInsertionPointAfterValue(v);
    auto handle = createInferred<StashOp>(sb, v.getLoc(), v, Value(), StashEncodingAttrInterface());
    auto value = createInferred<UnstashOp>(b_, v.getLoc(), handle.getResult());
    unstashed_[v] = value.getResult();
    return value.getResult();
  }

  //===-- Adjoints -------------------------------------------------------------===//

  void accumulate(Value v, Value grad, Location loc) {
    if (!active_.contains(v) || !grad)
      return;
    Value &slot = adjoint_[v];
    slot = slot ? createInferred<AddOp>(b_, loc, slot, grad).getResult() : grad;
  }

  // The total gradient of `v`: whole contributions plus the slices' parts, assembled.
  Value adjointOf(Value v, Location loc) {
    Value total = adjoint_.lookup(v);
    auto parts = sliceParts_.find(v);
    if (parts == sliceParts_.end())
      return total;
    auto type = cast<RankedTensorType>(v.getType());
    int64_t width = type.getShape().back();
    SmallVector<SlicePart> sorted(parts->second);
    llvm::sort(sorted, [](const SlicePart &a, const SlicePart &b) { return a.start < b.start; });
    bool disjoint = true;
    for (size_t i = 1; i < sorted.size(); ++i)
      disjoint &= sorted[i].start >= sorted[i - 1].end;
    auto zeros = [&](int64_t w) {
      SmallVector<int64_t> dims(type.getShape());
      dims.back() = w;
      return b_.create<ZerosOp>(loc, RankedTensorType::get(dims, type.getElementType())).getResult();
    };
    // Disjoint parts (GPT-2's q, k, v of one c_attn) become one concatenation; overlapping
    // ones are each padded to full width and summed.
    auto assemble = [&](ArrayRef<SlicePart> pieces) {
      SmallVector<Value> operands;
      int64_t cursor = 0;
      for (const SlicePart &p : pieces) {
        if (p.start > cursor)
          operands.push_back(zeros(p.start - cursor));
        operands.push_back(p.grad);
        cursor = p.end;
      }
      if (cursor < width)
        operands.push_back(zeros(width - cursor));
      return operands.size() == 1 ? operands[0]
                                  : createInferred<ConcatOp>(b_, loc, operands).getResult();
    };
    SmallVector<Value> contributions;
    if (disjoint)
      contributions.push_back(assemble(sorted));
    else
      for (const SlicePart &p : sorted)
        contributions.push_back(assemble({p}));
    for (Value c : contributions)
      total = total ? createInferred<AddOp>(b_, loc, total, c).getResult() : c;
    sliceParts_.erase(parts);
    adjoint_[v] = total;
    return total;
  }

  //===-- Backward of each op ---------------------------------------------------===//

  LogicalResult unsupported(Operation *op, StringRef why) {
    return op->emitOpError() << "slim-autodiff: " << why;
  }

  LogicalResult backward(Operation *op) {
    if (op->getNumResults() == 0 || llvm::none_of(op->getResults(), [&](Value r) {
          return active_.contains(r);
        }))
      return success();
    Location loc = op->getLoc();
    if (isa<CrossEntropyWithGradOp>(op))
      return success(); // its gradient is the seed
    Value dy = adjointOf(op->getResult(0), loc);
    if (!dy && !isa<AttentionWithLseOp>(op))
      return success(); // the result does not reach the loss
    // Ops with one differentiable input: nothing to build when that input needs no gradient
    // (building it anyway would also stash forward values for nothing).
    if (isa<RMSNormOp, LayerNormOp, NormalizeOp, ScaleShiftOp, RopeOp, SiluOp, GeluOp>(op) &&
        !active_.contains(op->getOperand(0)))
      return success();

    if (auto add = dyn_cast<AddOp>(op)) {
      accumulate(add.getLhs(), dy, loc);
      accumulate(add.getRhs(), dy, loc);
      return success();
    }
    if (auto mul = dyn_cast<MulOp>(op)) {
      if (active_.contains(mul.getLhs()))
        accumulate(mul.getLhs(), createInferred<MulOp>(b_, loc, dy, saved(mul.getRhs())), loc);
      if (active_.contains(mul.getRhs()))
        accumulate(mul.getRhs(), createInferred<MulOp>(b_, loc, dy, saved(mul.getLhs())), loc);
      return success();
    }
    if (auto linear = dyn_cast<LinearOp>(op)) {
      bool outIn = linear.getLayout() == WeightLayout::out_in;
      if (active_.contains(linear.getInput())) {
        // dx = dy·W: a linear with the other layout; the input is not needed.
        Value dx = createInferred<LinearOp>(b_, loc, dy, saved(linear.getWeight()), Value(),
                                            outIn ? WeightLayout::in_out : WeightLayout::out_in);
        accumulate(linear.getInput(), dx, loc);
      }
      if (active_.contains(linear.getWeight()))
        accumulate(linear.getWeight(),
                   createInferred<WeightGradOp>(b_, loc, dy, saved(linear.getInput()),
                                                linear.getLayout()),
                   loc);
      if (Value bias = linear.getBias(); bias && active_.contains(bias))
        accumulate(bias, createInferred<SumRowsOp>(b_, loc, dy), loc);
      return success();
    }
    if (auto lora = dyn_cast<LoraOp>(op)) {
      auto grads = createInferred<LoraGradOp>(b_, loc, dy, saved(lora.getInput()),
                                              saved(lora.getLoraA()), saved(lora.getLoraB()),
                                              lora.getScaleAttr(), lora.getDropoutAttr(),
                                              lora.getSeedAttr());
      accumulate(lora.getInput(), grads.getInputGrad(), loc);
      accumulate(lora.getLoraA(), grads.getLoraAGrad(), loc);
      accumulate(lora.getLoraB(), grads.getLoraBGrad(), loc);
      return success();
    }
    if (auto norm = dyn_cast<RMSNormOp>(op)) {
      if (Value s = norm.getScale(); s && active_.contains(s))
        return unsupported(op, "a trainable norm scale is not supported");
      accumulate(norm.getInput(),
                 createInferred<RMSNormGradOp>(b_, loc, dy, saved(norm.getInput()),
                                               norm.getScale() ? saved(norm.getScale()) : Value(),
                                               norm.getEpsilonAttr()),
                 loc);
      return success();
    }
    if (auto norm = dyn_cast<LayerNormOp>(op)) {
      if ((norm.getScale() && active_.contains(norm.getScale())) ||
          (norm.getShift() && active_.contains(norm.getShift())))
        return unsupported(op, "a trainable norm scale or shift is not supported");
      accumulate(norm.getInput(),
                 createInferred<LayerNormGradOp>(b_, loc, dy, saved(norm.getInput()),
                                                 norm.getScale() ? saved(norm.getScale()) : Value(),
                                                 norm.getEpsilonAttr()),
                 loc);
      return success();
    }
    if (auto normalize = dyn_cast<NormalizeOp>(op)) {
      // From the output and rstd: the input need not be kept (MS-BP).
      accumulate(normalize.getInput(),
                 createInferred<NormalizeGradOp>(b_, loc, dy, saved(normalize.getResult()),
                                                 saved(normalize.getRstd()),
                                                 normalize.getKindAttr()),
                 loc);
      return success();
    }
    if (auto affine = dyn_cast<ScaleShiftOp>(op)) {
      if (active_.contains(affine.getScale()) ||
          (affine.getShift() && active_.contains(affine.getShift())))
        return unsupported(op, "a trainable scale or shift is not supported");
      // dx = dy · scale: the op again, without the shift.
      accumulate(affine.getInput(),
                 createInferred<ScaleShiftOp>(b_, loc, dy, saved(affine.getScale()), Value()),
                 loc);
      return success();
    }
    if (auto rope = dyn_cast<RopeOp>(op)) {
      // A rotation's transpose is the opposite rotation.
      accumulate(rope.getInput(),
                 createInferred<RopeOp>(b_, loc, dy, rope.getHeadDimAttr(), rope.getThetaAttr(),
                                        rope.getInverse() ? UnitAttr() : b_.getUnitAttr()),
                 loc);
      return success();
    }
    if (auto attention = dyn_cast<AttentionWithLseOp>(op)) {
      if (!dy)
        return success();
      auto grads = createInferred<AttentionGradOp>(
          b_, loc, saved(attention.getQuery()), saved(attention.getKey()),
          saved(attention.getValue()), saved(attention.getResult()), saved(attention.getLse()), dy,
          attention.getNumHeadsAttr(), attention.getNumKvHeadsAttr(), attention.getScaleAttr());
      accumulate(attention.getQuery(), grads.getQueryGrad(), loc);
      accumulate(attention.getKey(), grads.getKeyGrad(), loc);
      accumulate(attention.getValue(), grads.getValueGrad(), loc);
      return success();
    }
    if (auto silu = dyn_cast<SiluOp>(op)) {
      accumulate(silu.getInput(), createInferred<SiluGradOp>(b_, loc, dy, saved(silu.getInput())),
                 loc);
      return success();
    }
    if (auto gelu = dyn_cast<GeluOp>(op)) {
      accumulate(gelu.getInput(),
                 createInferred<GeluGradOp>(b_, loc, dy, saved(gelu.getInput()),
                                            gelu.getApproximateAttr()),
                 loc);
      return success();
    }
    if (auto slice = dyn_cast<SliceOp>(op)) {
      if (active_.contains(slice.getInput()))
        sliceParts_[slice.getInput()].push_back(
            {static_cast<int64_t>(slice.getStart()), static_cast<int64_t>(slice.getEnd()), dy});
      return success();
    }
    if (auto concat = dyn_cast<ConcatOp>(op)) {
      int64_t offset = 0;
      for (Value part : concat.getInputs()) {
        int64_t width = cast<RankedTensorType>(part.getType()).getShape().back();
        if (active_.contains(part))
          accumulate(part,
                     createInferred<SliceOp>(b_, loc, dy, static_cast<uint64_t>(offset),
                                             static_cast<uint64_t>(offset + width)),
                     loc);
        offset += width;
      }
      return success();
    }
    if (isa<EmbeddingOp, PositionEmbeddingOp>(op))
      return unsupported(op, "a trainable embedding table is not supported");
    return unsupported(op, "has no backward rule");
  }

  //===-- Results ---------------------------------------------------------------===//

  LogicalResult finish(Operation *ret) {
    SmallVector<Value> results = {loss_};
    SmallVector<Attribute> resultAttrs = {
        b_.getDictionaryAttr(b_.getNamedAttr(SlimDialect::kOutputAttrName, b_.getStringAttr("loss")))};
    for (Value arg : trainable_) {
      auto param = func_.getArgAttrOfType<ParamAttr>(cast<BlockArgument>(arg).getArgNumber(),
                                                     SlimDialect::kParamAttrName);
      Value grad = adjointOf(arg, func_.getLoc());
      if (!grad) {
        func_.emitWarning() << "slim-autodiff: the loss does not depend on trainable parameter \""
                            << param.getName() << "\"; its gradient is zero";
        grad = b_.create<ZerosOp>(func_.getLoc(), arg.getType());
      }
      results.push_back(grad);
      resultAttrs.push_back(b_.getDictionaryAttr(
          b_.getNamedAttr(SlimDialect::kGradAttrName, b_.getStringAttr(param.getName()))));
    }
    ret->setOperands(results);
    func_.setFunctionType(FunctionType::get(func_.getContext(), func_.getArgumentTypes(),
                                            ValueRange(results).getTypes()));
    func_.setAllResultAttrs(resultAttrs);
    return success();
  }

  func::FuncOp func_;
  OpBuilder b_;
  Value loss_;
  SmallVector<Value> trainable_;
  DenseSet<Value> active_;
  DenseMap<Value, Value> adjoint_;
  DenseMap<Value, SmallVector<SlicePart>> sliceParts_;
  DenseMap<Value, Value> unstashed_;
};

struct AutodiffPass : public mlir::slim::impl::SlimAutodiffBase<AutodiffPass> {
  void runOnOperation() override {
    if (failed(Differentiator(getOperation()).run()))
      signalPassFailure();
  }
};

} // namespace
