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
  Option<int64_t> headChunk{*this, "head-chunk",
                            llvm::cl::desc("Rows of logits at a time (slim-fuse-head-loss)"),
                            llvm::cl::init(256)};
  Option<int64_t> remat{*this, "remat",
                        llvm::cl::desc("slim-remat's count: candidates recomputed instead of "
                                       "stashed, cheapest first (0: none, -1: all)"),
                        llvm::cl::init(0)};
  // CE-LoRA (slim-ce-lora, opt-in on every training pipeline; passes/Passes.td).
  Option<bool> ceLora{*this, "ce-lora",
                      llvm::cl::desc("CE-LoRA's approximate input gradient through frozen weights"),
                      llvm::cl::init(false)};
  Option<std::string> ceLoraKeep{
      *this, "ce-lora-keep", llvm::cl::desc("CE-LoRA keep ratios, name=ratio,..."),
      llvm::cl::init("v_proj=0.55,o_proj=0.55,up_proj=0.65,down_proj=0.65")};
  Option<int64_t> ceLoraRank{*this, "ce-lora-rank",
                             llvm::cl::desc("CE-LoRA's SVD rank (0: the adapter's rank)"),
                             llvm::cl::init(0)};
  Option<int64_t> ceLoraRefresh{*this, "ce-lora-refresh",
                                llvm::cl::desc("Optimizer steps between choices of CE-LoRA's columns"),
                                llvm::cl::init(200)};
};

// The reversible pipeline's settings: the optimizer's, and slim-reversible's (passes/Passes.td
// says what each means). Defaults: docs/techniques.md#reversible-layers-meft.
struct ReversiblePipelineOptions : public TrainingPipelineOptions {
  Option<std::string> variant{*this, "variant", llvm::cl::desc("meft1, meft2 or meft3"),
                              llvm::cl::init("meft1")};
  // 0.02, not MEFT's 0.1: measured on SmolLM2 (30 layers), λ = 0.1 starts 59% above the
  // base model's validation loss, 0.02 within 0.2% (docs/techniques.md).
  Option<double> lambda{*this, "lambda", llvm::cl::desc("λ (0: the variant's own)"),
                        llvm::cl::init(0.02)};
  Option<double> beta{*this, "beta", llvm::cl::desc("β (0: the variant's own)"),
                      llvm::cl::init(0.0)};
  Option<int64_t> layers{*this, "layers",
                         llvm::cl::desc("How many top layers are reversible (-1: all)"),
                         llvm::cl::init(-1)};
  Option<int64_t> bottleneck{*this, "bottleneck",
                             llvm::cl::desc("The bottleneck adapters' width (meft1, meft2)"),
                             llvm::cl::init(8)};
  Option<std::string> output{*this, "output", llvm::cl::desc("stream or mean"),
                             llvm::cl::init("stream")};
  Option<int64_t> anchor{*this, "anchor",
                         llvm::cl::desc("Keep the streams every anchor-th layer (0: never)"),
                         llvm::cl::init(3)};
};

// The forward-only pipeline's one setting.
struct EvalPipelineOptions : public mlir::PassPipelineOptions<EvalPipelineOptions> {
  Option<std::string> target{*this, "target",
                             llvm::cl::desc("The kernel backend the memory plan is for (cpu, cuda)"),
                             llvm::cl::init("cpu")};
  Option<int64_t> headChunk{*this, "head-chunk",
                            llvm::cl::desc("Rows of logits at a time (slim-fuse-head-loss)"),
                            llvm::cl::init(256)};
};

// baseline: slim-autodiff, slim-optimizer, slim-plan-memory. The exact reference every other
// pipeline is measured against.
void buildBaselinePipeline(mlir::OpPassManager &pm, const TrainingPipelineOptions &options);

// eval: slim-disable-dropout, slim-fuse-head-loss, slim-plan-memory. A forward-only step (the loss) of the same
// imported graph, run as PEFT's eval mode runs adapters.
void buildEvalPipeline(mlir::OpPassManager &pm, const EvalPipelineOptions &options);

void registerPipelines();

// The forward rewrites of a training pipeline (slim-reversible, slim-ce-lora), with their
// options, as a pass list ("" when none): an evaluation step of the same run must run them
// too, to run the same model and share the same weights. Fails with `error` when the
// pipeline does not parse.
// `changing` gets those of them that change the model (slim-reversible; not slim-ce-lora,
// whose forward is the original one up to rounding).
bool modelRewrites(const struct CompileOptions &training, std::string &rewrites,
                   std::string &changing, std::string &error);

} // namespace slimtune

#endif // SLIMTUNE_COMPILER_PIPELINES_H
