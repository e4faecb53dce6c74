//===- LoraOrder.cpp - slim-lora-order ------------------------------------------------------===//
//
// RunLoRA (arXiv 2312.03415): the products of a LoRA layer y = x·Wᵀ + s·(x·Aᵀ)·Bᵀ can be
// associated in several ways, and which is cheapest depends on the shapes alone: N tokens,
// in, out and the rank r, all static here. On a training step (after slim-autodiff), per
// adapted layer without dropout and with an fp32 weight (a merge in bf16 would round):
//
// - forward: x·(W + s·B·A)ᵀ, the weight merged (o·r·i multiply-adds) and one product, in
//   place of the two rank-r products (N·r·(i + o)): merged when N·(i + o) > f·i·o;
// - input gradient: dy·(W + s·B·A), merged again (o·r·i), in place of lora_grad's du·A
//   (N·r·i; du = s·dy·B is needed for dA anyway): merged when N > f·out. lora_grad then
//   computes dA and dB only (slim.lora_weight_grad). Where the input needs no gradient at all
//   (nothing below it trains), lora_grad's dx is dropped whatever the shapes.
// f = 1 is RunLoRA's FLOP rule; a merge also reads and writes the whole weight, which FLOPs do
// not count, so each kernel target states the factor measured on it (KernelTarget).
//
// The adapter's own gradients keep their order, through u = x·Aᵀ (N·r·(2i + 2o) with dB and
// dA): RunLoRA's other order, through G = xᵀ·dy (N·i·o, then 2·i·o·r), is cheaper only when
// r > N·i·o / (N·(2i + 2o) − 2·i·o) roughly, ranks a third of the layer's width and more,
// which LoRA does not use; docs/techniques.md#lora-matmul-order-runlora has the formulas. Only x is
// kept for the backward, as before: merged weights are recomputed, never stashed.
//
//===-------------------------------------------------------------------------------------===//

#include "passes/AdaptedLayer.h"
#include "passes/Passes.h"
#include "passes/TrainingStep.h"

#include "dialects/slim/KernelTarget.h"

namespace mlir::slim {
#define GEN_PASS_DEF_SLIMLORAORDER
#include "passes/Passes.h.inc"
} // namespace mlir::slim

using namespace mlir;
using namespace mlir::slim;

namespace {

int64_t rowsOf(Value v) {
  auto t = cast<RankedTensorType>(v.getType());
  return t.getNumElements() / t.getShape().back();
}

// Whether the layer's weight may be merged with its adapter exactly (to fp32 rounding).
bool mergeable(AdaptedLayer layer) {
  return layer.lora.getDropout().convertToDouble() == 0.0 &&
         cast<RankedTensorType>(layer.linear.getWeight().getType()).getElementType().isF32() &&
         isa<BlockArgument>(layer.linear.getWeight());
}

// The backward of `lora`: its lora_grad (found by the adapter's own arguments).
LoraGradOp gradientOf(func::FuncOp func, LoraOp lora) {
  LoraGradOp found;
  func.walk([&](LoraGradOp g) {
    if (g.getLoraA() == lora.getLoraA() && g.getLoraB() == lora.getLoraB())
      found = g;
  });
  return found;
}

// The frozen weight's input gradient dx = dy·W beside `grad`: a linear of the same dy and W
// in the other layout.
LinearOp frozenInputGradient(AdaptedLayer layer, LoraGradOp grad) {
  for (Operation *user : grad.getResultGrad().getUsers())
    if (auto l = dyn_cast<LinearOp>(user);
        l && l.getInput() == grad.getResultGrad() && l.getWeight() == layer.linear.getWeight() &&
        l.getLayout() != layer.linear.getLayout() && !l.getBias())
      return l;
  return {};
}

// lora_grad without dx, in place of `grad`.
void dropInputGradient(LoraGradOp grad) {
  OpBuilder b(grad);
  auto weights = createInferred<LoraWeightGradOp>(
      b, grad.getLoc(), grad.getResultGrad(), grad.getInput(), grad.getLoraA(), grad.getLoraB(),
      grad.getScaleAttr(), grad.getDropoutAttr(), grad.getSeedAttr());
  grad.getLoraAGrad().replaceAllUsesWith(weights.getLoraAGrad());
  grad.getLoraBGrad().replaceAllUsesWith(weights.getLoraBGrad());
  grad.erase();
}

struct LoraOrderPass : public mlir::slim::impl::SlimLoraOrderBase<LoraOrderPass> {
  using SlimLoraOrderBase::SlimLoraOrderBase;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal())
      return;
    const KernelTarget *kernelTarget = lookupKernelTarget(target);
    if (!kernelTarget || mergeFactor < 0) {
      func.emitError() << "slim-lora-order: unknown target \"" << target
                       << "\" or a negative merge-factor";
      return signalPassFailure();
    }
    const double f = mergeFactor > 0 ? double(mergeFactor) : kernelTarget->loraMergeFactor;
    if (!firstTrainingOp(func)) {
      func.emitError() << "slim-lora-order: expects a training step (run slim-autodiff first): "
                          "the orders it chooses are the backward's as well";
      return signalPassFailure();
    }
    SmallVector<std::pair<AddOp, AdaptedLayer>> layers;
    func.walk([&](AddOp add) {
      if (auto layer = matchAdaptedLayer(add))
        layers.push_back({add, *layer});
    });
    for (auto &[add, layer] : layers) {
      const int64_t n = rowsOf(layer.linear.getInput()), in = layer.linear.getInFeatures(),
                    out = layer.linear.getOutFeatures();
      const bool canMerge = mergeable(layer);
      // The backward first: it is found through the forward's operands.
      if (LoraGradOp grad = gradientOf(func, layer.lora)) {
        Value dxl = grad.getInputGrad();
        if (dxl.use_empty()) {
          dropInputGradient(grad);
        } else if (LinearOp frozen = frozenInputGradient(layer, grad);
                   frozen && canMerge && double(n) > f * double(out) && dxl.hasOneUse()) {
          if (auto sum = dyn_cast<AddOp>(*dxl.getUsers().begin())) {
            // dx = dy·(W + s·B·A): the frozen product reads the merged weight, and the
            // adapter's term leaves the sum.
            OpBuilder b(frozen);
            Value merged = b.create<MergeLoraOp>(
                grad.getLoc(), frozen.getWeight().getType(), frozen.getWeight(), grad.getLoraA(),
                grad.getLoraB(), grad.getScaleAttr(), layer.linear.getLayoutAttr());
            frozen.getWeightMutable().assign(merged);
            sum.replaceAllUsesWith(sum.getLhs() == dxl ? sum.getRhs() : sum.getLhs());
            sum.erase();
            dropInputGradient(grad);
          }
        }
      }
      // The forward.
      if (canMerge && double(n) * double(in + out) > f * double(in) * double(out) &&
          layer.linear->hasOneUse() &&
          layer.lora->hasOneUse())
        mergeAdaptedLayer(add, layer);
    }
  }
};

} // namespace
