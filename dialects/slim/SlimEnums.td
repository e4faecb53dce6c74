//===- SlimEnums.td - enumerations used by slim ops and attributes -----------------------===//

#ifndef SLIM_ENUMS_TD
#define SLIM_ENUMS_TD

include "mlir/IR/EnumAttr.td"

// How a linear layer's weight is stored. nn.Linear stores [out, in]; GPT-2's Conv1D stores
// [in, out]. Keeping the checkpoint's layout avoids a transposed copy of every frozen weight.
def Slim_WeightLayout : I32EnumAttr<"WeightLayout", "storage layout of a linear weight", [
    I32EnumAttrCase<"out_in", 0>,
    I32EnumAttrCase<"in_out", 1>
  ]> {
  let cppNamespace = "::mlir::slim";
}

def Slim_GeluApproximation : I32EnumAttr<"GeluApproximation",
    "which GELU: exact erf, or the tanh approximation (GPT-2's gelu_new)", [
    I32EnumAttrCase<"none", 0>,
    I32EnumAttrCase<"tanh", 1>
  ]> {
  let cppNamespace = "::mlir::slim";
}

// A frozen weight kept as ggml's blocks of 32 consecutive elements of a row (--precision
// q8, q4): Q8_0 = an fp16 scale d and 32 int8 codes (34 bytes, x = d*q); Q4_0 = d and 32
// 4-bit codes (18 bytes, x = d*(q-8)); Q4_1 = d, an fp16 minimum m and 32 4-bit codes
// (20 bytes, x = d*q + m). The layouts GGUF files store, so a file's blocks are bound as
// they are.
def Slim_BlockFormat : I32EnumAttr<"BlockFormat", "ggml block format of a frozen weight", [
    I32EnumAttrCase<"q8_0", 0>,
    I32EnumAttrCase<"q4_0", 1>,
    I32EnumAttrCase<"q4_1", 2>
  ]> {
  let cppNamespace = "::mlir::slim";
}

def Slim_ParamRole : I32EnumAttr<"ParamRole", "whether a parameter trains", [
    I32EnumAttrCase<"frozen", 0>,
    I32EnumAttrCase<"trainable", 1>
  ]> {
  let cppNamespace = "::mlir::slim";
}

def Slim_Rounding : I32EnumAttr<"Rounding", "rounding of quantized stash codes", [
    I32EnumAttrCase<"nearest", 0>,
    I32EnumAttrCase<"stochastic", 1>
  ]> {
  let cppNamespace = "::mlir::slim";
}

def Slim_QuantRange : I32EnumAttr<"QuantRange",
    "where a quantized stash takes each group's range from", [
    I32EnumAttrCase<"batch", 0>,
    I32EnumAttrCase<"ema", 1>
  ]> {
  let cppNamespace = "::mlir::slim";
}

// The step functions whose derivatives replace SiLU's and GELU's in Approx-BP
// (docs/techniques.md): a 4-level derivative, so the backward needs only a 2-bit segment index per element.
def Slim_ApproxActivation : I32EnumAttr<"ApproxActivation",
    "the 2-bit derivative approximation of an activation (Approx-BP)", [
    I32EnumAttrCase<"resilu2", 0>,
    I32EnumAttrCase<"regelu2", 1>
  ]> {
  let cppNamespace = "::mlir::slim";
}

// Which normalization slim.normalize computes (the affine part stays outside it, in
// slim.scale_shift, so that memory-sharing backprop can stash the normalized value).
def Slim_NormKind : I32EnumAttr<"NormKind", "RMSNorm or LayerNorm, without the affine part", [
    I32EnumAttrCase<"rms", 0>,
    I32EnumAttrCase<"layer", 1>
  ]> {
  let cppNamespace = "::mlir::slim";
}

#endif // SLIM_ENUMS_TD
