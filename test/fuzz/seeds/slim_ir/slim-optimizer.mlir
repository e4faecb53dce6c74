// slim-optimizer: AdamW state as arguments, the step counter and the learning rate as inputs
// (the schedule recorded on the function for the runtime), clipping on the global norm, and
// parameters and moments returned in place of their arguments.
// RUN: slimtune-opt %s -split-input-file -verify-diagnostics --slim-optimizer="lr=1e-3 schedule=cosine warmup-steps=5 total-steps=100 max-grad-norm=0.5 weight-decay=0.01" | FileCheck %s
// RUN: slimtune-opt %s -split-input-file -verify-diagnostics --slim-optimizer="keep-gradients=true" | FileCheck %s --check-prefix=KEEP

// CHECK-LABEL: func.func @step
// CHECK-SAME: %arg0: tensor<4x8xf32> {slim.param = #slim.param<"A", trainable>}
// CHECK-SAME: %[[M:arg[0-9]+]]: tensor<4x8xf32> {slim.state = "A.exp_avg"}, %[[V:arg[0-9]+]]: tensor<4x8xf32> {slim.state = "A.exp_avg_sq"}, %[[STEP:arg[0-9]+]]: tensor<i32> {slim.input = "step"}, %[[LR:arg[0-9]+]]: tensor<f32> {slim.input = "lr"}
// CHECK-SAME: -> (tensor<f32> {slim.output = "loss"}, tensor<f32> {slim.output = "grad_norm"}, tensor<4x8xf32> {slim.updates = 0 : i64}, tensor<4x8xf32> {slim.updates = 2 : i64}, tensor<4x8xf32> {slim.updates = 3 : i64})
// CHECK-SAME: attributes {slim.lr_schedule = {kind = "cosine", lr = 1.000000e-03 : f64, min_lr = 0.000000e+00 : f64, total_steps = 100 : i64, warmup_steps = 5 : i64}}
// CHECK-NOT: slim.lr_schedule %
// The loss of this made-up step, then the optimizer's norm.
// CHECK: slim.global_norm_squared
// CHECK: %[[SS:.*]] = slim.global_norm_squared %{{.*}} : tensor<4x8xf32> -> tensor<f64>
// CHECK: %[[NORM:.*]] = slim.sqrt %[[SS]]
// CHECK: %[[P:.*]], %[[PM:.*]], %[[PV:.*]] = slim.adamw %arg0, %{{.*}}, %[[M]], %[[V]], %[[LR]], %[[STEP]], %[[SS]] beta1 9.000000e-01 beta2 0.99899999999999999 eps 1.000000e-08 weight_decay 1.000000e-02 max_grad_norm 5.000000e-01
// CHECK: return %{{.*}}, %[[NORM]], %[[P]], %[[PM]], %[[PV]]

// keep-gradients: the gradient is returned as well, after the loss and norm.
// KEEP-LABEL: func.func @step
// KEEP-SAME: -> (tensor<f32> {slim.output = "loss"}, tensor<f32> {slim.output = "grad_norm"}, tensor<4x8xf32> {slim.grad = "A"}, tensor<4x8xf32> {slim.updates = 0 : i64}
// KEEP-SAME: slim.lr_schedule = {kind = "constant", lr = 2.000000e-04 : f64, min_lr = 0.000000e+00 : f64, total_steps = 0 : i64, warmup_steps = 0 : i64}
// KEEP: return %{{.*}}, %{{.*}}, %arg1, %{{.*}}, %{{.*}}, %{{.*}} :
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
