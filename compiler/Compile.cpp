//===- Compile.cpp - a slim forward graph -> a step artifact --------------------------------===//

#include "compiler/Compile.h"

#include "compiler/FitBudget.h"
#include "compiler/codegen/EmitLibrary.h"
#include "compiler/codegen/KernelCalls.h"
#include "compiler/codegen/StepBuffers.h"
#include "dialects/slim/SlimOps.h"
#include "passes/ArenaPlanner.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/raw_ostream.h"

#include <vector>

namespace slimtune {

namespace {
// Where a pipeline's brackets or quotes do not balance ("" when they do). MLIR 19's option
// list parser never returns on an unclosed '(', '[' or quote inside a list option (e.g.
// producers=a[b, even producers='a(b'), so such text is refused before it gets there;
// brackets count inside quotes too.
std::string unbalanced(llvm::StringRef text) {
  std::string open;
  std::vector<size_t> at;
  size_t quotes[2] = {0, 0}, lastQuote[2] = {0, 0};
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '"' || c == '\'') {
      ++quotes[c == '"'];
      lastQuote[c == '"'] = i;
    } else if (c == '(' || c == '[' || c == '{') {
      open += c;
      at.push_back(i);
    } else if (c == ')' || c == ']' || c == '}') {
      const char expected = open.empty() ? 0 : open.back() == '(' ? ')' : open.back() == '[' ? ']' : '}';
      if (c != expected)
        return std::string("unexpected '") + c + "' at column " + std::to_string(i + 1);
      open.pop_back();
      at.pop_back();
    }
  }
  for (int q = 0; q < 2; ++q)
    if (quotes[q] % 2)
      return std::string("unclosed ") + (q ? '"' : '\'') + " at column " +
             std::to_string(lastQuote[q] + 1);
  if (!open.empty())
    return std::string("unclosed '") + open.back() + "' at column " + std::to_string(at.back() + 1);
  return "";
}
} // namespace

bool parsePipeline(const CompileOptions &options, mlir::PassManager &pm, std::string &error) {
  std::string parseErrors;
  llvm::raw_string_ostream errorStream(parseErrors);
  // Slim passes run on the step function; named pipelines nest them themselves.
  std::string text, what;
  if (!options.passPipeline.empty())
    text = options.passPipeline, what = "pass pipeline";
  else if (!options.passes.empty())
    text = "func.func(" + options.passes + ")", what = "pass list";
  else
    text = options.pipeline, what = "pipeline";
  // pm is anchored on the module already: "builtin.module(X)" adds X to it.
  if (std::string problem = unbalanced(options.passes.empty() ? text : options.passes);
      !problem.empty()) {
    error = "invalid " + what + " \"" + (options.passes.empty() ? text : options.passes) + "\": " + problem;
    return false;
  }
  llvm::StringRef body(text);
  body = body.trim();
  if (body.consume_front("builtin.module(") && !body.consume_back(")"))
    body = text; // unbalanced: let the parser report it
  if (mlir::failed(mlir::parsePassPipeline(body, pm, errorStream))) {
    error = "invalid " + what + " \"" + (options.passes.empty() ? text : options.passes) +
            "\": " + parseErrors;
    return false;
  }
  return true;
}

bool compileStep(mlir::ModuleOp module, const CompileOptions &options, const std::string &output,
                 std::string &error) {
  const mlir::slim::KernelTarget *target = mlir::slim::lookupKernelTarget(options.target);
  if (!target) {
    error = "unknown target \"" + options.target + "\"";
    return false;
  }
  mlir::MLIRContext *ctx = module.getContext();
  mlir::PassManager pm(ctx, mlir::ModuleOp::getOperationName(),
                       mlir::OpPassManager::Nesting::Implicit);
  CompileOptions fitted = options;
  fitted.pipeline = fitMemoryBudget(module, options, options.memoryBudget);
  if (!parsePipeline(fitted, pm, error))
    return false;
  if (options.configure)
    options.configure(pm);
  if (mlir::failed(pm.run(module))) {
    error = "the passes failed (see the diagnostics above)";
    return false;
  }
  auto funcs = module.getOps<mlir::func::FuncOp>();
  if (std::distance(funcs.begin(), funcs.end()) != 1) {
    error = "expects a module with exactly one function (the step)";
    return false;
  }
  mlir::func::FuncOp step = *funcs.begin();
  if (!step->hasAttr(mlir::slim::kArenaBytesAttr)) {
    mlir::PassManager plan(ctx, mlir::ModuleOp::getOperationName(),
                           mlir::OpPassManager::Nesting::Implicit);
    mlir::slim::SlimPlanMemoryOptions planOptions;
    planOptions.target = options.target;
    plan.addNestedPass<mlir::func::FuncOp>(mlir::slim::createSlimPlanMemory(planOptions));
    if (mlir::failed(plan.run(module))) {
      error = "memory planning failed";
      return false;
    }
  }
  if (auto planned = step->getAttrOfType<mlir::StringAttr>(mlir::slim::kPlanTargetAttr);
      !planned || planned.getValue() != options.target) {
    error = "the memory plan is for target " +
            (planned ? planned.getValue().str() : std::string("(unrecorded)")) +
            ", not --target " + options.target + ": plan with slim-plan-memory{target=" +
            options.target + "} (a named pipeline takes target=" + options.target + ")";
    return false;
  }
  if (options.afterPasses && !options.afterPasses(module, error))
    return false;
  if (output.empty())
    return true;

  auto buffers = codegen::collectStepBuffers(step);
  if (mlir::failed(buffers)) {
    error = "the step's arguments cannot be bound by the runtime";
    return false;
  }
  std::string manifest;
  llvm::raw_string_ostream manifestStream(manifest);
  manifestStream << llvm::json::Value(codegen::buildManifest(step, *buffers, *target));
  manifestStream.flush();
  // Code generation works on a copy: the caller's module stays the slim step.
  mlir::OwningOpRef<mlir::ModuleOp> llvmModule = mlir::ModuleOp::create(step.getLoc());
  llvmModule->push_back(step.clone());
  auto copy = *llvmModule->getOps<mlir::func::FuncOp>().begin();
  if (mlir::failed(codegen::convertStepToKernelCalls(copy, *target))) {
    error = "code generation failed (see the diagnostics above)";
    return false;
  }
  codegen::addManifestFunction(*llvmModule, manifest);
  return codegen::emitSharedLibrary(*llvmModule, output, error);
}

} // namespace slimtune
