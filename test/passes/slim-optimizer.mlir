// slim-optimizer: AdamW state as arguments, the schedule on the step counter, clipping on the
// global norm, and parameters and moments returned in place of their arguments.
// RUN: slimtune-opt %s -split-input-file -verify-diagnostics --slim-optimizer="lr=1e-3 schedule=cosine warmup-steps=5 total-steps=100 max-grad-norm=0.5 weight-decay=0.01" | FileCheck %s

// CHECK-LABEL: func.func @step
// CHECK-SAME: %arg0: tensor<4x8xf32> {slim.param = #slim.param<"A", trainable>}
// CHECK-SAME: %[[M:arg[0-9]+]]: tensor<4x8xf32> {slim.state = "A.exp_avg"}, %[[V:arg[0-9]+]]: tensor<4x8xf32> {slim.state = "A.exp_avg_sq"}, %[[STEP:arg[0-9]+]]: tensor<i32> {slim.input = "step"}
// CHECK-SAME: -> (tensor<f32> {slim.output = "loss"}, tensor<f32> {slim.output = "grad_norm"}, tensor<f32> {slim.output = "lr"}, tensor<4x8xf32> {slim.updates = 0 : i64}, tensor<4x8xf32> {slim.updates = 2 : i64}, tensor<4x8xf32> {slim.updates = 3 : i64})
// CHECK: %[[LR:.*]] = slim.lr_schedule %[[STEP]] lr 1.000000e-03 cosine warmup 5 total 100 min_lr 0.000000e+00
// CHECK: %[[SS:.*]] = slim.global_norm_squared %{{.*}} : tensor<4x8xf32> -> tensor<f64>
// CHECK: %[[NORM:.*]] = slim.sqrt %[[SS]]
// CHECK: %[[P:.*]], %[[PM:.*]], %[[PV:.*]] = slim.adamw %arg0, %{{.*}}, %[[M]], %[[V]], %[[LR]], %[[STEP]], %[[SS]] beta1 9.000000e-01 beta2 0.99899999999999999 eps 1.000000e-08 weight_decay 1.000000e-02 max_grad_norm 5.000000e-01
// CHECK: return %{{.*}}, %[[NORM]], %[[LR]], %[[P]], %[[PM]], %[[PV]]
func.func @step(%a: tensor<4x8xf32> {slim.param = #slim.param<"A", trainable>}, %grad: tensor<4x8xf32>)
    -> (tensor<f32> {slim.output = "loss"}, tensor<4x8xf32> {slim.grad = "A"}) {
  %s = slim.global_norm_squared %grad : tensor<4x8xf32> -> tensor<f64>
  %loss = slim.sqrt %s : tensor<f64> -> tensor<f32>
  return %loss, %grad : tensor<f32>, tensor<4x8xf32>
}

// -----

// Without slim-autodiff's results there is nothing to apply.
// expected-error @+1 {{slim-optimizer: result #0 is neither the loss nor a gradient; run slim-autodiff first}}
func.func @negative_forward(%x: tensor<f32>) -> tensor<f32> {
  return %x : tensor<f32>
}
