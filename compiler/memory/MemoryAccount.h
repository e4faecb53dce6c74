//===- MemoryAccount.h - what a planned step holds, by category and over its schedule ------===//
//
// The numbers behind `slimtune compile --memory-report`, `--memory-timeline` and
// `--memory-budget`: the bytes the runtime will allocate for a step (its arena plus one
// buffer per argument and output), split into the categories a fine-tuning engineer reasons
// in, at the step's peak and at every op of its schedule.
//
//===-------------------------------------------------------------------------------------===//

#ifndef SLIMTUNE_COMPILER_MEMORY_MEMORYACCOUNT_H
#define SLIMTUNE_COMPILER_MEMORY_MEMORYACCOUNT_H

#include "compiler/memory/MemoryTimeline.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <array>
#include <map>
#include <string>
#include <vector>

namespace slimtune::memory {

enum class Category {
  FrozenWeights,   // frozen parameters (arguments)
  TrainableParams, // adapter parameters (arguments)
  Gradients,       // parameter gradients (arena buffers, or outputs of a step without optimizer)
  OptimizerState,  // AdamW moments (arguments)
  Stashed,         // arena buffers holding a value stashed for the backward
  Workspace,       // everything else: transient activations and their gradients, kernel
                   // scratch, the step's inputs and scalar outputs, and arena fragmentation
};
inline constexpr int kCategoryCount = 6;
// "frozen weights", "trainable params", "gradients", "optimizer state",
// "stashed activations", "workspace".
const char *categoryName(Category category);

// Stashes grouped by the kind of op whose result they keep.
struct StashGroup {
  std::string producer; // "slim.rms_norm", "slim.silu", ..., or "argument"
  int64_t count = 0;
  int64_t bytes = 0; // as held (under the stash's encoding)
};

struct MemoryAccount {
  int64_t peak = 0;       // bytes the runtime allocates for the step (its high-water mark)
  int64_t arenaBytes = 0; // of which the arena
  std::array<int64_t, kCategoryCount> atPeak{}; // by Category; sums to `peak`
  int64_t stashedBytes = 0;                     // every stash of the step, as held
  std::vector<StashGroup> stashByProducer;      // largest first
  // Parameters (frozen and trainable) by element type ("bf16", "f32"), as the runtime holds them.
  std::map<std::string, int64_t> parameterBytesByType;
  MemoryTimeline timeline;                      // one series per Category, in its order
  // What slim-remat chose to recompute in the backward (its candidates' names) out of how
  // many candidates; -1 when it did not run.
  int64_t rematCandidates = -1;
  std::vector<std::string> recomputed;
};

// Accounts for `step` (one block, static shapes) as planned in its current op order (the plan
// slim-plan-memory records, when it ran last), without modifying it.
MemoryAccount accountMemory(mlir::func::FuncOp step);

// Bytes the runtime allocates for a buffer of `bytes` (64-byte granules, at least one).
int64_t runtimeBytes(int64_t bytes);

} // namespace slimtune::memory

#endif // SLIMTUNE_COMPILER_MEMORY_MEMORYACCOUNT_H
