//===- FitBudget.h - a memory budget met by rematerialization -----------------------------===//
//
// `--memory-budget` on compile and train: when a named training pipeline's plan needs more
// than the budget, the pipeline is given slim-remat's `remat=N`, with N the smallest count
// (searched by halving, each trial compiled to its plan) whose planned peak fits. The search
// measures the real plan, not an estimate: slim-remat runs before the backward and the plan
// exist and cannot know the peak itself.
//
//===-------------------------------------------------------------------------------------===//

#ifndef SLIMTUNE_COMPILER_FITBUDGET_H
#define SLIMTUNE_COMPILER_FITBUDGET_H

#include "compiler/Compile.h"

#include <cstdint>
#include <string>

namespace slimtune {

// The pipeline to compile `module` with under `budget` bytes: options.pipeline itself when
// its plan fits, when it is not a named training pipeline (a pass list, a pass pipeline,
// eval, reversible) or when it names remat= already; else the pipeline with remat=N for the
// smallest N found that fits, or remat=-1 (every candidate) when none does, so that the
// budget's error then names what is largest after full rematerialization.
std::string fitMemoryBudget(mlir::ModuleOp module, const CompileOptions &options, int64_t budget);

// `pipeline` ("lean", "lean{lr=1e-3}") with remat=count among its options.
std::string withRemat(const std::string &pipeline, int64_t count);

} // namespace slimtune

#endif // SLIMTUNE_COMPILER_FITBUDGET_H
