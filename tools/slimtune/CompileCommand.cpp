//===- CompileCommand.cpp - slimtune compile ----------------------------------------------===//
//
// slimtune compile step.mlir [--pipeline NAME | --passes a,b,c | --pass-pipeline P]
//                  [--lr LR] [--schedule constant|cosine --steps N] [--warmup-steps N] ...
//                  [--target cpu|cuda] [--memory-report] [--cost-report]
//                  [--memory-timeline FILE.svg]
//                  [--memory-budget BYTES] [--print-ir-after-all | --print-ir-after PASS]
//                  [-o ARTIFACT]
// Runs the passes on a forward graph and writes the step artifact (a shared library); shows
// what the passes did to the step's memory and IR on the way. Without -o it only shows.
//
//===-------------------------------------------------------------------------------------===//

#include "Cli.h"
#include "CostReport.h"
#include "MemoryReport.h"

#include "compiler/Compile.h"
#include "compiler/FitBudget.h"
#include "compiler/Registration.h"
#include "passes/ArenaPlanner.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"

namespace cl = llvm::cl;

namespace slimtune::cli {

cl::SubCommand compileCommand("compile", "Compile a slim graph into a training-step artifact");

namespace {
cl::opt<std::string> input(cl::Positional, cl::desc("<step.mlir>"), cl::sub(compileCommand));
cl::opt<std::string> output("o", cl::desc("The artifact to write (optional with --memory-* "
                                          "and --print-ir-* flags)"),
                            cl::value_desc("ARTIFACT"), cl::sub(compileCommand));
cl::opt<std::string> target("target", cl::desc("The kernel backend to compile for: cpu or cuda"), cl::init("cpu"),
                            cl::sub(compileCommand));
cl::opt<bool> memoryReport("memory-report",
                           cl::desc("Print the memory each pass left, stashes by op kind, and the "
                                    "final plan by category ending 'peak: N bytes'"),
                           cl::sub(compileCommand));
cl::opt<bool> costReport("cost-report",
                         cl::desc("Print the step's matrix-product FLOPs per op kind, ending "
                                  "'flops: N'"),
                         cl::sub(compileCommand));
cl::opt<std::string> memoryTimeline("memory-timeline",
                                    cl::desc("Draw live bytes across the step as an SVG picture"),
                                    cl::value_desc("FILE.svg"), cl::sub(compileCommand));
cl::opt<std::string> memoryBudget("memory-budget",
                                  cl::desc("Recompute activations (slim-remat) until the plan "
                                           "fits; fail, before writing anything, when even that "
                                           "does not (e.g. 2000000000, 1.5GiB, 800MB)"),
                                  cl::value_desc("BYTES"), cl::sub(compileCommand));
cl::opt<bool> printAfterAll("print-ir-after-all",
                            cl::desc("Print the IR after every pass (to stderr)"),
                            cl::sub(compileCommand));
cl::list<std::string> printAfter("print-ir-after",
                                 cl::desc("Print the IR after this pass (to stderr; repeatable)"),
                                 cl::value_desc("PASS"), cl::sub(compileCommand));
cl::opt<std::string> stepsText("steps",
                                cl::desc("Optimizer steps of the run: the length of a cosine "
                                         "schedule (--schedule cosine needs it)"),
                                cl::value_desc("N"), cl::sub(compileCommand));
cl::opt<bool> keepGradients("keep-gradients",
                             cl::desc("Keep each gradient in a buffer of its own, readable after "
                                      "the step as <param>.grad (C API: slimtune_read_tensor)"),
                             cl::sub(compileCommand));
PipelineFlags flags(compileCommand);

// The pipeline as text, the form slimtune-opt --pass-pipeline replays.
std::string pipelineText(mlir::PassManager &pm) {
  std::string text;
  llvm::raw_string_ostream os(text);
  pm.printAsTextualPipeline(os); // anchored: "builtin.module(...)"
  return text;
}

// An error when PASS is not a pass, or not one the pipeline runs (it would print nothing).
std::string checkPrintAfter(const std::string &pass, const std::string &pipeline) {
  if (!mlir::PassInfo::lookup(pass))
    return "--print-ir-after " + pass + ": no such pass (see slimtune-opt --help)";
  for (char follow : {'{', ',', ')'})
    for (char before : {'(', ','})
      if (pipeline.find(std::string(1, before) + pass + follow) != std::string::npos)
        return "";
  return "--print-ir-after " + pass + ": the pipeline does not run it (" + pipeline + ")";
}
} // namespace

int runCompile() {
  // Plain copies: linking (lld) resets llvm::cl options.
  const std::string inputPath = input, outputPath = output, timelinePath = memoryTimeline;
  const std::string budgetText = memoryBudget;
  const bool report = memoryReport, costs = costReport, printAll = printAfterAll;
  const std::vector<std::string> printPasses(printAfter.begin(), printAfter.end());
  const bool inspecting = report || costs || !timelinePath.empty() || !budgetText.empty() || printAll ||
                          !printPasses.empty();
  if (inputPath.empty())
    return fail("compile needs an input file (step.mlir)");
  if (outputPath.empty() && !inspecting)
    return fail("compile needs -o ARTIFACT");
  if (!mlir::slim::lookupKernelTarget(target)) {
    std::string known;
    for (const mlir::slim::KernelTarget &t : mlir::slim::kernelTargets())
      known += (known.empty() ? "" : ", ") + t.name.str();
    return fail("--target " + target + " is not supported yet (" + known +
                (mlir::slim::kernelTargets().size() == 1 ? " is)" : " are)"));
  }
  if (printAll && !printPasses.empty())
    return fail("--print-ir-after-all and --print-ir-after exclude each other");
  int64_t budget = 0;
  if (!budgetText.empty()) {
    auto parsed = byteCount("memory-budget", budgetText);
    if (!parsed)
      return fail(parsed.status());
    budget = *parsed;
  }
  int64_t totalSteps = 0;
  if (const std::string text = stepsText; !text.empty()) {
    auto steps = positiveInteger("steps", text);
    if (!steps)
      return fail(steps.status());
    totalSteps = *steps;
  }
  PipelineSettings settings = flags.settings();
  settings.keepGradients = keepGradients;
  settings.target = target;
  auto options = settings.compileOptions(totalSteps);
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

  // A budget the plan does not fit: the pipeline recomputes what it needs to (slim-remat).
  if (!budgetText.empty())
    options->pipeline = fitMemoryBudget(*module, *options, budget);
  // The pipeline, resolved once: its text is what the report prints and what --print-ir-after
  // is checked against.
  mlir::PassManager parsed(&context, mlir::ModuleOp::getOperationName(),
                           mlir::OpPassManager::Nesting::Implicit);
  if (!parsePipeline(*options, parsed, error))
    return fail(inputPath + ": " + error);
  const std::string pipeline = pipelineText(parsed);
  for (const std::string &pass : printPasses)
    if (std::string problem = checkPrintAfter(pass, pipeline); !problem.empty())
      return fail(problem);

  std::vector<PassMemoryRow> rows;
  auto funcs = module->getOps<mlir::func::FuncOp>();
  if (report && std::distance(funcs.begin(), funcs.end()) == 1 &&
      mlir::slim::isPlannable(*funcs.begin()))
    rows.push_back(rowFor("(input)", *funcs.begin()));
  options->configure = [&](mlir::PassManager &pm) {
    if (report)
      pm.addInstrumentation(std::make_unique<PassMemoryRecorder>(rows));
    if (printAll || !printPasses.empty()) {
      // As mlir-opt prints it: the op each pass ran on, to stderr, after the pass.
      context.disableMultithreading();
      pm.enableIRPrinting(
          [](mlir::Pass *, mlir::Operation *) { return false; },
          [&](mlir::Pass *pass, mlir::Operation *) {
            return printAll || llvm::is_contained(printPasses, pass->getArgument().str());
          },
          /*printModuleScope=*/false, /*printAfterOnlyOnChange=*/false,
          /*printAfterOnlyOnFailure=*/false, llvm::errs());
    }
  };
  options->afterPasses = [&](mlir::ModuleOp planned, std::string &problem) {
    if (!report && !costs && timelinePath.empty() && budgetText.empty())
      return true;
    auto step = *planned.getOps<mlir::func::FuncOp>().begin();
    if (costs)
      printCostReport(llvm::outs(), step);
    if (!report && timelinePath.empty() && budgetText.empty())
      return true;
    memory::MemoryAccount account = memory::accountMemory(step);
    if (report)
      printMemoryReport(llvm::outs(), pipeline, rows, account);
    if (!timelinePath.empty()) {
      const CompileOptions &o = *options;
      std::string ran = !o.passPipeline.empty() ? o.passPipeline
                        : !o.passes.empty()     ? "passes " + o.passes
                                                : "pipeline " + o.pipeline.substr(0, o.pipeline.find('{'));
      account.timeline.title = inputPath + ": " + ran;
      if (Status s = writeMemoryTimeline(timelinePath, account.timeline); !s) {
        problem = s.message();
        return false;
      }
    }
    if (!budgetText.empty())
      problem = memoryBudgetError(budget, account);
    return problem.empty();
  };
  if (!compileStep(*module, *options, outputPath, error))
    return diagnostics.fail(error);
  return 0;
}

} // namespace slimtune::cli
