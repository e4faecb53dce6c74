//===- AdaptedLayer.h - a frozen linear layer with a LoRA adapter in a forward graph -------===//
//
// The pattern the adapter passes rewrite: add(linear(x, W), lora(x, A, B)), in either order.
//
//===-------------------------------------------------------------------------------------===//

#ifndef SLIMTUNE_PASSES_ADAPTEDLAYER_H
#define SLIMTUNE_PASSES_ADAPTEDLAYER_H

#include "dialects/slim/SlimOps.h"

#include <optional>

namespace mlir::slim {

// The two terms of an adapted layer's output.
struct AdaptedLayer {
  LinearOp linear;
  LoraOp lora;
};

// The layer `add` sums, when its operands are a linear and a LoRA update of one input.
inline std::optional<AdaptedLayer> matchAdaptedLayer(AddOp add) {
  for (auto [first, second] :
       {std::pair(add.getLhs(), add.getRhs()), std::pair(add.getRhs(), add.getLhs())}) {
    auto linear = first.getDefiningOp<LinearOp>();
    auto lora = second.getDefiningOp<LoraOp>();
    if (linear && lora && linear.getInput() == lora.getInput())
      return AdaptedLayer{linear, lora};
  }
  return std::nullopt;
}

// linear(x, merge_lora(W, A, B)) in place of `add`, just before it: the merged weight lives
// only from there to its linear. (LoRA-Gen's reparameterization; exact without dropout.)
inline void mergeAdaptedLayer(AddOp add, AdaptedLayer layer) {
  OpBuilder b(add);
  LinearOp linear = layer.linear;
  LoraOp lora = layer.lora;
  Value weight = b.create<MergeLoraOp>(lora.getLoc(), linear.getWeight().getType(),
                                       linear.getWeight(), lora.getLoraA(), lora.getLoraB(),
                                       lora.getScaleAttr(), linear.getLayoutAttr());
  Value merged = b.create<LinearOp>(linear.getLoc(), add.getType(), linear.getInput(), weight,
                                    linear.getBias(), linear.getLayoutAttr());
  add.replaceAllUsesWith(merged);
  add.erase();
  linear.erase();
  lora.erase();
}

} // namespace mlir::slim

#endif // SLIMTUNE_PASSES_ADAPTEDLAYER_H
