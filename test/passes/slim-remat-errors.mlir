// slim-remat's refusals, one line each: a count below -1; a graph that already has its
// backward; a graph with no decoder layers to find.
// RUN: not slimtune-opt %slimtune_src/examples/llama-2layer-lora.mlir --slim-infer-shapes="batch=2 seq=8" --slim-remat="count=-2" 2>&1 | FileCheck %s --check-prefix=COUNT
// RUN: not slimtune-opt %slimtune_src/examples/llama-2layer-lora.mlir --slim-infer-shapes="batch=2 seq=8" --slim-autodiff --slim-remat 2>&1 | FileCheck %s --check-prefix=AFTER
// RUN: not slimtune-opt %s --slim-remat 2>&1 | FileCheck %s --check-prefix=LAYERS
// COUNT: error: slim-remat: count must be -1 (all) or >= 0, got -2
// AFTER: error: slim-remat: runs on a forward graph, before slim-autodiff (this one already has stashes)
// LAYERS: error: slim-remat: expects a decoder whose layers are two residual blocks (attention, MLP), found 0 residual adds

func.func @forward(%e: tensor<16x8xf32> {slim.param = #slim.param<"embed.weight", frozen>},
                   %w: tensor<4x8xf32> {slim.param = #slim.param<"head.weight", frozen>},
                   %a: tensor<2x8xf32> {slim.param = #slim.param<"head.lora_A.weight", trainable>},
                   %b: tensor<4x2xf32> {slim.param = #slim.param<"head.lora_B.weight", trainable>},
                   %tok: tensor<2x3xi32> {slim.input = "tokens"},
                   %t: tensor<2x3xi32> {slim.input = "targets"}) -> tensor<f32> {
  %x = slim.embedding %e[%tok] : tensor<16x8xf32>, tensor<2x3xi32> -> tensor<2x3x8xf32>
  %y = slim.linear %x, %w : (tensor<2x3x8xf32>, tensor<4x8xf32>) -> tensor<2x3x4xf32>
  %d = slim.lora %x, %a, %b scale 1.0 : (tensor<2x3x8xf32>, tensor<2x8xf32>, tensor<4x2xf32>) -> tensor<2x3x4xf32>
  %z = slim.add %y, %d : tensor<2x3x4xf32>
  %l = slim.cross_entropy %z, %t ignore_index -100 : (tensor<2x3x4xf32>, tensor<2x3xi32>) -> tensor<f32>
  return %l : tensor<f32>
}
