//===- Pipelines.cpp - named pass pipelines -------------------------------------------------===//

#include "compiler/Pipelines.h"

#include "passes/Passes.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"

namespace slimtune {
namespace {
mlir::slim::SlimOptimizerOptions optimizerOptions(const TrainingPipelineOptions &o) {
  mlir::slim::SlimOptimizerOptions opt;
  opt.learningRate = o.lr;
  opt.beta1 = o.beta1;
  opt.beta2 = o.beta2;
  opt.epsilon = o.eps;
  opt.weightDecay = o.weightDecay;
  opt.maxGradNorm = o.maxGradNorm;
  opt.schedule = o.schedule;
  opt.warmupSteps = o.warmupSteps;
  opt.totalSteps = o.totalSteps;
  opt.minLearningRate = o.minLr;
  return opt;
}
} // namespace

void buildBaselinePipeline(mlir::OpPassManager &pm, const TrainingPipelineOptions &options) {
  auto &func = pm.nest<mlir::func::FuncOp>();
  // The backward first: later passes rewrite its stashes.
  func.addPass(mlir::slim::createSlimAutodiff());
  func.addPass(mlir::slim::createSlimOptimizer(optimizerOptions(options)));
  // Last: offsets depend on the final op order.
  func.addPass(mlir::slim::createSlimPlanMemory());
}

void registerPipelines() {
  mlir::PassPipelineRegistration<TrainingPipelineOptions>(
      "baseline", "Training step, exact: slim-autodiff, slim-optimizer, slim-plan-memory",
      buildBaselinePipeline);
}

} // namespace slimtune
