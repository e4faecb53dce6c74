// slim-fuse-head-loss then slim-autodiff: the fused op's training form yields the loss and the
// head input's gradient at once, which feeds the adapter's backward; nothing of the head is
// stashed and no logits or logits gradient appear.
// RUN: slimtune-opt %s --slim-fuse-head-loss="chunk=4" --slim-autodiff | FileCheck %s

// CHECK-LABEL: func.func @frozen_head
// CHECK-NOT: slim.cross_entropy
// CHECK-NOT: slim.stash %arg0
// CHECK: %[[LOSS:.*]], %[[DY:.*]] = slim.linear_cross_entropy_with_grad %{{.*}}, %arg3, %arg4 ignore_index -100 chunk 4 : (tensor<2x8x16xf32>, tensor<32x16xf32>, tensor<2x8xi32>) -> (tensor<f32>, tensor<2x8x16xf32>)
// CHECK-NOT: slim.linear
// CHECK: slim.lora_grad %[[DY]]
// CHECK: return %[[LOSS]]
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
