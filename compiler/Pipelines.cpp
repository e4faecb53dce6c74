//===- Pipelines.cpp - named pass pipelines -------------------------------------------------===//

#include "compiler/Pipelines.h"

#include "compiler/Compile.h"
#include "passes/Passes.h"

#include "mlir/IR/BuiltinOps.h"

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
                           Savings savings,
                           std::function<void(mlir::OpPassManager &)> rewriteModel = {}) {
  auto &func = pm.nest<mlir::func::FuncOp>();
  if (savings != Savings::None) {
    mlir::slim::SlimFuseHeadLossOptions head;
    head.chunk = options.headChunk;
    func.addPass(mlir::slim::createSlimFuseHeadLoss(head));
    func.addPass(mlir::slim::createSlimShareNormStash());
  }
  if (rewriteModel)
    rewriteModel(func);
  if (options.ceLora) {
    mlir::slim::SlimCeLoraOptions ce;
    ce.keep = options.ceLoraKeep;
    ce.rank = options.ceLoraRank;
    ce.refresh = options.ceLoraRefresh;
    func.addPass(mlir::slim::createSlimCeLora(ce));
  }
  if (options.remat != 0) {
    mlir::slim::SlimRematOptions remat;
    remat.count = options.remat;
    func.addPass(mlir::slim::createSlimRemat(remat));
  }
  // The backward next: later passes rewrite its stashes.
  func.addPass(mlir::slim::createSlimAutodiff());
  // RunLoRA's order of each LoRA layer's products, from the static shapes (exact).
  if (savings != Savings::None) {
    mlir::slim::SlimLoraOrderOptions order;
    order.target = options.target;
    func.addPass(mlir::slim::createSlimLoraOrder(order));
  }
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
  // Exact, and the logits are the largest buffer of a forward-only step too.
  mlir::slim::SlimFuseHeadLossOptions head;
  head.chunk = options.headChunk;
  func.addPass(mlir::slim::createSlimFuseHeadLoss(head));
  func.addPass(planMemory(options.target));
}

void registerPipelines() {
  mlir::PassPipelineRegistration<EvalPipelineOptions>(
      "eval",
      "Forward only, for a validation loss: slim-disable-dropout, slim-fuse-head-loss, "
      "slim-plan-memory (an "
      "artifact that shares a training step's weights)",
      buildEvalPipeline);
  mlir::PassPipelineRegistration<TrainingPipelineOptions>(
      "baseline", "Training step, exact: slim-autodiff, slim-optimizer, slim-plan-memory",
      buildBaselinePipeline);
  mlir::PassPipelineRegistration<TrainingPipelineOptions>(
      "exact",
      "baseline plus the exact savings: slim-fuse-head-loss, slim-share-norm-stash (memory), "
      "slim-lora-order (FLOPs)",
      [](mlir::OpPassManager &pm, const TrainingPipelineOptions &options) {
        buildTrainingPipeline(pm, options, Savings::Exact);
      });
  mlir::PassPipelineRegistration<ReversiblePipelineOptions>(
      "reversible",
      "lean plus MEFT's reversible layers (slim-reversible; meft1 with lambda=0.02 on all "
      "layers, the streams kept every 3rd layer, by default): a different model, not in lean",
      [](mlir::OpPassManager &pm, const ReversiblePipelineOptions &options) {
        buildTrainingPipeline(pm, options, Savings::Approximate, [&](mlir::OpPassManager &func) {
          mlir::slim::SlimReversibleOptions rev;
          rev.variant = options.variant;
          rev.lambda = options.lambda;
          rev.beta = options.beta;
          rev.layers = options.layers;
          rev.bottleneck = options.bottleneck;
          rev.output = options.output;
          rev.anchor = options.anchor;
          func.addPass(mlir::slim::createSlimReversible(rev));
        });
      });
  mlir::PassPipelineRegistration<TrainingPipelineOptions>(
      "lean",
      "exact plus 8-bit stashes: slim-compress-stashes{group=8 sites=*:rope} (the attention's "
      "q and k), then slim-compress-stashes (the rest, groups of 64)",
      [](mlir::OpPassManager &pm, const TrainingPipelineOptions &options) {
        buildTrainingPipeline(pm, options, Savings::Approximate);
      });
}

bool modelRewrites(const CompileOptions &training, std::string &rewrites, std::string &changing,
                   std::string &error) {
  mlir::MLIRContext context;
  mlir::PassManager pm(&context, mlir::ModuleOp::getOperationName(),
                       mlir::OpPassManager::Nesting::Implicit);
  if (!parsePipeline(training, pm, error))
    return false;
  // The expanded pipeline names every pass with all of its options; nested pass managers
  // are not reachable through OpPassManager's interface, their text is.
  std::string text;
  llvm::raw_string_ostream os(text);
  pm.printAsTextualPipeline(os);
  // Each forward rewrite the training step makes, in pipeline order.
  std::vector<std::pair<size_t, std::string>> found;
  for (const std::string name : {"slim-reversible", "slim-ce-lora"})
  for (size_t at = text.find(name); at != std::string::npos; at = text.find(name, at + 1)) {
    size_t end = at + name.size();
    if (end < text.size() && text[end] == '{')
      for (int depth = 0; end < text.size(); ++end) {
        depth += text[end] == '{' ? 1 : text[end] == '}' ? -1 : 0;
        if (depth == 0) {
          ++end;
          break;
        }
      }
    found.push_back({at, text.substr(at, end - at)});
    at = end - 1;
  }
  std::sort(found.begin(), found.end());
  rewrites.clear();
  changing.clear();
  for (const auto &[at, pass] : found) {
    rewrites += (rewrites.empty() ? "" : ",") + pass;
    if (pass.rfind("slim-reversible", 0) == 0)
      changing += (changing.empty() ? "" : ",") + pass;
  }
  return true;
}

} // namespace slimtune
