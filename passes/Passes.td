//===- Passes.td - slim -> slim passes ---------------------------------------------------===//
//
// Every pass slimtune runs on the slim dialect. Each states whether it is exact (same numbers
// up to floating-point reassociation) or approximate (with its error bound).
//
//===-------------------------------------------------------------------------------------===//

#ifndef SLIMTUNE_PASSES_TD
#define SLIMTUNE_PASSES_TD

include "mlir/Pass/PassBase.td"

def SlimInferShapes : Pass<"slim-infer-shapes", "::mlir::func::FuncOp"> {
  let summary = "Give a graph's batch and sequence dimensions and infer every shape from them";
  let description = [{
    A graph may leave its batch and sequence dimensions open (`?`) so that one file serves
    every batch shape. This pass sets them on the `slim.input` arguments from the `batch`
    and `seq` options (a dimension already static must agree), then recomputes every slim
    op's result type from its operands with the op's shape rule, and finally the function's
    result types. Checks that only static shapes can make (a sequence longer than the
    position table, say) run here and fail the pass with a diagnostic on the op.

    Exact: only types change.

    Before (`--slim-infer-shapes="batch=2 seq=16"`):
    ```mlir
    func.func @f(%w: tensor<512x64xf32> {slim.param = #slim.param<"wte", frozen>},
                 %ids: tensor<?x?xi32> {slim.input = "tokens"}) -> tensor<?x?x64xf32> {
      %x = slim.embedding %w[%ids] : tensor<512x64xf32>, tensor<?x?xi32> -> tensor<?x?x64xf32>
      return %x : tensor<?x?x64xf32>
    }
    ```
    After:
    ```mlir
    func.func @f(%w: tensor<512x64xf32> {slim.param = #slim.param<"wte", frozen>},
                 %ids: tensor<2x16xi32> {slim.input = "tokens"}) -> tensor<2x16x64xf32> {
      %x = slim.embedding %w[%ids] : tensor<512x64xf32>, tensor<2x16xi32> -> tensor<2x16x64xf32>
      return %x : tensor<2x16x64xf32>
    }
    ```
  }];
  let options = [
    Option<"batch", "batch", "int64_t", /*default=*/"0",
           "Batch size for the inputs' first dimension (0: leave it as written)">,
    Option<"seq", "seq", "int64_t", /*default=*/"0",
           "Sequence length for the inputs' second dimension (0: leave it as written)">
  ];
  let dependentDialects = [];
}

#endif // SLIMTUNE_PASSES_TD
