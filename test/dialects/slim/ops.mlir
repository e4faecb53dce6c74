// Round-trip of every slim op, attribute and type: the custom form parses and prints back to
// itself, and the generic form parses back to the same custom form.
// RUN: slimtune-opt %s | slimtune-opt | FileCheck %s
// RUN: slimtune-opt %s --mlir-print-op-generic | slimtune-opt | FileCheck %s

// CHECK-LABEL: func.func @embeddings
// CHECK-SAME: {slim.param = #slim.param<"model.embed_tokens.weight", frozen>}
// CHECK-SAME: {slim.param = #slim.param<"wpe.weight", trainable>}
// CHECK-SAME: {slim.input = "tokens"}
func.func @embeddings(
    %wte: tensor<512x64xf32> {slim.param = #slim.param<"model.embed_tokens.weight", frozen>},
    %wpe: tensor<128x64xf32> {slim.param = #slim.param<"wpe.weight", trainable>},
    %ids: tensor<2x16xi32> {slim.input = "tokens"}) -> tensor<2x16x64xf32> {
  // CHECK: slim.embedding %{{.*}}[%{{.*}}] : tensor<512x64xf32>, tensor<2x16xi32> -> tensor<2x16x64xf32>
  %x = slim.embedding %wte[%ids] : tensor<512x64xf32>, tensor<2x16xi32> -> tensor<2x16x64xf32>
  // CHECK: slim.position_embedding %{{.*}}[%{{.*}}] : tensor<128x64xf32>, tensor<2x16xi32> -> tensor<2x16x64xf32>
  %p = slim.position_embedding %wpe[%ids] : tensor<128x64xf32>, tensor<2x16xi32> -> tensor<2x16x64xf32>
  %y = slim.add %x, %p : tensor<2x16x64xf32>
  return %y : tensor<2x16x64xf32>
}

// CHECK-LABEL: func.func @norms
func.func @norms(%x: tensor<2x16x64xbf16>, %g: tensor<64xbf16>, %b: tensor<64xbf16>) {
  // CHECK: slim.rms_norm %{{.*}} scale %{{.*}} epsilon 1.000000e-05 : (tensor<2x16x64xbf16>, tensor<64xbf16>) -> tensor<2x16x64xbf16>
  %0 = slim.rms_norm %x scale %g epsilon 1.0e-5 : (tensor<2x16x64xbf16>, tensor<64xbf16>) -> tensor<2x16x64xbf16>
  // CHECK: slim.rms_norm %{{.*}} epsilon 9.9999999999999995E-7 : (tensor<2x16x64xbf16>) -> tensor<2x16x64xbf16>
  %1 = slim.rms_norm %x epsilon 1.0e-6 : (tensor<2x16x64xbf16>) -> tensor<2x16x64xbf16>
  // CHECK: slim.layer_norm %{{.*}} scale %{{.*}} shift %{{.*}} epsilon 1.000000e-05 : (tensor<2x16x64xbf16>, tensor<64xbf16>, tensor<64xbf16>) -> tensor<2x16x64xbf16>
  %2 = slim.layer_norm %x scale %g shift %b epsilon 1.0e-5 : (tensor<2x16x64xbf16>, tensor<64xbf16>, tensor<64xbf16>) -> tensor<2x16x64xbf16>
  // CHECK: slim.layer_norm %{{.*}} shift %{{.*}} epsilon
  %3 = slim.layer_norm %x shift %b epsilon 1.0e-5 : (tensor<2x16x64xbf16>, tensor<64xbf16>) -> tensor<2x16x64xbf16>
  // CHECK: slim.layer_norm %{{.*}} epsilon 1.000000e-05 : (tensor<2x16x64xbf16>) -> tensor<2x16x64xbf16>
  %4 = slim.layer_norm %x epsilon 1.0e-5 : (tensor<2x16x64xbf16>) -> tensor<2x16x64xbf16>
  // The split form of memory-sharing backprop; rstd is fp32 whatever the input's type.
  // CHECK: %{{.*}}, %{{.*}} = slim.normalize %{{.*}} kind rms epsilon 1.000000e-05 : tensor<2x16x64xbf16> -> (tensor<2x16x64xbf16>, tensor<2x16xf32>)
  %z, %r = slim.normalize %x kind rms epsilon 1.0e-5 : tensor<2x16x64xbf16> -> (tensor<2x16x64xbf16>, tensor<2x16xf32>)
  // CHECK: slim.normalize %{{.*}} kind layer epsilon 1.000000e-05
  %z2, %r2 = slim.normalize %x kind layer epsilon 1.0e-5 : tensor<2x16x64xbf16> -> (tensor<2x16x64xbf16>, tensor<2x16xf32>)
  // CHECK: slim.scale_shift %{{.*}} scale %{{.*}} shift %{{.*}} : (tensor<2x16x64xbf16>, tensor<64xbf16>, tensor<64xbf16>) -> tensor<2x16x64xbf16>
  %5 = slim.scale_shift %z scale %g shift %b : (tensor<2x16x64xbf16>, tensor<64xbf16>, tensor<64xbf16>) -> tensor<2x16x64xbf16>
  // CHECK: slim.scale_shift %{{.*}} scale %{{.*}} : (tensor<2x16x64xbf16>, tensor<64xbf16>) -> tensor<2x16x64xbf16>
  %6 = slim.scale_shift %z scale %g : (tensor<2x16x64xbf16>, tensor<64xbf16>) -> tensor<2x16x64xbf16>
  return
}

// Frozen weights kept in bf16 (--precision bf16): an f32 input times a bf16 weight gives f32;
// a bf16 table's rows are f32.
// CHECK-LABEL: func.func @bf16_weights
func.func @bf16_weights(%ids: tensor<2x16xi32>, %table: tensor<512x64xbf16>, %w: tensor<128x64xbf16>,
                        %bias: tensor<128xf32>) -> tensor<2x16x128xf32> {
  // CHECK: slim.embedding %{{.*}}[%{{.*}}] : tensor<512x64xbf16>, tensor<2x16xi32> -> tensor<2x16x64xf32>
  %x = slim.embedding %table[%ids] : tensor<512x64xbf16>, tensor<2x16xi32> -> tensor<2x16x64xf32>
  // CHECK: slim.linear %{{.*}}, %{{.*}} bias %{{.*}} : (tensor<2x16x64xf32>, tensor<128x64xbf16>, tensor<128xf32>) -> tensor<2x16x128xf32>
  %y = slim.linear %x, %w bias %bias : (tensor<2x16x64xf32>, tensor<128x64xbf16>, tensor<128xf32>) -> tensor<2x16x128xf32>
  return %y : tensor<2x16x128xf32>
}

// CHECK-LABEL: func.func @linear_and_lora
func.func @linear_and_lora(%x: tensor<2x16x64xf16>, %w: tensor<128x64xf16>, %c: tensor<64x192xf16>,
                           %bias: tensor<192xf16>, %a: tensor<8x64xf16>, %b: tensor<128x8xf16>) {
  // The default layout (out_in) is not printed.
  // CHECK: slim.linear %{{.*}}, %{{.*}} : (tensor<2x16x64xf16>, tensor<128x64xf16>) -> tensor<2x16x128xf16>
  %0 = slim.linear %x, %w : (tensor<2x16x64xf16>, tensor<128x64xf16>) -> tensor<2x16x128xf16>
  // CHECK: slim.linear %{{.*}}, %{{.*}} bias %{{.*}} layout in_out : (tensor<2x16x64xf16>, tensor<64x192xf16>, tensor<192xf16>) -> tensor<2x16x192xf16>
  %1 = slim.linear %x, %c bias %bias layout in_out : (tensor<2x16x64xf16>, tensor<64x192xf16>, tensor<192xf16>) -> tensor<2x16x192xf16>
  // CHECK: slim.linear %{{.*}}, %{{.*}} : (tensor<2x16x64xf16>, tensor<128x64xf16>) -> tensor<2x16x128xf16>
  %2 = slim.linear %x, %w layout out_in : (tensor<2x16x64xf16>, tensor<128x64xf16>) -> tensor<2x16x128xf16>
  // The default dropout (0) is not printed.
  // CHECK: slim.lora %{{.*}}, %{{.*}}, %{{.*}} scale 2.000000e+00 : (tensor<2x16x64xf16>, tensor<8x64xf16>, tensor<128x8xf16>) -> tensor<2x16x128xf16>
  %3 = slim.lora %x, %a, %b scale 2.0 : (tensor<2x16x64xf16>, tensor<8x64xf16>, tensor<128x8xf16>) -> tensor<2x16x128xf16>
  // CHECK: slim.lora %{{.*}}, %{{.*}}, %{{.*}} scale 5.000000e-01 dropout 5.000000e-02 :
  %4 = slim.lora %x, %a, %b scale 0.5 dropout 0.05 : (tensor<2x16x64xf16>, tensor<8x64xf16>, tensor<128x8xf16>) -> tensor<2x16x128xf16>
  return
}

// CHECK-LABEL: func.func @merge_lora
func.func @merge_lora(%w: tensor<128x64xf32>, %c: tensor<64x128xf32>, %a: tensor<8x64xf32>,
                      %b: tensor<128x8xf32>) -> (tensor<128x64xf32>, tensor<64x128xf32>) {
  // CHECK: slim.merge_lora %{{.*}}, %{{.*}}, %{{.*}} scale 2.000000e+00 : (tensor<128x64xf32>, tensor<8x64xf32>, tensor<128x8xf32>) -> tensor<128x64xf32>
  %0 = slim.merge_lora %w, %a, %b scale 2.0 : (tensor<128x64xf32>, tensor<8x64xf32>, tensor<128x8xf32>) -> tensor<128x64xf32>
  // A Conv1D weight [in, out] keeps its layout: the delta is transposed.
  // CHECK: slim.merge_lora %{{.*}}, %{{.*}}, %{{.*}} scale 5.000000e-01 layout in_out : (tensor<64x128xf32>, tensor<8x64xf32>, tensor<128x8xf32>) -> tensor<64x128xf32>
  %1 = slim.merge_lora %c, %a, %b scale 0.5 layout in_out : (tensor<64x128xf32>, tensor<8x64xf32>, tensor<128x8xf32>) -> tensor<64x128xf32>
  return %0, %1 : tensor<128x64xf32>, tensor<64x128xf32>
}

// CHECK-LABEL: func.func @attention
func.func @attention(%q: tensor<2x16x64xf32>, %k: tensor<2x16x32xf32>, %v: tensor<2x16x32xf32>) -> tensor<2x16x64xf32> {
  // CHECK: slim.rope %{{.*}} head_dim 16 theta 1.000000e+04 : tensor<2x16x64xf32>
  %qr = slim.rope %q head_dim 16 theta 10000.0 : tensor<2x16x64xf32>
  // CHECK: slim.rope %{{.*}} head_dim 16 theta 1.000000e+05 : tensor<2x16x32xf32>
  %kr = slim.rope %k head_dim 16 theta 100000.0 : tensor<2x16x32xf32>
  // CHECK: slim.attention %{{.*}}, %{{.*}}, %{{.*}} heads 4 kv_heads 2 : (tensor<2x16x64xf32>, tensor<2x16x32xf32>, tensor<2x16x32xf32>) -> tensor<2x16x64xf32>
  %o = slim.attention %qr, %kr, %v heads 4 kv_heads 2 : (tensor<2x16x64xf32>, tensor<2x16x32xf32>, tensor<2x16x32xf32>) -> tensor<2x16x64xf32>
  // CHECK: slim.attention %{{.*}}, %{{.*}}, %{{.*}} heads 4 kv_heads 2 scale 1.250000e-01 :
  %o2 = slim.attention %q, %k, %v heads 4 kv_heads 2 scale 0.125 : (tensor<2x16x64xf32>, tensor<2x16x32xf32>, tensor<2x16x32xf32>) -> tensor<2x16x64xf32>
  %r = slim.add %o, %o2 : tensor<2x16x64xf32>
  return %r : tensor<2x16x64xf32>
}

// CHECK-LABEL: func.func @elementwise
func.func @elementwise(%x: tensor<2x16x128xf32>, %y: tensor<2x16x128xf32>) {
  // CHECK: slim.silu %{{.*}} : tensor<2x16x128xf32>
  %0 = slim.silu %x : tensor<2x16x128xf32>
  // CHECK: slim.gelu %{{.*}} : tensor<2x16x128xf32>
  %1 = slim.gelu %x : tensor<2x16x128xf32>
  // CHECK: slim.gelu %{{.*}} approximate tanh : tensor<2x16x128xf32>
  %2 = slim.gelu %x approximate tanh : tensor<2x16x128xf32>
  // CHECK: slim.add %{{.*}}, %{{.*}} : tensor<2x16x128xf32>
  %3 = slim.add %x, %y : tensor<2x16x128xf32>
  // CHECK: slim.mul %{{.*}}, %{{.*}} : tensor<2x16x128xf32>
  %4 = slim.mul %x, %y : tensor<2x16x128xf32>
  return
}

// CHECK-LABEL: func.func @slices
func.func @slices(%qkv: tensor<2x16x192xf32>) -> tensor<2x16x128xf32> {
  // CHECK: slim.slice %{{.*}}[0 : 64] : tensor<2x16x192xf32> -> tensor<2x16x64xf32>
  %q = slim.slice %qkv[0 : 64] : tensor<2x16x192xf32> -> tensor<2x16x64xf32>
  // CHECK: slim.slice %{{.*}}[128 : 192] : tensor<2x16x192xf32> -> tensor<2x16x64xf32>
  %v = slim.slice %qkv[128 : 192] : tensor<2x16x192xf32> -> tensor<2x16x64xf32>
  // CHECK: slim.concat %{{.*}}, %{{.*}} : (tensor<2x16x64xf32>, tensor<2x16x64xf32>) -> tensor<2x16x128xf32>
  %qv = slim.concat %q, %v : (tensor<2x16x64xf32>, tensor<2x16x64xf32>) -> tensor<2x16x128xf32>
  return %qv : tensor<2x16x128xf32>
}

// CHECK-LABEL: func.func @loss
func.func @loss(%logits: tensor<2x16x512xf32>, %targets: tensor<2x16xi32> {slim.input = "targets"}) -> tensor<f32> {
  // CHECK: slim.cross_entropy %{{.*}}, %{{.*}} ignore_index -100 : (tensor<2x16x512xf32>, tensor<2x16xi32>) -> tensor<f32>
  %l = slim.cross_entropy %logits, %targets ignore_index -100 : (tensor<2x16x512xf32>, tensor<2x16xi32>) -> tensor<f32>
  return %l : tensor<f32>
}

// CHECK-LABEL: func.func @stash
func.func @stash(%x: tensor<2x16x64xf32>, %r: tensor<1x2xf32>) -> (tensor<2x16x64xf32>, tensor<2x16x64xf32>) {
  // CHECK: slim.stash %{{.*}} : tensor<2x16x64xf32>
  %h = slim.stash %x : tensor<2x16x64xf32>
  // CHECK: slim.unstash %{{.*}} : !slim.stash<tensor<2x16x64xf32>>
  %x1 = slim.unstash %h : !slim.stash<tensor<2x16x64xf32>>
  // CHECK: slim.stash %{{.*}} encoding(#slim.quant<bits = 8, group = 64, rounding = stochastic, range = batch>) : tensor<2x16x64xf32>
  %h4 = slim.stash %x encoding(#slim.quant<bits = 8, group = 64, rounding = stochastic, range = batch>) : tensor<2x16x64xf32>
  // CHECK: slim.stash %{{.*}} range(%{{.*}} : tensor<1x2xf32>) encoding(#slim.quant<bits = 8, group = 64, rounding = stochastic, range = ema>) : tensor<2x16x64xf32>
  %h8 = slim.stash %x range(%r : tensor<1x2xf32>) encoding(#slim.quant<bits = 8, group = 64, rounding = stochastic, range = ema>) : tensor<2x16x64xf32>
  %x2 = slim.unstash %h8 : !slim.stash<tensor<2x16x64xf32>>
  return %x1, %x2 : tensor<2x16x64xf32>, tensor<2x16x64xf32>
}

// Open dimensions are accepted everywhere a static one is.
// CHECK-LABEL: func.func @dynamic
func.func @dynamic(%x: tensor<?x?x64xf32>, %w: tensor<32x64xf32>) -> tensor<?x?x32xf32> {
  // CHECK: slim.linear %{{.*}}, %{{.*}} : (tensor<?x?x64xf32>, tensor<32x64xf32>) -> tensor<?x?x32xf32>
  %y = slim.linear %x, %w : (tensor<?x?x64xf32>, tensor<32x64xf32>) -> tensor<?x?x32xf32>
  return %y : tensor<?x?x32xf32>
}
