//===- ImportModel.h - model + adapters -> slim forward graph ----------------------------===//
//
// Builds the forward training graph (next-token loss) of a LLaMA- or GPT-2-family model with
// its LoRA adapters in the slim dialect. Parameters become function arguments named by their
// checkpoint tensor names (adapters by their PEFT names); no weight value enters the IR.
//
//===-------------------------------------------------------------------------------------===//

#ifndef SLIMTUNE_COMPILER_IMPORT_IMPORTMODEL_H
#define SLIMTUNE_COMPILER_IMPORT_IMPORTMODEL_H

#include "slimtune/adapter.h"
#include "slimtune/model.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include <string>
#include <vector>

namespace slimtune {

struct ImportOptions {
  int64_t batch = 0;
  int64_t seq = 0;
  double loraDropout = 0; // the adapter config's lora_dropout
  // The adapter configuration's text (adapter_config.json), recorded on the graph so that
  // the compiled step carries it into checkpoints (which then export); "" for none.
  std::string adapterConfig;
  // How the frozen weight matrices (the linear layers', the token embedding) are kept
  // (`--precision`, isFrozenPrecision): "fp32"; "bf16" (half their memory; the kernels
  // multiply bf16-rounded activations by them and accumulate in f32); "q8" (ggml Q8_0 blocks,
  // 8.5 bits a weight) or "q4" (Q4_1 blocks, 5 bits, for the layers; the vocabulary's
  // matrices Q8_0), decoded exactly to f32 inside the kernels. Norm scales, biases, position
  // embeddings and adapters stay f32.
  std::string frozenPrecision = "fp32";
};

// Whether `precision` is one --precision takes: fp32, bf16, q8, q4.
inline bool isFrozenPrecision(const std::string &precision) {
  return precision == "fp32" || precision == "bf16" || precision == "q8" || precision == "q4";
}

// The graph as a module holding `func.func @forward(params..., tokens, targets) -> loss`.
// Fails (with `error` set) when the batch shape does not fit the model.
mlir::OwningOpRef<mlir::ModuleOp> importModel(mlir::MLIRContext &context, const ModelSpec &spec,
                                              const std::vector<AdaptedLinear> &adapters,
                                              const ImportOptions &options,
                                              std::string &error);

} // namespace slimtune

#endif // SLIMTUNE_COMPILER_IMPORT_IMPORTMODEL_H
