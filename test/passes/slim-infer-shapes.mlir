// slim-infer-shapes: open batch/sequence dimensions become static and flow through every op.
// RUN: slimtune-opt %s -split-input-file -verify-diagnostics --slim-infer-shapes="batch=2 seq=16" | FileCheck %s

// Inputs take the requested shape; results and the signature follow.
// CHECK-LABEL: func.func @gpt2_block
// CHECK-SAME: tensor<2x16xi32> {slim.input = "tokens"}
// CHECK-SAME: -> tensor<2x16x192xf32>
// CHECK: slim.embedding {{.*}} -> tensor<2x16x64xf32>
// CHECK: slim.position_embedding {{.*}} -> tensor<2x16x64xf32>
// CHECK: slim.add {{.*}} : tensor<2x16x64xf32>
// CHECK: slim.layer_norm {{.*}} -> tensor<2x16x64xf32>
// CHECK: slim.linear {{.*}} -> tensor<2x16x192xf32>
// CHECK: slim.slice {{.*}}[64 : 128] : tensor<2x16x192xf32> -> tensor<2x16x64xf32>
// CHECK: slim.attention {{.*}} -> tensor<2x16x64xf32>
// CHECK: slim.gelu {{.*}} : tensor<2x16x64xf32>
// CHECK: slim.stash {{.*}} : tensor<2x16x64xf32>
// CHECK: slim.unstash {{.*}} : !slim.stash<tensor<2x16x64xf32>>
// CHECK: slim.concat {{.*}} -> tensor<2x16x192xf32>
// CHECK: return {{.*}} : tensor<2x16x192xf32>
func.func @gpt2_block(
    %wte: tensor<512x64xf32> {slim.param = #slim.param<"wte.weight", frozen>},
    %wpe: tensor<128x64xf32> {slim.param = #slim.param<"wpe.weight", frozen>},
    %g: tensor<64xf32> {slim.param = #slim.param<"h.0.ln_1.weight", frozen>},
    %b: tensor<64xf32> {slim.param = #slim.param<"h.0.ln_1.bias", frozen>},
    %w: tensor<64x192xf32> {slim.param = #slim.param<"h.0.attn.c_attn.weight", frozen>},
    %ids: tensor<?x?xi32> {slim.input = "tokens"}) -> tensor<?x?x192xf32> {
  %x = slim.embedding %wte[%ids] : tensor<512x64xf32>, tensor<?x?xi32> -> tensor<?x?x64xf32>
  %p = slim.position_embedding %wpe[%ids] : tensor<128x64xf32>, tensor<?x?xi32> -> tensor<?x?x64xf32>
  %h = slim.add %x, %p : tensor<?x?x64xf32>
  %n = slim.layer_norm %h scale %g shift %b epsilon 1.0e-5 : (tensor<?x?x64xf32>, tensor<64xf32>, tensor<64xf32>) -> tensor<?x?x64xf32>
  %qkv = slim.linear %n, %w layout in_out : (tensor<?x?x64xf32>, tensor<64x192xf32>) -> tensor<?x?x192xf32>
  %q = slim.slice %qkv[0 : 64] : tensor<?x?x192xf32> -> tensor<?x?x64xf32>
  %k = slim.slice %qkv[64 : 128] : tensor<?x?x192xf32> -> tensor<?x?x64xf32>
  %v = slim.slice %qkv[128 : 192] : tensor<?x?x192xf32> -> tensor<?x?x64xf32>
  %a = slim.attention %q, %k, %v heads 4 kv_heads 4 : (tensor<?x?x64xf32>, tensor<?x?x64xf32>, tensor<?x?x64xf32>) -> tensor<?x?x64xf32>
  %e = slim.gelu %a approximate tanh : tensor<?x?x64xf32>
  %s = slim.stash %e : tensor<?x?x64xf32>
  %e2 = slim.unstash %s : !slim.stash<tensor<?x?x64xf32>>
  %r = slim.concat %e2, %k, %v : (tensor<?x?x64xf32>, tensor<?x?x64xf32>, tensor<?x?x64xf32>) -> tensor<?x?x192xf32>
  return %r : tensor<?x?x192xf32>
}

// -----

// Dimensions written statically that agree with the request are kept; parameters, which are
// static, are untouched.
// CHECK-LABEL: func.func @already_static
// CHECK-SAME: tensor<2x16xi32>
// CHECK: slim.embedding {{.*}} -> tensor<2x16x64xf32>
func.func @already_static(%wte: tensor<512x64xf32> {slim.param = #slim.param<"wte.weight", frozen>},
                          %ids: tensor<2x?xi32> {slim.input = "tokens"}) -> tensor<2x?x64xf32> {
  %x = slim.embedding %wte[%ids] : tensor<512x64xf32>, tensor<2x?xi32> -> tensor<2x?x64xf32>
  return %x : tensor<2x?x64xf32>
}

// -----

// A static batch that disagrees with the request is an error, not a silent reshape.
// expected-error @+1 {{slim-infer-shapes: argument #1 ("tokens") has batch 4, but batch=2 was requested}}
func.func @negative_batch_conflict(%wte: tensor<512x64xf32> {slim.param = #slim.param<"wte.weight", frozen>},
                                   %ids: tensor<4x?xi32> {slim.input = "tokens"}) -> tensor<4x?x64xf32> {
  %x = slim.embedding %wte[%ids] : tensor<512x64xf32>, tensor<4x?xi32> -> tensor<4x?x64xf32>
  return %x : tensor<4x?x64xf32>
}

// -----

// Checks that need static shapes run once the shapes are known: a sequence longer than the
// position table is reported on the op.
func.func @negative_too_long(%wpe: tensor<8x64xf32> {slim.param = #slim.param<"wpe.weight", frozen>},
                             %ids: tensor<?x?xi32> {slim.input = "tokens"}) -> tensor<?x?x64xf32> {
  // expected-error @+1 {{'slim.position_embedding' op sequence length 16 exceeds the table's 8 positions}}
  %p = slim.position_embedding %wpe[%ids] : tensor<8x64xf32>, tensor<?x?xi32> -> tensor<?x?x64xf32>
  return %p : tensor<?x?x64xf32>
}

// -----

// Arguments that are not batch inputs keep their open dimensions.
// CHECK-LABEL: func.func @other_arguments
// CHECK-SAME: %{{.*}}: tensor<?x?x64xf32>
// CHECK: slim.silu %{{.*}} : tensor<?x?x64xf32>
func.func @other_arguments(%x: tensor<?x?x64xf32>) -> tensor<?x?x64xf32> {
  %y = slim.silu %x : tensor<?x?x64xf32>
  return %y : tensor<?x?x64xf32>
}
