//===- MergeAdapters.cpp - slim-merge-adapters ----------------------------------------------===//
//
// LoRA-Gen's reparameterization of a forward graph: each adapted linear layer,
// add(linear(x, W), lora(x, A, B)), becomes linear(x, merge_lora(W, A, B)), one GEMM over the
// tokens instead of three plus an add. The adapter stays a function argument (merge_lora
// reads it), so the same artifact runs any adapter bound to it.
//
// What is left alone, and why:
// - an adapter with dropout: its output is random, and no fixed weight reproduces it (a
//   remark says so: the user asked for a merge and does not get it there);
// - a layer whose frozen output or adapter output is also read elsewhere: merging would keep
//   both paths and only add work (a remark, too);
// - a training step (after slim-autodiff): merging its forward would stay exact, but would
//   recompute W' at every step; that trade is slim-lora-order's, so this pass refuses.
//
//===-------------------------------------------------------------------------------------===//

#include "passes/AdaptedLayer.h"
#include "passes/Passes.h"
#include "passes/TrainingStep.h"

#include <sstream>

namespace mlir::slim {
#define GEN_PASS_DEF_SLIMMERGEADAPTERS
#include "passes/Passes.h.inc"
} // namespace mlir::slim

using namespace mlir;
using namespace mlir::slim;

namespace {

// Why `layer` cannot be merged exactly and cheaply, or "" when it can.
std::string whyNotMergeable(AdaptedLayer layer) {
  double dropout = layer.lora.getDropout().convertToDouble();
  if (dropout != 0.0) {
    std::ostringstream os;
    os << "its dropout (" << dropout
       << ") makes the adapter's output random, which no merged weight reproduces";
    return os.str();
  }
  if (!layer.linear->hasOneUse())
    return "the linear layer's output without the adapter is also read elsewhere";
  if (!layer.lora->hasOneUse())
    return "the adapter's output is also read elsewhere";
  return "";
}

struct MergeAdaptersPass : public mlir::slim::impl::SlimMergeAdaptersBase<MergeAdaptersPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal())
      return;
    if (Operation *op = firstTrainingOp(func)) {
      op->emitOpError() << "slim-merge-adapters: the graph is already a training step; merge "
                           "adapters in the forward graph, before slim-autodiff";
      return signalPassFailure();
    }

    // In program order, so that a second adapter on an already merged layer finds the new
    // linear and folds into its merged weight in turn.
    SmallVector<AddOp> adds;
    func.walk([&](AddOp add) { adds.push_back(add); });
    for (AddOp add : adds) {
      std::optional<AdaptedLayer> layer = matchAdaptedLayer(add);
      if (!layer)
        continue;
      if (std::string why = whyNotMergeable(*layer); !why.empty()) {
        layer->lora.emitRemark() << "slim-merge-adapters: not merged: " << why;
        continue;
      }
      mergeAdaptedLayer(add, *layer);
    }
  }
};

} // namespace
