// slim-approx-activation-grad: the stash of a SiLU/GELU input becomes a stash of its 2-bit
// flags and the backward reads them; left exact (with a remark) where the input is also kept
// for something else or is not read through a stash.
// RUN: slimtune-opt %s -split-input-file -verify-diagnostics --slim-approx-activation-grad | FileCheck %s
// RUN: slimtune-opt %s -split-input-file --slim-approx-activation-grad="sites=*layers.1.mlp.gate_proj:add" 2>/dev/null | FileCheck %s --check-prefix=SITES

// CHECK-LABEL: func.func @silu
// CHECK: %[[A:.*]] = slim.add
// CHECK-NEXT: %[[F:.*]] = slim.activation_flags %[[A]] kind resilu2 : tensor<2x8x16xf32> -> tensor<64xi8>
// CHECK-NEXT: %[[H:.*]] = slim.stash %[[F]] : tensor<64xi8>
// CHECK-NEXT: slim.silu %[[A]]
// CHECK-NEXT: %[[U:.*]] = slim.unstash %[[H]] : !slim.stash<tensor<64xi8>>
// CHECK-NEXT: slim.activation_grad_from_flags %arg1, %[[U]] kind resilu2
// CHECK-NOT: slim.stash
// CHECK-NOT: slim.silu_grad
func.func @silu(%x: tensor<2x8x16xf32>, %dy: tensor<2x8x16xf32>) -> (tensor<2x8x16xf32>, tensor<2x8x16xf32>) {
  %a = slim.add %x, %x : tensor<2x8x16xf32>
  %h = slim.stash %a : tensor<2x8x16xf32>
  %y = slim.silu %a : tensor<2x8x16xf32>
  %u = slim.unstash %h : !slim.stash<tensor<2x8x16xf32>>
  %dx = slim.silu_grad %dy, %u : tensor<2x8x16xf32>
  return %y, %dx : tensor<2x8x16xf32>, tensor<2x8x16xf32>
}

// -----

// GELU (either form) gets ReGELU2; an element count not a multiple of 4 rounds the bytes up.
// CHECK-LABEL: func.func @gelu
// CHECK: slim.activation_flags %{{.*}} kind regelu2 : tensor<3x5xf32> -> tensor<4xi8>
// CHECK: slim.activation_grad_from_flags %{{.*}}, %{{.*}} kind regelu2 : (tensor<3x5xf32>, tensor<4xi8>) -> tensor<3x5xf32>
// CHECK-NOT: slim.gelu_grad
func.func @gelu(%x: tensor<3x5xf32>, %dy: tensor<3x5xf32>) -> (tensor<3x5xf32>, tensor<3x5xf32>) {
  %a = slim.add %x, %x : tensor<3x5xf32>
  %h = slim.stash %a : tensor<3x5xf32>
  %y = slim.gelu %a approximate tanh : tensor<3x5xf32>
  %u = slim.unstash %h : !slim.stash<tensor<3x5xf32>>
  %dx = slim.gelu_grad %dy, %u approximate tanh : tensor<3x5xf32>
  return %y, %dx : tensor<3x5xf32>, tensor<3x5xf32>
}

// -----

// The input is also kept for a product's backward: nothing to save, so nothing changes.
// CHECK-LABEL: func.func @kept_elsewhere
// CHECK: slim.silu_grad
// CHECK-NOT: slim.activation_flags
func.func @kept_elsewhere(%x: tensor<4x8xf32>, %dy: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>) {
  %a = slim.add %x, %x : tensor<4x8xf32>
  %h = slim.stash %a : tensor<4x8xf32>
  %y = slim.silu %a : tensor<4x8xf32>
  %u = slim.unstash %h : !slim.stash<tensor<4x8xf32>>
  // expected-remark @+1 {{slim-approx-activation-grad: left exact: its input is also kept for slim.mul}}
  %dx = slim.silu_grad %dy, %u : tensor<4x8xf32>
  %dm = slim.mul %dy, %u : tensor<4x8xf32>
  return %y, %dx, %dm : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

// CHECK-LABEL: func.func @not_stashed
// CHECK: slim.silu_grad
func.func @not_stashed(%x: tensor<4x8xf32>, %dy: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-remark @+1 {{slim-approx-activation-grad: left exact: its input is not read through a stash}}
  %dx = slim.silu_grad %dy, %x : tensor<4x8xf32>
  return %dx : tensor<4x8xf32>
}

// -----

// `sites`: only activations whose input's stash site matches (here layer 1's); layer 0's
// keeps its input. The flags' stash is named after that input, as the input's was.
// SITES-LABEL: func.func @sites
// SITES: slim.stash %{{.*}} : tensor<2x8x16xf32>
// SITES: slim.activation_flags
// SITES: slim.silu_grad
// SITES: slim.activation_grad_from_flags
func.func @sites(%x: tensor<2x8x16xf32>, %dy: tensor<2x8x16xf32>) -> (tensor<2x8x16xf32>, tensor<2x8x16xf32>, tensor<2x8x16xf32>, tensor<2x8x16xf32>) {
  %a = slim.add %x, %x : tensor<2x8x16xf32> loc("model.layers.0.mlp.gate_proj")
  %ha = slim.stash %a : tensor<2x8x16xf32>
  %ya = slim.silu %a : tensor<2x8x16xf32>
  %b = slim.add %x, %dy : tensor<2x8x16xf32> loc("model.layers.1.mlp.gate_proj")
  %hb = slim.stash %b : tensor<2x8x16xf32>
  %yb = slim.silu %b : tensor<2x8x16xf32>
  %ua = slim.unstash %ha : !slim.stash<tensor<2x8x16xf32>>
  %dxa = slim.silu_grad %dy, %ua : tensor<2x8x16xf32>
  %ub = slim.unstash %hb : !slim.stash<tensor<2x8x16xf32>>
  %dxb = slim.silu_grad %dy, %ub : tensor<2x8x16xf32>
  return %ya, %yb, %dxa, %dxb : tensor<2x8x16xf32>, tensor<2x8x16xf32>, tensor<2x8x16xf32>, tensor<2x8x16xf32>
}
