// slim-ce-lora rewrites a forward graph: on a training step (after slim-autodiff) the backward
// it would need to change already exists, so the pass refuses.
// RUN: slimtune-opt %s -verify-diagnostics --slim-autodiff --slim-ce-lora

func.func @step(%x: tensor<2x8x16xf32>,
                %w: tensor<32x16xf32> {slim.param = #slim.param<"blk.0.attn_v.weight", frozen>},
                %a: tensor<4x16xf32> {slim.param = #slim.param<"base_model.model.model.layers.0.self_attn.v_proj.lora_A.weight", trainable>},
                %b: tensor<32x4xf32> {slim.param = #slim.param<"base_model.model.model.layers.0.self_attn.v_proj.lora_B.weight", trainable>},
                %t: tensor<2x8xi32> {slim.input = "targets"}) -> tensor<f32> {
  %y0 = slim.linear %x, %w : (tensor<2x8x16xf32>, tensor<32x16xf32>) -> tensor<2x8x32xf32>
  %d = slim.lora %x, %a, %b scale 2.0 : (tensor<2x8x16xf32>, tensor<4x16xf32>, tensor<32x4xf32>) -> tensor<2x8x32xf32>
  %y = slim.add %y0, %d : tensor<2x8x32xf32>
  // expected-error @+1 {{slim-ce-lora: the graph is already a training step}}
  %loss = slim.cross_entropy %y, %t ignore_index -100 : (tensor<2x8x32xf32>, tensor<2x8xi32>) -> tensor<f32>
  return %loss : tensor<f32>
}
