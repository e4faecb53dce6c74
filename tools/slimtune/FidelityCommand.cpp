//===- FidelityCommand.cpp - slimtune fidelity --------------------------------------------===//
//
// slimtune fidelity --model PATH --adapter CFG.json (--data TEXT | --tokens IDS.u32)
//                   --batch B --seq T [--pipeline lean] [--by kind|site] [--batches N]
//                   [--checkpoint DIR] [--json OUT.json]
// Which approximated sites cost gradient quality: the pipeline's gradients of the trainable
// parameters on the run's first N training batches, compared with its exact version's (the
// same passes without slim-approx-activation-grad and slim-compress-stashes), first with each
// site (or kind of site: the same stash in every layer) approximated alone, then with all.
// Per site: relative error ||g - g_exact|| / ||g_exact|| and cosine over all trainable
// parameters, and the stashed bytes the approximation saves there. A ranking, not a quality
// verdict: validation loss over whole runs (bench/fidelity.py) decides that.
//
//===-------------------------------------------------------------------------------------===//

#include "Cli.h"
#include "fidelity/PipelineText.h"
#include "train/RunFolder.h"
#include "train/TrainData.h"
#include "train/TrainSettings.h"

#include "compiler/Compile.h"
#include "compiler/Registration.h"
#include "compiler/import/ImportModel.h"
#include "dialects/slim/SlimOps.h"

#include "slimtune/checkpoint.h"
#include "slimtune/session.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/GlobPattern.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cstring>
#include <cmath>
#include <fstream>
#include <map>
#include <regex>

namespace cl = llvm::cl;

namespace slimtune::cli {

cl::SubCommand fidelityCommand(
    "fidelity", "Attribute an approximating pipeline's gradient error to the sites it approximates");

namespace {
const TextOption kOptions[] = {
    {"model", "PATH", "Hugging Face model folder or .gguf file"},
    {"random-weights", "SEED", "Weights drawn from SEED: --model needs only config.json"},
    {"adapter", "CFG.json", "PEFT adapter_config.json"},
    {"checkpoint", "DIR", "Measure at a trained adapter: a checkpoint of `slimtune train` (default: the adapter as initialized, B = 0)"},
    {"data", "TEXTFILE", "Text (.txt, or .jsonl with a \"text\" field), tokenized with the model's tokenizer"},
    {"tokens", "IDS.u32", "Data as raw little-endian uint32 token ids"},
    {"doc-separator", "LINE", "Documents of --data are separated by lines equal to LINE (default: blank lines)"},
    {"batch", "B", "Sequences per batch"},
    {"seq", "T", "Tokens per sequence"},
    {"seed", "S", "Seed of the adapter initialization and the data order, as for train (default 0)"},
    {"val-fraction", "F", "Share of the data held out, as for train (default 0.05): the batches are the run's first training batches"},
    {"batches", "N", "Batches to measure on (default 2)"},
    {"by", "kind|site", "Attribute to each kind of site (the same stash in every layer; default) or to each site"},
    {"json", "FILE.json", "Also write the results as JSON"},
};
std::vector<std::unique_ptr<cl::opt<std::string>>> options = makeTextOptions(kOptions, fidelityCommand);
PipelineFlags flags(fidelityCommand);

const char *const kApproximatingPasses[] = {"slim-approx-activation-grad", "slim-compress-stashes"};

// What one compiled variant keeps of each stash site: bytes, and how it is approximated.
struct SiteStash {
  int64_t bytes = 0;
  std::string approximation; // "" when kept exact
};
using SiteStashes = std::map<std::string, SiteStash>;

SiteStashes stashesOf(mlir::ModuleOp module) {
  SiteStashes sites;
  module.walk([&](mlir::slim::StashOp stash) {
    SiteStash &s = sites[stash.getSite()];
    s.bytes += stash.getStoredBytes();
    if (auto quant = llvm::dyn_cast_or_null<mlir::slim::QuantEncodingAttr>(stash.getEncodingAttr()))
      s.approximation = std::to_string(quant.getBits()) + "-bit codes per " +
                        std::to_string(quant.getGroup()) + (quant.getRounding() == mlir::slim::Rounding::stochastic
                                                                ? ", stochastic"
                                                                : "");
    else if (auto flags = stash.getInput().getDefiningOp<mlir::slim::ActivationFlagsOp>())
      s.approximation = "2-bit flags (" + mlir::slim::stringifyApproxActivation(flags.getKind()).str() + ")";
  });
  return sites;
}

// A site's kind: its name with layer numbers ("layers.3.", "h.3.") as "*".
std::string kindOf(const std::string &site) {
  static const std::regex layer(R"(\.[0-9]+\.)");
  return std::regex_replace(site, layer, ".*.");
}

// A site's name as a glob pattern that matches it alone.
std::string literalPattern(const std::string &site) {
  std::string out;
  for (char c : site) {
    if (std::strchr("*?[]{}\\", c))
      out += '\\';
    out += c;
  }
  return out;
}

// `full` approximating only the `chosen` sites, each as in `full`: every approximating pass
// entry limited to those of the chosen sites its own `sites` patterns take (an entry that
// takes none of them is left out).
std::string onlySites(const std::string &full, const std::vector<std::string> &chosen) {
  std::string text = full;
  for (const char *pass : kApproximatingPasses)
    text = rewritePass(text, pass, [&](const std::string &options) -> std::optional<std::string> {
      std::vector<llvm::GlobPattern> own;
      const std::string ownSites = optionValue(options, "sites"); // the patterns refer to it
      llvm::SmallVector<llvm::StringRef> patterns;
      llvm::StringRef(ownSites).split(patterns, ',', -1, false);
      for (llvm::StringRef p : patterns)
        if (auto pattern = llvm::GlobPattern::create(p))
          own.push_back(std::move(*pattern));
        else
          llvm::consumeError(pattern.takeError()); // the pass itself reports it
      std::string kept;
      for (const std::string &site : chosen)
        if (patterns.empty() ||
            llvm::any_of(own, [&](const llvm::GlobPattern &p) { return p.match(site); }))
          kept += (kept.empty() ? "" : ",") + literalPattern(site);
      if (kept.empty())
        return std::nullopt;
      return withOption(options, "sites", kept);
    });
  return text;
}

// Gradient comparison accumulated over batches.
struct GradientError {
  double diff2 = 0, ref2 = 0, var2 = 0, dot = 0;
  void add(const std::vector<float> &ref, const std::vector<float> &var) {
    for (size_t i = 0; i < ref.size(); ++i) {
      double r = ref[i], v = var[i];
      diff2 += (v - r) * (v - r);
      ref2 += r * r;
      var2 += v * v;
      dot += r * v;
    }
  }
  double relative() const { return ref2 > 0 ? std::sqrt(diff2 / ref2) : 0; }
  double cosine() const { return ref2 > 0 && var2 > 0 ? dot / std::sqrt(ref2 * var2) : 1; }
};

struct Measured {
  std::string name, approximation;
  std::vector<std::string> members; // the sites, by name
  int64_t sites = 0, exactBytes = 0, keptBytes = 0;
  GradientError error;
};

} // namespace

int runFidelity() {
  // Plain copies of the options: linking a step (lld) resets llvm::cl options.
  TrainSettings settings;
  for (size_t i = 0; i < std::size(kOptions); ++i)
    settings.values[kOptions[i].name] = *options[i];
  settings.values["steps"] = "1";
  PipelineSettings pipeline = flags.settings();
  if (pipeline.pipelineName.empty() && pipeline.passes.empty() && pipeline.passPipeline.empty())
    pipeline.pipelineName = "lean";
  const std::string by = settings.get("by").empty() ? "kind" : settings.get("by");
  if (by != "kind" && by != "site")
    return fail("--by must be kind or site, got '" + by + "'");
  int64_t batches = 2;
  if (!settings.get("batches").empty()) {
    auto n = positiveInteger("batches", settings.get("batches"));
    if (!n)
      return fail(n.status());
    batches = *n;
  }
  const std::string modelPath = settings.get("model"), adapterPath = settings.get("adapter");
  if (modelPath.empty())
    return fail("fidelity needs --model PATH");
  if (adapterPath.empty())
    return fail("fidelity needs --adapter CFG.json: it measures the adapters' gradients");
  if (settings.get("data").empty() == settings.get("tokens").empty())
    return fail("fidelity needs one of --data TEXTFILE and --tokens IDS.u32");
  auto plan = planTraining(settings);
  if (!plan)
    return fail(plan.status());
  auto compile = pipeline.compileOptions(1);
  if (!compile)
    return fail(compile.status());

  // The pipeline as MLIR spells it, without its optimizer: the steps return the gradients.
  mlir::DialectRegistry registry;
  registerDialects(registry);
  mlir::MLIRContext context(registry);
  std::string full;
  {
    mlir::PassManager pm(&context, mlir::ModuleOp::getOperationName(),
                         mlir::OpPassManager::Nesting::Implicit);
    std::string error;
    if (!parsePipeline(*compile, pm, error))
      return fail(error);
    llvm::raw_string_ostream text(full);
    pm.printAsTextualPipeline(text);
  }
  full = removePass(full, "slim-optimizer");
  // Reversible layers (slim-reversible) change the model: the reference is the same model
  // with its activations stashed (reconstruct=false), and rebuilding them is one more
  // approximation, measured as a group of its own.
  auto stashingSegments = [](const std::string &text) {
    return rewritePass(text, "slim-reversible", [](const std::string &options) {
      return std::optional<std::string>(withOption(options, "reconstruct", "false"));
    });
  };
  const std::string rebuilding = [&] {
    std::string text = full;
    for (const char *pass : kApproximatingPasses)
      text = removePass(text, pass);
    return text;
  }();
  const std::string exact = stashingSegments(rebuilding);
  const bool reversible = exact != rebuilding;
  if (exact == full)
    return fail("the pipeline approximates nothing (it runs neither slim-approx-activation-grad "
                "nor slim-compress-stashes, nor rebuilds reversible layers): its gradients are "
                "exact");

  auto adapterText = readTextFile(adapterPath);
  if (!adapterText)
    return fail(adapterText.status());
  std::optional<uint64_t> randomSeed;
  if (const std::string seed = settings.get("random-weights"); !seed.empty()) {
    uint64_t value = 0;
    if (llvm::StringRef(seed).getAsInteger(10, value))
      return fail("--random-weights must be a non-negative integer seed, got '" + seed + "'");
    randomSeed = value;
  }
  auto loaded = loadModel(modelPath, adapterPath, *adapterText, randomSeed);
  if (!loaded)
    return fail(loaded.status());
  if (plan->seq > loaded->source->spec().config.maxPositions)
    return fail(modelPath + ": --seq " + std::to_string(plan->seq) + " is longer than the " +
                std::to_string(loaded->source->spec().config.maxPositions) +
                " positions the model was trained for");
  std::string dataReport;
  auto data = loadTrainingData(settings, *plan, *loaded->source, dataReport);
  if (!data)
    return fail(data.status());
  if (data->trainSequences() < batches * plan->batch)
    return fail("the data has " + std::to_string(data->trainSequences()) +
                " training sequences: too few for --batches " + std::to_string(batches) +
                " of --batch " + std::to_string(plan->batch));

  WorkFolder work;
  {
    llvm::SmallString<128> temp;
    if (std::error_code ec = llvm::sys::fs::createUniqueDirectory("slimtune-fidelity", temp))
      return fail("cannot create a temporary folder: " + ec.message());
    work.path = std::string(temp);
    work.temporary = true;
  }
  // One variant of the pipeline compiled, with what it stashes per site.
  int variants = 0;
  auto compileVariant = [&](const std::string &text, SiteStashes &stashes) -> std::string {
    const std::string artifact = work.path + "/variant" + std::to_string(variants++) + ".so";
    DiagnosticPrinter diagnostics(context, modelPath);
    std::string error;
    ImportOptions importOptions{plan->batch, plan->seq, 0.0, *adapterText, "fp32"};
    auto module = importModel(context, loaded->source->spec(), loaded->adapted, importOptions, error);
    if (!module)
      return diagnostics.fail(error), "";
    CompileOptions variant;
    variant.passPipeline = text;
    variant.target = "cpu";
    variant.afterPasses = [&](mlir::ModuleOp planned, std::string &) {
      stashes = stashesOf(planned);
      return true;
    };
    if (!compileStep(*module, variant, artifact, error))
      return diagnostics.fail(error), "";
    return artifact;
  };

  SiteStashes exactStashes, fullStashes;
  const std::string exactArtifact = compileVariant(exact, exactStashes);
  if (exactArtifact.empty())
    return 1;
  const std::string fullArtifact = compileVariant(full, fullStashes);
  if (fullArtifact.empty())
    return 1;

  // The groups to measure: each approximated site, or each kind of them.
  std::vector<Measured> groups;
  std::map<std::string, size_t> groupOf;
  for (const auto &[site, stash] : fullStashes) {
    if (stash.approximation.empty())
      continue;
    const std::string name = by == "kind" ? kindOf(site) : site;
    auto [it, added] = groupOf.try_emplace(name, groups.size());
    if (added)
      groups.push_back(Measured{name, stash.approximation});
    Measured &g = groups[it->second];
    g.members.push_back(site);
    if (g.approximation != stash.approximation)
      g.approximation = "mixed";
    ++g.sites;
    g.exactBytes += exactStashes.count(site) ? exactStashes[site].bytes : 0;
    g.keptBytes += stash.bytes;
  }
  if (groups.empty() && !reversible)
    return fail("the pipeline's approximating passes chose no site for this model (every stash "
                "is kept exact): nothing to attribute");

  // The exact gradients on the run's first batches.
  auto reference = Session::open(exactArtifact);
  if (!reference)
    return fail(reference.status());
  Session &exactStep = **reference;
  if (Status s = exactStep.bindModel(*loaded->source); !s)
    return fail(s);
  if (const std::string checkpoint = settings.get("checkpoint"); !checkpoint.empty()) {
    if (Status s = loadCheckpointAdapters(exactStep, checkpoint); !s)
      return fail(s);
  } else if (Status s = exactStep.initAdapters(loaded->adapter->init, plan->seed); !s) {
    return fail(s);
  }
  // Gradients by name, in the exact step's order (another variant may order its outputs
  // differently).
  std::vector<std::pair<std::string, int64_t>> gradients;
  int64_t gradientCount = 0;
  for (const StepBufferInfo &b : exactStep.buffers())
    if (b.role == "output" && !b.gradOf.empty()) {
      gradients.emplace_back(b.name, b.bytes / 4);
      gradientCount += b.bytes / 4;
    }
  std::vector<int32_t> inputs(plan->batch * plan->seq), targets(inputs.size());
  float exactLoss = 0;
  auto gradientsOf = [&](Session &step, int64_t batch, std::vector<float> &out) -> Status {
    data->fillTrain(batch * plan->batch, plan->batch, inputs.data(), targets.data());
    SLIMTUNE_TRY(result, step.runStep(inputs.data(), targets.data()));
    if (&step == &exactStep)
      exactLoss += result.loss / static_cast<float>(batches);
    out.resize(static_cast<size_t>(gradientCount));
    float *at = out.data();
    for (const auto &[name, count] : gradients) {
      if (Status s = step.readTensor(name, at, count); !s)
        return s;
      at += count;
    }
    return Status::ok();
  };
  std::vector<std::vector<float>> exactGradients(static_cast<size_t>(batches));
  for (int64_t i = 0; i < batches; ++i)
    if (Status s = gradientsOf(exactStep, i, exactGradients[i]); !s)
      return fail(s);

  auto measure = [&](const std::string &artifact, GradientError &error) -> Status {
    SLIMTUNE_TRY(step, Session::open(artifact, &exactStep));
    std::vector<float> approximate;
    for (int64_t i = 0; i < batches; ++i) {
      if (Status s = gradientsOf(*step, i, approximate); !s)
        return s;
      error.add(exactGradients[i], approximate);
    }
    return Status::ok();
  };
  llvm::errs() << "fidelity: " << groups.size() << " " << (by == "kind" ? "kinds of site" : "sites")
               << ", " << batches << " batch" << (batches > 1 ? "es" : "") << " each\n";
  for (size_t i = 0; i < groups.size(); ++i) {
    Measured &g = groups[i];
    SiteStashes ignored;
    const std::string artifact = compileVariant(onlySites(stashingSegments(full), g.members), ignored);
    if (artifact.empty())
      return 1;
    if (Status s = measure(artifact, g.error); !s)
      return fail(s);
    llvm::errs() << "  [" << i + 1 << "/" << groups.size() << "] " << g.name << "\n";
  }
  if (reversible) {
    // Every stash of the segments at once: what they keep is the two streams.
    SiteStashes rebuilt;
    const std::string artifact = compileVariant(rebuilding, rebuilt);
    if (artifact.empty())
      return 1;
    Measured g{"rebuilt layer inputs (slim-reversible)", "rebuilt from the layer above"};
    for (const auto &[site, stash] : exactStashes)
      if (!rebuilt.count(site)) {
        ++g.sites;
        g.exactBytes += stash.bytes;
      }
    if (Status s = measure(artifact, g.error); !s)
      return fail(s);
    llvm::errs() << "  [rebuilt] " << g.name << "\n";
    groups.push_back(std::move(g));
  }
  Measured all{"all approximated sites together", ""};
  for (const Measured &g : groups) {
    all.sites += g.sites;
    all.exactBytes += g.exactBytes;
    all.keptBytes += g.keptBytes;
  }
  if (Status s = measure(fullArtifact, all.error); !s)
    return fail(s);

  std::sort(groups.begin(), groups.end(), [](const Measured &a, const Measured &b) {
    return a.error.relative() > b.error.relative();
  });
  double sumSquares = 0;
  for (const Measured &g : groups)
    sumSquares += g.error.relative() * g.error.relative();

  llvm::outs() << dataReport;
  llvm::outs() << "fidelity: " << (pipeline.pipelineName.empty() ? "the given passes" : "pipeline " + pipeline.pipelineName)
               << " against the same passes without approximation, on " << batches << " batch"
               << (batches > 1 ? "es" : "") << " of " << plan->batch << " x " << plan->seq
               << " tokens (loss " << llvm::format("%.6f", exactLoss) << "), "
               << gradientCount << " trainable parameters\n";
  llvm::outs() << "each " << (by == "kind" ? "kind of site" : "site")
               << " approximated alone, worst first (relative error ||g - g_exact|| / ||g_exact||):\n";
  size_t width = all.name.size();
  for (const Measured &g : groups)
    width = std::max(width, g.name.size() + (by == "kind" ? 6 + std::to_string(g.sites).size() : 0));
  auto row = [&](const std::string &name, const Measured &g) {
    llvm::outs() << "  " << llvm::left_justify(name, width) << "  "
                 << llvm::format("%10.3e", g.error.relative()) << "  cosine "
                 << llvm::format("%.6f", g.error.cosine()) << "  stashed "
                 << llvm::format_decimal(g.exactBytes, 12) << " -> "
                 << llvm::format_decimal(g.keptBytes, 12) << " B"
                 << (g.approximation.empty() ? "" : "  " + g.approximation) << "\n";
  };
  for (const Measured &g : groups)
    row(by == "kind" ? g.name + " (x" + std::to_string(g.sites) + ")" : g.name, g);
  row(all.name, all);
  llvm::outs() << "  (the sites' errors combined as independent: "
               << llvm::format("%.3e", std::sqrt(sumSquares)) << ")\n";

  if (const std::string jsonPath = settings.get("json"); !jsonPath.empty()) {
    nlohmann::json out;
    out["pipeline"] = full;
    out["batches"] = batches;
    out["batch"] = plan->batch;
    out["seq"] = plan->seq;
    out["loss"] = exactLoss;
    out["by"] = by;
    auto entry = [](const Measured &g) {
      return nlohmann::json{{"name", g.name}, {"sites", g.sites},
                            {"approximation", g.approximation},
                            {"relative_error", g.error.relative()}, {"cosine", g.error.cosine()},
                            {"exact_bytes", g.exactBytes}, {"kept_bytes", g.keptBytes}};
    };
    for (const Measured &g : groups)
      out["sites"].push_back(entry(g));
    out["all"] = entry(all);
    std::ofstream file(jsonPath);
    file << out.dump(1) << "\n";
    if (!file)
      return fail(jsonPath + ": cannot write the results");
  }
  return 0;
}

} // namespace slimtune::cli
