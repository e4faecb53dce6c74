// slim-share-norm-stash then slim-autodiff: the forward keeps z and rstd and nothing else of
// the norm (not its input, not z·γ); the adapter's backward recomputes z·γ (+ β) from the
// stashed z; the norm's gradient is slim.normalize_grad of z and rstd.
// RUN: slimtune-opt %s -split-input-file --slim-share-norm-stash --slim-autodiff | FileCheck %s

// CHECK-LABEL: func.func @rms
// CHECK: %[[Z:.*]], %[[R:.*]] = slim.normalize
// CHECK-NEXT: %[[HR:.*]] = slim.stash %[[R]] : tensor<2x8xf32>
// CHECK-NEXT: %[[HZ:.*]] = slim.stash %[[Z]] : tensor<2x8x16xf32>
// CHECK-NEXT: slim.scale_shift %[[Z]] scale %arg0
// CHECK-NOT: slim.stash
// CHECK: slim.cross_entropy_with_grad
// CHECK: %[[UZ:.*]] = slim.unstash %[[HZ]]
// CHECK-NEXT: %[[N:.*]] = slim.scale_shift %[[UZ]] scale %arg0
// CHECK: slim.lora_grad %{{.*}}, %[[N]],
// CHECK: %[[DZ:.*]] = slim.scale_shift %{{.*}} scale %arg0 :
// CHECK-NEXT: %[[UR:.*]] = slim.unstash %[[HR]]
// CHECK-NEXT: slim.normalize_grad %[[DZ]], %[[UZ]], %[[UR]] kind rms
// CHECK-NOT: slim.rms_norm_grad
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

// LayerNorm with γ and β, read by a trainable linear: the recomputed value has the shift.
// CHECK-LABEL: func.func @layer
// CHECK: slim.cross_entropy_with_grad
// CHECK: %[[N:.*]] = slim.scale_shift %{{.*}} scale %arg0 shift %arg1
// CHECK-NEXT: slim.weight_grad %{{.*}}, %[[N]]
// CHECK: slim.normalize_grad %{{.*}} kind layer
// CHECK-NOT: slim.layer_norm_grad
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
