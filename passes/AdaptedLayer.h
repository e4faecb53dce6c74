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

} // namespace mlir::slim

#endif // SLIMTUNE_PASSES_ADAPTEDLAYER_H
