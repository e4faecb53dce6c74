//===- Cli.cpp - what every slimtune subcommand shares -----------------------------------===//

#include "Cli.h"

#include "slimtune/checkpoint.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <filesystem>
#include <sstream>

namespace slimtune::cli {

Expected<std::string> readTextFile(const std::string &path) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
  if (!buffer)
    return Status::error(path + ": cannot read: " + buffer.getError().message());
  return (*buffer)->getBuffer().str();
}

int fail(const std::string &message) {
  // One line, always: multi-line messages (a parser's caret display) keep their first line.
  llvm::errs() << "slimtune: error: " << message.substr(0, message.find('\n')) << "\n";
  return 1;
}

int fail(const Status &status) { return fail(status.message()); }

void warn(const std::string &message) { llvm::errs() << "slimtune: warning: " << message << "\n"; }

std::string number(double value) {
  std::ostringstream os;
  os << value;
  return os.str();
}

Expected<int64_t> positiveInteger(const std::string &name, const std::string &text) {
  if (text.empty())
    return Status::error("--" + name + " is required");
  int64_t value = 0;
  if (llvm::StringRef(text).getAsInteger(10, value) || value <= 0)
    return Status::error("--" + name + " must be a positive integer, got '" + text + "'");
  return value;
}

Expected<LoadedModel> loadModel(const std::string &modelPath, const std::string &adapterPath,
                                const std::optional<std::string> &adapterText,
                                std::optional<uint64_t> randomSeed) {
  LoadedModel loaded;
  SLIMTUNE_TRY(source, randomSeed ? ModelSource::openRandom(modelPath, *randomSeed)
                                  : ModelSource::open(modelPath));
  loaded.source = std::move(source);
  for (const std::string &w : loaded.source->warnings())
    warn(w);
  if (adapterPath.empty())
    return loaded;
  std::string text;
  if (adapterText) {
    text = *adapterText;
  } else {
    SLIMTUNE_TRY(read, readAdapterConfigFile(adapterPath));
    text = std::move(read);
  }
  std::vector<std::string> warnings;
  auto config = parseAdapterConfigText(text, adapterPath, warnings);
  for (const std::string &w : warnings)
    warn(w);
  if (!config)
    return config.status();
  warnings.clear();
  auto adapted = resolveAdapters(*config, loaded.source->spec(), warnings);
  for (const std::string &w : warnings)
    warn(w);
  if (!adapted)
    return adapted.status();
  loaded.adapter = config.take();
  loaded.adapted = adapted.take();
  loaded.adapterText = std::move(text);
  return loaded;
}

PipelineFlags::PipelineFlags(llvm::cl::SubCommand &command)
    : pipelineName("pipeline", llvm::cl::desc("A named pipeline (default: baseline)"),
                   llvm::cl::value_desc("NAME"), llvm::cl::sub(command)),
      passes("passes", llvm::cl::desc("Comma-separated passes instead of a pipeline"),
             llvm::cl::value_desc("a,b,c"), llvm::cl::sub(command)),
      passPipeline("pass-pipeline",
                   llvm::cl::desc("A whole textual pipeline, as slimtune-opt --pass-pipeline "
                                  "takes it: 'builtin.module(func.func(slim-autodiff,...))'"),
                   llvm::cl::value_desc("PIPELINE"), llvm::cl::sub(command)),
      lr("lr", llvm::cl::desc("Peak learning rate (default 2e-4)"), llvm::cl::value_desc("LR"),
         llvm::cl::sub(command)),
      schedule("schedule", llvm::cl::desc("Learning-rate schedule: constant or cosine"),
               llvm::cl::value_desc("constant|cosine"), llvm::cl::sub(command)),
      warmup("warmup-steps", llvm::cl::desc("Warmup steps of the cosine schedule"),
             llvm::cl::value_desc("N"), llvm::cl::sub(command)),
      weightDecay("weight-decay", llvm::cl::desc("AdamW weight decay (default 0)"),
                  llvm::cl::value_desc("W"), llvm::cl::sub(command)),
      maxGradNorm("max-grad-norm", llvm::cl::desc("Gradient clipping norm (default 1, 0: off)"),
                  llvm::cl::value_desc("NORM"), llvm::cl::sub(command)) {}

PipelineSettings PipelineFlags::settings() const {
  return {pipelineName, passes, passPipeline, lr, schedule, warmup, weightDecay, maxGradNorm};
}

Expected<CompileOptions> PipelineSettings::compileOptions(int64_t totalSteps) const {
  CompileOptions result;
  result.target = target;
  if (!passes.empty() + !pipelineName.empty() + !passPipeline.empty() > 1)
    return Status::error("--pipeline, --passes and --pass-pipeline exclude each other");
  // A pass list spells slim-optimizer itself: flags would be silently ignored, so refuse them.
  if (!passPipeline.empty() || !passes.empty()) {
    if (!lr.empty() || !schedule.empty() || !warmup.empty() || !weightDecay.empty() ||
        !maxGradNorm.empty() || keepGradients)
      return Status::error(std::string(passes.empty() ? "--pass-pipeline" : "--passes") +
                           " takes the optimizer's settings as pass options "
                           "(slim-optimizer{lr=...}), not as flags");
    result.passPipeline = passPipeline;
    result.passes = passes;
    return result;
  }
  std::string name = pipelineName.empty() ? "baseline" : pipelineName;
  result.pipeline = name;
  std::string options;
  auto add = [&](const char *key, const std::string &value) {
    options += (options.empty() ? "" : " ") + std::string(key) + "=" + value;
  };
  for (auto [key, flag] : {std::pair<const char *, const std::string *>{"lr", &lr},
                           {"weight-decay", &weightDecay},
                           {"max-grad-norm", &maxGradNorm}})
    if (!flag->empty()) {
      double value;
      if (llvm::StringRef(*flag).getAsDouble(value) || !(value >= 0) || !std::isfinite(value))
        return Status::error("--" + std::string(key) + " must be a non-negative number, got '" +
                             *flag + "'");
      add(key, *flag);
    }
  if (!schedule.empty()) {
    if (schedule != "constant" && schedule != "cosine")
      return Status::error("--schedule must be constant or cosine, got '" + schedule + "'");
    add("schedule", schedule);
    if (schedule == "cosine") {
      if (totalSteps <= 0)
        return Status::error("--schedule cosine needs --steps N: the schedule decays over the "
                             "run's steps");
      add("total-steps", std::to_string(totalSteps));
    }
  }
  if (!warmup.empty()) {
    // 0 (no warmup, the default) may be given too.
    int64_t w = 0;
    if (llvm::StringRef(warmup).getAsInteger(10, w) || w < 0)
      return Status::error("--warmup-steps must be a non-negative integer, got '" + warmup + "'");
    add("warmup-steps", std::to_string(w));
  }
  if (keepGradients)
    add("keep-gradients", "true");
  // The CPU is every pipeline's default target: its text stays as it was.
  if (target != "cpu")
    add("target", target);
  if (options.empty())
    return result;
  // Options given inline too (reversible{layers=8}): the flags join them.
  llvm::StringRef inline_(name);
  if (inline_.ends_with("}") && inline_.contains('{'))
    result.pipeline = inline_.drop_back().str() + " " + options + "}";
  else
    result.pipeline = name + "{" + options + "}";
  return result;
}

std::vector<std::unique_ptr<llvm::cl::opt<std::string>>>
makeTextOptions(llvm::ArrayRef<TextOption> table, llvm::cl::SubCommand &command) {
  std::vector<std::unique_ptr<llvm::cl::opt<std::string>>> out;
  for (const TextOption &o : table)
    out.push_back(std::make_unique<llvm::cl::opt<std::string>>(
        llvm::StringRef(o.name), llvm::cl::desc(o.help), llvm::cl::value_desc(o.valueName),
        llvm::cl::sub(command)));
  return out;
}

Expected<int64_t> byteCount(const std::string &name, const std::string &text) {
  llvm::StringRef rest(text);
  rest = rest.trim();
  size_t digits = rest.find_first_not_of("0123456789.");
  llvm::StringRef number = rest.substr(0, digits), unit = rest.substr(number.size()).trim();
  static const std::pair<const char *, double> units[] = {
      {"", 1},       {"B", 1},         {"K", 1e3},         {"KB", 1e3},
      {"M", 1e6},    {"MB", 1e6},      {"G", 1e9},         {"GB", 1e9},
      {"T", 1e12},   {"TB", 1e12},     {"KiB", 1024.0},    {"MiB", 1048576.0},
      {"GiB", 1073741824.0},           {"TiB", 1099511627776.0}};
  double value = 0;
  if (!number.empty() && !number.getAsDouble(value))
    for (auto [suffix, scale] : units)
      if (unit.equals_insensitive(suffix) && value * scale >= 1 && value * scale < 9e18)
        return static_cast<int64_t>(value * scale);
  return Status::error("--" + name + " must be a positive byte count such as 2000000000, "
                       "1.5GiB or 800MB, got '" + text + "'");
}

DiagnosticPrinter::DiagnosticPrinter(mlir::MLIRContext &context, std::string file)
    : context_(context), file_(std::move(file)) {
  handler_ = context_.getDiagEngine().registerHandler([this](mlir::Diagnostic &d) {
    if (d.getSeverity() == mlir::DiagnosticSeverity::Warning) {
      warn(file_ + ": " + d.str());
      return mlir::success();
    }
    if (d.getSeverity() != mlir::DiagnosticSeverity::Error || !first_.empty())
      return mlir::success();
    std::string where;
    if (auto loc = mlir::dyn_cast<mlir::FileLineColLoc>(d.getLocation()))
      where = ":" + std::to_string(loc.getLine()) + ":" + std::to_string(loc.getColumn());
    else if (auto name = mlir::dyn_cast<mlir::NameLoc>(d.getLocation()))
      where = ": " + name.getName().str(); // an imported op: the module it came from
    first_ = file_ + where + ": " + d.str();
    return mlir::success();
  });
}

DiagnosticPrinter::~DiagnosticPrinter() { context_.getDiagEngine().eraseHandler(handler_); }

int DiagnosticPrinter::fail(const std::string &summary) {
  return cli::fail(first_.empty() ? file_ + ": " + summary : first_);
}


Expected<FoundCheckpoint> openCheckpoint(const std::string &path, const std::string &option) {
  std::error_code ec;
  if (std::filesystem::exists(path + "/trainer_state.json", ec) ||
      std::filesystem::exists(path + "/checksums.sha256", ec)) {
    SLIMTUNE_TRY(contents, verifyCheckpoint(path));
    return FoundCheckpoint{path, std::move(contents)};
  }
  std::vector<std::string> all = listCheckpoints(path);
  if (all.empty())
    return Status::error(path + ": neither a checkpoint nor a run folder with checkpoints");
  auto newest = verifyCheckpoint(all.back());
  if (newest)
    return FoundCheckpoint{all.back(), newest.take()};
  // The newest is damaged (say, a disk that filled after the rename): point at an older one.
  for (size_t i = all.size() - 1; i-- > 0;)
    if (verifyCheckpoint(all[i]))
      return Status::error(newest.status().message() + "; the newest valid checkpoint is " +
                           all[i] + " (pass it to " + option + ")");
  return newest.status();
}

} // namespace slimtune::cli
