//===- ApproxActivationGrad.cpp - slim-approx-activation-grad ---------------------------===//
//
// Approx-BP (docs/techniques.md, Approx-BP): the backward of SiLU and GELU reads 2-bit segment flags of the
// activation's input instead of the input itself. For each slim.silu_grad / slim.gelu_grad
// whose input comes through a stash, the forward computes slim.activation_flags of that input
// right where it is stashed and stashes the flags instead; the backward becomes
// slim.activation_grad_from_flags. The input's own stash goes away when nothing else reads
// it; when something does, the activation is left exact (with a remark): the flags would then
// add memory and error and save nothing.
//
//===-------------------------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "passes/StashSites.h"

#include "llvm/ADT/DenseMap.h"

namespace mlir::slim {
#define GEN_PASS_DEF_SLIMAPPROXACTIVATIONGRAD
#include "passes/Passes.h.inc"
} // namespace mlir::slim

using namespace mlir;
using namespace mlir::slim;

namespace {

struct ApproxActivationGradPass
    : public mlir::slim::impl::SlimApproxActivationGradBase<ApproxActivationGradPass> {
  using SlimApproxActivationGradBase::SlimApproxActivationGradBase;

  void runOnOperation() override {
    auto chosenSites = SitePatterns::parse(sites, getOperation(), "slim-approx-activation-grad");
    if (failed(chosenSites))
      return signalPassFailure();
    SmallVector<Operation *> grads;
    getOperation().walk([&](Operation *op) {
      if (isa<SiluGradOp, GeluGradOp>(op))
        grads.push_back(op);
    });
    // Every activation grad reading one stash must be rewritten, or none: group them.
    llvm::MapVector<StashOp, SmallVector<Operation *>> byStash;
    for (Operation *op : grads) {
      auto unstash = op->getOperand(1).getDefiningOp<UnstashOp>();
      auto stash = unstash ? unstash.getHandle().getDefiningOp<StashOp>() : StashOp();
      if (!stash) {
        op->emitRemark() << "slim-approx-activation-grad: left exact: its input is not read "
                            "through a stash";
        continue;
      }
      byStash[stash].push_back(op);
    }
    for (auto &[stash, ops] : byStash)
      if (chosenSites->matches(stash))
        rewrite(stash, ops);
  }

  static ApproxActivation kindOf(Operation *grad) {
    return isa<SiluGradOp>(grad) ? ApproxActivation::resilu2 : ApproxActivation::regelu2;
  }

  void rewrite(StashOp stash, ArrayRef<Operation *> ops) {
    // What else reads the stashed value: then it stays, and the approximation saves nothing.
    llvm::SmallPtrSet<Operation *, 4> rewritten(ops.begin(), ops.end());
    for (Operation *user : stash.getHandle().getUsers())
      for (Operation *reader : user->getUsers())
        if (!rewritten.contains(reader)) {
          ops.front()->emitRemark()
              << "slim-approx-activation-grad: left exact: its input is also kept for "
              << reader->getName();
          return;
        }
    if (stash.getEncodingAttr()) {
      ops.front()->emitRemark() << "slim-approx-activation-grad: left exact: its input's stash "
                                   "is already encoded";
      return;
    }
    // Flags computed in the forward where the input was stashed, one set per kind.
    Value x = stash.getInput();
    DenseMap<unsigned, StashOp> flagsOf;
    for (Operation *grad : ops) {
      ApproxActivation kind = kindOf(grad);
      StashOp &handle = flagsOf[static_cast<unsigned>(kind)];
      if (!handle) {
        OpBuilder fb(stash);
        auto flags = createInferred<ActivationFlagsOp>(fb, stash.getLoc(), x, kind);
        handle = createInferred<StashOp>(fb, stash.getLoc(), flags.getResult(), Value(),
                                         StashEncodingAttrInterface());
      }
      OpBuilder bb(grad);
      auto flags = createInferred<UnstashOp>(bb, grad->getLoc(), handle.getResult());
      auto dx = createInferred<ActivationGradFromFlagsOp>(bb, grad->getLoc(),
                                                          grad->getOperand(0), flags, kind);
      grad->replaceAllUsesWith(dx);
      Operation *unstash = grad->getOperand(1).getDefiningOp();
      grad->erase();
      if (unstash->use_empty())
        unstash->erase();
    }
    if (stash->use_empty())
      stash->erase();
  }
};

} // namespace
