//===- TrainCommand.cpp - slimtune train --------------------------------------------------===//
//
// slimtune train --model PATH --adapter CFG.json (--data TEXT | --tokens IDS.u32)
//                --steps N --batch B --seq T [--out DIR] [--resume CHECKPOINT] ...
// Imports the model with its adapter, compiles the training step (and an evaluation step
// when there is a validation split), binds the weights, and runs the training loop
// (train/TrainLoop.cpp): progress, validation, checkpoints, Ctrl-C.
//
//===-------------------------------------------------------------------------------------===//

#include "Cli.h"
#include "MemoryReport.h"
#include "train/MetricsLog.h"
#include "train/RunFolder.h"
#include "train/TrainData.h"
#include "train/TrainLoop.h"
#include "train/TrainSettings.h"

#include "compiler/Compile.h"
#include "compiler/Pipelines.h"
#include "compiler/Registration.h"
#include "compiler/import/ImportModel.h"

#include "slimtune/checkpoint.h"
#include "slimtune/device.h"
#include "slimtune/session.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include <filesystem>

namespace cl = llvm::cl;

namespace slimtune::cli {

cl::SubCommand trainCommand("train", "Fine-tune a model with an adapter");

namespace {
// Every option is text: TrainSettings records what was given, for checkpoints and resume.
const TextOption kOptions[] = {
    {"model", "PATH", "Hugging Face model folder or .gguf file"},
    {"random-weights", "SEED", "Weights drawn from SEED: --model needs only config.json (benchmarks at real shapes)"},
    {"adapter", "CFG.json", "PEFT adapter_config.json"},
    {"data", "TEXTFILE", "Training text (.txt, or .jsonl with a \"text\" field), tokenized with the model's tokenizer"},
    {"tokens", "IDS.u32", "Training data as raw little-endian uint32 token ids"},
    {"doc-separator", "LINE", "Documents of --data are separated by lines equal to LINE (default: blank lines)"},
    {"steps", "N", "Optimizer steps"},
    {"batch", "B", "Sequences per step"},
    {"seq", "T", "Tokens per sequence"},
    {"seed", "S", "Seed of the adapter initialization and the data order (default 0)"},
    {"val-fraction", "F", "Share of the data held out for validation (default 0.05; 0: none)"},
    {"eval-every", "N", "Validate every N steps (default: at the end only)"},
    {"eval-batches", "N", "Validate on the first N batches of the held-out data (default 8; 0: all)"},
    {"save-every", "N", "Save a checkpoint every N steps (default: at the end only); needs --out"},
    {"keep-checkpoints", "N", "Keep the newest N checkpoints (default 3)"},
    {"log", "FILE.jsonl", "Write metrics as JSON Lines"},
    {"out", "DIR", "Run folder: the compiled steps and checkpoints (default: a temporary folder, nothing saved)"},
    {"resume", "CHECKPOINT", "Continue from a checkpoint folder, or from the newest checkpoint of a run folder"},
    {"target", "cpu|cuda", "Where the steps run: cpu (the default) or cuda (GPU 0)"},
    {"precision", "fp32|bf16|q8|q4", "How frozen weight matrices are kept: bf16 (products on bf16 inputs accumulated in fp32); q8, q4: ggml Q8_0 / Q4_1 blocks (a GGUF file's own blocks bound as they are; CPU only) (default: bf16 on cuda, fp32 on cpu)"},
    {"memory-budget", "BYTES", "Recompute activations (slim-remat) until the training step's plan fits; stop before training when even that does not (e.g. 8GiB)"},
};

std::vector<std::unique_ptr<cl::opt<std::string>>> options = makeTextOptions(kOptions, trainCommand);
PipelineFlags flags(trainCommand);

TrainSettings givenSettings() {
  TrainSettings s;
  for (size_t i = 0; i < options.size(); ++i)
    s.values[kOptions[i].name] = *options[i];
  // Paths are recorded absolute: a resumed run may start from another folder.
  for (const char *path : {"model", "adapter", "data", "tokens", "log", "out", "resume"}) {
    std::string &value = s.values[path];
    std::error_code ec;
    if (!value.empty())
      if (std::filesystem::path absolute = std::filesystem::absolute(value, ec); !ec)
        value = absolute.lexically_normal().string();
  }
  PipelineSettings p = flags.settings();
  s.values["pipeline"] = p.pipelineName;
  s.values["passes"] = p.passes;
  s.values["pass-pipeline"] = p.passPipeline;
  s.values["lr"] = p.lr;
  s.values["schedule"] = p.schedule;
  s.values["warmup-steps"] = p.warmup;
  s.values["weight-decay"] = p.weightDecay;
  s.values["max-grad-norm"] = p.maxGradNorm;
  return s;
}

// Two JSON texts with the same value (key order, spacing and number spelling aside); texts
// that are not JSON are compared as text.
bool sameJson(const std::string &a, const std::string &b) {
  nlohmann::json x = nlohmann::json::parse(a, nullptr, false), y = nlohmann::json::parse(b, nullptr, false);
  if (x.is_discarded() || y.is_discarded())
    return a == b;
  return x == y;
}

bool compileArtifact(const LoadedModel &loaded, const TrainPlan &plan, double dropout,
                     const std::string &precision, const CompileOptions &options, const std::string &artifact,
                     const std::string &modelPath, const std::string &adapterText) {
  mlir::DialectRegistry registry;
  registerDialects(registry);
  mlir::MLIRContext context(registry);
  DiagnosticPrinter diagnostics(context, modelPath);
  std::string error;
  ImportOptions importOptions{plan.batch, plan.seq, dropout, adapterText, precision};
  auto module = importModel(context, loaded.source->spec(), loaded.adapted, importOptions, error);
  if (!module)
    return diagnostics.fail(error), false;
  if (!compileStep(*module, options, artifact, error))
    return diagnostics.fail(error), false;
  return true;
}

} // namespace

int runTrain() {
  // Plain copies of the options: linking a step (lld) resets llvm::cl options.
  TrainSettings settings = givenSettings();

  // A resumed run: verify the checkpoint before anything else, and take its settings.
  std::string checkpoint;
  std::optional<CheckpointContents> resumed;
  nlohmann::json trainerState;
  std::vector<std::string> resumeWarnings; // printed once the run is known to go ahead
  if (!settings.get("resume").empty()) {
    const bool outGiven = !settings.get("out").empty();
    auto found = openCheckpoint(settings.get("resume"), "--resume");
    if (!found)
      return fail(found.status());
    checkpoint = found->folder;
    trainerState = nlohmann::json::parse(found->contents.trainerJson, nullptr, false);
    if (Status s = settings.resumeFrom(trainerState.is_object() ? trainerState.value("settings", nlohmann::json())
                                                                : nlohmann::json(),
                                       resumeWarnings);
        !s)
      return fail(checkpoint + ": " + s.message());
    // Without --out, the run goes on in the folder the checkpoint is in (which may be a copy
    // of the original run folder: not the folder the checkpoint recorded).
    if (!outGiven && !runFolderOf(checkpoint).empty())
      settings.values["out"] = runFolderOf(checkpoint);
    resumed = std::move(found->contents);
  }

  const std::string modelPath = settings.get("model"), adapterPath = settings.get("adapter");
  if (modelPath.empty())
    return fail("train needs --model PATH");
  if (adapterPath.empty() && !(resumed && !resumed->adapterConfig.empty()))
    return fail("train needs --adapter CFG.json");
  if (!settings.get("data").empty() && !settings.get("tokens").empty())
    return fail("--data and --tokens exclude each other: give the text or its token ids");
  if (settings.get("data").empty() && settings.get("tokens").empty())
    return fail("train needs one of --data TEXTFILE and --tokens IDS.u32");
  auto plan = planTraining(settings);
  if (!plan)
    return fail(plan.status());
  if (resumed && plan->steps == resumed->step) {
    // Resuming a run that finished is not an error (a script may resume unconditionally).
    llvm::outs() << "the run is complete: " << checkpoint << " is at step " << resumed->step
                 << " of " << plan->steps << "; nothing to do (--steps N continues it)\n";
    return 0;
  }
  if (resumed && plan->steps < resumed->step)
    return fail(checkpoint + ": the checkpoint is at step " + std::to_string(resumed->step) +
                ", past --steps " + std::to_string(plan->steps));
  for (const std::string &w : resumeWarnings)
    warn(w);
  if (!settings.get("save-every").empty() && settings.get("out").empty())
    return fail("--save-every needs --out DIR (where checkpoints go)");
  // The device first: a run that cannot get one stops before anything is read or compiled.
  const std::string target = settings.get("target").empty() ? "cpu" : settings.get("target");
  auto opened = openDevice(target);
  if (!opened)
    return fail(opened.status());
  std::shared_ptr<Device> device = opened.take();
  const std::string precision = !settings.get("precision").empty() ? settings.get("precision")
                                : target == "cuda"                 ? "bf16"
                                                                   : "fp32";
  if (!isFrozenPrecision(precision))
    return fail("--precision must be fp32, bf16, q8 or q4, got '" + precision + "'");
  // Recorded as used, so that a resume on another target keeps the run's precision.
  settings.values["precision"] = precision;
  PipelineSettings pipeline = settings.pipeline();
  pipeline.target = target;
  auto compile = pipeline.compileOptions(plan->steps);
  if (!compile)
    return fail(compile.status());
  if (const std::string budgetText = settings.get("memory-budget"); !budgetText.empty()) {
    auto budget = byteCount("memory-budget", budgetText);
    if (!budget)
      return fail(budget.status());
    compile->memoryBudget = *budget;
    compile->afterPasses = [budget = *budget](mlir::ModuleOp planned, std::string &problem) {
      memory::MemoryAccount account =
          memory::accountMemory(*planned.getOps<mlir::func::FuncOp>().begin());
      problem = memoryBudgetError(budget, account);
      if (problem.empty() && account.rematCandidates >= 0)
        llvm::outs() << "memory budget " << budget << " bytes: planned peak " << account.peak
                     << " bytes, recomputing " << account.recomputed.size() << " of "
                     << account.rematCandidates << " candidates (slim-remat)\n";
      return problem.empty();
    };
  }

  // The adapter configuration: the file given, which must agree with a checkpoint's copy
  // (itself first read as the configuration it must be: a damaged copy is named as such, not
  // reported as a difference). Without a file, the copy is read as the configuration below.
  std::string adapterText;
  if (!adapterPath.empty()) {
    auto text = readTextFile(adapterPath);
    if (!text)
      return fail(text.status());
    adapterText = *text;
    std::vector<std::string> ignored;
    if (resumed && !resumed->adapterConfig.empty())
      if (auto own = parseAdapterConfigText(resumed->adapterConfig, checkpoint + "/adapter_config.json", ignored);
          !own)
        return fail(own.status());
    if (resumed && !resumed->adapterConfig.empty() && !sameJson(resumed->adapterConfig, adapterText))
      return fail(adapterPath + ": differs from the adapter configuration of " + checkpoint +
                  "; a resumed run must keep its adapter");
  } else {
    adapterText = resumed->adapterConfig;
  }
  std::string adapterLabel = adapterPath.empty() ? checkpoint + "/adapter_config.json" : adapterPath;
  std::optional<uint64_t> randomSeed;
  if (const std::string seed = settings.get("random-weights"); !seed.empty()) {
    uint64_t value = 0;
    if (llvm::StringRef(seed).getAsInteger(10, value))
      return fail("--random-weights must be a non-negative integer seed, got '" + seed + "'");
    randomSeed = value;
  }
  auto loaded = loadModel(modelPath, adapterLabel, adapterText, randomSeed);
  if (!loaded)
    return fail(loaded.status());
  const ModelConfig &config = loaded->source->spec().config;
  if (plan->seq > config.maxPositions)
    return fail(modelPath + ": --seq " + std::to_string(plan->seq) + " is longer than the " +
                std::to_string(config.maxPositions) + " positions the model was trained for");

  std::string dataReport;
  auto data = loadTrainingData(settings, *plan, *loaded->source, dataReport);
  if (!data)
    return fail(data.status());
  if (resumed && trainerState.value("data_fingerprint", "") != data->fingerprint())
    return fail(checkpoint + ": the training data differs from the checkpoint's run (its tokens, "
                "--seq or --val-fraction changed)");
  if (resumed && trainerState.value("sequences_consumed", int64_t{-1}) != resumed->step * plan->batch)
    return fail(checkpoint + "/trainer_state.json: the data position does not match the step count");

  WorkFolder work;
  RunFolderCleanup cleanup;
  RunFolderLock lock; // declared after the cleanup: released before it runs
  const std::string runFolder = settings.get("out");
  if (!runFolder.empty()) {
    // A fresh run would mix its checkpoints with another run's and prune them; so would a
    // resume of an older checkpoint into a folder that went further (a branch of the run).
    auto existing = listCheckpointSteps(runFolder);
    if (!resumed && !existing.empty())
      return fail(runFolder + ": already holds checkpoints of a run (the newest is " +
                  existing.back().second + "); continue it with --resume " + runFolder +
                  ", or choose another --out");
    if (resumed && !existing.empty() && existing.back().first > resumed->step)
      return fail(runFolder + ": holds checkpoints past step " + std::to_string(resumed->step) +
                  " (the newest is " + existing.back().second + "): resuming " + checkpoint +
                  " there would mix two runs; give the new branch its own --out");
    std::error_code ec;
    const bool existed = std::filesystem::exists(runFolder, ec);
    if (Status s = prepareRunFolder(runFolder); !s)
      return fail(s);
    cleanup.path = runFolder;
    cleanup.createdFolder = !existed;
    if (Status s = lock.acquire(runFolder); !s) {
      cleanup.path.clear(); // the folder is the other run's
      return fail(s);
    }
    for (const std::string &removed : removeUnfinishedCheckpoints(runFolder))
      llvm::outs() << "removed an unfinished checkpoint of an interrupted run: " << removed << "\n";
    work.path = runFolder;
  } else {
    llvm::SmallString<128> temp;
    if (std::error_code ec = llvm::sys::fs::createUniqueDirectory("slimtune", temp))
      return fail("cannot create a temporary folder: " + ec.message());
    work.path = std::string(temp);
    work.temporary = true;
  }
  MetricsLog log;
  if (Status s = log.open(settings.get("log"), resumed.has_value()); !s)
    return fail(s);

  // The training step, and an evaluation step (forward only, no dropout) sharing its weights.
  const std::string trainArtifact = work.path + "/step.so", evalArtifact = work.path + "/eval.so";
  const bool validate = data->valSequences() > 0;
  if (!compileArtifact(*loaded, *plan, loaded->adapter->dropout, precision, *compile,
                       trainArtifact, modelPath, adapterText))
    return 1;
  // The evaluation step runs the model the training step trains: the same forward rewrites
  // (slim-reversible, and slim-ce-lora, whose factors it then shares) before the forward.
  std::string rewrites, changing, rewriteError;
  if (!modelRewrites(*compile, rewrites, changing, rewriteError))
    return fail(rewriteError);
  CompileOptions evalOptions;
  evalOptions.pipeline = target == "cpu" ? "eval" : "eval{target=" + target + "}";
  evalOptions.target = target;
  if (!rewrites.empty()) {
    evalOptions.pipeline.clear();
    evalOptions.passes = rewrites + ",slim-disable-dropout,slim-plan-memory{target=" + target + "}";
  }
  if (validate && !compileArtifact(*loaded, *plan, 0.0, precision, evalOptions,
                                   evalArtifact, modelPath, adapterText))
    return 1;

  auto session = Session::open(trainArtifact, nullptr, device);
  if (!session)
    return fail(session.status());
  if (!(*session)->hasOptimizer())
    return fail(trainArtifact + ": the step applies no gradients (its passes have no "
                "slim-optimizer); train needs a training step: add slim-optimizer to --passes");
  if (Status s = (*session)->bindModel(*loaded->source); !s)
    return fail(s);
  if (const SvdBindStats &svd = (*session)->svdStats(); svd.computed + svd.fromCache > 0) {
    char seconds[32];
    std::snprintf(seconds, sizeof seconds, "%.1f", svd.seconds);
    dataReport += "ce-lora: SVD factors of " + std::to_string(svd.computed + svd.fromCache) +
                  " weights: " + std::to_string(svd.computed) + " computed, " +
                  std::to_string(svd.fromCache) + " from the cache (" + seconds + " s)" +
                  (svd.cacheProblem.empty() ? "" : "; cache: " + svd.cacheProblem) + "\n";
  }
  if (Status s = (*session)->initAdapters(loaded->adapter->init, plan->seed); !s)
    return fail(s);
  if (resumed)
    if (auto restored = loadCheckpoint(**session, checkpoint); !restored)
      return fail(restored.status());
  // Reported once everything is bound: a run refused on the way prints only its error.
  llvm::outs() << dataReport;
  if (resumed)
    llvm::outs() << "resumed from " << checkpoint << " at step " << resumed->step << "\n";
  // The model's file mapping is not needed once its weights are in the step's buffers.
  loaded->source.reset();
  std::unique_ptr<Session> eval;
  if (validate) {
    auto opened = Session::open(evalArtifact, session->get());
    if (!opened)
      return fail(opened.status());
    eval = opened.take();
  }

  TrainRun run{**session, eval.get(), *data,       *plan,     settings,
               runFolder, adapterText, checkpoint, changing};
  return runTrainingLoop(run, log);
}

} // namespace slimtune::cli
