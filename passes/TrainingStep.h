//===- TrainingStep.h - telling a forward graph from a training step ----------------------===//

#ifndef SLIMTUNE_PASSES_TRAININGSTEP_H
#define SLIMTUNE_PASSES_TRAININGSTEP_H

#include "dialects/slim/LossOps.h"
#include "dialects/slim/SlimOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace mlir::slim {

// The first op of `func` that only a training step has (a stash, a backward op, an optimizer
// update), or null for a forward graph: passes that rewrite the forward alone (merging
// adapters, switching dropout off) would make the backward disagree with it.
inline Operation *firstTrainingOp(func::FuncOp func) {
  Operation *found = nullptr;
  func.walk([&](Operation *op) {
    if (!isTrainingLoss(op) && !isa<StashOp, UnstashOp, LoraGradOp, LoraWeightGradOp,
                                    SampledLinearGradOp, AttentionGradOp, AdamWOp>(op))
      return WalkResult::advance();
    found = op;
    return WalkResult::interrupt();
  });
  return found;
}

} // namespace mlir::slim

#endif // SLIMTUNE_PASSES_TRAININGSTEP_H
