//===- SlimDialect.td - the slim dialect -------------------------------------------------===//
//
// The dialect definition shared by every other .td file of the dialect.
//
//===-------------------------------------------------------------------------------------===//

#ifndef SLIM_DIALECT_TD
#define SLIM_DIALECT_TD

include "mlir/IR/OpBase.td"

def Slim_Dialect : Dialect {
  let name = "slim";
  let cppNamespace = "::mlir::slim";
  let summary = "Training steps of adapter fine-tuning, with every saved activation explicit";
  let description = [{
    The `slim` dialect expresses the training step of a decoder language model fine-tuned
    with adapters (LoRA and its relatives): embeddings, norms, linear layers with adapters,
    rotary embeddings, causal attention, activations and the loss, on ranked tensors of
    `f32`, `f16` or `bf16` (token ids are `i32`).

    A graph is a `func.func`. Its parameters are function arguments that carry their
    checkpoint tensor name and whether they train (`slim.param`); the batch arrives as
    arguments marked `slim.input` (`"tokens"`, `"targets"`). Weights never appear in the IR:
    the runtime binds them by name.

    ```mlir
    func.func @forward(
        %wte: tensor<512x64xf32> {slim.param = #slim.param<"model.embed_tokens.weight", frozen>},
        %ids: tensor<2x16xi32> {slim.input = "tokens"}) -> tensor<2x16x64xf32> {
      %x = slim.embedding %wte[%ids] : tensor<512x64xf32>, tensor<2x16xi32> -> tensor<2x16x64xf32>
      return %x : tensor<2x16x64xf32>
    }
    ```

    Everything a training step keeps from its forward part for its backward part goes
    through `slim.stash` / `slim.unstash`; memory passes are rewrites of those pairs.
  }];
  let useDefaultAttributePrinterParser = 1;
  let useDefaultTypePrinterParser = 1;
  let hasRegionArgAttrVerify = 1;
  let hasRegionResultAttrVerify = 1;
  let hasOperationAttrVerify = 1;
  let extraClassDeclaration = [{
    /// The argument attribute naming a parameter's checkpoint tensor and role.
    static constexpr ::llvm::StringLiteral kParamAttrName = "slim.param";
    /// The argument attribute marking a step input: "tokens", "targets", "step" or "lr".
    static constexpr ::llvm::StringLiteral kInputAttrName = "slim.input";
    /// The argument attribute naming an optimizer state tensor ("<param>.exp_avg", ...).
    static constexpr ::llvm::StringLiteral kStateAttrName = "slim.state";
    /// Result attributes of a training step: a named output ("loss", "grad_norm"),
    /// the gradient of a parameter (its name), or the new value of argument #N.
    static constexpr ::llvm::StringLiteral kOutputAttrName = "slim.output";
    static constexpr ::llvm::StringLiteral kGradAttrName = "slim.grad";
    static constexpr ::llvm::StringLiteral kUpdatesAttrName = "slim.updates";
    /// Function attributes of a step: the learning-rate schedule slim-optimizer was given
    /// (what the runtime follows when a caller gives no rate), and the adapter configuration
    /// the graph was imported with (PEFT's adapter_config.json, carried into checkpoints).
    static constexpr ::llvm::StringLiteral kLrScheduleAttrName = "slim.lr_schedule";
    static constexpr ::llvm::StringLiteral kAdapterConfigAttrName = "slim.adapter_config";
    /// On a forward op (slim-reversible, slim-remat): the backward runs the op again on its saved
    /// operands instead of stashing its results.
    static constexpr ::llvm::StringLiteral kRecomputeAttrName = "slim.recompute";
    /// On a slim.scaled_add coupling (slim-reversible): the backward rebuilds its lhs from
    /// its result and rhs (ScaledAddOp::reconstructLhs) instead of stashing it.
    static constexpr ::llvm::StringLiteral kReconstructAttrName = "slim.reconstruct";
    /// On a forward op (slim-remat): its result is the stream a recomputed layer starts
    /// from, stashed exact (slim-compress-stashes leaves it alone).
    static constexpr ::llvm::StringLiteral kCheckpointAttrName = "slim.checkpoint";
    /// On a step function (slim-remat): what it chose to recompute, for the memory report.
    static constexpr ::llvm::StringLiteral kRematAttrName = "slim.remat";

  private:
    void registerAttributes();
    void registerTypes();
  public:
  }];
}

#endif // SLIM_DIALECT_TD
