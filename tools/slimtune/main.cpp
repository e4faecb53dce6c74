//===- main.cpp - the slimtune command ----------------------------------------------------===//
//
// slimtune import | inspect | compile | train | export | fidelity. Bad arguments give
// one line "slimtune: error: ..." and exit status 1.
//
//===-------------------------------------------------------------------------------------===//

#include "Cli.h"

#include "compiler/Registration.h"
#include "slimtune/kernel_abi.h"
#include "slimtune/version.h"

#include "llvm/Config/llvm-config.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/raw_ostream.h"

int main(int argc, char **argv) {
  using namespace slimtune::cli;
  // Passes and pipelines by name, for --pipeline/--passes (registered before parsing, since
  // some carry command-line options).
  slimtune::registerPasses();
  // --help lists slimtune's own options: the top level holds only what LLVM and MLIR
  // register for themselves (several hundred code-generation flags), so all of it is hidden
  // there; each subcommand's --help shows its options.
  for (auto &[name, option] : llvm::cl::getRegisteredOptions(llvm::cl::SubCommand::getTopLevel()))
    if (name != "help" && name != "help-list" && name != "version")
      option->setHiddenFlag(llvm::cl::ReallyHidden);
  llvm::cl::SetVersionPrinter([](llvm::raw_ostream &os) {
    os << "slimtune " << SLIMTUNE_VERSION << " (kernel ABI " << SLIMTUNE_ABI_VERSION
       << ", MLIR/LLVM " << LLVM_VERSION_STRING << ")\n";
  });
  std::string errors;
  llvm::raw_string_ostream errorStream(errors);
  bool parsed = llvm::cl::ParseCommandLineOptions(
      argc, argv, "slimtune: fine-tune language models with adapters in less memory\n",
      &errorStream, nullptr, /*LongOptionsUseDoubleDash=*/true);
  if (!parsed) {
    // llvm::cl words its errors "<prog>: <what>"; keep the first, in slimtune's form.
    std::string first = errors.substr(0, errors.find('\n'));
    if (size_t colon = first.find(": "); colon != std::string::npos)
      first = first.substr(colon + 2);
    return fail(first.empty() ? "invalid command line; see slimtune --help" : first);
  }
  if (importCommand)
    return runImport();
  if (inspectCommand)
    return runInspect();
  if (compileCommand)
    return runCompile();
  if (trainCommand)
    return runTrain();
  if (exportCommand)
    return runExport();
  if (fidelityCommand)
    return runFidelity();
  return fail("no command given (import, inspect, compile, train, export, fidelity); see slimtune "
              "--help");
}
