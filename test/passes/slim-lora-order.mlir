// slim-lora-order: each LoRA layer's products in the cheapest order its static shapes allow
// (N tokens, in, out, rank r = 4 here), one case per choice; the gradients equal the
// unordered step's to fp32 rounding (test/train/lora-order.test).
// The rules with RunLoRA's factor f = 1, then the CPU target's default f = 4 (a merge also
// streams the whole weight twice; docs/techniques.md#lora-matmul-order).
// RUN: slimtune-opt %s -split-input-file -verify-diagnostics --slim-autodiff --slim-lora-order="merge-factor=1" | FileCheck %s
// RUN: slimtune-opt %s -split-input-file -verify-diagnostics --slim-autodiff --slim-lora-order | FileCheck %s --check-prefix=CPU
// RUN: slimtune-opt %s -split-input-file -verify-diagnostics --slim-autodiff --slim-lora-order="target=cuda" | FileCheck %s

// N = 256 > in·out/(in + out) = 32: the forward merges; N > out = 64: so does the input
// gradient, and lora_grad keeps only dA and dB.
// CHECK-LABEL: func.func @both_merged
// CHECK: %[[M:.*]] = slim.merge_lora %arg1, %arg2, %arg3 scale 2.000000e+00 :
// CHECK-NEXT: slim.linear %arg0, %[[M]] :
// CHECK-NOT: slim.lora %
// CHECK-NOT: slim.lora_grad
// CHECK: slim.lora_weight_grad
// CHECK-NEXT: %[[M2:.*]] = slim.merge_lora %arg1, %arg2, %arg3 scale 2.000000e+00 :
// CHECK-NEXT: %[[DX:.*]] = slim.linear %{{.*}}, %[[M2]] layout in_out :
// CHECK-NEXT: return %{{.*}}, %[[DX]],
// f = 4: the forward still merges (N·(in + out) = 32768 > 4·in·out = 16384), the input
// gradient not (N = 256 is not above 4·out).
// CPU-LABEL: func.func @both_merged
// CPU: slim.merge_lora
// CPU: slim.lora_grad
// CPU-NOT: slim.merge_lora
func.func @both_merged(%x: tensor<4x64x64xf32> {slim.param = #slim.param<"x", trainable>},
    %w: tensor<64x64xf32> {slim.param = #slim.param<"w", frozen>},
    %a: tensor<4x64xf32> {slim.param = #slim.param<"a", trainable>},
    %b: tensor<64x4xf32> {slim.param = #slim.param<"b", trainable>},
    %t: tensor<4x64xi32> {slim.input = "targets"}) -> tensor<f32> {
  %y0 = slim.linear %x, %w : (tensor<4x64x64xf32>, tensor<64x64xf32>) -> tensor<4x64x64xf32>
  %d = slim.lora %x, %a, %b scale 2.0 : (tensor<4x64x64xf32>, tensor<4x64xf32>, tensor<64x4xf32>) -> tensor<4x64x64xf32>
  %y = slim.add %y0, %d : tensor<4x64x64xf32>
  %loss = slim.cross_entropy %y, %t ignore_index -100 : (tensor<4x64x64xf32>, tensor<4x64xi32>) -> tensor<f32>
  return %loss : tensor<f32>
}

// -----

// N = 16: below 32 and below out: both stay separate.
// CHECK-LABEL: func.func @both_separate
// CHECK-NOT: slim.merge_lora
// CHECK: slim.lora %arg0
// CHECK: slim.lora_grad
// CHECK-NOT: slim.merge_lora
func.func @both_separate(%x: tensor<1x16x64xf32> {slim.param = #slim.param<"x", trainable>},
    %w: tensor<64x64xf32> {slim.param = #slim.param<"w", frozen>},
    %a: tensor<4x64xf32> {slim.param = #slim.param<"a", trainable>},
    %b: tensor<64x4xf32> {slim.param = #slim.param<"b", trainable>},
    %t: tensor<1x16xi32> {slim.input = "targets"}) -> tensor<f32> {
  %y0 = slim.linear %x, %w : (tensor<1x16x64xf32>, tensor<64x64xf32>) -> tensor<1x16x64xf32>
  %d = slim.lora %x, %a, %b scale 2.0 : (tensor<1x16x64xf32>, tensor<4x64xf32>, tensor<64x4xf32>) -> tensor<1x16x64xf32>
  %y = slim.add %y0, %d : tensor<1x16x64xf32>
  %loss = slim.cross_entropy %y, %t ignore_index -100 : (tensor<1x16x64xf32>, tensor<1x16xi32>) -> tensor<f32>
  return %loss : tensor<f32>
}

// -----

// N = 64 > in·out/(in + out) = 42.7: the forward merges; N < out = 128: the input gradient
// stays lora_grad's.
// CHECK-LABEL: func.func @forward_merged_only
// CHECK: slim.merge_lora
// CHECK-NOT: slim.lora %
// CHECK: slim.lora_grad
// CHECK-NOT: slim.merge_lora
// CHECK-NOT: slim.lora_weight_grad
func.func @forward_merged_only(%x: tensor<1x64x64xf32> {slim.param = #slim.param<"x", trainable>},
    %w: tensor<128x64xf32> {slim.param = #slim.param<"w", frozen>},
    %a: tensor<4x64xf32> {slim.param = #slim.param<"a", trainable>},
    %b: tensor<128x4xf32> {slim.param = #slim.param<"b", trainable>},
    %t: tensor<1x64xi32> {slim.input = "targets"}) -> tensor<f32> {
  %y0 = slim.linear %x, %w : (tensor<1x64x64xf32>, tensor<128x64xf32>) -> tensor<1x64x128xf32>
  %d = slim.lora %x, %a, %b scale 2.0 : (tensor<1x64x64xf32>, tensor<4x64xf32>, tensor<128x4xf32>) -> tensor<1x64x128xf32>
  %y = slim.add %y0, %d : tensor<1x64x128xf32>
  %loss = slim.cross_entropy %y, %t ignore_index -100 : (tensor<1x64x128xf32>, tensor<1x64xi32>) -> tensor<f32>
  return %loss : tensor<f32>
}

// -----

// The input needs no gradient (x is not trained, nothing below it is): lora_grad's dx goes,
// whatever the shapes; the forward stays separate (N = 16).
// CHECK-LABEL: func.func @no_input_gradient
// CHECK: slim.lora %arg0
// CHECK: slim.lora_weight_grad
// CHECK-NOT: slim.lora_grad
func.func @no_input_gradient(%x: tensor<1x16x64xf32>,
    %w: tensor<64x64xf32> {slim.param = #slim.param<"w", frozen>},
    %a: tensor<4x64xf32> {slim.param = #slim.param<"a", trainable>},
    %b: tensor<64x4xf32> {slim.param = #slim.param<"b", trainable>},
    %t: tensor<1x16xi32> {slim.input = "targets"}) -> tensor<f32> {
  %y0 = slim.linear %x, %w : (tensor<1x16x64xf32>, tensor<64x64xf32>) -> tensor<1x16x64xf32>
  %d = slim.lora %x, %a, %b scale 2.0 : (tensor<1x16x64xf32>, tensor<4x64xf32>, tensor<64x4xf32>) -> tensor<1x16x64xf32>
  %y = slim.add %y0, %d : tensor<1x16x64xf32>
  %loss = slim.cross_entropy %y, %t ignore_index -100 : (tensor<1x16x64xf32>, tensor<1x16xi32>) -> tensor<f32>
  return %loss : tensor<f32>
}

// -----

// Dropout makes the adapter's output random: no merged weight reproduces it. Left alone.
// CHECK-LABEL: func.func @dropout
// CHECK-NOT: slim.merge_lora
// CHECK: slim.lora_grad
// CHECK-NOT: slim.merge_lora
func.func @dropout(%x: tensor<4x64x64xf32> {slim.param = #slim.param<"x", trainable>},
    %w: tensor<64x64xf32> {slim.param = #slim.param<"w", frozen>},
    %a: tensor<4x64xf32> {slim.param = #slim.param<"a", trainable>},
    %b: tensor<64x4xf32> {slim.param = #slim.param<"b", trainable>},
    %t: tensor<4x64xi32> {slim.input = "targets"}) -> tensor<f32> {
  %y0 = slim.linear %x, %w : (tensor<4x64x64xf32>, tensor<64x64xf32>) -> tensor<4x64x64xf32>
  %d = slim.lora %x, %a, %b scale 2.0 dropout 1.000000e-01 seed 3 : (tensor<4x64x64xf32>, tensor<4x64xf32>, tensor<64x4xf32>) -> tensor<4x64x64xf32>
  %y = slim.add %y0, %d : tensor<4x64x64xf32>
  %loss = slim.cross_entropy %y, %t ignore_index -100 : (tensor<4x64x64xf32>, tensor<4x64xi32>) -> tensor<f32>
  return %loss : tensor<f32>
}

// -----

// A bf16 weight: a merged weight would be rounded to bf16. Left alone.
// CHECK-LABEL: func.func @bf16_weight
// CHECK-NOT: slim.merge_lora
// CHECK: slim.lora_grad
// CHECK-NOT: slim.merge_lora
func.func @bf16_weight(%x: tensor<4x64x64xf32> {slim.param = #slim.param<"x", trainable>},
    %w: tensor<64x64xbf16> {slim.param = #slim.param<"w", frozen>},
    %a: tensor<4x64xf32> {slim.param = #slim.param<"a", trainable>},
    %b: tensor<64x4xf32> {slim.param = #slim.param<"b", trainable>},
    %t: tensor<4x64xi32> {slim.input = "targets"}) -> tensor<f32> {
  %y0 = slim.linear %x, %w : (tensor<4x64x64xf32>, tensor<64x64xbf16>) -> tensor<4x64x64xf32>
  %d = slim.lora %x, %a, %b scale 2.0 : (tensor<4x64x64xf32>, tensor<4x64xf32>, tensor<64x4xf32>) -> tensor<4x64x64xf32>
  %y = slim.add %y0, %d : tensor<4x64x64xf32>
  %loss = slim.cross_entropy %y, %t ignore_index -100 : (tensor<4x64x64xf32>, tensor<4x64xi32>) -> tensor<f32>
  return %loss : tensor<f32>
}
