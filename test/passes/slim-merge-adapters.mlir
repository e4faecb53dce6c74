// slim-merge-adapters: add(linear(x, W), lora(x, A, B)) becomes linear(x, merge_lora(W, A, B)),
// in the weight's layout; what cannot be merged exactly is left alone with a remark.
// RUN: slimtune-opt %s -split-input-file -verify-diagnostics --slim-merge-adapters | FileCheck %s

// A LLaMA projection ([out, in] weight, no bias): the merged weight is computed just before
// its linear, which reads it in place of W; the adapter's arguments stay arguments.
// CHECK-LABEL: func.func @llama_projection
// CHECK-SAME: (%[[X:[^:]*]]: tensor<2x8x16xf32>, %[[W:[^:]*]]: tensor<32x16xf32> {slim.param = #slim.param<"q_proj.weight", frozen>}, %[[A:[^:]*]]: tensor<4x16xf32> {{.*}}, %[[B:[^:]*]]: tensor<32x4xf32>
// CHECK-NEXT: %[[M:.*]] = slim.merge_lora %[[W]], %[[A]], %[[B]] scale 2.000000e+00 : (tensor<32x16xf32>, tensor<4x16xf32>, tensor<32x4xf32>) -> tensor<32x16xf32>
// CHECK-NEXT: %[[Y:.*]] = slim.linear %[[X]], %[[M]] : (tensor<2x8x16xf32>, tensor<32x16xf32>) -> tensor<2x8x32xf32>
// CHECK-NEXT: return %[[Y]]
func.func @llama_projection(%x: tensor<2x8x16xf32>,
                            %w: tensor<32x16xf32> {slim.param = #slim.param<"q_proj.weight", frozen>},
                            %a: tensor<4x16xf32> {slim.param = #slim.param<"q_proj.lora_A.weight", trainable>},
                            %b: tensor<32x4xf32> {slim.param = #slim.param<"q_proj.lora_B.weight", trainable>}) -> tensor<2x8x32xf32> {
  %y0 = slim.linear %x, %w : (tensor<2x8x16xf32>, tensor<32x16xf32>) -> tensor<2x8x32xf32>
  %d = slim.lora %x, %a, %b scale 2.0 : (tensor<2x8x16xf32>, tensor<4x16xf32>, tensor<32x4xf32>) -> tensor<2x8x32xf32>
  %y = slim.add %y0, %d : tensor<2x8x32xf32>
  return %y : tensor<2x8x32xf32>
}

// -----

// The add's operands in the other order (update first) match too.
// CHECK-LABEL: func.func @update_first
// CHECK: slim.merge_lora %arg1, %arg2, %arg3 scale 5.000000e-01
// CHECK-NEXT: slim.linear %arg0,
// CHECK-NOT: slim.lora
// CHECK-NOT: slim.add
func.func @update_first(%x: tensor<2x8x16xf32>, %w: tensor<32x16xf32>, %a: tensor<4x16xf32>,
                        %b: tensor<32x4xf32>) -> tensor<2x8x32xf32> {
  %y0 = slim.linear %x, %w : (tensor<2x8x16xf32>, tensor<32x16xf32>) -> tensor<2x8x32xf32>
  %d = slim.lora %x, %a, %b scale 0.5 : (tensor<2x8x16xf32>, tensor<4x16xf32>, tensor<32x4xf32>) -> tensor<2x8x32xf32>
  %y = slim.add %d, %y0 : tensor<2x8x32xf32>
  return %y : tensor<2x8x32xf32>
}

// -----

// GPT-2's fused c_attn: a Conv1D weight [in, out] with a bias. The merged weight keeps the
// in_out layout (the delta transposed) and the bias stays on the linear; the q/k/v slices
// read the merged layer's output.
// CHECK-LABEL: func.func @gpt2_c_attn
// CHECK: %[[M:.*]] = slim.merge_lora %arg1, %arg3, %arg4 scale 2.000000e+00 layout in_out : (tensor<16x48xf32>, tensor<4x16xf32>, tensor<48x4xf32>) -> tensor<16x48xf32>
// CHECK-NEXT: %[[QKV:.*]] = slim.linear %arg0, %[[M]] bias %arg2 layout in_out : (tensor<2x8x16xf32>, tensor<16x48xf32>, tensor<48xf32>) -> tensor<2x8x48xf32>
// CHECK-NEXT: slim.slice %[[QKV]][0 : 16]
// CHECK-NEXT: slim.slice %[[QKV]][16 : 32]
// CHECK-NOT: slim.lora
func.func @gpt2_c_attn(%x: tensor<2x8x16xf32>, %c: tensor<16x48xf32>, %bias: tensor<48xf32>,
                       %a: tensor<4x16xf32>, %b: tensor<48x4xf32>) -> (tensor<2x8x16xf32>, tensor<2x8x16xf32>) {
  %qkv0 = slim.linear %x, %c bias %bias layout in_out : (tensor<2x8x16xf32>, tensor<16x48xf32>, tensor<48xf32>) -> tensor<2x8x48xf32>
  %d = slim.lora %x, %a, %b scale 2.0 : (tensor<2x8x16xf32>, tensor<4x16xf32>, tensor<48x4xf32>) -> tensor<2x8x48xf32>
  %qkv = slim.add %qkv0, %d : tensor<2x8x48xf32>
  %q = slim.slice %qkv[0 : 16] : tensor<2x8x48xf32> -> tensor<2x8x16xf32>
  %k = slim.slice %qkv[16 : 32] : tensor<2x8x48xf32> -> tensor<2x8x16xf32>
  return %q, %k : tensor<2x8x16xf32>, tensor<2x8x16xf32>
}

// -----

// Two adapters on one layer: the second folds into the first's merged weight.
// CHECK-LABEL: func.func @two_adapters
// CHECK: %[[M1:.*]] = slim.merge_lora %arg1, %arg2, %arg3 scale 1.000000e+00
// CHECK-NEXT: %[[M2:.*]] = slim.merge_lora %[[M1]], %arg4, %arg5 scale 3.000000e+00
// CHECK-NEXT: %[[Y:.*]] = slim.linear %arg0, %[[M2]] :
// CHECK-NEXT: return %[[Y]]
func.func @two_adapters(%x: tensor<2x8x16xf32>, %w: tensor<32x16xf32>,
                        %a1: tensor<4x16xf32>, %b1: tensor<32x4xf32>,
                        %a2: tensor<2x16xf32>, %b2: tensor<32x2xf32>) -> tensor<2x8x32xf32> {
  %y0 = slim.linear %x, %w : (tensor<2x8x16xf32>, tensor<32x16xf32>) -> tensor<2x8x32xf32>
  %d1 = slim.lora %x, %a1, %b1 scale 1.0 : (tensor<2x8x16xf32>, tensor<4x16xf32>, tensor<32x4xf32>) -> tensor<2x8x32xf32>
  %y1 = slim.add %y0, %d1 : tensor<2x8x32xf32>
  %d2 = slim.lora %x, %a2, %b2 scale 3.0 : (tensor<2x8x16xf32>, tensor<2x16xf32>, tensor<32x2xf32>) -> tensor<2x8x32xf32>
  %y = slim.add %y1, %d2 : tensor<2x8x32xf32>
  return %y : tensor<2x8x32xf32>
}

// -----

// An adapter with dropout is random: no merged weight reproduces it. Left alone.
// CHECK-LABEL: func.func @negative_dropout
// CHECK-NOT: slim.merge_lora
// CHECK: slim.lora %arg0, %arg2, %arg3 scale 2.000000e+00 dropout 5.000000e-02
// CHECK: slim.add
func.func @negative_dropout(%x: tensor<2x8x16xf32>, %w: tensor<32x16xf32>, %a: tensor<4x16xf32>,
                            %b: tensor<32x4xf32>) -> tensor<2x8x32xf32> {
  %y0 = slim.linear %x, %w : (tensor<2x8x16xf32>, tensor<32x16xf32>) -> tensor<2x8x32xf32>
  // expected-remark @+1 {{slim-merge-adapters: not merged: its dropout (0.05) makes the adapter's output random, which no merged weight reproduces}}
  %d = slim.lora %x, %a, %b scale 2.0 dropout 0.05 seed 7 : (tensor<2x8x16xf32>, tensor<4x16xf32>, tensor<32x4xf32>) -> tensor<2x8x32xf32>
  %y = slim.add %y0, %d : tensor<2x8x32xf32>
  return %y : tensor<2x8x32xf32>
}

// -----

// The frozen layer's own output is read elsewhere too: merging would keep both paths.
// CHECK-LABEL: func.func @negative_linear_reused
// CHECK-NOT: slim.merge_lora
// CHECK: slim.lora
func.func @negative_linear_reused(%x: tensor<2x8x16xf32>, %w: tensor<32x16xf32>, %a: tensor<4x16xf32>,
                                  %b: tensor<32x4xf32>) -> (tensor<2x8x32xf32>, tensor<2x8x32xf32>) {
  %y0 = slim.linear %x, %w : (tensor<2x8x16xf32>, tensor<32x16xf32>) -> tensor<2x8x32xf32>
  // expected-remark @+1 {{slim-merge-adapters: not merged: the linear layer's output without the adapter is also read elsewhere}}
  %d = slim.lora %x, %a, %b scale 2.0 : (tensor<2x8x16xf32>, tensor<4x16xf32>, tensor<32x4xf32>) -> tensor<2x8x32xf32>
  %y = slim.add %y0, %d : tensor<2x8x32xf32>
  return %y, %y0 : tensor<2x8x32xf32>, tensor<2x8x32xf32>
}

// -----

// CHECK-LABEL: func.func @negative_update_reused
// CHECK-NOT: slim.merge_lora
func.func @negative_update_reused(%x: tensor<2x8x16xf32>, %w: tensor<32x16xf32>, %a: tensor<4x16xf32>,
                                  %b: tensor<32x4xf32>) -> (tensor<2x8x32xf32>, tensor<2x8x32xf32>) {
  %y0 = slim.linear %x, %w : (tensor<2x8x16xf32>, tensor<32x16xf32>) -> tensor<2x8x32xf32>
  // expected-remark @+1 {{slim-merge-adapters: not merged: the adapter's output is also read elsewhere}}
  %d = slim.lora %x, %a, %b scale 2.0 : (tensor<2x8x16xf32>, tensor<4x16xf32>, tensor<32x4xf32>) -> tensor<2x8x32xf32>
  %y = slim.add %y0, %d : tensor<2x8x32xf32>
  return %y, %d : tensor<2x8x32xf32>, tensor<2x8x32xf32>
}

// -----

// An update of another input is not this layer's adapter: not a match, nothing to say.
// CHECK-LABEL: func.func @negative_other_input
// CHECK-NOT: slim.merge_lora
// CHECK: slim.lora %arg1
// CHECK: slim.add
func.func @negative_other_input(%x: tensor<2x8x16xf32>, %x2: tensor<2x8x16xf32>, %w: tensor<32x16xf32>,
                                %a: tensor<4x16xf32>, %b: tensor<32x4xf32>) -> tensor<2x8x32xf32> {
  %y0 = slim.linear %x, %w : (tensor<2x8x16xf32>, tensor<32x16xf32>) -> tensor<2x8x32xf32>
  %d = slim.lora %x2, %a, %b scale 2.0 : (tensor<2x8x16xf32>, tensor<4x16xf32>, tensor<32x4xf32>) -> tensor<2x8x32xf32>
  %y = slim.add %y0, %d : tensor<2x8x32xf32>
  return %y : tensor<2x8x32xf32>
}

// -----

// A training step (after slim-autodiff) is refused: merge in the forward graph.
func.func @negative_training_step(%x: tensor<2x8x16xf32>, %w: tensor<32x16xf32>, %a: tensor<4x16xf32>,
                                  %b: tensor<32x4xf32>, %dy: tensor<2x8x32xf32>) -> (tensor<2x8x32xf32>, tensor<4x16xf32>) {
  %y0 = slim.linear %x, %w : (tensor<2x8x16xf32>, tensor<32x16xf32>) -> tensor<2x8x32xf32>
  %d = slim.lora %x, %a, %b scale 2.0 : (tensor<2x8x16xf32>, tensor<4x16xf32>, tensor<32x4xf32>) -> tensor<2x8x32xf32>
  %y = slim.add %y0, %d : tensor<2x8x32xf32>
  // expected-error @+1 {{'slim.lora_grad' op slim-merge-adapters: the graph is already a training step; merge adapters in the forward graph, before slim-autodiff}}
  %dx, %da, %db = slim.lora_grad %dy, %x, %a, %b scale 2.0 : (tensor<2x8x32xf32>, tensor<2x8x16xf32>, tensor<4x16xf32>, tensor<32x4xf32>) -> (tensor<2x8x16xf32>, tensor<4x16xf32>, tensor<32x4xf32>)
  return %y, %da : tensor<2x8x32xf32>, tensor<4x16xf32>
}
