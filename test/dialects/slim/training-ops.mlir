// Round-trip of the training ops (backward, fused loss, optimizer), custom and generic forms.
// RUN: slimtune-opt %s | slimtune-opt | FileCheck %s
// RUN: slimtune-opt %s --mlir-print-op-generic | slimtune-opt | FileCheck %s

// CHECK-LABEL: func.func @backward
func.func @backward(%q: tensor<2x16x64xf32>, %k: tensor<2x16x32xf32>, %v: tensor<2x16x32xf32>,
                    %x: tensor<2x16x64xf32>, %g: tensor<64xf32>, %a: tensor<8x64xf32>, %b: tensor<64x8xf32>,
                    %logits: tensor<2x16x96xf32>, %t: tensor<2x16xi32>) {
  // CHECK: %{{.*}}, %{{.*}} = slim.attention_with_lse %{{.*}}, %{{.*}}, %{{.*}} heads 4 kv_heads 2 : (tensor<2x16x64xf32>, tensor<2x16x32xf32>, tensor<2x16x32xf32>) -> (tensor<2x16x64xf32>, tensor<2x4x16xf32>)
  %o, %lse = slim.attention_with_lse %q, %k, %v heads 4 kv_heads 2 : (tensor<2x16x64xf32>, tensor<2x16x32xf32>, tensor<2x16x32xf32>) -> (tensor<2x16x64xf32>, tensor<2x4x16xf32>)
  // CHECK: slim.attention_grad {{.*}} heads 4 kv_heads 2 scale 2.500000e-01 :
  %dq, %dk, %dv = slim.attention_grad %q, %k, %v, %o, %lse, %o heads 4 kv_heads 2 scale 0.25 : (tensor<2x16x64xf32>, tensor<2x16x32xf32>, tensor<2x16x32xf32>, tensor<2x16x64xf32>, tensor<2x4x16xf32>, tensor<2x16x64xf32>) -> (tensor<2x16x64xf32>, tensor<2x16x32xf32>, tensor<2x16x32xf32>)
  // CHECK: slim.rms_norm_grad %{{.*}}, %{{.*}} scale %{{.*}} epsilon 1.000000e-05 : (tensor<2x16x64xf32>, tensor<2x16x64xf32>, tensor<64xf32>) -> tensor<2x16x64xf32>
  %d1 = slim.rms_norm_grad %o, %x scale %g epsilon 1.0e-5 : (tensor<2x16x64xf32>, tensor<2x16x64xf32>, tensor<64xf32>) -> tensor<2x16x64xf32>
  // CHECK: slim.layer_norm_grad %{{.*}}, %{{.*}} epsilon 1.000000e-05 : (tensor<2x16x64xf32>, tensor<2x16x64xf32>) -> tensor<2x16x64xf32>
  %d2 = slim.layer_norm_grad %o, %x epsilon 1.0e-5 : (tensor<2x16x64xf32>, tensor<2x16x64xf32>) -> tensor<2x16x64xf32>
  // CHECK: slim.normalize_grad %{{.*}}, %{{.*}}, %{{.*}} kind layer : (tensor<2x16x64xf32>, tensor<2x16x64xf32>, tensor<2x16xf32>) -> tensor<2x16x64xf32>
  %zn, %rstd = slim.normalize %x kind layer epsilon 1.0e-5 : tensor<2x16x64xf32> -> (tensor<2x16x64xf32>, tensor<2x16xf32>)
  %dn = slim.normalize_grad %o, %zn, %rstd kind layer : (tensor<2x16x64xf32>, tensor<2x16x64xf32>, tensor<2x16xf32>) -> tensor<2x16x64xf32>
  // CHECK: slim.weight_grad %{{.*}}, %{{.*}} layout in_out : (tensor<2x16x64xf32>, tensor<2x16x32xf32>) -> tensor<32x64xf32>
  %dw = slim.weight_grad %o, %k layout in_out : (tensor<2x16x64xf32>, tensor<2x16x32xf32>) -> tensor<32x64xf32>
  // CHECK: slim.sum_rows %{{.*}} : tensor<2x16x64xf32> -> tensor<64xf32>
  %db = slim.sum_rows %o : tensor<2x16x64xf32> -> tensor<64xf32>
  // CHECK: slim.lora_grad %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} scale 2.000000e+00 dropout 1.000000e-01 seed 7 :
  %dx, %da, %dbb = slim.lora_grad %o, %x, %a, %b scale 2.0 dropout 0.1 seed 7 : (tensor<2x16x64xf32>, tensor<2x16x64xf32>, tensor<8x64xf32>, tensor<64x8xf32>) -> (tensor<2x16x64xf32>, tensor<8x64xf32>, tensor<64x8xf32>)
  // CHECK: slim.silu_grad %{{.*}}, %{{.*}} : tensor<2x16x64xf32>
  %d3 = slim.silu_grad %o, %x : tensor<2x16x64xf32>
  // CHECK: slim.activation_flags %{{.*}} kind resilu2 : tensor<2x16x64xf32> -> tensor<512xi8>
  %flags = slim.activation_flags %x kind resilu2 : tensor<2x16x64xf32> -> tensor<512xi8>
  // CHECK: slim.activation_grad_from_flags %{{.*}}, %{{.*}} kind regelu2 : (tensor<2x16x64xf32>, tensor<512xi8>) -> tensor<2x16x64xf32>
  %d5 = slim.activation_grad_from_flags %o, %flags kind regelu2 : (tensor<2x16x64xf32>, tensor<512xi8>) -> tensor<2x16x64xf32>
  // CHECK: slim.gelu_grad %{{.*}}, %{{.*}} approximate tanh : tensor<2x16x64xf32>
  %d4 = slim.gelu_grad %o, %x approximate tanh : tensor<2x16x64xf32>
  // CHECK: slim.zeros : tensor<8x64xf32>
  %z = slim.zeros : tensor<8x64xf32>
  // CHECK: slim.cross_entropy_with_grad %{{.*}}, %{{.*}} ignore_index -100 : (tensor<2x16x96xf32>, tensor<2x16xi32>) -> (tensor<f32>, tensor<2x16x96xf32>)
  %loss, %dl = slim.cross_entropy_with_grad %logits, %t ignore_index -100 : (tensor<2x16x96xf32>, tensor<2x16xi32>) -> (tensor<f32>, tensor<2x16x96xf32>)
  // CHECK: slim.rope %{{.*}} head_dim 16 theta 1.000000e+04 inverse : tensor<2x16x64xf32>
  %r = slim.rope %q head_dim 16 theta 1.0e4 inverse : tensor<2x16x64xf32>
  return
}

// CHECK-LABEL: func.func @optimizer
// CHECK-SAME: %{{.*}}: tensor<f32> {slim.input = "lr"}
// CHECK-SAME: attributes {slim.lr_schedule = {kind = "cosine", lr = 2.000000e-04 : f64, min_lr = 1.000000e-05 : f64, total_steps = 100 : i64, warmup_steps = 10 : i64}}
func.func @optimizer(%p: tensor<8x64xf32>, %g: tensor<8x64xf32>, %m: tensor<8x64xf32>, %v: tensor<8x64xf32>,
                     %step: tensor<i32> {slim.input = "step"}, %lr: tensor<f32> {slim.input = "lr"})
    attributes {slim.lr_schedule = {kind = "cosine", lr = 2.0e-4 : f64, warmup_steps = 10 : i64, total_steps = 100 : i64, min_lr = 1.0e-5 : f64}} {
  // CHECK: slim.global_norm_squared %{{.*}}, %{{.*}} : tensor<8x64xf32>, tensor<8x64xf32> -> tensor<f64>
  %ss = slim.global_norm_squared %g, %m : tensor<8x64xf32>, tensor<8x64xf32> -> tensor<f64>
  // CHECK: slim.sqrt %{{.*}} : tensor<f64> -> tensor<f32>
  %n = slim.sqrt %ss : tensor<f64> -> tensor<f32>
  // CHECK: slim.adamw {{.*}} beta1 9.000000e-01 beta2 0.99899999999999999 eps 1.000000e-08 weight_decay 0.000000e+00 max_grad_norm 1.000000e+00 :
  %p2, %m2, %v2 = slim.adamw %p, %g, %m, %v, %lr, %step, %ss beta1 0.9 beta2 0.999 eps 1.0e-8 weight_decay 0.0 max_grad_norm 1.0 : (tensor<8x64xf32>, tensor<8x64xf32>, tensor<8x64xf32>, tensor<8x64xf32>, tensor<f32>, tensor<i32>, tensor<f64>) -> (tensor<8x64xf32>, tensor<8x64xf32>, tensor<8x64xf32>)
  return
}

// Result attributes of a training step.
// CHECK-LABEL: func.func @step
// CHECK-SAME: -> (tensor<f32> {slim.output = "loss"}, tensor<2x4xf32> {slim.grad = "A"}, tensor<2x4xf32> {slim.updates = 0 : i64})
func.func @step(%a: tensor<2x4xf32> {slim.param = #slim.param<"A", trainable>}, %l: tensor<f32>,
                %s: tensor<2x4xf32> {slim.state = "A.exp_avg"})
    -> (tensor<f32> {slim.output = "loss"}, tensor<2x4xf32> {slim.grad = "A"}, tensor<2x4xf32> {slim.updates = 0 : i64}) {
  return %l, %a, %a : tensor<f32>, tensor<2x4xf32>, tensor<2x4xf32>
}
