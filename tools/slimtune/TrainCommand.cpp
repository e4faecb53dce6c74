//===- TrainCommand.cpp - slimtune train --------------------------------------------------===//
//
// slimtune train --model PATH --adapter CFG.json --tokens IDS.u32 --steps N --batch B --seq T
//                [--lr LR] [--pipeline NAME | --passes a,b,c] [--out DIR] [--seed S]
// Imports the model with its adapter, compiles the training step, binds the weights and runs
// N steps, printing one line per step ("step N/T ... loss X"), then "final loss: X" and
// "peak memory: N bytes" (the runtime allocator's high-water mark).
//
//===-------------------------------------------------------------------------------------===//

#include "Cli.h"

#include "compiler/Compile.h"
#include "compiler/Registration.h"
#include "compiler/import/ImportModel.h"

#include "slimtune/data.h"
#include "slimtune/session.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <cmath>
#include <unistd.h>

namespace cl = llvm::cl;

namespace slimtune::cli {

cl::SubCommand trainCommand("train", "Fine-tune a model with an adapter");

namespace {
cl::opt<std::string> model("model", cl::desc("Hugging Face model folder or .gguf file"),
                           cl::value_desc("PATH"), cl::sub(trainCommand));
cl::opt<std::string> adapter("adapter", cl::desc("PEFT adapter_config.json"),
                             cl::value_desc("CFG.json"), cl::sub(trainCommand));
cl::opt<std::string> tokens("tokens", cl::desc("Training data: raw little-endian uint32 ids"),
                            cl::value_desc("IDS.u32"), cl::sub(trainCommand));
cl::opt<std::string> stepsText("steps", cl::desc("Optimizer steps"), cl::value_desc("N"),
                               cl::sub(trainCommand));
cl::opt<std::string> batchText("batch", cl::desc("Sequences per step"), cl::value_desc("B"),
                               cl::sub(trainCommand));
cl::opt<std::string> seqText("seq", cl::desc("Tokens per sequence"), cl::value_desc("T"),
                             cl::sub(trainCommand));
cl::opt<std::string> outDir("out", cl::desc("Folder for the compiled step (and checkpoints)"),
                            cl::value_desc("DIR"), cl::sub(trainCommand));
cl::opt<uint64_t> seed("seed", cl::desc("Seed of the adapter initialization"), cl::init(0),
                       cl::sub(trainCommand));
PipelineFlags flags(trainCommand);

// A folder for the compiled step: --out, or a temporary one removed at the end.
struct WorkFolder {
  std::string path;
  bool temporary = false;
  ~WorkFolder() {
    if (temporary)
      llvm::sys::fs::remove_directories(path);
  }
};
} // namespace

int runTrain() {
  // Plain copies of the options: linking the step (lld) resets llvm::cl options.
  const std::string modelPath = model, adapterPath = adapter, tokensPath = tokens;
  const std::string outPath = outDir;
  const uint64_t initSeed = seed;
  if (modelPath.empty() || adapterPath.empty() || tokensPath.empty())
    return fail("train needs --model PATH, --adapter CFG.json and --tokens IDS.u32");
  auto steps = positiveInteger("steps", stepsText);
  auto batch = positiveInteger("batch", batchText);
  auto seq = positiveInteger("seq", seqText);
  for (auto *v : {&steps, &batch, &seq})
    if (!*v)
      return fail(v->status());
  auto compile = flags.compileOptions(*steps);
  if (!compile)
    return fail(compile.status());

  auto data = readTokenFile(tokensPath);
  if (!data)
    return fail(data.status());
  auto batcher = SequenceBatcher::create(data.take(), *batch, *seq);
  if (!batcher)
    return fail(tokensPath + ": " + batcher.status().message());
  auto loaded = loadModel(modelPath, adapterPath);
  if (!loaded)
    return fail(loaded.status());

  WorkFolder work;
  if (!outPath.empty()) {
    if (std::error_code ec = llvm::sys::fs::create_directories(outPath))
      return fail(outPath + ": cannot create: " + ec.message());
    work.path = outPath;
  } else {
    llvm::SmallString<128> temp;
    if (std::error_code ec = llvm::sys::fs::createUniqueDirectory("slimtune", temp))
      return fail("cannot create a temporary folder: " + ec.message());
    work.path = std::string(temp);
    work.temporary = true;
  }
  std::string artifact = work.path + "/step.so";

  {
    mlir::DialectRegistry registry;
    registerDialects(registry);
    mlir::MLIRContext context(registry);
    DiagnosticPrinter diagnostics(context, modelPath);
    std::string error;
    ImportOptions options{*batch, *seq, loaded->adapter->dropout};
    auto module = importModel(context, loaded->source->spec(), loaded->adapted, options, error);
    if (!module)
      return fail(modelPath + ": " + error);
    if (!compileStep(*module, *compile, artifact, error))
      return diagnostics.fail(error);
  }

  auto session = Session::open(artifact);
  if (!session)
    return fail(session.status());
  if (Status s = (*session)->bindModel(*loaded->source); !s)
    return fail(s);
  if (Status s = (*session)->initAdapters(loaded->adapter->init, initSeed); !s)
    return fail(s);
  // The model's file mapping is not needed once its weights are in the step's buffers.
  loaded->source.reset();

  bool terminal = isatty(STDOUT_FILENO);
  std::vector<int32_t> inputs(*batch * *seq), targets(*batch * *seq);
  float loss = 0;
  auto start = std::chrono::steady_clock::now();
  for (int64_t s = 0; s < *steps; ++s) {
    batcher->fill(s, inputs.data(), targets.data());
    auto result = (*session)->runStep(inputs.data(), targets.data());
    if (!result)
      return fail(tokensPath + ": step " + std::to_string(s + 1) + ": " + result.status().message());
    loss = result->loss;
    if (!std::isfinite(loss))
      return fail("the loss is " + number(loss) + " at step " + std::to_string(s + 1) +
                  "; stopping (lower --lr?)");
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    double tokensPerSecond = (s + 1) * *batch * *seq / seconds;
    llvm::outs() << llvm::format("step %lld/%lld  loss %.4f  grad_norm %.4f  lr %.3g  %.0f tok/s",
                                 static_cast<long long>(s + 1), static_cast<long long>(*steps),
                                 result->loss, result->gradNorm, result->lr, tokensPerSecond)
                 << (terminal ? "\r" : "\n");
    llvm::outs().flush();
  }
  if (terminal)
    llvm::outs() << "\n";
  llvm::outs() << "final loss: " << llvm::format("%.6f", loss) << "\n";
  llvm::outs() << "peak memory: " << (*session)->peakBytes() << " bytes\n";
  return 0;
}

} // namespace slimtune::cli
