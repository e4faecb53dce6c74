// slim-disable-dropout: every adapter of a forward graph runs without dropout (evaluation);
// a training step is refused (its backward draws the forward's dropout masks).
// RUN: slimtune-opt %s -split-input-file -verify-diagnostics --slim-disable-dropout | FileCheck %s

// CHECK-LABEL: func.func @forward
// CHECK: slim.lora %{{.*}}, %{{.*}}, %{{.*}} scale 2.000000e+00 seed 7 :
// CHECK-NOT: dropout
// CHECK: slim.lora %{{.*}}, %{{.*}}, %{{.*}} scale 1.000000e+00 :
func.func @forward(%x: tensor<2x4x16xf32>, %a: tensor<4x16xf32>, %b: tensor<8x4xf32>) -> tensor<2x4x8xf32> {
  %d = slim.lora %x, %a, %b scale 2.0 dropout 0.1 seed 7 : (tensor<2x4x16xf32>, tensor<4x16xf32>, tensor<8x4xf32>) -> tensor<2x4x8xf32>
  %e = slim.lora %x, %a, %b scale 1.0 : (tensor<2x4x16xf32>, tensor<4x16xf32>, tensor<8x4xf32>) -> tensor<2x4x8xf32>
  %s = slim.add %d, %e : tensor<2x4x8xf32>
  return %s : tensor<2x4x8xf32>
}

// -----

func.func @negative_training_step(%x: tensor<2x4x16xf32>) -> tensor<2x4x16xf32> {
  // expected-error @+1 {{'slim.stash' op slim-disable-dropout: the graph is already a training step; evaluate the forward graph (before slim-autodiff)}}
  %h = slim.stash %x : tensor<2x4x16xf32>
  %y = slim.unstash %h : !slim.stash<tensor<2x4x16xf32>>
  return %y : tensor<2x4x16xf32>
}
