// slim-optimizer's options are checked.
// RUN: not slimtune-opt %s --slim-optimizer="schedule=linear" 2>&1 | FileCheck %s --check-prefix=SCHEDULE
// RUN: not slimtune-opt %s --slim-optimizer="schedule=cosine warmup-steps=10 total-steps=10" 2>&1 | FileCheck %s --check-prefix=TOTAL
// RUN: not slimtune-opt %s --slim-optimizer="beta1=1.5" 2>&1 | FileCheck %s --check-prefix=BETA
// SCHEDULE: slim-optimizer: schedule must be constant or cosine, got "linear"
// TOTAL: slim-optimizer: a cosine schedule needs total-steps (10) > warmup-steps (10)
// BETA: slim-optimizer: beta1 must be in [0, 1), got 1.5
func.func @step(%a: tensor<4x8xf32> {slim.param = #slim.param<"A", trainable>}, %grad: tensor<4x8xf32>, %loss: tensor<f32>)
    -> (tensor<f32> {slim.output = "loss"}, tensor<4x8xf32> {slim.grad = "A"}) {
  return %loss, %grad : tensor<f32>, tensor<4x8xf32>
}
