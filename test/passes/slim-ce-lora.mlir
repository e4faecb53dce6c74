// slim-ce-lora: an adapted layer whose projection has a keep ratio below 1 gets a
// slim.sampled_linear (the same forward) with the weight's SVD pair, the residual's norms and
// the kept columns as new arguments named after the weight; the projection is found by its
// adapter's PEFT name (the weight's own name is the model file's). slim-autodiff then
// returns the columns as state the step updates in place.
// RUN: slimtune-opt %s -verify-diagnostics --slim-ce-lora | FileCheck %s
// RUN: slimtune-opt %s -verify-diagnostics --slim-ce-lora="keep=q_proj=0.5 rank=2 refresh=7" | FileCheck %s --check-prefix=OPTIONS
// RUN: slimtune-opt %s -verify-diagnostics --slim-ce-lora --slim-autodiff | FileCheck %s --check-prefix=BACKWARD

// v_proj (keep 0.55 by default: k = ceil(32 * 0.55) = 18, r0 = the adapter's rank 4) is
// rewritten; q_proj (exact by default) is not. W stays: the forward reads it.
// CHECK-LABEL: func.func @llama
// CHECK-SAME: %[[WV:[^:]*]]: tensor<32x16xf32> {slim.param = #slim.param<"blk.0.attn_v.weight", frozen>}
// CHECK-SAME: %[[L:[^:]*]]: tensor<32x4xf32> {slim.param = #slim.param<"blk.0.attn_v.weight.svd_left", frozen>}
// CHECK-SAME: %[[R:[^:]*]]: tensor<4x16xf32> {slim.param = #slim.param<"blk.0.attn_v.weight.svd_right", frozen>}
// CHECK-SAME: %[[N:[^:]*]]: tensor<32xf32> {slim.param = #slim.param<"blk.0.attn_v.weight.svd_residual_row_norms", frozen>}
// CHECK-SAME: %[[S:[^:]*]]: tensor<18xi32> {slim.state = "blk.0.attn_v.weight.ce_lora_columns"}
// CHECK: slim.linear %arg0, %arg1 :
// CHECK: slim.sampled_linear %arg0, %[[WV]], %[[L]], %[[R]], %[[N]] columns %[[S]] refresh 200 :
// CHECK-NOT: slim.sampled_linear
// OPTIONS-LABEL: func.func @llama
// OPTIONS-SAME: tensor<32x2xf32> {slim.param = #slim.param<"blk.0.attn_q.weight.svd_left", frozen>}
// OPTIONS-SAME: tensor<16xi32> {slim.state = "blk.0.attn_q.weight.ce_lora_columns"}
// OPTIONS: slim.sampled_linear %arg0, %arg1, {{.*}} refresh 7 :
// OPTIONS: slim.linear %arg0, %arg{{[0-9]+}} :
// BACKWARD-LABEL: func.func @llama
// BACKWARD-SAME: slim.updates = {{[0-9]+}} : i64
// BACKWARD: %{{.*}}, %[[NEW:.*]] = slim.sampled_linear_grad %{{.*}}, %arg4, %arg5, %arg6, %arg7, %arg8 refresh 200 :
// BACKWARD: return {{.*}}%[[NEW]]
func.func @llama(%x: tensor<2x8x16xf32> {slim.param = #slim.param<"x", trainable>},
                 %wq: tensor<32x16xf32> {slim.param = #slim.param<"blk.0.attn_q.weight", frozen>},
                 %aq: tensor<4x16xf32> {slim.param = #slim.param<"base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight", trainable>},
                 %bq: tensor<32x4xf32> {slim.param = #slim.param<"base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight", trainable>},
                 %wv: tensor<32x16xf32> {slim.param = #slim.param<"blk.0.attn_v.weight", frozen>},
                 %av: tensor<4x16xf32> {slim.param = #slim.param<"base_model.model.model.layers.0.self_attn.v_proj.lora_A.weight", trainable>},
                 %bv: tensor<32x4xf32> {slim.param = #slim.param<"base_model.model.model.layers.0.self_attn.v_proj.lora_B.weight", trainable>},
                 %t: tensor<2x8xi32> {slim.input = "targets"}) -> tensor<f32> {
  %q0 = slim.linear %x, %wq : (tensor<2x8x16xf32>, tensor<32x16xf32>) -> tensor<2x8x32xf32>
  %qd = slim.lora %x, %aq, %bq scale 2.0 : (tensor<2x8x16xf32>, tensor<4x16xf32>, tensor<32x4xf32>) -> tensor<2x8x32xf32>
  %q = slim.add %q0, %qd : tensor<2x8x32xf32>
  %v0 = slim.linear %x, %wv : (tensor<2x8x16xf32>, tensor<32x16xf32>) -> tensor<2x8x32xf32>
  %vd = slim.lora %x, %av, %bv scale 2.0 : (tensor<2x8x16xf32>, tensor<4x16xf32>, tensor<32x4xf32>) -> tensor<2x8x32xf32>
  %v = slim.add %vd, %v0 : tensor<2x8x32xf32>
  %s = slim.add %q, %v : tensor<2x8x32xf32>
  %loss = slim.cross_entropy %s, %t ignore_index -100 : (tensor<2x8x32xf32>, tensor<2x8xi32>) -> tensor<f32>
  return %loss : tensor<f32>
}
