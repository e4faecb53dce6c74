// slim-ce-lora on GPT-2's Conv1D layers (layout in_out, a bias), with options.
// RUN: slimtune-opt %s -verify-diagnostics --slim-ce-lora="keep=c_proj=0.5 layers=1" | FileCheck %s
// RUN: slimtune-opt %s -verify-diagnostics --slim-ce-lora | FileCheck %s --check-prefix=DEFAULT
// The default keep ratios name no c_proj: untouched.
// DEFAULT-NOT: slim.sampled_linear

// GPT-2's Conv1D (layout in_out, a bias): an output feature is a column of W, so the norms are
// the residual's column norms; the bias stays on the sampled linear. Only the top `layers`
// decoder layers are rewritten (layers=1: h.1, not h.0).
// CHECK-LABEL: func.func @gpt2
// CHECK-NOT: "transformer.h.0.attn.c_proj.weight.svd_left"
// CHECK-SAME: tensor<16x4xf32> {slim.param = #slim.param<"transformer.h.1.attn.c_proj.weight.svd_left", frozen>}
// CHECK-SAME: tensor<4x24xf32> {slim.param = #slim.param<"transformer.h.1.attn.c_proj.weight.svd_right", frozen>}
// CHECK-SAME: tensor<24xf32> {slim.param = #slim.param<"transformer.h.1.attn.c_proj.weight.svd_residual_column_norms", frozen>}
// CHECK-SAME: tensor<12xi32> {slim.state = "transformer.h.1.attn.c_proj.weight.ce_lora_columns"}
// CHECK: slim.linear %arg0, %arg1 bias %arg2 layout in_out
// CHECK: slim.sampled_linear %arg0, %arg{{[0-9]+}}, {{.*}} bias %arg{{[0-9]+}} refresh 200 layout in_out :
func.func @gpt2(%x: tensor<2x8x16xf32> {slim.param = #slim.param<"x", trainable>},
                %w0: tensor<16x24xf32> {slim.param = #slim.param<"transformer.h.0.attn.c_proj.weight", frozen>},
                %b0: tensor<24xf32> {slim.param = #slim.param<"transformer.h.0.attn.c_proj.bias", frozen>},
                %a0: tensor<4x16xf32> {slim.param = #slim.param<"base_model.model.transformer.h.0.attn.c_proj.lora_A.weight", trainable>},
                %u0: tensor<24x4xf32> {slim.param = #slim.param<"base_model.model.transformer.h.0.attn.c_proj.lora_B.weight", trainable>},
                %w1: tensor<16x24xf32> {slim.param = #slim.param<"transformer.h.1.attn.c_proj.weight", frozen>},
                %b1: tensor<24xf32> {slim.param = #slim.param<"transformer.h.1.attn.c_proj.bias", frozen>},
                %a1: tensor<4x16xf32> {slim.param = #slim.param<"base_model.model.transformer.h.1.attn.c_proj.lora_A.weight", trainable>},
                %u1: tensor<24x4xf32> {slim.param = #slim.param<"base_model.model.transformer.h.1.attn.c_proj.lora_B.weight", trainable>})
    -> (tensor<2x8x24xf32>, tensor<2x8x24xf32>) {
  %y0 = slim.linear %x, %w0 bias %b0 layout in_out : (tensor<2x8x16xf32>, tensor<16x24xf32>, tensor<24xf32>) -> tensor<2x8x24xf32>
  %d0 = slim.lora %x, %a0, %u0 scale 2.0 : (tensor<2x8x16xf32>, tensor<4x16xf32>, tensor<24x4xf32>) -> tensor<2x8x24xf32>
  %z0 = slim.add %y0, %d0 : tensor<2x8x24xf32>
  %y1 = slim.linear %x, %w1 bias %b1 layout in_out : (tensor<2x8x16xf32>, tensor<16x24xf32>, tensor<24xf32>) -> tensor<2x8x24xf32>
  %d1 = slim.lora %x, %a1, %u1 scale 2.0 : (tensor<2x8x16xf32>, tensor<4x16xf32>, tensor<24x4xf32>) -> tensor<2x8x24xf32>
  %z1 = slim.add %y1, %d1 : tensor<2x8x24xf32>
  return %z0, %z1 : tensor<2x8x24xf32>, tensor<2x8x24xf32>
}
