//===- SlimAttrs.td - attributes of the slim dialect -------------------------------------===//

#ifndef SLIM_ATTRS_TD
#define SLIM_ATTRS_TD

include "dialects/slim/SlimDialect.td"
include "dialects/slim/SlimEnums.td"
include "dialects/slim/SlimInterfaces.td"
include "mlir/IR/AttrTypeBase.td"

class Slim_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<Slim_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

def Slim_ParamAttr : Slim_Attr<"Param", "param"> {
  let summary = "A parameter's checkpoint tensor name and role";
  let description = [{
    Marks a function argument as a model or adapter parameter. `name` is the tensor's name
    in the checkpoint it is bound from (Hugging Face or PEFT naming); `role` says whether it
    trains. The runtime binds arguments by this name; no weight value enters the IR.

    ```mlir
    %w: tensor<64x64xf32> {slim.param = #slim.param<"model.layers.0.self_attn.q_proj.weight", frozen>}
    %a: tensor<8x64xf32> {slim.param = #slim.param<"base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight", trainable>}
    ```
  }];
  let parameters = (ins
    StringRefParameter<"checkpoint tensor name">:$name,
    EnumParameter<Slim_ParamRole>:$role
  );
  let assemblyFormat = "`<` $name `,` $role `>`";
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    bool isTrainable() const { return getRole() == ParamRole::trainable; }
  }];
}

def Slim_QuantEncodingAttr : Slim_Attr<"QuantEncoding", "quant",
    [DeclareAttrInterfaceMethods<Slim_StashEncodingAttrInterface>]> {
  let summary = "A stash kept as b-bit codes with a per-group scale and shift";
  let description = [{
    The stashed tensor is split along its last dimension into groups of `group` elements
    (the last group of each row shorter when `group` does not divide the dimension, so a
    model of any width is compressed); each group keeps fp32 scale and shift and one
    `bits`-wide code per element:
    q = clamp(round((x − shift)·scale), 0, 2^bits − 1). `rounding` is nearest or stochastic
    (counter-based, reproducible); `range` takes each group's range from the current batch
    (`batch`: each row's group its own minimum and maximum, nothing clamped), or from an
    exponential moving average per stash site and channel group (`ema`, Mesa's: minimum and
    maximum over all rows, r ← decay·r + (1 − decay)·r_batch with `decay` 0.9 unless given,
    the batch's own at step 0; values outside are clamped).

    ```mlir
    %h = slim.stash %x encoding(#slim.quant<bits = 8, group = 64, rounding = nearest, range = batch>) : tensor<2x16x64xf32>
    ```
  }];
  let parameters = (ins
    "unsigned":$bits,
    "int64_t":$group,
    EnumParameter<Slim_Rounding>:$rounding,
    EnumParameter<Slim_QuantRange>:$range,
    DefaultValuedParameter<"::mlir::slim::RangeDecay", "::mlir::slim::RangeDecay{0.9}",
                           "weight of the old range in the moving average">:$decay
  );
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// Groups in a row of `channels`: ceil(channels / group).
    int64_t getGroupsPerRow(int64_t channels) const;
  }];
}

#endif // SLIM_ATTRS_TD
