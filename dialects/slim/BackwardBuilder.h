//===- BackwardBuilder.h - what an op's backward rule is given ----------------------------===//
//
// DifferentiableOpInterface::buildBackward receives a BackwardBuilder: the autodiff driver's
// state as the op needs it. The driver (passes/Autodiff.cpp) owns the policy: where the
// backward ops go, how a forward value reaches the backward (one stash per value, shared by
// every reader), and how an operand's contributions are summed. The op owns the math.
//
//===-------------------------------------------------------------------------------------===//

#ifndef SLIMTUNE_DIALECTS_SLIM_BACKWARDBUILDER_H
#define SLIMTUNE_DIALECTS_SLIM_BACKWARDBUILDER_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/Value.h"
#include "llvm/ADT/STLFunctionalExtras.h"

namespace mlir::slim {

// Whether a value depends on a trainable parameter (so its gradient is wanted).
using ActivityFn = llvm::function_ref<bool(Value)>;

class BackwardBuilder {
public:
  virtual ~BackwardBuilder() = default;

  // Where backward ops are created.
  virtual OpBuilder &builder() = 0;
  virtual bool isActive(Value v) const = 0;
  // The total gradient of a forward result, null when it does not reach the loss.
  virtual Value resultGrad(Value result) = 0;
  // The forward value `v` as the backward may read it: an argument as is, anything else
  // stashed once (or recomputed, when its op says so).
  virtual Value saved(Value v) = 0;
  // Adds `grad` to the gradient of `v`; nothing when `v` is not active or `grad` is null.
  virtual void accumulate(Value v, Value grad) = 0;
  // Adds `grad` to the part [start, end) of the last dimension of `v`'s gradient.
  virtual void accumulateSlice(Value v, int64_t start, int64_t end, Value grad) = 0;
  // The step returns `next` as the new value of `state`, a function argument the backward
  // keeps across steps (CE-LoRA's kept columns): the runtime writes it in place
  // (slim.updates). Fails, with an error on the op, when `state` is not an argument.
  virtual LogicalResult updateArgument(Operation *op, Value state, Value next) = 0;
};

} // namespace mlir::slim

#endif // SLIMTUNE_DIALECTS_SLIM_BACKWARDBUILDER_H
