//===- DisableDropout.cpp - slim-disable-dropout ----------------------------------------===//
//
// Evaluation runs adapters as PEFT's eval mode does, without dropout: every slim.lora of a
// forward graph gets dropout 0, so one imported graph serves training and evaluation. A
// training step is refused: its backward (slim.lora_grad) draws the same dropout masks as its
// forward, and switching only the forward's off would make the two disagree.
//
//===-------------------------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "passes/TrainingStep.h"

namespace mlir::slim {
#define GEN_PASS_DEF_SLIMDISABLEDROPOUT
#include "passes/Passes.h.inc"
} // namespace mlir::slim

using namespace mlir;
using namespace mlir::slim;

namespace {

struct DisableDropoutPass : public mlir::slim::impl::SlimDisableDropoutBase<DisableDropoutPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal())
      return;
    if (Operation *op = firstTrainingOp(func)) {
      op->emitOpError() << "slim-disable-dropout: the graph is already a training step; "
                           "evaluate the forward graph (before slim-autodiff)";
      return signalPassFailure();
    }
    OpBuilder b(func.getContext());
    func.walk([&](LoraOp lora) { lora.setDropoutAttr(b.getF64FloatAttr(0.0)); });
  }
};

} // namespace
