//===- Pipelines.h - named pass pipelines ---------------------------------------------------===//
//
// The pipelines `slimtune compile --pipeline NAME` runs, registered for slimtune-opt too so it
// replays exactly what compile ran.
//
//===-------------------------------------------------------------------------------------===//

#ifndef SLIMTUNE_COMPILER_PIPELINES_H
#define SLIMTUNE_COMPILER_PIPELINES_H

#include "mlir/Pass/PassOptions.h"

namespace mlir {
class OpPassManager;
} // namespace mlir

namespace slimtune {

// The optimizer's settings, the options of every training pipeline.
struct TrainingPipelineOptions : public mlir::PassPipelineOptions<TrainingPipelineOptions> {
  Option<double> lr{*this, "lr", llvm::cl::desc("Peak learning rate"), llvm::cl::init(2e-4)};
  Option<double> beta1{*this, "beta1", llvm::cl::desc("AdamW beta1"), llvm::cl::init(0.9)};
  Option<double> beta2{*this, "beta2", llvm::cl::desc("AdamW beta2"), llvm::cl::init(0.999)};
  Option<double> eps{*this, "eps", llvm::cl::desc("AdamW epsilon"), llvm::cl::init(1e-8)};
  Option<double> weightDecay{*this, "weight-decay", llvm::cl::desc("Decoupled weight decay"),
                             llvm::cl::init(0.0)};
  Option<double> maxGradNorm{*this, "max-grad-norm",
                             llvm::cl::desc("Clip gradients to this global norm (0: off)"),
                             llvm::cl::init(1.0)};
  Option<std::string> schedule{*this, "schedule", llvm::cl::desc("constant or cosine"),
                               llvm::cl::init("constant")};
  Option<int64_t> warmupSteps{*this, "warmup-steps", llvm::cl::desc("Warmup steps (cosine)"),
                              llvm::cl::init(0)};
  Option<int64_t> totalSteps{*this, "total-steps", llvm::cl::desc("Schedule length (cosine)"),
                             llvm::cl::init(0)};
  Option<double> minLr{*this, "min-lr", llvm::cl::desc("Final learning rate (cosine)"),
                       llvm::cl::init(0.0)};
  Option<bool> keepGradients{*this, "keep-gradients",
                             llvm::cl::desc("Also return the gradients (read as <param>.grad)"),
                             llvm::cl::init(false)};
  Option<std::string> target{*this, "target",
                             llvm::cl::desc("The kernel backend the memory plan is for (cpu, cuda)"),
                             llvm::cl::init("cpu")};
};

// The forward-only pipeline's one setting.
struct EvalPipelineOptions : public mlir::PassPipelineOptions<EvalPipelineOptions> {
  Option<std::string> target{*this, "target",
                             llvm::cl::desc("The kernel backend the memory plan is for (cpu, cuda)"),
                             llvm::cl::init("cpu")};
};

// baseline: slim-autodiff, slim-optimizer, slim-plan-memory. The exact reference every other
// pipeline is measured against.
void buildBaselinePipeline(mlir::OpPassManager &pm, const TrainingPipelineOptions &options);

// eval: slim-disable-dropout, slim-plan-memory. A forward-only step (the loss) of the same
// imported graph, run as PEFT's eval mode runs adapters.
void buildEvalPipeline(mlir::OpPassManager &pm, const EvalPipelineOptions &options);

void registerPipelines();

} // namespace slimtune

#endif // SLIMTUNE_COMPILER_PIPELINES_H
