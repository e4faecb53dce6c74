//===- SlimTypes.td - types of the slim dialect ------------------------------------------===//

#ifndef SLIM_TYPES_TD
#define SLIM_TYPES_TD

include "dialects/slim/SlimDialect.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/BuiltinTypes.td"

def Slim_StashType : TypeDef<Slim_Dialect, "Stash"> {
  let mnemonic = "stash";
  let summary = "A value kept from forward for backward";
  let description = [{
    The handle `slim.stash` returns and `slim.unstash` reads. It carries the logical tensor
    type; how many bytes the handle holds depends on the stash's encoding. A distinct type
    keeps forward values from being used in backward except through `slim.unstash`.

    ```mlir
    !slim.stash<tensor<2x16x64xf32>>
    ```
  }];
  let parameters = (ins "::mlir::RankedTensorType":$tensorType);
  let builders = [
    TypeBuilderWithInferredContext<(ins "::mlir::RankedTensorType":$tensorType), [{
      return $_get(tensorType.getContext(), tensorType);
    }]>
  ];
  let assemblyFormat = "`<` $tensorType `>`";
}

#endif // SLIM_TYPES_TD
