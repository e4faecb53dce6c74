//===- Cli.h - what every slimtune subcommand shares -------------------------------------===//

#ifndef SLIMTUNE_TOOLS_SLIMTUNE_CLI_H
#define SLIMTUNE_TOOLS_SLIMTUNE_CLI_H

#include "compiler/Compile.h"
#include "slimtune/adapter.h"
#include "slimtune/checkpoint.h"
#include "slimtune/model.h"
#include "slimtune/status.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/CommandLine.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace slimtune::cli {

// A whole text file (an adapter configuration); errors name the file.
Expected<std::string> readTextFile(const std::string &path);

// Prints "slimtune: error: <message>" and returns the exit code for errors.
int fail(const std::string &message);
int fail(const Status &status);
void warn(const std::string &message);
// A number as a person writes it: 1e-05, 10000, 0.5.
std::string number(double value);
// The value of option --<name> as a positive integer; errors name the option.
Expected<int64_t> positiveInteger(const std::string &name, const std::string &text);

// A model and, optionally, its adapter configuration resolved against it. Warnings are
// printed as they arise.
struct LoadedModel {
  std::unique_ptr<ModelSource> source;
  std::optional<AdapterConfig> adapter;
  std::vector<AdaptedLinear> adapted;
  std::string adapterText; // the configuration as read (carried into the step); "" for none
};
// `adapterText`, when given, is the adapter configuration's contents (`adapterPath` then only
// labels messages): a checkpoint carries the configuration it was trained with.
// With `randomSeed`, the model is config.json alone with weights drawn from the seed
// (RandomModelSource).
Expected<LoadedModel> loadModel(const std::string &modelPath, const std::string &adapterPath,
                                const std::optional<std::string> &adapterText = std::nullopt,
                                std::optional<uint64_t> randomSeed = std::nullopt);

// A checkpoint to resume or export, verified: PATH itself, or the newest checkpoint of the
// run folder PATH. When the newest is damaged, the error names the newest one that verifies,
// to pass to `option` (--resume, --checkpoint).
struct FoundCheckpoint {
  std::string folder;
  CheckpointContents contents;
};
Expected<FoundCheckpoint> openCheckpoint(const std::string &path, const std::string &option);

// The pipeline options compile and train share, as given ("" when not given): --pipeline
// NAME or --passes a,b,c, and the optimizer's settings, which become the pipeline's options.
struct PipelineSettings {
  std::string pipelineName, passes, passPipeline, lr, schedule, warmup, weightDecay, maxGradNorm;
  bool keepGradients = false; // compile --keep-gradients
  std::string target = "cpu";  // --target: named pipelines plan memory for it
  // The passes to run: options.pipeline, e.g. "baseline{lr=0.001 schedule=cosine ...}", or
  // options.passes.
  Expected<CompileOptions> compileOptions(int64_t totalSteps = 0) const;
};

// The same as command-line options of one subcommand.
struct PipelineFlags {
  explicit PipelineFlags(llvm::cl::SubCommand &command);
  // Plain copies of the values (llvm::cl options do not survive linking a step with lld).
  PipelineSettings settings() const;

  llvm::cl::opt<std::string> pipelineName, passes, passPipeline, lr, schedule, warmup,
      weightDecay, maxGradNorm;
};

// A subcommand's options that are text as given (train records them for checkpoints and
// resume): one table per command, one llvm::cl option per entry, in the table's order.
struct TextOption {
  const char *name, *valueName, *help;
};
std::vector<std::unique_ptr<llvm::cl::opt<std::string>>>
makeTextOptions(llvm::ArrayRef<TextOption> table, llvm::cl::SubCommand &command);

// A byte count as --memory-budget takes it: 2000000000, 1.5GiB, 800MiB, 2GB, 512K.
Expected<int64_t> byteCount(const std::string &name, const std::string &text);

// Collects MLIR diagnostics while alive; fail() prints them as "slimtune: error: <file>:
// <line>:<col>: <message>" lines (the first error only, then the summary).
class DiagnosticPrinter {
public:
  DiagnosticPrinter(mlir::MLIRContext &context, std::string file);
  ~DiagnosticPrinter();
  int fail(const std::string &summary);

private:
  mlir::MLIRContext &context_;
  std::string file_;
  std::string first_;
  mlir::DiagnosticEngine::HandlerID handler_;
};

// Subcommands: each defines its llvm::cl::SubCommand and options in its own file.
extern llvm::cl::SubCommand importCommand;
extern llvm::cl::SubCommand inspectCommand;
extern llvm::cl::SubCommand compileCommand;
extern llvm::cl::SubCommand trainCommand;
extern llvm::cl::SubCommand exportCommand;
extern llvm::cl::SubCommand fidelityCommand;
int runImport();
int runInspect();
int runCompile();
int runTrain();
int runExport();
int runFidelity();

} // namespace slimtune::cli

#endif // SLIMTUNE_TOOLS_SLIMTUNE_CLI_H
