// slim-ce-lora's refusals: options out of range, an SVD rank that leaves nothing to sample, a
// graph that is already a training step. One error each, naming the problem.
// RUN: slimtune-opt %s -split-input-file -verify-diagnostics --slim-ce-lora="keep=v_proj=1.5"
// RUN: not slimtune-opt %s --slim-ce-lora="keep=v_proj" 2>&1 | FileCheck %s --check-prefix=NOTPAIR
// RUN: not slimtune-opt %s --slim-ce-lora="refresh=0" 2>&1 | FileCheck %s --check-prefix=REFRESH
// RUN: not slimtune-opt %s --slim-ce-lora="rank=16" 2>&1 | FileCheck %s --check-prefix=RANK
// NOTPAIR: error: slim-ce-lora: keep entry "v_proj" is not name=ratio with a ratio in (0, 1]
// REFRESH: error: slim-ce-lora: expects rank >= 0, refresh >= 1 and layers >= -1, got rank=0 refresh=0 layers=-1
// RANK: error: 'slim.linear' op slim-ce-lora: SVD rank 16 is not below the weight's smaller dimension (16): nothing would be left to sample

// expected-error @+1 {{slim-ce-lora: keep entry "v_proj=1.5" is not name=ratio with a ratio in (0, 1]}}
func.func @v(%x: tensor<2x8x16xf32> {slim.param = #slim.param<"x", trainable>},
             %w: tensor<32x16xf32> {slim.param = #slim.param<"blk.0.attn_v.weight", frozen>},
             %a: tensor<4x16xf32> {slim.param = #slim.param<"base_model.model.model.layers.0.self_attn.v_proj.lora_A.weight", trainable>},
             %b: tensor<32x4xf32> {slim.param = #slim.param<"base_model.model.model.layers.0.self_attn.v_proj.lora_B.weight", trainable>}) -> tensor<2x8x32xf32> {
  %y0 = slim.linear %x, %w : (tensor<2x8x16xf32>, tensor<32x16xf32>) -> tensor<2x8x32xf32>
  %d = slim.lora %x, %a, %b scale 2.0 : (tensor<2x8x16xf32>, tensor<4x16xf32>, tensor<32x4xf32>) -> tensor<2x8x32xf32>
  %y = slim.add %y0, %d : tensor<2x8x32xf32>
  return %y : tensor<2x8x32xf32>
}
