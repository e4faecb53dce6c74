// Folders of slim ops, run through the canonicalizer.
// RUN: slimtune-opt %s -split-input-file -canonicalize | FileCheck %s

// Slicing a whole last dimension is the identity.
// CHECK-LABEL: func.func @slice_whole
// CHECK-NEXT: return %arg0
func.func @slice_whole(%x: tensor<2x16x64xf32>) -> tensor<2x16x64xf32> {
  %y = slim.slice %x[0 : 64] : tensor<2x16x64xf32> -> tensor<2x16x64xf32>
  return %y : tensor<2x16x64xf32>
}

// -----

// A slice that picks exactly one operand of a concatenation is that operand.
// CHECK-LABEL: func.func @slice_of_concat
// CHECK-NEXT: return %arg1
func.func @slice_of_concat(%a: tensor<2x16x64xf32>, %b: tensor<2x16x32xf32>, %c: tensor<2x16x64xf32>) -> tensor<2x16x32xf32> {
  %abc = slim.concat %a, %b, %c : (tensor<2x16x64xf32>, tensor<2x16x32xf32>, tensor<2x16x64xf32>) -> tensor<2x16x160xf32>
  %y = slim.slice %abc[64 : 96] : tensor<2x16x160xf32> -> tensor<2x16x32xf32>
  return %y : tensor<2x16x32xf32>
}

// -----

// A slice that straddles two operands stays.
// CHECK-LABEL: func.func @negative_slice_across_operands
// CHECK: slim.concat
// CHECK: slim.slice %{{.*}}[32 : 96]
func.func @negative_slice_across_operands(%a: tensor<2x16x64xf32>, %b: tensor<2x16x64xf32>) -> tensor<2x16x64xf32> {
  %ab = slim.concat %a, %b : (tensor<2x16x64xf32>, tensor<2x16x64xf32>) -> tensor<2x16x128xf32>
  %y = slim.slice %ab[32 : 96] : tensor<2x16x128xf32> -> tensor<2x16x64xf32>
  return %y : tensor<2x16x64xf32>
}

// -----

// Concatenating adjacent slices that cover a value gives the value back (GPT-2's split
// q/k/v joined again).
// CHECK-LABEL: func.func @concat_of_slices
// CHECK-NEXT: return %arg0
func.func @concat_of_slices(%qkv: tensor<2x16x192xf32>) -> tensor<2x16x192xf32> {
  %q = slim.slice %qkv[0 : 64] : tensor<2x16x192xf32> -> tensor<2x16x64xf32>
  %k = slim.slice %qkv[64 : 128] : tensor<2x16x192xf32> -> tensor<2x16x64xf32>
  %v = slim.slice %qkv[128 : 192] : tensor<2x16x192xf32> -> tensor<2x16x64xf32>
  %r = slim.concat %q, %k, %v : (tensor<2x16x64xf32>, tensor<2x16x64xf32>, tensor<2x16x64xf32>) -> tensor<2x16x192xf32>
  return %r : tensor<2x16x192xf32>
}

// -----

// Slices that leave a gap, or come out of order, are not the source.
// CHECK-LABEL: func.func @negative_concat_of_reordered_slices
// CHECK: slim.concat
func.func @negative_concat_of_reordered_slices(%qkv: tensor<2x16x128xf32>) -> tensor<2x16x128xf32> {
  %a = slim.slice %qkv[64 : 128] : tensor<2x16x128xf32> -> tensor<2x16x64xf32>
  %b = slim.slice %qkv[0 : 64] : tensor<2x16x128xf32> -> tensor<2x16x64xf32>
  %r = slim.concat %a, %b : (tensor<2x16x64xf32>, tensor<2x16x64xf32>) -> tensor<2x16x128xf32>
  return %r : tensor<2x16x128xf32>
}

// -----

// Slices of a prefix do not cover the value.
// CHECK-LABEL: func.func @negative_concat_of_prefix
// CHECK: slim.concat
func.func @negative_concat_of_prefix(%x: tensor<2x16x192xf32>) -> tensor<2x16x128xf32> {
  %a = slim.slice %x[0 : 64] : tensor<2x16x192xf32> -> tensor<2x16x64xf32>
  %b = slim.slice %x[64 : 128] : tensor<2x16x192xf32> -> tensor<2x16x64xf32>
  %r = slim.concat %a, %b : (tensor<2x16x64xf32>, tensor<2x16x64xf32>) -> tensor<2x16x128xf32>
  return %r : tensor<2x16x128xf32>
}

// -----

// A concatenation of one value is that value.
// CHECK-LABEL: func.func @concat_single
// CHECK-NEXT: return %arg0
func.func @concat_single(%x: tensor<2x16x64xf32>) -> tensor<2x16x64xf32> {
  %r = slim.concat %x : (tensor<2x16x64xf32>) -> tensor<2x16x64xf32>
  return %r : tensor<2x16x64xf32>
}

// -----

// A stash whose handle is never read is dead (stashes are pure); one that is read stays.
// CHECK-LABEL: func.func @dead_stash
// CHECK: slim.stash %
// CHECK-NOT: slim.stash %
// CHECK: slim.unstash
func.func @dead_stash(%x: tensor<2x16x64xf32>) -> tensor<2x16x64xf32> {
  %dead = slim.stash %x : tensor<2x16x64xf32>
  %h = slim.stash %x : tensor<2x16x64xf32>
  %y = slim.unstash %h : !slim.stash<tensor<2x16x64xf32>>
  return %y : tensor<2x16x64xf32>
}
