//===- Compile.h - a slim forward graph -> a step artifact ----------------------------------===//

#ifndef SLIMTUNE_COMPILER_COMPILE_H
#define SLIMTUNE_COMPILER_COMPILE_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassManager.h"

#include <functional>

#include <string>

namespace slimtune {

struct CompileOptions {
  // A registered pipeline with its options, e.g. "baseline{lr=1e-3}".
  std::string pipeline = "baseline";
  // Or, when not empty, a comma-separated list of passes ("slim-autodiff,slim-plan-memory"),
  // run on the step function. slim-plan-memory is added at the end when the passes leave the
  // step unplanned: code generation needs the plan.
  std::string passes;
  // Or, when not empty, a whole textual pipeline as slimtune-opt --pass-pipeline takes it:
  // "builtin.module(func.func(slim-autodiff,slim-plan-memory))".
  std::string passPipeline;
  // The kernel backend the artifact is for (dialects/slim/KernelTarget.h): its code calls that
  // backend's kernels and its manifest records it.
  std::string target = "cpu";
  // When > 0 and `pipeline` is a named training pipeline whose plan needs more: the pipeline
  // is compiled with slim-remat's remat=N for the N that fits (compiler/FitBudget.h). The
  // check that the plan fits stays with the caller (afterPasses).
  int64_t memoryBudget = 0;
  // Called with the pass manager before it runs (instrumentation, IR printing).
  std::function<void(mlir::PassManager &)> configure;
  // Called with the module after the passes, before code generation (printing, reports,
  // budgets): returning false, with `error` set, stops before anything is written.
  std::function<bool(mlir::ModuleOp, std::string &error)> afterPasses;
};

// Runs the passes on `module` (its one function is the forward graph) and writes the
// artifact: a shared library with the step and its manifest (nothing when `output` is empty).
// On failure returns false with `error` set (diagnostics of passes are also emitted through
// the context).
bool compileStep(mlir::ModuleOp module, const CompileOptions &options, const std::string &output,
                 std::string &error);

// The pipeline `options` selects, parsed into `pm`, or false with `error` set.
bool parsePipeline(const CompileOptions &options, mlir::PassManager &pm, std::string &error);

} // namespace slimtune

#endif // SLIMTUNE_COMPILER_COMPILE_H
