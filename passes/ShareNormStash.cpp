//===- ShareNormStash.cpp - slim-share-norm-stash ------------------------------------------===//
//
// MS-BP (docs/techniques.md, MS-BP) on the forward graph: each norm whose backward would keep its input
// while a consumer keeps its output is split into slim.normalize (z, rstd) and
// slim.scale_shift (γ, β). slim-autodiff then keeps z and rstd only: the norm's gradient comes
// from them (slim.normalize_grad), and the consumers' backward recomputes z·γ + β from z
// instead of keeping a copy of it (Autodiff.cpp, `saved`).
//
// The decision needs to know what the backward will keep, before there is a backward: a value
// is active when it depends on a trainable parameter (ActiveValues.h, shared with
// slim-autodiff), and each consumer says which of its operands its backward reads
// (DifferentiableOpInterface::backwardReadsOperand, beside the rule slim-autodiff builds).
//
//===-------------------------------------------------------------------------------------===//

#include "passes/ActiveValues.h"
#include "passes/Passes.h"

#include "llvm/ADT/DenseSet.h"

namespace mlir::slim {
#define GEN_PASS_DEF_SLIMSHARENORMSTASH
#include "passes/Passes.h.inc"
} // namespace mlir::slim

using namespace mlir;
using namespace mlir::slim;

namespace {

class NormSharing {
public:
  explicit NormSharing(func::FuncOp func) : func_(func) {}

  void run() {
    active_ = activeValues(func_);
    SmallVector<Operation *> norms;
    func_.walk([&](Operation *op) {
      if (isa<RMSNormOp, LayerNormOp>(op))
        norms.push_back(op);
    });
    for (Operation *norm : norms)
      rewrite(norm);
  }

private:
  bool active(Value v) const { return v && active_.contains(v); }

  // Whether the backward of `use`'s owner reads that operand: the op's own rule
  // (DifferentiableOpInterface), the one slim-autodiff will build.
  bool keepsForBackward(OpOperand &use) const {
    auto op = dyn_cast<DifferentiableOpInterface>(use.getOwner());
    return op && op.backwardReadsOperand(use.getOperandNumber(),
                                         [&](Value v) { return active(v); });
  }

  void leaveAlone(Operation *norm, const Twine &why) {
    norm->emitRemark() << "slim-share-norm-stash: left alone: " << why;
  }

  void rewrite(Operation *norm) {
    Value input = norm->getOperand(0), output = norm->getResult(0), scale, shift;
    double epsilon;
    NormKind kind;
    if (auto rms = dyn_cast<RMSNormOp>(norm)) {
      scale = rms.getScale();
      epsilon = rms.getEpsilon().convertToDouble();
      kind = NormKind::rms;
    } else {
      auto layer = cast<LayerNormOp>(norm);
      scale = layer.getScale();
      shift = layer.getShift();
      epsilon = layer.getEpsilon().convertToDouble();
      kind = NormKind::layer;
    }
    if (active(scale) || active(shift))
      return leaveAlone(norm, "a trainable scale or shift");
    if (!active(input))
      return leaveAlone(norm, "its input needs no gradient, so the backward keeps nothing of it");
    if (shift && !scale)
      return leaveAlone(norm, "a shift without a scale");
    if (llvm::none_of(output.getUses(), [&](OpOperand &use) { return keepsForBackward(use); }))
      return leaveAlone(norm, "no consumer keeps its output for the backward, so z would cost "
                              "as much as the input it replaces");
    OpBuilder b(norm);
    auto split = createInferred<NormalizeOp>(b, norm->getLoc(), input,
                                             NormKindAttr::get(b.getContext(), kind),
                                             b.getF64FloatAttr(epsilon));
    // Marks other passes left on the norm (slim-reversible's slim.recompute) stay on its parts.
    split->setDiscardableAttrs(norm->getDiscardableAttrDictionary());
    Value replacement = split.getResult();
    if (scale) {
      auto affine = createInferred<ScaleShiftOp>(b, norm->getLoc(), split.getResult(), scale, shift);
      affine->setDiscardableAttrs(norm->getDiscardableAttrDictionary());
      replacement = affine.getResult();
    }
    output.replaceAllUsesWith(replacement);
    norm->erase();
  }

  func::FuncOp func_;
  DenseSet<Value> active_;
};

struct ShareNormStashPass
    : public mlir::slim::impl::SlimShareNormStashBase<ShareNormStashPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal() || !func.getBody().hasOneBlock())
      return; // nothing slim-autodiff could differentiate either
    if (!func.getOps<StashOp>().empty()) {
      func.emitError() << "slim-share-norm-stash: runs on a forward graph, before slim-autodiff "
                          "(this one already has stashes)";
      return signalPassFailure();
    }
    NormSharing(func).run();
  }
};

} // namespace
