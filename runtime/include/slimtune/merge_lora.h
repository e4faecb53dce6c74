// Folding LoRA adapters into their base weights on the host (LoRA-Gen's reparameterization,
// W' = W + scale·B·A in fp32): what `slimtune export --format merged` writes, and the same
// arithmetic as the compiled op slim.merge_lora (one kernel, cpu::mergeLora).
#ifndef SLIMTUNE_MERGE_LORA_H
#define SLIMTUNE_MERGE_LORA_H

#include "slimtune/adapter.h"
#include "slimtune/model.h"
#include "slimtune/status.h"

#include <cstdint>
#include <vector>

namespace slimtune {

// One merge: the base weight's features and storage layout, the adapter's rank and scale.
struct LoraMergeShape {
  int64_t in = 0, out = 0, rank = 0;
  WeightLayout layout = WeightLayout::OutIn;
  double scale = 1.0;
};

// weight += scale·B·A in place, in the weight's layout: W [out, in] (OutIn, nn.Linear) gets
// B·A, W [in, out] (InOut, GPT-2's Conv1D) gets (B·A)ᵀ. A [rank, in] and B [out, rank] as PEFT
// stores them. Fails, leaving the weight unchanged, when a buffer's size does not match the
// shape or the scale is not finite.
Status mergeLoraIntoWeight(std::vector<float> &weight, const std::vector<float> &loraA,
                           const std::vector<float> &loraB, const LoraMergeShape &shape);

// The same for an adapter as resolveAdapters gives it (features and layout from its linear).
Status mergeLoraIntoWeight(std::vector<float> &weight, const std::vector<float> &loraA,
                           const std::vector<float> &loraB, const AdaptedLinear &adapter);

} // namespace slimtune

#endif // SLIMTUNE_MERGE_LORA_H
