//===- SlimTypes.td - types of the slim dialect ------------------------------------------===//

#ifndef SLIM_TYPES_TD
#define SLIM_TYPES_TD

include "dialects/slim/SlimDialect.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/BuiltinTypes.td"
include "mlir/IR/EnumAttr.td"
include "dialects/slim/SlimEnums.td"

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

def Slim_BlocksType : TypeDef<Slim_Dialect, "Blocks"> {
  let mnemonic = "blocks";
  let summary = "An element of a frozen weight stored in ggml blocks of 32 along its rows";
  let description = [{
    The element type of a frozen weight kept as ggml blocks (`--precision q8|q4`): the
    tensor's shape is the weight's logical one, its last dimension a multiple of 32, and each
    row of that dimension is stored as consecutive blocks of the format (Q8_0: 34 bytes per 32
    elements; Q4_0: 18; Q4_1: 20). Only kernels that decode blocks read it: the linear layers
    (forward and input gradient), the embedding gather and the fused head and loss.

    ```mlir
    tensor<1536x576x!slim.blocks<q4_1>>
    ```
  }];
  let parameters = (ins EnumParameter<Slim_BlockFormat>:$format);
  let assemblyFormat = "`<` $format `>`";
  let extraClassDeclaration = [{
    static constexpr int64_t kBlockElements = 32;
    // Bytes of one block of 32 elements.
    int64_t getBlockBytes() const;
    // Bytes of a tensor of `elements` (a multiple of 32) in this format.
    int64_t getStoredBytes(int64_t elements) const {
      return elements / kBlockElements * getBlockBytes();
    }
  }];
}

#endif // SLIM_TYPES_TD
