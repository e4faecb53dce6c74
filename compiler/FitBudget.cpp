//===- FitBudget.cpp - a memory budget met by rematerialization ---------------------------===//

#include "compiler/FitBudget.h"

#include "compiler/memory/MemoryAccount.h"
#include "dialects/slim/SlimDialect.h"
#include "passes/ArenaPlanner.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"

#include <optional>

namespace slimtune {

std::string withRemat(const std::string &pipeline, int64_t count) {
  std::string option = "remat=" + std::to_string(count);
  size_t close = pipeline.rfind('}');
  if (close == std::string::npos)
    return pipeline + "{" + option + "}";
  return pipeline.substr(0, close) + " " + option + pipeline.substr(close);
}

namespace {

// The planned peak of `module` compiled with `pipeline`, and slim-remat's candidate count;
// nothing when the trial does not compile (its diagnostics are swallowed: the real compile
// reports what fails there).
struct Trial {
  int64_t peak = 0, candidates = 0;
};

std::optional<Trial> plan(mlir::ModuleOp module, const CompileOptions &options,
                          const std::string &pipeline) {
  mlir::MLIRContext *ctx = module.getContext();
  mlir::ScopedDiagnosticHandler quiet(ctx, [](mlir::Diagnostic &) { return mlir::success(); });
  mlir::OwningOpRef<mlir::ModuleOp> copy = module.clone();
  CompileOptions trial;
  trial.pipeline = pipeline;
  trial.target = options.target;
  mlir::PassManager pm(ctx, mlir::ModuleOp::getOperationName(),
                       mlir::OpPassManager::Nesting::Implicit);
  std::string error;
  if (!parsePipeline(trial, pm, error) || mlir::failed(pm.run(*copy)))
    return std::nullopt;
  auto funcs = copy->getOps<mlir::func::FuncOp>();
  if (std::distance(funcs.begin(), funcs.end()) != 1 ||
      !(*funcs.begin())->hasAttr(mlir::slim::kArenaBytesAttr))
    return std::nullopt;
  mlir::func::FuncOp step = *funcs.begin();
  Trial t;
  t.peak = memory::accountMemory(step).peak;
  if (auto remat = step->getAttrOfType<mlir::DictionaryAttr>(mlir::slim::SlimDialect::kRematAttrName))
    if (auto n = remat.getAs<mlir::IntegerAttr>("candidates"))
      t.candidates = n.getInt();
  return t;
}

} // namespace

std::string fitMemoryBudget(mlir::ModuleOp module, const CompileOptions &options, int64_t budget) {
  const std::string &pipeline = options.pipeline;
  if (budget <= 0 || !options.passes.empty() || !options.passPipeline.empty() ||
      pipeline.find("remat=") != std::string::npos)
    return pipeline;
  std::optional<Trial> as = plan(module, options, pipeline);
  if (!as || as->peak <= budget)
    return pipeline;
  std::optional<Trial> all = plan(module, options, withRemat(pipeline, -1));
  if (!all || all->candidates == 0)
    return pipeline; // not a pipeline slim-remat can run in
  if (all->peak > budget)
    return withRemat(pipeline, -1);
  // peak(low) > budget >= peak(high). The peak is not monotonic in the count (a recomputed
  // layer's values add to the peak while its backward runs), so the count found fits but
  // may not be the least that does.
  int64_t low = 0, high = all->candidates;
  while (high - low > 1) {
    int64_t mid = low + (high - low) / 2;
    std::optional<Trial> t = plan(module, options, withRemat(pipeline, mid));
    if (t && t->peak <= budget)
      high = mid;
    else
      low = mid;
  }
  return withRemat(pipeline, high);
}

} // namespace slimtune
