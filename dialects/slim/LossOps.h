//===- LossOps.h - the ops a step's loss comes from ---------------------------------------===//
//
// A forward graph ends in a loss op (slim.cross_entropy, or slim.linear_cross_entropy where
// the head is fused with it); slim-autodiff replaces it with its training form, which also
// yields the gradient that seeds the backward. Passes, the planner and the step manifest ask
// these questions of either through here rather than listing the ops themselves.
//
//===-------------------------------------------------------------------------------------===//

#ifndef SLIMTUNE_DIALECTS_SLIM_LOSSOPS_H
#define SLIMTUNE_DIALECTS_SLIM_LOSSOPS_H

#include "dialects/slim/SlimOps.h"

#include <cstdint>
#include <optional>

namespace mlir::slim {

// A forward graph's loss.
inline bool isForwardLoss(Operation *op) {
  return isa_and_nonnull<CrossEntropyOp, LinearCrossEntropyOp>(op);
}

// A training step's loss: where the backward starts.
inline bool isTrainingLoss(Operation *op) {
  return isa_and_nonnull<CrossEntropyWithGradOp, LinearCrossEntropyWithGradOp>(op);
}

// What a batch's targets must satisfy against a loss op of either kind: below `classes` (the
// logits' width) or equal to `ignoreIndex`.
struct LossTargets {
  int64_t classes;
  int64_t ignoreIndex;
};

inline std::optional<LossTargets> lossTargets(Operation *op) {
  auto fromLogits = [](Value logits, uint64_t ignore) {
    return LossTargets{cast<RankedTensorType>(logits.getType()).getShape().back(),
                       static_cast<int64_t>(ignore)}; // I64Attr reads as uint64
  };
  auto fromHead = [](auto head) {
    auto weight = head.getWeight().getType();
    return LossTargets{weight.getDimSize(head.getLayout() == WeightLayout::out_in ? 0 : 1),
                       static_cast<int64_t>(head.getIgnoreIndex())};
  };
  if (auto ce = dyn_cast<CrossEntropyOp>(op))
    return fromLogits(ce.getLogits(), ce.getIgnoreIndex());
  if (auto ce = dyn_cast<CrossEntropyWithGradOp>(op))
    return fromLogits(ce.getLogits(), ce.getIgnoreIndex());
  if (auto head = dyn_cast<LinearCrossEntropyOp>(op))
    return fromHead(head);
  if (auto head = dyn_cast<LinearCrossEntropyWithGradOp>(op))
    return fromHead(head);
  return std::nullopt;
}

} // namespace mlir::slim

#endif // SLIMTUNE_DIALECTS_SLIM_LOSSOPS_H
