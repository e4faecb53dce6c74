//===- CompileCommand.cpp - slimtune compile ----------------------------------------------===//
//
// slimtune compile step.mlir [--pipeline NAME | --passes a,b,c] [--target cpu] -o ARTIFACT
// Runs the passes on a forward graph and writes the step artifact (a shared library).
//
//===-------------------------------------------------------------------------------------===//

#include "Cli.h"

#include "compiler/Compile.h"
#include "compiler/Registration.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"

namespace cl = llvm::cl;

namespace slimtune::cli {

cl::SubCommand compileCommand("compile", "Compile a slim graph into a training-step artifact");

namespace {
cl::opt<std::string> input(cl::Positional, cl::desc("<step.mlir>"), cl::sub(compileCommand));
cl::opt<std::string> output("o", cl::desc("The artifact to write"), cl::value_desc("ARTIFACT"),
                            cl::sub(compileCommand));
cl::opt<std::string> target("target", cl::desc("cpu (cuda: not yet)"), cl::init("cpu"),
                            cl::sub(compileCommand));
PipelineFlags flags(compileCommand);
} // namespace

int runCompile() {
  // Plain copies: linking (lld) resets llvm::cl options.
  const std::string inputPath = input, outputPath = output;
  if (inputPath.empty())
    return fail("compile needs an input file (step.mlir)");
  if (outputPath.empty())
    return fail("compile needs -o ARTIFACT");
  if (target != "cpu")
    return fail("--target " + target + " is not supported yet (cpu is)");
  auto options = flags.settings().compileOptions();
  if (!options)
    return fail(options.status());

  mlir::DialectRegistry registry;
  registerDialects(registry);
  mlir::MLIRContext context(registry);
  std::string error;
  auto file = mlir::openInputFile(inputPath, &error);
  if (!file)
    return fail(inputPath + ": " + error);
  llvm::SourceMgr sources;
  sources.AddNewSourceBuffer(std::move(file), llvm::SMLoc());
  // Parse and pass errors are reported as one line each, naming the file.
  DiagnosticPrinter diagnostics(context, inputPath);
  mlir::OwningOpRef<mlir::ModuleOp> module = mlir::parseSourceFile<mlir::ModuleOp>(sources, &context);
  if (!module)
    return diagnostics.fail("cannot parse the graph");
  if (!compileStep(*module, *options, outputPath, error))
    return diagnostics.fail(error);
  return 0;
}

} // namespace slimtune::cli
