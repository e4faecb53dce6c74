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
  opt.keepGradients = o.keepGradients;
  return opt;
}
} // namespace

namespace {
mlir::slim::SlimPlanMemoryOptions planOptions(const std::string &target) {
  mlir::slim::SlimPlanMemoryOptions plan;
  plan.target = target;
  return plan;
}

std::unique_ptr<mlir::Pass> planMemory(const std::string &target) {
  return mlir::slim::createSlimPlanMemory(planOptions(target));
}

// Which memory passes a training pipeline runs besides the backward, optimizer and plan.
enum class Savings { None, Exact, Approximate };

// The training pipelines differ only in their memory passes: forward rewrites before the
// backward, stash rewrites between the backward and the optimizer; the plan comes last, as
// offsets depend on the final op order.
void buildTrainingPipeline(mlir::OpPassManager &pm, const TrainingPipelineOptions &options,
                           Savings savings) {
  auto &func = pm.nest<mlir::func::FuncOp>();
  if (savings != Savings::None)
    func.addPass(mlir::slim::createSlimShareNormStash());
  // The backward next: later passes rewrite its stashes.
  func.addPass(mlir::slim::createSlimAutodiff());
  if (savings == Savings::Approximate) {
    // The lean policy (docs/techniques.md#the-lean-policy), chosen by the fidelity protocol
    // and `slimtune fidelity`: every float stash as 8-bit codes, the attention's q and k
    // (RoPE's outputs, where an error is multiplied into every logit) in groups of 8, the
    // rest in groups of 64. No Approx-BP: its 2-bit SiLU derivative is off by half at
    // pre-activations near 0, where most of them are, and it cost validation loss.
    const std::vector<std::string> ropeSites = {"*:rope"}; // the options only refer to it
    mlir::slim::SlimCompressStashesOptions queryKey;
    queryKey.group = 8;
    queryKey.sites = ropeSites;
    func.addPass(mlir::slim::createSlimCompressStashes(queryKey));
    func.addPass(mlir::slim::createSlimCompressStashes());
  }
  func.addPass(mlir::slim::createSlimOptimizer(optimizerOptions(options)));
  func.addPass(planMemory(options.target));
}
} // namespace

void buildBaselinePipeline(mlir::OpPassManager &pm, const TrainingPipelineOptions &options) {
  buildTrainingPipeline(pm, options, Savings::None);
}

void buildEvalPipeline(mlir::OpPassManager &pm, const EvalPipelineOptions &options) {
  auto &func = pm.nest<mlir::func::FuncOp>();
  func.addPass(mlir::slim::createSlimDisableDropout());
  func.addPass(planMemory(options.target));
}

void registerPipelines() {
  mlir::PassPipelineRegistration<EvalPipelineOptions>(
      "eval",
      "Forward only, for a validation loss: slim-disable-dropout, slim-plan-memory (an "
      "artifact that shares a training step's weights)",
      buildEvalPipeline);
  mlir::PassPipelineRegistration<TrainingPipelineOptions>(
      "baseline", "Training step, exact: slim-autodiff, slim-optimizer, slim-plan-memory",
      buildBaselinePipeline);
  mlir::PassPipelineRegistration<TrainingPipelineOptions>(
      "exact", "baseline plus the exact memory savings: slim-share-norm-stash",
      [](mlir::OpPassManager &pm, const TrainingPipelineOptions &options) {
        buildTrainingPipeline(pm, options, Savings::Exact);
      });
  mlir::PassPipelineRegistration<TrainingPipelineOptions>(
      "lean",
      "exact plus 8-bit stashes: slim-compress-stashes{group=8 sites=*:rope} (the attention's "
      "q and k), then slim-compress-stashes (the rest, groups of 64)",
      [](mlir::OpPassManager &pm, const TrainingPipelineOptions &options) {
        buildTrainingPipeline(pm, options, Savings::Approximate);
      });
}

} // namespace slimtune
