// Every verifier rule of the slim dialect, each with the diagnostic it gives.
// RUN: slimtune-opt %s -split-input-file -verify-diagnostics

//===----------------------------------------------------------------------===//
// Argument attributes
//===----------------------------------------------------------------------===//

// A parameter needs a #slim.param attribute.
// expected-error @+1 {{argument #0: 'slim.param' expects a #slim.param attribute, got "wte"}}
func.func @negative_param_not_attr(%w: tensor<4x4xf32> {slim.param = "wte"}) {
  return
}

// -----

// A parameter's shape comes from the checkpoint: it must be static.
// expected-error @+1 {{argument #0: 'slim.param' expects a statically shaped tensor of f32, f16, bf16 or !slim.blocks}}
func.func @negative_param_dynamic(%w: tensor<?x4xf32> {slim.param = #slim.param<"w", frozen>}) {
  return
}

// -----

// expected-error @+1 {{argument #0: 'slim.param' expects a statically shaped tensor of f32, f16, bf16 or !slim.blocks}}
func.func @negative_param_integer(%w: tensor<4x4xi32> {slim.param = #slim.param<"w", frozen>}) {
  return
}

// -----

// Weights in ggml blocks are frozen matrices whose rows are whole blocks of 32.
// expected-error @+1 {{argument #0: 'slim.param' a trainable parameter must be floats, got 'tensor<4x32x!slim.blocks<q8_0>>'}}
func.func @negative_param_blocks_trainable(%w: tensor<4x32x!slim.blocks<q8_0>> {slim.param = #slim.param<"w", trainable>}) {
  return
}

// -----

// expected-error @+1 {{argument #0: 'slim.param' expects a matrix whose rows are a multiple of 32 elements in blocks, got 'tensor<4x48x!slim.blocks<q4_1>>'}}
func.func @negative_param_blocks_partial(%w: tensor<4x48x!slim.blocks<q4_1>> {slim.param = #slim.param<"w", frozen>}) {
  return
}

// -----

// expected-error @+2 {{expected ::mlir::slim::BlockFormat to be one of: q8_0, q4_0, q4_1}}
// expected-error @+1 {{failed to parse Slim_BlocksType parameter 'format'}}
func.func @negative_blocks_format(%w: tensor<4x32x!slim.blocks<q5_0>>) {
  return
}

// -----

// expected-error @+1 {{argument #0 is marked both 'slim.param' and 'slim.input'}}
func.func @negative_param_and_input(%w: tensor<4x4xf32> {slim.param = #slim.param<"w", frozen>, slim.input = "tokens"}) {
  return
}

// -----

// Two arguments bound to one checkpoint tensor would alias silently.
// expected-error @+1 {{argument #1: 'slim.param' binds "w", already bound to argument #0}}
func.func @negative_param_duplicate(%a: tensor<4x4xf32> {slim.param = #slim.param<"w", frozen>},
                                    %b: tensor<4x4xf32> {slim.param = #slim.param<"w", trainable>}) {
  return
}

// -----

// expected-error @+1 {{#slim.param needs a non-empty checkpoint tensor name}}
func.func @negative_param_empty_name(%w: tensor<4x4xf32> {slim.param = #slim.param<"", frozen>}) {
  return
}

// -----

// expected-error @+1 {{argument #0: 'slim.input' expects "tokens", "targets", "step" or "lr", got "labels"}}
func.func @negative_input_kind(%ids: tensor<2x16xi32> {slim.input = "labels"}) {
  return
}

// -----

// expected-error @+1 {{argument #0: 'slim.input' expects a tensor<BxTxi32> ([batch, seq] token ids), got 'tensor<2x16xi64>'}}
func.func @negative_input_type(%ids: tensor<2x16xi64> {slim.input = "tokens"}) {
  return
}

// -----

// expected-error @+1 {{argument #0: unknown slim argument attribute 'slim.weight'}}
func.func @negative_unknown_arg_attr(%w: tensor<4x4xf32> {slim.weight = "w"}) {
  return
}

//===----------------------------------------------------------------------===//
// Stash encodings
//===----------------------------------------------------------------------===//

// -----

func.func @negative_quant_bits(%x: tensor<2x64xf32>) {
  // expected-error @+1 {{#slim.quant bits must be 2, 4 or 8, got 3}}
  %h = slim.stash %x encoding(#slim.quant<bits = 3, group = 64, rounding = nearest, range = batch>) : tensor<2x64xf32>
  return
}

// -----

func.func @negative_quant_group(%x: tensor<2x64xf32>) {
  // expected-error @+1 {{#slim.quant group must be positive, got 0}}
  %h = slim.stash %x encoding(#slim.quant<bits = 8, group = 0, rounding = nearest, range = batch>) : tensor<2x64xf32>
  return
}

// -----

// A group that does not divide the width is fine (a shorter last group per row), but the
// moving range must then have ceil(100 / 64) = 2 channel groups.
func.func @negative_quant_ragged_range(%x: tensor<2x100xf32>, %r: tensor<1x2xf32>) {
  // expected-error @+1 {{'slim.stash' op range state has type 'tensor<1x2xf32>', expected 'tensor<2x2xf32>'}}
  %h = slim.stash %x range(%r : tensor<1x2xf32>) encoding(#slim.quant<bits = 8, group = 64, rounding = nearest, range = ema>) : tensor<2x100xf32>
  return
}

// -----

func.func @negative_quant_integer(%x: tensor<2x64xi32>) {
  // expected-error @+1 {{'slim.stash' op #slim.quant encodes float tensors, not 'tensor<2x64xi32>'}}
  %h = slim.stash %x encoding(#slim.quant<bits = 8, group = 64, rounding = nearest, range = batch>) : tensor<2x64xi32>
  return
}

// -----

func.func @negative_quant_scalar(%x: tensor<f32>) {
  // expected-error @+1 {{'slim.stash' op #slim.quant needs a tensor of rank >= 1}}
  %h = slim.stash %x encoding(#slim.quant<bits = 8, group = 64, rounding = nearest, range = batch>) : tensor<f32>
  return
}

// -----

func.func @negative_stash_ema_without_state(%x: tensor<2x64xf32>) {
  // expected-error @+1 {{'slim.stash' op a range = ema encoding needs a range state operand}}
  %h = slim.stash %x encoding(#slim.quant<bits = 8, group = 64, rounding = nearest, range = ema>) : tensor<2x64xf32>
  return
}

// -----

func.func @negative_stash_state_without_ema(%x: tensor<2x64xf32>, %r: tensor<1x2xf32>) {
  // expected-error @+1 {{'slim.stash' op a range state operand needs a range = ema encoding}}
  %h = slim.stash %x range(%r : tensor<1x2xf32>) encoding(#slim.quant<bits = 8, group = 64, rounding = nearest, range = batch>) : tensor<2x64xf32>
  return
}

// -----

func.func @negative_stash_state_shape(%x: tensor<2x64xf32>, %r: tensor<2x2xf32>) {
  // expected-error @+1 {{'slim.stash' op range state has type 'tensor<2x2xf32>', expected 'tensor<1x2xf32>'}}
  %h = slim.stash %x range(%r : tensor<2x2xf32>) encoding(#slim.quant<bits = 8, group = 64, rounding = nearest, range = ema>) : tensor<2x64xf32>
  return
}

// -----

func.func @negative_stash_type(%x: tensor<2x64xf32>) {
  // expected-error @+1 {{'slim.stash' op failed to verify that result is a stash of the input's type}}
  %h = "slim.stash"(%x) : (tensor<2x64xf32>) -> !slim.stash<tensor<2x32xf32>>
  return
}

// -----

func.func @negative_unstash_type(%h: !slim.stash<tensor<2x64xf32>>) {
  // expected-error @+1 {{'slim.unstash' op failed to verify that result is the stashed tensor type}}
  %x = "slim.unstash"(%h) : (!slim.stash<tensor<2x64xf32>>) -> tensor<2x64xf16>
  return
}

//===----------------------------------------------------------------------===//
// Embeddings
//===----------------------------------------------------------------------===//

// -----

func.func @negative_embedding_table_rank(%t: tensor<512xf32>, %ids: tensor<2x16xi32>) {
  // expected-error @+1 {{'slim.embedding' op expects a table of rank 2 ([rows, channels]), got 'tensor<512xf32>'}}
  %x = slim.embedding %t[%ids] : tensor<512xf32>, tensor<2x16xi32> -> tensor<2x16x64xf32>
  return
}

// -----

func.func @negative_embedding_result(%t: tensor<512x64xf32>, %ids: tensor<2x16xi32>) {
  // expected-error @+1 {{'slim.embedding' op result #0 has type 'tensor<2x16x32xf32>', but its operands and attributes give 'tensor<2x16x64xf32>'}}
  %x = slim.embedding %t[%ids] : tensor<512x64xf32>, tensor<2x16xi32> -> tensor<2x16x32xf32>
  return
}

// -----

func.func @negative_embedding_element_type(%t: tensor<512x64xf32>, %ids: tensor<2x16xi32>) {
  // expected-error @+1 {{'slim.embedding' op result #0 has type 'tensor<2x16x64xf16>', but its operands and attributes give 'tensor<2x16x64xf32>'}}
  %x = slim.embedding %t[%ids] : tensor<512x64xf32>, tensor<2x16xi32> -> tensor<2x16x64xf16>
  return
}

// -----

func.func @negative_embedding_ids_type(%t: tensor<512x64xf32>, %ids: tensor<2x16xf32>) {
  // expected-error @+1 {{'slim.embedding' op operand #1 must be ranked tensor of 32-bit signless integer values}}
  %x = slim.embedding %t[%ids] : tensor<512x64xf32>, tensor<2x16xf32> -> tensor<2x16x64xf32>
  return
}

// -----

func.func @negative_position_embedding_ids_rank(%t: tensor<128x64xf32>, %ids: tensor<32xi32>) {
  // expected-error @+1 {{'slim.position_embedding' op expects ids of rank 2 ([batch, seq]), got 'tensor<32xi32>'}}
  %x = slim.position_embedding %t[%ids] : tensor<128x64xf32>, tensor<32xi32> -> tensor<1x32x64xf32>
  return
}

// -----

func.func @negative_position_embedding_too_long(%t: tensor<128x64xf32>, %ids: tensor<2x256xi32>) {
  // expected-error @+1 {{'slim.position_embedding' op sequence length 256 exceeds the table's 128 positions}}
  %x = slim.position_embedding %t[%ids] : tensor<128x64xf32>, tensor<2x256xi32> -> tensor<2x256x64xf32>
  return
}

//===----------------------------------------------------------------------===//
// Norms
//===----------------------------------------------------------------------===//

// -----

func.func @negative_rms_norm_epsilon(%x: tensor<2x16x64xf32>) {
  // expected-error @+1 {{'slim.rms_norm' op expects epsilon > 0, got 0}}
  %y = slim.rms_norm %x epsilon 0.0 : (tensor<2x16x64xf32>) -> tensor<2x16x64xf32>
  return
}

// -----

func.func @negative_normalize_epsilon(%x: tensor<2x16x64xf32>) {
  // expected-error @+1 {{'slim.normalize' op expects epsilon > 0, got 0}}
  %z, %r = slim.normalize %x kind rms epsilon 0.0 : tensor<2x16x64xf32> -> (tensor<2x16x64xf32>, tensor<2x16xf32>)
  return
}

// -----

func.func @negative_normalize_rstd_type(%x: tensor<2x16x64xf32>) {
  // expected-error @+1 {{'slim.normalize' op result #1 has type 'tensor<2x16x64xf32>', but its operands and attributes give 'tensor<2x16xf32>'}}
  %z, %r = slim.normalize %x kind rms epsilon 1.0e-5 : tensor<2x16x64xf32> -> (tensor<2x16x64xf32>, tensor<2x16x64xf32>)
  return
}

// -----

func.func @negative_scale_shift_size(%x: tensor<2x16x64xf32>, %g: tensor<64xf32>, %b: tensor<32xf32>) {
  // expected-error @+1 {{'slim.scale_shift' op shift has 32 elements but the last dimension has 64}}
  %y = slim.scale_shift %x scale %g shift %b : (tensor<2x16x64xf32>, tensor<64xf32>, tensor<32xf32>) -> tensor<2x16x64xf32>
  return
}

// -----

func.func @negative_rms_norm_scale_size(%x: tensor<2x16x64xf32>, %g: tensor<32xf32>) {
  // expected-error @+1 {{'slim.rms_norm' op scale has 32 elements but the last dimension has 64}}
  %y = slim.rms_norm %x scale %g epsilon 1.0e-5 : (tensor<2x16x64xf32>, tensor<32xf32>) -> tensor<2x16x64xf32>
  return
}

// -----

func.func @negative_rms_norm_scale_rank(%x: tensor<2x16x64xf32>, %g: tensor<1x64xf32>) {
  // expected-error @+1 {{'slim.rms_norm' op expects scale of rank 1 ([channels]), got 'tensor<1x64xf32>'}}
  %y = slim.rms_norm %x scale %g epsilon 1.0e-5 : (tensor<2x16x64xf32>, tensor<1x64xf32>) -> tensor<2x16x64xf32>
  return
}

// -----

func.func @negative_rms_norm_scale_type(%x: tensor<2x16x64xf32>, %g: tensor<64xbf16>) {
  // expected-error @+1 {{'slim.rms_norm' op expects scale with element type 'f32', got 'bf16'}}
  %y = slim.rms_norm %x scale %g epsilon 1.0e-5 : (tensor<2x16x64xf32>, tensor<64xbf16>) -> tensor<2x16x64xf32>
  return
}

// -----

func.func @negative_rms_norm_scalar(%x: tensor<f32>) {
  // expected-error @+1 {{'slim.rms_norm' op expects an input of rank >= 1, got 'tensor<f32>'}}
  %y = slim.rms_norm %x epsilon 1.0e-5 : (tensor<f32>) -> tensor<f32>
  return
}

// -----

func.func @negative_layer_norm_shift(%x: tensor<2x16x64xf32>, %b: tensor<63xf32>) {
  // expected-error @+1 {{'slim.layer_norm' op shift has 63 elements but the last dimension has 64}}
  %y = slim.layer_norm %x shift %b epsilon 1.0e-5 : (tensor<2x16x64xf32>, tensor<63xf32>) -> tensor<2x16x64xf32>
  return
}

// -----

func.func @negative_layer_norm_epsilon(%x: tensor<2x16x64xf32>) {
  // expected-error @+1 {{'slim.layer_norm' op expects epsilon > 0, got -1}}
  %y = slim.layer_norm %x epsilon -1.0 : (tensor<2x16x64xf32>) -> tensor<2x16x64xf32>
  return
}

//===----------------------------------------------------------------------===//
// Linear layers and adapters
//===----------------------------------------------------------------------===//

// -----

func.func @negative_linear_weight_rank(%x: tensor<2x16x64xf32>, %w: tensor<64xf32>) {
  // expected-error @+1 {{'slim.linear' op expects a weight of rank 2 ([out, in] for layout out_in), got 'tensor<64xf32>'}}
  %y = slim.linear %x, %w : (tensor<2x16x64xf32>, tensor<64xf32>) -> tensor<2x16x64xf32>
  return
}

// -----

func.func @negative_linear_in_features(%x: tensor<2x16x64xf32>, %w: tensor<128x32xf32>) {
  // expected-error @+1 {{'slim.linear' op weight of shape [128, 32] (layout out_in) takes 32 input features, but the input has 64}}
  %y = slim.linear %x, %w : (tensor<2x16x64xf32>, tensor<128x32xf32>) -> tensor<2x16x128xf32>
  return
}

// -----

// A Conv1D weight read as nn.Linear: the layout decides which dimension is "in".
func.func @negative_linear_in_out(%x: tensor<2x16x64xf32>, %w: tensor<192x64xf32>) {
  // expected-error @+1 {{'slim.linear' op weight of shape [192, 64] (layout in_out) takes 192 input features, but the input has 64}}
  %y = slim.linear %x, %w layout in_out : (tensor<2x16x64xf32>, tensor<192x64xf32>) -> tensor<2x16x64xf32>
  return
}

// -----

func.func @negative_linear_bias(%x: tensor<2x16x64xf32>, %w: tensor<128x64xf32>, %b: tensor<64xf32>) {
  // expected-error @+1 {{'slim.linear' op bias has 64 elements but the last dimension has 128}}
  %y = slim.linear %x, %w bias %b : (tensor<2x16x64xf32>, tensor<128x64xf32>, tensor<64xf32>) -> tensor<2x16x128xf32>
  return
}

// -----

// A weight may be bf16 with an f32 input (frozen weights kept in bf16); no other mix.
func.func @negative_linear_weight_type(%x: tensor<2x16x64xf32>, %w: tensor<128x64xf16>) {
  // expected-error @+1 {{'slim.linear' op expects a weight with element type 'f32', got 'f16'}}
  %y = slim.linear %x, %w : (tensor<2x16x64xf32>, tensor<128x64xf16>) -> tensor<2x16x128xf32>
  return
}

// -----

func.func @negative_linear_bf16_weight_bf16_input(%x: tensor<2x16x64xf16>, %w: tensor<128x64xbf16>) {
  // expected-error @+1 {{'slim.linear' op expects a weight with element type 'f16', got 'bf16'}}
  %y = slim.linear %x, %w : (tensor<2x16x64xf16>, tensor<128x64xbf16>) -> tensor<2x16x128xf16>
  return
}

// -----

func.func @negative_linear_result(%x: tensor<2x16x64xf32>, %w: tensor<128x64xf32>) {
  // expected-error @+1 {{'slim.linear' op result #0 has type 'tensor<2x16x64xf32>', but its operands and attributes give 'tensor<2x16x128xf32>'}}
  %y = slim.linear %x, %w : (tensor<2x16x64xf32>, tensor<128x64xf32>) -> tensor<2x16x64xf32>
  return
}

// -----

func.func @negative_lora_a_features(%x: tensor<2x16x64xf32>, %a: tensor<8x32xf32>, %b: tensor<64x8xf32>) {
  // expected-error @+1 {{'slim.lora' op lora_a of shape [8, 32] takes 32 input features, but the input has 64}}
  %y = slim.lora %x, %a, %b scale 2.0 : (tensor<2x16x64xf32>, tensor<8x32xf32>, tensor<64x8xf32>) -> tensor<2x16x64xf32>
  return
}

// -----

func.func @negative_lora_rank(%x: tensor<2x16x64xf32>, %a: tensor<8x64xf32>, %b: tensor<64x4xf32>) {
  // expected-error @+1 {{'slim.lora' op lora_a has rank 8 but lora_b of shape [64, 4] has rank 4}}
  %y = slim.lora %x, %a, %b scale 2.0 : (tensor<2x16x64xf32>, tensor<8x64xf32>, tensor<64x4xf32>) -> tensor<2x16x64xf32>
  return
}

// -----

func.func @negative_lora_a_rank(%x: tensor<2x16x64xf32>, %a: tensor<64xf32>, %b: tensor<64x8xf32>) {
  // expected-error @+1 {{'slim.lora' op expects lora_a of rank 2 ([rank, in]), got 'tensor<64xf32>'}}
  %y = slim.lora %x, %a, %b scale 2.0 : (tensor<2x16x64xf32>, tensor<64xf32>, tensor<64x8xf32>) -> tensor<2x16x64xf32>
  return
}

// -----

func.func @negative_lora_b_type(%x: tensor<2x16x64xf32>, %a: tensor<8x64xf32>, %b: tensor<64x8xf16>) {
  // expected-error @+1 {{'slim.lora' op expects lora_b with element type 'f32', got 'f16'}}
  %y = slim.lora %x, %a, %b scale 2.0 : (tensor<2x16x64xf32>, tensor<8x64xf32>, tensor<64x8xf16>) -> tensor<2x16x64xf32>
  return
}

// -----

func.func @negative_lora_dropout(%x: tensor<2x16x64xf32>, %a: tensor<8x64xf32>, %b: tensor<64x8xf32>) {
  // expected-error @+1 {{'slim.lora' op expects dropout in [0, 1), got 1}}
  %y = slim.lora %x, %a, %b scale 2.0 dropout 1.0 : (tensor<2x16x64xf32>, tensor<8x64xf32>, tensor<64x8xf32>) -> tensor<2x16x64xf32>
  return
}

// -----

func.func @negative_lora_scale(%x: tensor<2x16x64xf32>, %a: tensor<8x64xf32>, %b: tensor<64x8xf32>) {
  // expected-error @+1 {{'slim.lora' op expects a finite scale within fp32's range, got inf}}
  %y = slim.lora %x, %a, %b scale 0x7FF0000000000000 : (tensor<2x16x64xf32>, tensor<8x64xf32>, tensor<64x8xf32>) -> tensor<2x16x64xf32>
  return
}

// -----

// A merged weight: W [out, in] (or [in, out]), A [rank, in], B [out, rank], all of one type.
func.func @negative_merge_lora_weight_rank(%w: tensor<128xf32>, %a: tensor<8x64xf32>, %b: tensor<128x8xf32>) {
  // expected-error @+1 {{'slim.merge_lora' op expects a weight of rank 2 ([in, out] for layout in_out), got 'tensor<128xf32>'}}
  %y = slim.merge_lora %w, %a, %b scale 2.0 layout in_out : (tensor<128xf32>, tensor<8x64xf32>, tensor<128x8xf32>) -> tensor<128xf32>
  return
}

// -----

func.func @negative_merge_lora_a_rank(%w: tensor<128x64xf32>, %a: tensor<64xf32>, %b: tensor<128x8xf32>) {
  // expected-error @+1 {{'slim.merge_lora' op expects lora_a of rank 2 ([rank, in]), got 'tensor<64xf32>'}}
  %y = slim.merge_lora %w, %a, %b scale 2.0 : (tensor<128x64xf32>, tensor<64xf32>, tensor<128x8xf32>) -> tensor<128x64xf32>
  return
}

// -----

func.func @negative_merge_lora_b_rank(%w: tensor<128x64xf32>, %a: tensor<8x64xf32>, %b: tensor<1x128x8xf32>) {
  // expected-error @+1 {{'slim.merge_lora' op expects lora_b of rank 2 ([out, rank]), got 'tensor<1x128x8xf32>'}}
  %y = slim.merge_lora %w, %a, %b scale 2.0 : (tensor<128x64xf32>, tensor<8x64xf32>, tensor<1x128x8xf32>) -> tensor<128x64xf32>
  return
}

// -----

func.func @negative_merge_lora_type(%w: tensor<128x64xf32>, %a: tensor<8x64xbf16>, %b: tensor<128x8xf32>) {
  // expected-error @+1 {{'slim.merge_lora' op expects lora_a with element type 'f32', got 'bf16'}}
  %y = slim.merge_lora %w, %a, %b scale 2.0 : (tensor<128x64xf32>, tensor<8x64xbf16>, tensor<128x8xf32>) -> tensor<128x64xf32>
  return
}

// -----

func.func @negative_merge_lora_b_type(%w: tensor<128x64xf32>, %a: tensor<8x64xf32>, %b: tensor<128x8xf16>) {
  // expected-error @+1 {{'slim.merge_lora' op expects lora_b with element type 'f32', got 'f16'}}
  %y = slim.merge_lora %w, %a, %b scale 2.0 : (tensor<128x64xf32>, tensor<8x64xf32>, tensor<128x8xf16>) -> tensor<128x64xf32>
  return
}

// -----

func.func @negative_merge_lora_in_features(%w: tensor<128x64xf32>, %a: tensor<8x32xf32>, %b: tensor<128x8xf32>) {
  // expected-error @+1 {{'slim.merge_lora' op lora_a of shape [8, 32] takes 32 input features, but the weight of shape [128, 64] (layout out_in) has 64}}
  %y = slim.merge_lora %w, %a, %b scale 2.0 : (tensor<128x64xf32>, tensor<8x32xf32>, tensor<128x8xf32>) -> tensor<128x64xf32>
  return
}

// -----

// The layout decides which dimension of the weight is which: [128, 64] in_out takes 128.
func.func @negative_merge_lora_layout(%w: tensor<128x64xf32>, %a: tensor<8x64xf32>, %b: tensor<128x8xf32>) {
  // expected-error @+1 {{'slim.merge_lora' op lora_a of shape [8, 64] takes 64 input features, but the weight of shape [128, 64] (layout in_out) has 128}}
  %y = slim.merge_lora %w, %a, %b scale 2.0 layout in_out : (tensor<128x64xf32>, tensor<8x64xf32>, tensor<128x8xf32>) -> tensor<128x64xf32>
  return
}

// -----

func.func @negative_merge_lora_out_features(%w: tensor<128x64xf32>, %a: tensor<8x64xf32>, %b: tensor<96x8xf32>) {
  // expected-error @+1 {{'slim.merge_lora' op lora_b of shape [96, 8] gives 96 output features, but the weight of shape [128, 64] (layout out_in) has 128}}
  %y = slim.merge_lora %w, %a, %b scale 2.0 : (tensor<128x64xf32>, tensor<8x64xf32>, tensor<96x8xf32>) -> tensor<128x64xf32>
  return
}

// -----

func.func @negative_merge_lora_rank(%w: tensor<128x64xf32>, %a: tensor<8x64xf32>, %b: tensor<128x4xf32>) {
  // expected-error @+1 {{'slim.merge_lora' op lora_a has rank 8 but lora_b of shape [128, 4] has rank 4}}
  %y = slim.merge_lora %w, %a, %b scale 2.0 : (tensor<128x64xf32>, tensor<8x64xf32>, tensor<128x4xf32>) -> tensor<128x64xf32>
  return
}

// -----

func.func @negative_merge_lora_scale(%w: tensor<128x64xf32>, %a: tensor<8x64xf32>, %b: tensor<128x8xf32>) {
  // expected-error @+1 {{'slim.merge_lora' op expects a finite scale, got nan}}
  %y = slim.merge_lora %w, %a, %b scale 0x7FF8000000000000 : (tensor<128x64xf32>, tensor<8x64xf32>, tensor<128x8xf32>) -> tensor<128x64xf32>
  return
}

// -----

// The result is the weight's type.
func.func @negative_merge_lora_result(%c: tensor<64x128xf32>, %a: tensor<8x64xf32>, %b: tensor<128x8xf32>) {
  // expected-error @+1 {{'slim.merge_lora' op result #0 has type 'tensor<128x64xf32>', but its operands and attributes give 'tensor<64x128xf32>'}}
  %y = slim.merge_lora %c, %a, %b scale 2.0 layout in_out : (tensor<64x128xf32>, tensor<8x64xf32>, tensor<128x8xf32>) -> tensor<128x64xf32>
  return
}

//===----------------------------------------------------------------------===//
// Attention
//===----------------------------------------------------------------------===//

// -----

func.func @negative_rope_rank(%x: tensor<16x64xf32>) {
  // expected-error @+1 {{'slim.rope' op expects an input of rank 3 ([batch, seq, heads * head_dim]), got 'tensor<16x64xf32>'}}
  %y = slim.rope %x head_dim 16 theta 1.0e4 : tensor<16x64xf32>
  return
}

// -----

func.func @negative_rope_odd_head_dim(%x: tensor<2x16x63xf32>) {
  // expected-error @+1 {{'slim.rope' op expects a positive, even head_dim, got 21}}
  %y = slim.rope %x head_dim 21 theta 1.0e4 : tensor<2x16x63xf32>
  return
}

// -----

func.func @negative_rope_head_dim_divides(%x: tensor<2x16x64xf32>) {
  // expected-error @+1 {{'slim.rope' op head_dim 24 does not divide the last dimension (64)}}
  %y = slim.rope %x head_dim 24 theta 1.0e4 : tensor<2x16x64xf32>
  return
}

// -----

func.func @negative_rope_theta(%x: tensor<2x16x64xf32>) {
  // expected-error @+1 {{'slim.rope' op expects theta > 0, got 0}}
  %y = slim.rope %x head_dim 16 theta 0.0 : tensor<2x16x64xf32>
  return
}

// -----

func.func @negative_attention_groups(%q: tensor<2x16x64xf32>, %k: tensor<2x16x48xf32>, %v: tensor<2x16x48xf32>) {
  // expected-error @+1 {{'slim.attention' op expects heads (4) to be a positive multiple of kv_heads (3)}}
  %o = slim.attention %q, %k, %v heads 4 kv_heads 3 : (tensor<2x16x64xf32>, tensor<2x16x48xf32>, tensor<2x16x48xf32>) -> tensor<2x16x64xf32>
  return
}

// -----

func.func @negative_attention_zero_heads(%q: tensor<2x16x64xf32>, %k: tensor<2x16x64xf32>, %v: tensor<2x16x64xf32>) {
  // expected-error @+1 {{'slim.attention' op expects heads (0) to be a positive multiple of kv_heads (1)}}
  %o = slim.attention %q, %k, %v heads 0 kv_heads 1 : (tensor<2x16x64xf32>, tensor<2x16x64xf32>, tensor<2x16x64xf32>) -> tensor<2x16x64xf32>
  return
}

// -----

func.func @negative_attention_query_channels(%q: tensor<2x16x66xf32>, %k: tensor<2x16x32xf32>, %v: tensor<2x16x32xf32>) {
  // expected-error @+1 {{'slim.attention' op query channels (66) are not divisible by 4 heads}}
  %o = slim.attention %q, %k, %v heads 4 kv_heads 2 : (tensor<2x16x66xf32>, tensor<2x16x32xf32>, tensor<2x16x32xf32>) -> tensor<2x16x66xf32>
  return
}

// -----

func.func @negative_attention_kv_channels(%q: tensor<2x16x64xf32>, %k: tensor<2x16x64xf32>, %v: tensor<2x16x32xf32>) {
  // expected-error @+1 {{'slim.attention' op key has 64 channels, expected kv_heads * head_dim = 2 * 16}}
  %o = slim.attention %q, %k, %v heads 4 kv_heads 2 : (tensor<2x16x64xf32>, tensor<2x16x64xf32>, tensor<2x16x32xf32>) -> tensor<2x16x64xf32>
  return
}

// -----

func.func @negative_attention_value_seq(%q: tensor<2x16x64xf32>, %k: tensor<2x16x32xf32>, %v: tensor<2x8x32xf32>) {
  // expected-error @+1 {{'slim.attention' op value of shape [2, 8, 32] does not match the query's batch and sequence [2, 16]}}
  %o = slim.attention %q, %k, %v heads 4 kv_heads 2 : (tensor<2x16x64xf32>, tensor<2x16x32xf32>, tensor<2x8x32xf32>) -> tensor<2x16x64xf32>
  return
}

// -----

func.func @negative_attention_scale(%q: tensor<2x16x64xf32>, %k: tensor<2x16x32xf32>, %v: tensor<2x16x32xf32>) {
  // expected-error @+1 {{'slim.attention' op expects scale > 0, got -0.5}}
  %o = slim.attention %q, %k, %v heads 4 kv_heads 2 scale -0.5 : (tensor<2x16x64xf32>, tensor<2x16x32xf32>, tensor<2x16x32xf32>) -> tensor<2x16x64xf32>
  return
}

// -----

func.func @negative_attention_rank(%q: tensor<32x64xf32>, %k: tensor<32x32xf32>, %v: tensor<32x32xf32>) {
  // expected-error @+1 {{'slim.attention' op expects a query of rank 3 ([batch, seq, heads * head_dim]), got 'tensor<32x64xf32>'}}
  %o = slim.attention %q, %k, %v heads 4 kv_heads 2 : (tensor<32x64xf32>, tensor<32x32xf32>, tensor<32x32xf32>) -> tensor<32x64xf32>
  return
}

// -----

func.func @negative_attention_element_type(%q: tensor<2x16x64xf32>, %k: tensor<2x16x32xf16>, %v: tensor<2x16x32xf32>) {
  // expected-error @+1 {{'slim.attention' op expects a key with element type 'f32', got 'f16'}}
  %o = slim.attention %q, %k, %v heads 4 kv_heads 2 : (tensor<2x16x64xf32>, tensor<2x16x32xf16>, tensor<2x16x32xf32>) -> tensor<2x16x64xf32>
  return
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

// -----

func.func @negative_add_shapes(%x: tensor<2x16x64xf32>, %y: tensor<2x16x32xf32>) {
  // expected-error @+1 {{'slim.add' op expects operands of one shape, got [2, 16, 64] and [2, 16, 32]}}
  %z = "slim.add"(%x, %y) : (tensor<2x16x64xf32>, tensor<2x16x32xf32>) -> tensor<2x16x64xf32>
  return
}

// -----

func.func @negative_mul_types(%x: tensor<2x16x64xf32>, %y: tensor<2x16x64xf16>) {
  // expected-error @+1 {{'slim.mul' op expects operands with element type 'f32', got 'f16'}}
  %z = "slim.mul"(%x, %y) : (tensor<2x16x64xf32>, tensor<2x16x64xf16>) -> tensor<2x16x64xf32>
  return
}

// -----

func.func @negative_silu_result(%x: tensor<2x16x64xf32>) {
  // expected-error @+1 {{'slim.silu' op result #0 has type 'tensor<2x16x32xf32>', but its operands and attributes give 'tensor<2x16x64xf32>'}}
  %y = "slim.silu"(%x) : (tensor<2x16x64xf32>) -> tensor<2x16x32xf32>
  return
}

// -----

func.func @negative_gelu_integer(%x: tensor<2x16x64xi32>) {
  // expected-error @+1 {{'slim.gelu' op operand #0 must be ranked tensor of 32-bit float or 16-bit float or bfloat16 type values}}
  %y = slim.gelu %x : tensor<2x16x64xi32>
  return
}

//===----------------------------------------------------------------------===//
// Slicing
//===----------------------------------------------------------------------===//

// -----

func.func @negative_slice_range(%x: tensor<2x16x192xf32>) {
  // expected-error @+1 {{'slim.slice' op slice [128 : 256] is empty or outside the last dimension (192)}}
  %y = slim.slice %x[128 : 256] : tensor<2x16x192xf32> -> tensor<2x16x128xf32>
  return
}

// -----

func.func @negative_slice_empty(%x: tensor<2x16x192xf32>) {
  // expected-error @+1 {{'slim.slice' op slice [64 : 64] is empty or outside the last dimension (192)}}
  %y = slim.slice %x[64 : 64] : tensor<2x16x192xf32> -> tensor<2x16x0xf32>
  return
}

// -----

func.func @negative_concat_empty() {
  // expected-error @+1 {{'slim.concat' op expects at least one input}}
  %y = "slim.concat"() : () -> tensor<2x16x64xf32>
  return
}

// -----

func.func @negative_concat_rank(%a: tensor<2x16x64xf32>, %b: tensor<16x64xf32>) {
  // expected-error @+1 {{'slim.concat' op input #1 has rank 2, input #0 has rank 3}}
  %y = slim.concat %a, %b : (tensor<2x16x64xf32>, tensor<16x64xf32>) -> tensor<2x16x128xf32>
  return
}

// -----

func.func @negative_concat_leading(%a: tensor<2x16x64xf32>, %b: tensor<2x8x64xf32>) {
  // expected-error @+1 {{'slim.concat' op input #1 of shape [2, 8, 64] differs from input #0 [2, 16, 64] outside the last dimension}}
  %y = slim.concat %a, %b : (tensor<2x16x64xf32>, tensor<2x8x64xf32>) -> tensor<2x16x128xf32>
  return
}

// -----

func.func @negative_concat_types(%a: tensor<2x16x64xf32>, %b: tensor<2x16x64xbf16>) {
  // expected-error @+1 {{'slim.concat' op expects inputs with element type 'f32', got 'bf16'}}
  %y = slim.concat %a, %b : (tensor<2x16x64xf32>, tensor<2x16x64xbf16>) -> tensor<2x16x128xf32>
  return
}

//===----------------------------------------------------------------------===//
// Loss
//===----------------------------------------------------------------------===//

// -----

func.func @negative_cross_entropy_targets(%l: tensor<2x16x512xf32>, %t: tensor<2x15xi32>) {
  // expected-error @+1 {{'slim.cross_entropy' op targets of shape [2, 15] do not match the logits' rows [2, 16] (logits are [..., vocab], targets [...])}}
  %loss = slim.cross_entropy %l, %t ignore_index -100 : (tensor<2x16x512xf32>, tensor<2x15xi32>) -> tensor<f32>
  return
}

// -----

func.func @negative_cross_entropy_result(%l: tensor<2x16x512xf32>, %t: tensor<2x16xi32>) {
  // expected-error @+1 {{'slim.cross_entropy' op result #0 must be 0D tensor of 32-bit float values}}
  %loss = slim.cross_entropy %l, %t ignore_index -100 : (tensor<2x16x512xf32>, tensor<2x16xi32>) -> tensor<2x16xf32>
  return
}
