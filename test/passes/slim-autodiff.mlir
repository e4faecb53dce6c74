// slim-autodiff: the backward of each op, and what is stashed for it.
// RUN: slimtune-opt %s -split-input-file -verify-diagnostics --slim-autodiff | FileCheck %s

// A frozen linear with a LoRA adapter: the adapter's input is stashed once (for lora_grad);
// the frozen linear's backward is a linear with the other layout and stashes nothing; the
// loss is fused with its gradient; the step returns the loss and the adapter's gradients.
// CHECK-LABEL: func.func @lora_linear
// CHECK-SAME: -> (tensor<f32> {slim.output = "loss"}, tensor<4x16xf32> {slim.grad = "A"}, tensor<16x4xf32> {slim.grad = "B"})
// CHECK: %[[H:.*]] = slim.rms_norm
// CHECK-NEXT: %[[S:.*]] = slim.stash %[[H]] : tensor<2x8x16xf32>
// CHECK-NOT: slim.stash %
// CHECK: %[[LOSS:.*]], %[[DLOGITS:.*]] = slim.cross_entropy_with_grad
// CHECK: slim.linear %[[DLOGITS]], %{{.*}} layout in_out
// CHECK: %[[X:.*]] = slim.unstash %[[S]]
// CHECK: %{{.*}}, %[[DA:.*]], %[[DB:.*]] = slim.lora_grad %{{.*}}, %[[X]], %{{.*}}, %{{.*}} scale 2.000000e+00
// CHECK: return %[[LOSS]], %[[DA]], %[[DB]]
func.func @lora_linear(%x: tensor<2x8x16xf32>, %g: tensor<16xf32> {slim.param = #slim.param<"g", frozen>},
                       %w: tensor<16x16xf32> {slim.param = #slim.param<"w", frozen>},
                       %a: tensor<4x16xf32> {slim.param = #slim.param<"A", trainable>},
                       %b: tensor<16x4xf32> {slim.param = #slim.param<"B", trainable>},
                       %head: tensor<32x16xf32> {slim.param = #slim.param<"head", frozen>},
                       %t: tensor<2x8xi32> {slim.input = "targets"}) -> tensor<f32> {
  %h = slim.rms_norm %x scale %g epsilon 1.0e-5 : (tensor<2x8x16xf32>, tensor<16xf32>) -> tensor<2x8x16xf32>
  %y0 = slim.linear %h, %w : (tensor<2x8x16xf32>, tensor<16x16xf32>) -> tensor<2x8x16xf32>
  %d = slim.lora %h, %a, %b scale 2.0 : (tensor<2x8x16xf32>, tensor<4x16xf32>, tensor<16x4xf32>) -> tensor<2x8x16xf32>
  %y = slim.add %y0, %d : tensor<2x8x16xf32>
  %logits = slim.linear %y, %head : (tensor<2x8x16xf32>, tensor<32x16xf32>) -> tensor<2x8x32xf32>
  %loss = slim.cross_entropy %logits, %t ignore_index -100 : (tensor<2x8x32xf32>, tensor<2x8xi32>) -> tensor<f32>
  return %loss : tensor<f32>
}

// -----

// Attention keeps exactly q, k, v, its output and the per-row logsumexp [B, H, T]: nothing
// T x T. The norm's output (the adapter's input, and k and v) is stashed once; the silu after
// attention reads the attention output, stashed once for both. The norm below the adapter,
// whose input does not depend on a trainable parameter, gets no backward.
// CHECK-LABEL: func.func @attention_block
// CHECK: %[[H:.*]] = slim.rms_norm
// CHECK-NEXT: slim.stash %[[H]]
// CHECK: %[[Q:.*]] = slim.rope
// CHECK-NEXT: slim.stash %[[Q]]
// CHECK: %[[O:.*]], %[[LSE:.*]] = slim.attention_with_lse
// CHECK-DAG: slim.stash %[[O]] : tensor<1x8x16xf32>
// CHECK-DAG: slim.stash %[[LSE]] : tensor<1x4x8xf32>
// CHECK-NOT: slim.stash %
// CHECK-NOT: x8x8xf32
// CHECK: slim.silu_grad
// CHECK: slim.attention_grad
// CHECK: slim.rope %{{.*}} inverse
// CHECK-NOT: slim.rms_norm_grad
// CHECK: return
func.func @attention_block(%x: tensor<1x8x16xf32>, %g: tensor<16xf32> {slim.param = #slim.param<"g", frozen>},
                           %aq: tensor<2x16xf32> {slim.param = #slim.param<"Aq", trainable>},
                           %bq: tensor<16x2xf32> {slim.param = #slim.param<"Bq", trainable>},
                           %head: tensor<32x16xf32> {slim.param = #slim.param<"head", frozen>},
                           %t: tensor<1x8xi32> {slim.input = "targets"}) -> tensor<f32> {
  %h = slim.rms_norm %x scale %g epsilon 1.0e-5 : (tensor<1x8x16xf32>, tensor<16xf32>) -> tensor<1x8x16xf32>
  %q0 = slim.lora %h, %aq, %bq scale 1.0 : (tensor<1x8x16xf32>, tensor<2x16xf32>, tensor<16x2xf32>) -> tensor<1x8x16xf32>
  %q = slim.rope %q0 head_dim 4 theta 1.0e4 : tensor<1x8x16xf32>
  %a = slim.attention %q, %h, %h heads 4 kv_heads 4 : (tensor<1x8x16xf32>, tensor<1x8x16xf32>, tensor<1x8x16xf32>) -> tensor<1x8x16xf32>
  %s = slim.silu %a : tensor<1x8x16xf32>
  %logits = slim.linear %s, %head : (tensor<1x8x16xf32>, tensor<32x16xf32>) -> tensor<1x8x32xf32>
  %loss = slim.cross_entropy %logits, %t ignore_index -100 : (tensor<1x8x32xf32>, tensor<1x8xi32>) -> tensor<f32>
  return %loss : tensor<f32>
}

// -----

// A value read by two backward ops (two adapters on one input) is stashed once; arguments
// are never stashed. Slices of one value get their gradient back as one concatenation
// (GPT-2's fused q/k/v), with zeros where no slice reads.
// CHECK-LABEL: func.func @shared_and_sliced
// CHECK: %[[S:.*]] = slim.silu %arg0
// CHECK-NEXT: slim.stash %[[S]]
// CHECK-NOT: slim.stash %[[S]]
// CHECK-NOT: slim.stash %arg
// CHECK: %[[Z:.*]] = slim.zeros : tensor<1x4x8xf32>
// CHECK: slim.concat %{{.*}}, %{{.*}}, %[[Z]] : (tensor<1x4x8xf32>, tensor<1x4x8xf32>, tensor<1x4x8xf32>) -> tensor<1x4x24xf32>
func.func @shared_and_sliced(%x: tensor<1x4x8xf32>,
                             %a: tensor<2x8xf32> {slim.param = #slim.param<"A", trainable>},
                             %b: tensor<24x2xf32> {slim.param = #slim.param<"B", trainable>},
                             %a2: tensor<2x8xf32> {slim.param = #slim.param<"A2", trainable>},
                             %b2: tensor<8x2xf32> {slim.param = #slim.param<"B2", trainable>},
                             %head: tensor<16x8xf32> {slim.param = #slim.param<"head", frozen>},
                             %t: tensor<1x4xi32> {slim.input = "targets"}) -> tensor<f32> {
  %s = slim.silu %x : tensor<1x4x8xf32>
  %qkv = slim.lora %s, %a, %b scale 1.0 : (tensor<1x4x8xf32>, tensor<2x8xf32>, tensor<24x2xf32>) -> tensor<1x4x24xf32>
  %q = slim.slice %qkv[0 : 8] : tensor<1x4x24xf32> -> tensor<1x4x8xf32>
  %k = slim.slice %qkv[8 : 16] : tensor<1x4x24xf32> -> tensor<1x4x8xf32>
  %e = slim.lora %s, %a2, %b2 scale 1.0 : (tensor<1x4x8xf32>, tensor<2x8xf32>, tensor<8x2xf32>) -> tensor<1x4x8xf32>
  %m = slim.add %q, %k : tensor<1x4x8xf32>
  %y = slim.add %m, %e : tensor<1x4x8xf32>
  %logits = slim.linear %y, %head : (tensor<1x4x8xf32>, tensor<16x8xf32>) -> tensor<1x4x16xf32>
  %loss = slim.cross_entropy %logits, %t ignore_index -100 : (tensor<1x4x16xf32>, tensor<1x4xi32>) -> tensor<f32>
  return %loss : tensor<f32>
}

// -----

func.func @negative_nothing_trainable(%x: tensor<1x4x8xf32>, %head: tensor<16x8xf32> {slim.param = #slim.param<"head", frozen>},
                                      %t: tensor<1x4xi32> {slim.input = "targets"}) -> tensor<f32> {
  // expected-error @-2 {{slim-autodiff: no parameter is trainable (add an adapter)}}
  %logits = slim.linear %x, %head : (tensor<1x4x8xf32>, tensor<16x8xf32>) -> tensor<1x4x16xf32>
  %loss = slim.cross_entropy %logits, %t ignore_index -100 : (tensor<1x4x16xf32>, tensor<1x4xi32>) -> tensor<f32>
  return %loss : tensor<f32>
}

// -----

func.func @negative_trainable_embedding(%ids: tensor<1x4xi32> {slim.input = "tokens"},
                                        %table: tensor<16x8xf32> {slim.param = #slim.param<"table", trainable>},
                                        %t: tensor<1x4xi32> {slim.input = "targets"}) -> tensor<f32> {
  // expected-error @+1 {{'slim.embedding' op slim-autodiff: a trainable embedding table is not supported}}
  %x = slim.embedding %table[%ids] : tensor<16x8xf32>, tensor<1x4xi32> -> tensor<1x4x8xf32>
  %logits = slim.linear %x, %table : (tensor<1x4x8xf32>, tensor<16x8xf32>) -> tensor<1x4x16xf32>
  %loss = slim.cross_entropy %logits, %t ignore_index -100 : (tensor<1x4x16xf32>, tensor<1x4xi32>) -> tensor<f32>
  return %loss : tensor<f32>
}

// -----

func.func @negative_dynamic(%x: tensor<?x4x8xf32>, %a: tensor<2x8xf32> {slim.param = #slim.param<"A", trainable>},
                            %b: tensor<16x2xf32> {slim.param = #slim.param<"B", trainable>},
                            %t: tensor<?x4xi32> {slim.input = "targets"}) -> tensor<f32> {
  // expected-error @+1 {{slim-autodiff: result type 'tensor<?x4x16xf32>' is not static; run slim-infer-shapes first}}
  %logits = slim.lora %x, %a, %b scale 1.0 : (tensor<?x4x8xf32>, tensor<2x8xf32>, tensor<16x2xf32>) -> tensor<?x4x16xf32>
  %loss = slim.cross_entropy %logits, %t ignore_index -100 : (tensor<?x4x16xf32>, tensor<?x4xi32>) -> tensor<f32>
  return %loss : tensor<f32>
}
