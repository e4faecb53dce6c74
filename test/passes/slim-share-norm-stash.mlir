// slim-share-norm-stash: a norm whose output a consumer keeps for its backward becomes
// slim.normalize (z, rstd) + slim.scale_shift (γ, β); left alone, with a remark, where that
// would save nothing or is not possible. What slim-autodiff then makes of it:
// slim-share-norm-stash-autodiff.mlir.
// RUN: slimtune-opt %s -split-input-file -verify-diagnostics --slim-share-norm-stash | FileCheck %s

// CHECK-LABEL: func.func @rms
// CHECK: %[[X:.*]] = slim.lora %arg3
// CHECK-NEXT: %[[Z:.*]], %[[R:.*]] = slim.normalize %[[X]] kind rms epsilon 1.000000e-05 : tensor<2x8x16xf32> -> (tensor<2x8x16xf32>, tensor<2x8xf32>)
// CHECK-NEXT: %[[N:.*]] = slim.scale_shift %[[Z]] scale %arg0 : (tensor<2x8x16xf32>, tensor<16xf32>) -> tensor<2x8x16xf32>
// CHECK-NEXT: slim.linear %[[N]], %arg4
// CHECK-NEXT: slim.lora %[[N]], %arg1, %arg2
// CHECK-NOT: slim.rms_norm
func.func @rms(%g: tensor<16xf32> {slim.param = #slim.param<"ln.weight", frozen>},
               %a: tensor<4x16xf32> {slim.param = #slim.param<"a", trainable>},
               %b: tensor<16x4xf32> {slim.param = #slim.param<"b", trainable>},
               %x0: tensor<2x8x16xf32>,
               %w: tensor<32x16xf32> {slim.param = #slim.param<"w", frozen>},
               %a0: tensor<4x16xf32> {slim.param = #slim.param<"a0", trainable>},
               %b0: tensor<16x4xf32> {slim.param = #slim.param<"b0", trainable>},
               %targets: tensor<2x8xi32>) -> tensor<f32> {
  %x = slim.lora %x0, %a0, %b0 scale 1.0 : (tensor<2x8x16xf32>, tensor<4x16xf32>, tensor<16x4xf32>) -> tensor<2x8x16xf32>
  %n = slim.rms_norm %x scale %g epsilon 1.000000e-05 : (tensor<2x8x16xf32>, tensor<16xf32>) -> tensor<2x8x16xf32>
  %y0 = slim.linear %n, %w : (tensor<2x8x16xf32>, tensor<32x16xf32>) -> tensor<2x8x32xf32>
  %d = slim.lora %n, %a, %b scale 2.0 : (tensor<2x8x16xf32>, tensor<4x16xf32>, tensor<16x4xf32>) -> tensor<2x8x16xf32>
  %y1 = slim.linear %d, %w : (tensor<2x8x16xf32>, tensor<32x16xf32>) -> tensor<2x8x32xf32>
  %y = slim.add %y0, %y1 : tensor<2x8x32xf32>
  %loss = slim.cross_entropy %y, %targets ignore_index -100 : (tensor<2x8x32xf32>, tensor<2x8xi32>) -> tensor<f32>
  return %loss : tensor<f32>
}

// -----

// LayerNorm: γ and β both go to slim.scale_shift; its consumer is a linear with a trainable
// weight (which keeps its input as well).
// CHECK-LABEL: func.func @layer
// CHECK: %[[Z:.*]], %{{.*}} = slim.normalize %{{.*}} kind layer epsilon 1.000000e-05
// CHECK-NEXT: slim.scale_shift %[[Z]] scale %arg0 shift %arg1 : (tensor<3x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<3x8xf32>
func.func @layer(%g: tensor<8xf32> {slim.param = #slim.param<"ln.weight", frozen>},
                 %s: tensor<8xf32> {slim.param = #slim.param<"ln.bias", frozen>},
                 %w0: tensor<8x8xf32> {slim.param = #slim.param<"w0", trainable>},
                 %w: tensor<8x8xf32> {slim.param = #slim.param<"w", trainable>},
                 %x0: tensor<3x8xf32>, %targets: tensor<3xi32>) -> tensor<f32> {
  %x = slim.linear %x0, %w0 : (tensor<3x8xf32>, tensor<8x8xf32>) -> tensor<3x8xf32>
  %n = slim.layer_norm %x scale %g shift %s epsilon 1.000000e-05 : (tensor<3x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<3x8xf32>
  %y = slim.linear %n, %w : (tensor<3x8xf32>, tensor<8x8xf32>) -> tensor<3x8xf32>
  %loss = slim.cross_entropy %y, %targets ignore_index -100 : (tensor<3x8xf32>, tensor<3xi32>) -> tensor<f32>
  return %loss : tensor<f32>
}

// -----

// Only frozen linears read the norm's output (a final norm before the head): z would be kept
// in place of the input, at the same size. Left alone.
// CHECK-LABEL: func.func @frozen_consumer
// CHECK: slim.rms_norm
// CHECK-NOT: slim.normalize
func.func @frozen_consumer(%g: tensor<8xf32> {slim.param = #slim.param<"ln.weight", frozen>},
                           %w0: tensor<8x8xf32> {slim.param = #slim.param<"w0", trainable>},
                           %w: tensor<8x8xf32> {slim.param = #slim.param<"w", frozen>},
                           %x0: tensor<3x8xf32>, %targets: tensor<3xi32>) -> tensor<f32> {
  %x = slim.linear %x0, %w0 : (tensor<3x8xf32>, tensor<8x8xf32>) -> tensor<3x8xf32>
  // expected-remark @+1 {{slim-share-norm-stash: left alone: no consumer keeps its output for the backward}}
  %n = slim.rms_norm %x scale %g epsilon 1.000000e-05 : (tensor<3x8xf32>, tensor<8xf32>) -> tensor<3x8xf32>
  %y = slim.linear %n, %w : (tensor<3x8xf32>, tensor<8x8xf32>) -> tensor<3x8xf32>
  %loss = slim.cross_entropy %y, %targets ignore_index -100 : (tensor<3x8xf32>, tensor<3xi32>) -> tensor<f32>
  return %loss : tensor<f32>
}

// -----

// The first layer's norm reads the frozen embedding: its backward does not exist, and its
// input is not kept. Left alone.
// CHECK-LABEL: func.func @inactive_input
// CHECK: slim.rms_norm
// CHECK-NOT: slim.normalize
func.func @inactive_input(%g: tensor<8xf32> {slim.param = #slim.param<"ln.weight", frozen>},
                          %w: tensor<8x8xf32> {slim.param = #slim.param<"w", trainable>},
                          %x: tensor<3x8xf32>, %targets: tensor<3xi32>) -> tensor<f32> {
  // expected-remark @+1 {{slim-share-norm-stash: left alone: its input needs no gradient}}
  %n = slim.rms_norm %x scale %g epsilon 1.000000e-05 : (tensor<3x8xf32>, tensor<8xf32>) -> tensor<3x8xf32>
  %y = slim.linear %n, %w : (tensor<3x8xf32>, tensor<8x8xf32>) -> tensor<3x8xf32>
  %loss = slim.cross_entropy %y, %targets ignore_index -100 : (tensor<3x8xf32>, tensor<3xi32>) -> tensor<f32>
  return %loss : tensor<f32>
}

// -----

// A norm without γ: slim.normalize alone, nothing to recompute.
// CHECK-LABEL: func.func @no_scale
// CHECK: %[[Z:.*]], %{{.*}} = slim.normalize
// CHECK-NEXT: slim.linear %[[Z]], %arg1
// CHECK-NOT: slim.scale_shift
func.func @no_scale(%w0: tensor<8x8xf32> {slim.param = #slim.param<"w0", trainable>},
                    %w: tensor<8x8xf32> {slim.param = #slim.param<"w", trainable>},
                    %x0: tensor<3x8xf32>, %targets: tensor<3xi32>) -> tensor<f32> {
  %x = slim.linear %x0, %w0 : (tensor<3x8xf32>, tensor<8x8xf32>) -> tensor<3x8xf32>
  %n = slim.rms_norm %x epsilon 1.000000e-05 : (tensor<3x8xf32>) -> tensor<3x8xf32>
  %y = slim.linear %n, %w : (tensor<3x8xf32>, tensor<8x8xf32>) -> tensor<3x8xf32>
  %loss = slim.cross_entropy %y, %targets ignore_index -100 : (tensor<3x8xf32>, tensor<3xi32>) -> tensor<f32>
  return %loss : tensor<f32>
}

// -----

// A trainable γ would need its own gradient, which slim.scale_shift has no rule for.
// CHECK-LABEL: func.func @trainable_scale
// CHECK: slim.rms_norm
func.func @trainable_scale(%g: tensor<8xf32> {slim.param = #slim.param<"ln.weight", trainable>},
                           %w: tensor<8x8xf32> {slim.param = #slim.param<"w", trainable>},
                           %x: tensor<3x8xf32>) -> tensor<3x8xf32> {
  // expected-remark @+1 {{slim-share-norm-stash: left alone: a trainable scale or shift}}
  %n = slim.rms_norm %x scale %g epsilon 1.000000e-05 : (tensor<3x8xf32>, tensor<8xf32>) -> tensor<3x8xf32>
  %y = slim.linear %n, %w : (tensor<3x8xf32>, tensor<8x8xf32>) -> tensor<3x8xf32>
  return %y : tensor<3x8xf32>
}

// -----

// A training step already has its backward: the rewrite must come before slim-autodiff.
// expected-error @+1 {{slim-share-norm-stash: runs on a forward graph, before slim-autodiff}}
func.func @after_autodiff(%x: tensor<3x8xf32>) -> tensor<3x8xf32> {
  %h = slim.stash %x : tensor<3x8xf32>
  %u = slim.unstash %h : !slim.stash<tensor<3x8xf32>>
  return %u : tensor<3x8xf32>
}
