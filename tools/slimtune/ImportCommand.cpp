//===- ImportCommand.cpp - slimtune import ------------------------------------------------===//
//
// slimtune import --model PATH|config.json [--adapter CFG.json] --batch B --seq T -o step.mlir
// Writes the forward training graph of the model with its adapters in the slim dialect.
//
//===-------------------------------------------------------------------------------------===//

#include "Cli.h"

#include "compiler/Registration.h"
#include "compiler/import/ImportModel.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/ToolOutputFile.h"

namespace cl = llvm::cl;

namespace slimtune::cli {

cl::SubCommand importCommand("import", "Write a model's forward training graph in the slim dialect");

namespace {
cl::opt<std::string> model("model",
                           cl::desc("Hugging Face model folder, .gguf file, or a config.json alone "
                                    "(the graph needs no weights)"),
                           cl::value_desc("PATH"), cl::sub(importCommand));
cl::opt<std::string> adapter("adapter", cl::desc("PEFT adapter_config.json"),
                             cl::value_desc("CFG.json"), cl::sub(importCommand));
// Numbers are read as text and checked here: llvm::cl would print its own errors.
cl::opt<std::string> batchText("batch", cl::desc("Sequences per step"), cl::value_desc("B"),
                               cl::sub(importCommand));
cl::opt<std::string> seqText("seq", cl::desc("Tokens per sequence"), cl::value_desc("T"),
                             cl::sub(importCommand));
cl::opt<std::string> precision("precision",
                              cl::desc("How frozen weight matrices are kept: fp32 (default), bf16, "
                                       "q8 (ggml Q8_0 blocks) or q4 (Q4_1 blocks; the vocabulary's Q8_0)"),
                              cl::value_desc("fp32|bf16|q8|q4"), cl::init("fp32"), cl::sub(importCommand));
cl::opt<std::string> output("o", cl::desc("Output file (default: standard output)"),
                            cl::value_desc("step.mlir"), cl::init("-"), cl::sub(importCommand));
} // namespace

int runImport() {
  if (model.empty())
    return fail("import needs --model PATH");
  if (!isFrozenPrecision(precision))
    return fail("--precision must be fp32, bf16, q8 or q4, got '" + precision + "'");
  auto batch = positiveInteger("batch", batchText);
  if (!batch)
    return fail(batch.status());
  auto seq = positiveInteger("seq", seqText);
  if (!seq)
    return fail(seq.status());
  // A config.json alone describes the graph: its weights are never read here (random ones
  // stand in, as `train --random-weights` binds).
  const bool configOnly = llvm::StringRef(model).ends_with(".json");
  auto loaded = loadModel(model, adapter, std::nullopt,
                          configOnly ? std::optional<uint64_t>(0) : std::nullopt);
  if (!loaded)
    return fail(loaded.status());
  const ModelConfig &config = loaded->source->spec().config;
  if (config.family == ModelFamily::Llama && *seq > config.maxPositions)
    warn("--seq " + std::to_string(*seq) + " is longer than the model's " +
         std::to_string(config.maxPositions) + " positions (max_position_embeddings)");

  mlir::DialectRegistry registry;
  registerDialects(registry);
  mlir::MLIRContext context(registry);
  DiagnosticPrinter diagnostics(context, model);
  ImportOptions options{*batch, *seq, loaded->adapter ? loaded->adapter->dropout : 0.0,
                        loaded->adapterText, precision};
  std::string error;
  auto module = importModel(context, loaded->source->spec(), loaded->adapted, options, error);
  if (!module)
    return diagnostics.fail(error);

  std::error_code ec;
  auto out = std::make_unique<llvm::ToolOutputFile>(output, ec, llvm::sys::fs::OF_Text);
  if (ec)
    return fail(output + ": cannot write: " + ec.message());
  module->print(out->os());
  out->os().flush();
  if (out->os().has_error())
    return fail(output + ": write failed: " + out->os().error().message());
  out->keep();
  return 0;
}

} // namespace slimtune::cli
