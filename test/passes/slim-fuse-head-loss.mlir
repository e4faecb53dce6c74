// slim-fuse-head-loss: the LM head's linear and the loss become slim.linear_cross_entropy
// (chunk rows at a time), which slim-autodiff differentiates as its _with_grad form; heads it
// must leave alone, a training step, a bad chunk.
// RUN: slimtune-opt %s -split-input-file -verify-diagnostics --slim-fuse-head-loss="chunk=4" | FileCheck %s
// RUN: not slimtune-opt %s -split-input-file --slim-fuse-head-loss="chunk=0" 2>&1 | FileCheck %s --check-prefix=CHUNK

// A frozen head (tied or not: any frozen parameter), both layouts: fused, the linear gone.
// CHECK-LABEL: func.func @frozen_head
// CHECK-NOT: slim.cross_entropy
// CHECK: %[[LOSS:.*]] = slim.linear_cross_entropy %{{.*}}, %arg3, %arg4 ignore_index -100 chunk 4 : (tensor<2x8x16xf32>, tensor<32x16xf32>, tensor<2x8xi32>) -> tensor<f32>
// CHECK-NEXT: return %[[LOSS]]
func.func @frozen_head(%h: tensor<2x8x16xf32>,
                       %a: tensor<4x16xf32> {slim.param = #slim.param<"A", trainable>},
                       %b: tensor<16x4xf32> {slim.param = #slim.param<"B", trainable>},
                       %head: tensor<32x16xf32> {slim.param = #slim.param<"head", frozen>},
                       %t: tensor<2x8xi32> {slim.input = "targets"}) -> tensor<f32> {
  %d = slim.lora %h, %a, %b scale 2.0 : (tensor<2x8x16xf32>, tensor<4x16xf32>, tensor<16x4xf32>) -> tensor<2x8x16xf32>
  %y = slim.add %h, %d : tensor<2x8x16xf32>
  %logits = slim.linear %y, %head : (tensor<2x8x16xf32>, tensor<32x16xf32>) -> tensor<2x8x32xf32>
  %loss = slim.cross_entropy %logits, %t ignore_index -100 : (tensor<2x8x32xf32>, tensor<2x8xi32>) -> tensor<f32>
  return %loss : tensor<f32>
}

// -----

// GPT-2's Conv1D layout and another ignore index are carried over.
// CHECK-LABEL: func.func @in_out_head
// CHECK: slim.linear_cross_entropy %arg0, %arg1, %arg2 layout in_out ignore_index 7 chunk 4 : (tensor<2x8x16xf32>, tensor<16x32xbf16>, tensor<2x8xi32>) -> tensor<f32>
func.func @in_out_head(%y: tensor<2x8x16xf32>,
                       %head: tensor<16x32xbf16> {slim.param = #slim.param<"head", frozen>},
                       %t: tensor<2x8xi32> {slim.input = "targets"}) -> tensor<f32> {
  %logits = slim.linear %y, %head layout in_out : (tensor<2x8x16xf32>, tensor<16x32xbf16>) -> tensor<2x8x32xf32>
  %loss = slim.cross_entropy %logits, %t ignore_index 7 : (tensor<2x8x32xf32>, tensor<2x8xi32>) -> tensor<f32>
  return %loss : tensor<f32>
}

// -----

// Left alone: a trainable head (the fused op computes no weight gradient), a head with a
// bias, logits that something else reads too.
// CHECK-LABEL: func.func @trainable_head
// CHECK: slim.linear
// CHECK: slim.cross_entropy
func.func @trainable_head(%y: tensor<2x8x16xf32>,
                          %head: tensor<32x16xf32> {slim.param = #slim.param<"head", trainable>},
                          %t: tensor<2x8xi32> {slim.input = "targets"}) -> tensor<f32> {
  %logits = slim.linear %y, %head : (tensor<2x8x16xf32>, tensor<32x16xf32>) -> tensor<2x8x32xf32>
  %loss = slim.cross_entropy %logits, %t ignore_index -100 : (tensor<2x8x32xf32>, tensor<2x8xi32>) -> tensor<f32>
  return %loss : tensor<f32>
}

// -----

// CHECK-LABEL: func.func @head_with_bias
// CHECK: slim.linear
// CHECK: slim.cross_entropy
func.func @head_with_bias(%y: tensor<2x8x16xf32>,
                          %head: tensor<32x16xf32> {slim.param = #slim.param<"head", frozen>},
                          %bias: tensor<32xf32> {slim.param = #slim.param<"bias", frozen>},
                          %t: tensor<2x8xi32> {slim.input = "targets"}) -> tensor<f32> {
  %logits = slim.linear %y, %head bias %bias : (tensor<2x8x16xf32>, tensor<32x16xf32>, tensor<32xf32>) -> tensor<2x8x32xf32>
  %loss = slim.cross_entropy %logits, %t ignore_index -100 : (tensor<2x8x32xf32>, tensor<2x8xi32>) -> tensor<f32>
  return %loss : tensor<f32>
}

// -----

// CHECK-LABEL: func.func @logits_read_twice
// CHECK: slim.linear
// CHECK: slim.cross_entropy
// CHECK: slim.cross_entropy
func.func @logits_read_twice(%y: tensor<2x8x16xf32>,
                             %head: tensor<32x16xf32> {slim.param = #slim.param<"head", frozen>},
                             %t: tensor<2x8xi32> {slim.input = "targets"}) -> tensor<f32> {
  %logits = slim.linear %y, %head : (tensor<2x8x16xf32>, tensor<32x16xf32>) -> tensor<2x8x32xf32>
  %l1 = slim.cross_entropy %logits, %t ignore_index -100 : (tensor<2x8x32xf32>, tensor<2x8xi32>) -> tensor<f32>
  %l2 = slim.cross_entropy %logits, %t ignore_index 0 : (tensor<2x8x32xf32>, tensor<2x8xi32>) -> tensor<f32>
  %loss = slim.add %l1, %l2 : tensor<f32>
  return %loss : tensor<f32>
}

// -----

func.func @negative_training_step(%x: tensor<2x4x16xf32>) -> tensor<2x4x16xf32> {
  // expected-error @+1 {{'slim.stash' op slim-fuse-head-loss: the graph is already a training step; fuse the forward graph (before slim-autodiff)}}
  %h = slim.stash %x : tensor<2x4x16xf32>
  %y = slim.unstash %h : !slim.stash<tensor<2x4x16xf32>>
  return %y : tensor<2x4x16xf32>
}

// CHUNK: slim-fuse-head-loss: chunk must be at least 1 row, got 0
