//===- Cli.h - what every slimtune subcommand shares -------------------------------------===//

#ifndef SLIMTUNE_TOOLS_SLIMTUNE_CLI_H
#define SLIMTUNE_TOOLS_SLIMTUNE_CLI_H

#include "slimtune/adapter.h"
#include "slimtune/model.h"
#include "slimtune/status.h"

#include "llvm/Support/CommandLine.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace slimtune::cli {

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
};
Expected<LoadedModel> loadModel(const std::string &modelPath, const std::string &adapterPath);

// Subcommands: each defines its llvm::cl::SubCommand and options in its own file.
extern llvm::cl::SubCommand importCommand;
extern llvm::cl::SubCommand inspectCommand;
int runImport();
int runInspect();

} // namespace slimtune::cli

#endif // SLIMTUNE_TOOLS_SLIMTUNE_CLI_H
