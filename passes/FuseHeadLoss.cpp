//===- FuseHeadLoss.cpp - slim-fuse-head-loss -----------------------------------------===//
//
// The language model's largest activation is its logits, [tokens, vocab], and, in training,
// their gradient. Neither is needed whole: each row's loss term and gradient depend on that
// row alone, and the head's input gradient is dlogits·W row by row. So the head's linear and
// the loss become one op that the kernel runs a chunk of rows at a time (Passes.td has the
// rules and the measured chunk default).
//
//===-------------------------------------------------------------------------------------===//

#include "passes/ActiveValues.h"
#include "passes/Passes.h"
#include "passes/TrainingStep.h"

#include "llvm/ADT/DenseSet.h"

namespace mlir::slim {
#define GEN_PASS_DEF_SLIMFUSEHEADLOSS
#include "passes/Passes.h.inc"
} // namespace mlir::slim

using namespace mlir;
using namespace mlir::slim;

namespace {

struct FuseHeadLossPass : public mlir::slim::impl::SlimFuseHeadLossBase<FuseHeadLossPass> {
  using SlimFuseHeadLossBase::SlimFuseHeadLossBase;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal())
      return;
    if (chunk < 1) {
      func.emitError() << "slim-fuse-head-loss: chunk must be at least 1 row, got "
                       << static_cast<int64_t>(chunk);
      return signalPassFailure();
    }
    if (Operation *op = firstTrainingOp(func)) {
      op->emitOpError() << "slim-fuse-head-loss: the graph is already a training step; fuse "
                           "the forward graph (before slim-autodiff)";
      return signalPassFailure();
    }
    llvm::DenseSet<Value> trainable;
    for (BlockArgument arg : trainableArguments(func))
      trainable.insert(arg);
    SmallVector<CrossEntropyOp> losses;
    func.walk([&](CrossEntropyOp loss) { losses.push_back(loss); });
    for (CrossEntropyOp loss : losses) {
      auto head = loss.getLogits().getDefiningOp<LinearOp>();
      // A frozen parameter without bias, whose logits nothing else reads.
      if (!head || head.getBias() || !head->hasOneUse() ||
          !isa<BlockArgument>(head.getWeight()) || trainable.contains(head.getWeight()))
        continue;
      OpBuilder b(loss);
      auto fused = b.create<LinearCrossEntropyOp>(
          loss.getLoc(), loss.getLoss().getType(), head.getInput(), head.getWeight(),
          loss.getTargets(), head.getLayoutAttr(), loss.getIgnoreIndexAttr(),
          b.getI64IntegerAttr(chunk));
      loss.getLoss().replaceAllUsesWith(fused.getLoss());
      loss.erase();
      head.erase();
    }
  }
};

} // namespace
