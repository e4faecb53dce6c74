//===- Autodiff.cpp - slim-autodiff --------------------------------------------------------===//
//
// Turns a forward graph (params, tokens, targets -> mean cross-entropy) into one that also
// returns the gradient of the loss with respect to every trainable parameter: reverse mode
// over the single block, backward ops appended after the forward ones.
//
// This pass is a driver: each op builds its own backward (DifferentiableOpInterface, the rules
// in dialects/slim/SlimBackward.cpp) and may first be replaced by a training forward that
// yields what its backward needs (attention with its logsumexp, the loss fused with its
// gradient). The driver owns the policy the rules share:
// - a forward value the backward reads is stashed once (slim.stash right after its
//   definition, slim.unstash before its first backward use), however many backward ops read
//   it (the q- and v-adapters of a layer share the stash of their input), unless its op is
//   cheaper to recompute from saved values (isRecomputedForBackward);
// - gradient contributions to one value are summed, slices of one value assembled.
//
//===-------------------------------------------------------------------------------------===//

#include "passes/ActiveValues.h"
#include "passes/Passes.h"
#include "passes/TrainingStep.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "mlir/IR/IRMapping.h"

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

// Set by slim-reversible (passes/Reversible.cpp): an op the backward runs again rather than
// stash its results, and a coupling whose scaled operand the backward rebuilds from its result.
constexpr llvm::StringLiteral kRecomputeAttr = SlimDialect::kRecomputeAttrName;
constexpr llvm::StringLiteral kReconstructAttr = SlimDialect::kReconstructAttrName;

class Differentiator : public BackwardBuilder {
public:
  Differentiator(func::FuncOp func, bool measureReconstruction)
      : func_(func), b_(func.getContext()), measure_(measureReconstruction) {}

  LogicalResult run() {
    if (failed(check()))
      return failure();
    active_ = activeValues(func_);
    if (!active_.contains(loss_))
      return func_.emitError() << "slim-autodiff: the loss does not depend on any trainable "
                                  "parameter";
    buildTrainingForwards();
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
    if (!isForwardLoss(loss_.getDefiningOp()))
      return func_.emitError() << "slim-autodiff: the loss must be a slim.cross_entropy or a "
                                  "slim.linear_cross_entropy";
    if (Operation *op = firstTrainingOp(func_))
      return op->emitOpError() << "slim-autodiff: the graph is already a training step";
    WalkResult walk = func_.walk([&](Operation *op) {
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

  // Ops whose backward needs more than their result are replaced by their training forward
  // (attention also yields its logsumexp; the loss comes fused with its gradient).
  void buildTrainingForwards() {
    SmallVector<DifferentiableOpInterface> ops;
    func_.walk([&](DifferentiableOpInterface op) {
      if (llvm::any_of(op->getResults(), [&](Value r) { return active_.contains(r); }))
        ops.push_back(op);
    });
    for (DifferentiableOpInterface op : ops) {
      OpBuilder fb(op);
      Operation *training = op.buildTrainingForward(fb);
      if (!training)
        continue;
      training->setDiscardableAttrs(op->getDiscardableAttrDictionary()); // slim.recompute
      if (op->getResult(0) == loss_)
        loss_ = training->getResult(0);
      for (auto [before, after] : llvm::zip(op->getResults(), training->getResults()))
        before.replaceAllUsesWith(after);
      for (Value r : training->getResults())
        active_.insert(r);
      op->erase();
    }
  }

  //===-- Values the backward reads -------------------------------------------===//

  // The forward value `v` as the backward sees it: arguments directly, anything else through
  // one stash per value.
  OpBuilder &builder() override { return b_; }
  bool isActive(Value v) const override { return v && active_.contains(v); }

  Value saved(Value v) override {
    if (recomputing_ == 0)
      reads_.insert(v);
    if (isa<BlockArgument>(v))
      return v;
    if (Value u = unstashed_.lookup(v))
      return u;
    // A norm's affine part (slim-share-norm-stash) is recomputed from the normalized value,
    // which the norm's own backward keeps anyway, rather than kept as a second copy.
    auto producer = v.getDefiningOp<DifferentiableOpInterface>();
    if (producer && producer.isRecomputedForBackward()) {
      IRMapping operands;
      ++recomputing_; // the recomputed op's reads, not the caller's
      for (Value operand : producer->getOperands())
        operands.map(operand, saved(operand));
      --recomputing_;
      Operation *again = b_.clone(*producer, operands);
      Value value = again->getResult(cast<OpResult>(v).getResultNumber());
      unstashed_[v] = value;
      return value;
    }
    // Reversible layers (slim-reversible): a stream a coupling can give back is rebuilt from
    // the coupling's result, and an op marked slim.recompute runs again on what the backward
    // already has, so nothing inside a reversible segment is stashed.
    if (Value rebuilt = reconstructed(v))
      return rebuilt;
    if (Operation *op = v.getDefiningOp(); op && op->hasAttr(kRecomputeAttr))
      return recomputed(op, v);
    OpBuilder sb(v.getContext());
    sb.setInsertionPointAfterValue(v);
    auto handle = createInferred<StashOp>(sb, v.getLoc(), v, Value(), StashEncodingAttrInterface());
    auto value = createInferred<UnstashOp>(b_, v.getLoc(), handle.getResult());
    unstashed_[v] = value.getResult();
    return value.getResult();
  }

  // `v` rebuilt by the last coupling marked slim.reconstruct that takes it as its scaled
  // stream: lhs = (result - beta·rhs) / alpha, the result and rhs themselves saved (rebuilt
  // by the layer above, stashed at the top of the segment, recomputed). The last coupling:
  // the segment's bottom input is the lhs of both of its layer's couplings, and only the
  // second's rhs (G, applied to the first's result) does not need `v` itself.
  Value reconstructed(Value v) {
    ScaledAddOp coupling;
    for (OpOperand &use : v.getUses())
      if (auto c = dyn_cast<ScaledAddOp>(use.getOwner());
          c && use.getOperandNumber() == 0 && c->hasAttr(kReconstructAttr) &&
          (!coupling || coupling->isBeforeInBlock(c)) && !recomputedFrom(c.getRhs(), v))
        coupling = c;
    if (!coupling)
      return Value();
    ++recomputing_;
    Value result = saved(coupling.getResult()), rhs = saved(coupling.getRhs());
    --recomputing_;
    Value value = coupling.reconstructLhs(b_, result, rhs);
    unstashed_[v] = value;
    if (measure_)
      measureRebuilt(v, value);
    return value;
  }

  // ‖rebuilt − v‖ and ‖v‖ as outputs, v itself stashed to compare with.
  void measureRebuilt(Value v, Value rebuilt) {
    OpBuilder sb(v.getContext());
    sb.setInsertionPointAfterValue(v);
    auto handle = createInferred<StashOp>(sb, v.getLoc(), v, Value(), StashEncodingAttrInterface());
    Value kept = createInferred<UnstashOp>(b_, v.getLoc(), handle.getResult()).getResult();
    Value diff =
        createInferred<ScaledAddOp>(b_, loc_, rebuilt, kept, APFloat(1.0), APFloat(-1.0)).getResult();
    auto norm = [&](Value x) {
      Value squares = createInferred<GlobalNormSquaredOp>(b_, loc_, ValueRange{x}).getResult();
      return createInferred<SqrtOp>(b_, loc_, squares).getResult();
    };
    std::string name = "reconstruction." + std::to_string(measured_.size() / 2);
    measured_.push_back({name + ".error", norm(diff)});
    measured_.push_back({name + ".norm", norm(kept)});
  }

  // Whether recomputing `value` would need `from`: a walk back through the ops the backward
  // recomputes (a coupling's result is rebuilt or stashed, never recomputed: the walk stops
  // there). Such a coupling cannot give `from` back: the segment's bottom input is both
  // streams, and where G's coupling is gone F's rhs is F(from) itself.
  static bool recomputedFrom(Value value, Value from) {
    DenseSet<Value> seen;
    SmallVector<Value> work = {value};
    while (!work.empty()) {
      Value v = work.pop_back_val();
      if (v == from)
        return true;
      Operation *op = v.getDefiningOp();
      if (op && op->hasAttr(kRecomputeAttr) && seen.insert(v).second)
        work.append(op->operand_begin(), op->operand_end());
    }
    return false;
  }

  // `v` from its op run again on saved operands (each one itself saved, recomputed or rebuilt).
  Value recomputed(Operation *producer, Value v) {
    IRMapping operands;
    ++recomputing_;
    for (Value operand : producer->getOperands())
      operands.map(operand, saved(operand));
    --recomputing_;
    Operation *again = b_.clone(*producer, operands);
    again->removeAttr(kRecomputeAttr);
    for (auto [before, after] : llvm::zip(producer->getResults(), again->getResults()))
      unstashed_[before] = after;
    return unstashed_[v];
  }

  //===-- Adjoints -------------------------------------------------------------===//

  void accumulate(Value v, Value grad) override {
    if (!active_.contains(v) || !grad)
      return;
    Value &slot = adjoint_[v];
    slot = slot ? createInferred<AddOp>(b_, loc_, slot, grad).getResult() : grad;
  }

  void accumulateSlice(Value v, int64_t start, int64_t end, Value grad) override {
    if (active_.contains(v) && grad)
      sliceParts_[v].push_back({start, end, grad});
  }

  LogicalResult updateArgument(Operation *op, Value state, Value next) override {
    auto arg = dyn_cast<BlockArgument>(state);
    if (!arg || arg.getOwner() != &func_.getBody().front())
      return op->emitOpError() << "slim-autodiff: state the backward updates must be a "
                                  "function argument";
    updates_.push_back({arg.getArgNumber(), next});
    return success();
  }

  Value resultGrad(Value result) override { return adjointOf(result, loc_); }

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

  LogicalResult backward(Operation *op) {
    if (llvm::none_of(op->getResults(), [&](Value r) { return active_.contains(r); }))
      return success();
    loc_ = op->getLoc();
    if (auto differentiable = dyn_cast<DifferentiableOpInterface>(op)) {
      reads_.clear();
      if (failed(differentiable.buildBackward(*this)))
        return failure();
      return checkReads(differentiable);
    }
    if (!adjointOf(op->getResult(0), loc_))
      return success(); // the result does not reach the loss
    return op->emitOpError() << "slim-autodiff: has no backward rule";
  }

  // What the op says its backward reads (slim-share-norm-stash decides from that, before the
  // backward exists) must be what its rule just read: checked on every op of every run.
  LogicalResult checkReads(DifferentiableOpInterface op) {
    if (!adjoint_.lookup(op->getResult(0)))
      return success(); // built nothing: its result does not reach the loss
    auto isActive = [&](Value v) { return active_.contains(v); };
    for (OpOperand &operand : op->getOpOperands())
      if (op.backwardReadsOperand(operand.getOperandNumber(), isActive) !=
          reads_.contains(operand.get()))
        return op->emitOpError() << "slim-autodiff: backwardReadsOperand(" << operand.getOperandNumber()
                                 << ") disagrees with the backward rule";
    for (OpResult result : op->getResults())
      if (op.backwardReadsResult(result.getResultNumber(), isActive) != reads_.contains(result))
        return op->emitOpError() << "slim-autodiff: backwardReadsResult(" << result.getResultNumber()
                                 << ") disagrees with the backward rule";
    return success();
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
    for (auto &[argument, value] : updates_) {
      results.push_back(value);
      resultAttrs.push_back(b_.getDictionaryAttr(
          b_.getNamedAttr(SlimDialect::kUpdatesAttrName, b_.getI64IntegerAttr(argument))));
    }
    for (auto &[name, value] : measured_) {
      results.push_back(value);
      resultAttrs.push_back(b_.getDictionaryAttr(
          b_.getNamedAttr(SlimDialect::kOutputAttrName, b_.getStringAttr(name))));
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
  DenseSet<Value> reads_; // what the current op's rule read through saved()
  int recomputing_ = 0;
  bool measure_;
  SmallVector<std::pair<std::string, Value>> measured_; // measure-reconstruction's outputs
  SmallVector<std::pair<unsigned, Value>> updates_;      // state arguments the backward updates
  Location loc_ = UnknownLoc::get(func_.getContext()); // of the op whose backward is built
};

struct AutodiffPass : public mlir::slim::impl::SlimAutodiffBase<AutodiffPass> {
  using SlimAutodiffBase::SlimAutodiffBase;
  void runOnOperation() override {
    if (failed(Differentiator(getOperation(), measureReconstruction).run()))
      signalPassFailure();
  }
};

} // namespace
