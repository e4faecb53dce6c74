// slim-plan-memory: offsets in one arena from liveness, stash/unstash as aliases of the
// stashed buffer, in-place results where the kernel allows it, outputs outside the arena.
// RUN: slimtune-opt %s -split-input-file --slim-plan-memory | FileCheck %s
// RUN: slimtune-opt %s -split-input-file --slim-plan-memory=reorder=false | FileCheck %s --check-prefix=NOREORDER
// RUN: slimtune-opt %s -split-input-file --slim-plan-memory=target=cuda | FileCheck %s --check-prefix=CUDA
// RUN: not slimtune-opt %s -split-input-file --slim-plan-memory=target=tpu 2>&1 | FileCheck %s --check-prefix=TARGET
// Workspaces are the target's kernels' (KernelTarget.h): the compiler knows the CPU's and the
// GPU's, and the plan records which it holds.
// CUDA-LABEL: func.func @reuse
// CUDA-SAME: attributes {slim.arena_bytes = 1024 : i64, slim.plan_target = "cuda"}
// TARGET: slim-plan-memory: unknown target "tpu"

// %a (512 B) dies at %b; %c can reuse its bytes. %d = %b + %c is computed in place of %b.
// %h stashes %c: the stash is free, but %c stays live until the unstash reads it.
// CHECK-LABEL: func.func @reuse
// CHECK-SAME: attributes {slim.arena_bytes = 1024 : i64, slim.plan_target = "cpu"}
// CHECK: slim.silu %arg0 {slim.offsets = array<i64: [[A:[0-9]+]]>}
// CHECK: slim.silu %{{.*}} {slim.offsets = array<i64: [[B:[0-9]+]]>}
// CHECK: slim.silu %arg0 {slim.offsets = array<i64: [[A]]>}
// CHECK: slim.stash %{{.*}} {slim.offsets = array<i64: -1>}
// CHECK: slim.add %{{.*}}, %{{.*}} {slim.offsets = array<i64: [[B]]>}
// CHECK: slim.unstash %{{.*}} {slim.offsets = array<i64: [[A]]>}
// CHECK: slim.mul %{{.*}}, %{{.*}} {slim.offsets = array<i64: -1>}
func.func @reuse(%x: tensor<2x64xf32>) -> tensor<2x64xf32> {
  %a = slim.silu %x : tensor<2x64xf32>
  %b = slim.silu %a : tensor<2x64xf32>
  %c = slim.silu %x : tensor<2x64xf32>
  %h = slim.stash %c : tensor<2x64xf32>
  %d = slim.add %b, %c : tensor<2x64xf32>
  %c2 = slim.unstash %h : !slim.stash<tensor<2x64xf32>>
  %r = slim.mul %d, %c2 : tensor<2x64xf32>
  return %r : tensor<2x64xf32>
}

// -----

// A kernel's workspace lives only during its op. The fused loss gradient takes the logits'
// buffer.
// CHECK-LABEL: func.func @workspace_and_logits
// CHECK: slim.lora {{.*}} {slim.offsets = array<i64: [[Y:[0-9]+]]>, slim.workspace = array<i64: {{[0-9]+}}, 64>}
// CHECK: slim.cross_entropy_with_grad {{.*}} {slim.offsets = array<i64: -1, [[Y]]>}
func.func @workspace_and_logits(%x: tensor<1x4x8xf32>, %a: tensor<2x8xf32>, %b: tensor<16x2xf32>,
                                %t: tensor<1x4xi32>) -> (tensor<f32>, tensor<1x4x16xf32>) {
  %y = slim.lora %x, %a, %b scale 1.0 : (tensor<1x4x8xf32>, tensor<2x8xf32>, tensor<16x2xf32>) -> tensor<1x4x16xf32>
  %loss, %d = slim.cross_entropy_with_grad %y, %t ignore_index -100 : (tensor<1x4x16xf32>, tensor<1x4xi32>) -> (tensor<f32>, tensor<1x4x16xf32>)
  %e = slim.silu %d : tensor<1x4x16xf32>
  return %loss, %e : tensor<f32>, tensor<1x4x16xf32>
}

// -----

// The reordering: %late is computed from an argument and first read by the last op, so it
// moves down to just before it; its buffer is then never live beside both %a and %b.
// CHECK-LABEL: func.func @sink
// CHECK-SAME: attributes {slim.arena_bytes = 1024 : i64, slim.plan_target = "cpu"}
// CHECK: slim.silu %arg0
// CHECK-NEXT: slim.silu
// CHECK-NEXT: slim.silu %arg1
// CHECK-NEXT: slim.add
// NOREORDER-LABEL: func.func @sink
// NOREORDER-SAME: attributes {slim.arena_bytes = 1536 : i64, slim.plan_target = "cpu"}
// NOREORDER: slim.silu %arg1
// NOREORDER-NEXT: slim.silu %arg0
func.func @sink(%x: tensor<2x64xf32>, %y: tensor<2x64xf32>) -> tensor<2x64xf32> {
  %late = slim.silu %y : tensor<2x64xf32>
  %a = slim.silu %x : tensor<2x64xf32>
  %b = slim.silu %a : tensor<2x64xf32>
  %r = slim.add %b, %late : tensor<2x64xf32>
  return %r : tensor<2x64xf32>
}

// -----

// Not moved: %late is the last reader of %t, which would then live longer.
// CHECK-LABEL: func.func @no_sink
// CHECK: %[[T:.*]] = slim.silu %arg0
// CHECK-NEXT: slim.silu %[[T]]
// CHECK-NEXT: slim.silu %arg0
func.func @no_sink(%x: tensor<2x64xf32>) -> tensor<2x64xf32> {
  %t = slim.silu %x : tensor<2x64xf32>
  %late = slim.silu %t : tensor<2x64xf32>
  %a = slim.silu %x : tensor<2x64xf32>
  %b = slim.silu %a : tensor<2x64xf32>
  %r = slim.add %b, %late : tensor<2x64xf32>
  return %r : tensor<2x64xf32>
}

// -----

// An encoded stash keeps its codes in a buffer of their own (2 groups x 8 B of step and
// minimum, then 128 code bytes = 144 B, aligned to 192), live from the stash to the unstash;
// the stashed value's buffer dies at its last forward use and the unstash decodes into a
// fresh one, which may reuse the value's bytes.
// CHECK-LABEL: func.func @encoded
// CHECK: %[[A:.*]] = slim.silu %arg0 {slim.offsets = array<i64: [[OA:[0-9]+]]>}
// CHECK-NEXT: slim.stash %[[A]] encoding({{.*}}) {slim.offsets = array<i64: [[OH:[0-9]+]]>}
// CHECK-NEXT: slim.silu %[[A]] {slim.offsets = array<i64: [[OB:[0-9]+]]>}
// CHECK-NEXT: slim.silu %{{.*}} {slim.offsets = array<i64: [[OA]]>}
// CHECK-NEXT: slim.unstash %{{.*}} {slim.offsets = array<i64: [[OB]]>}
func.func @encoded(%x: tensor<2x64xf32>) -> tensor<2x64xf32> {
  %a = slim.silu %x : tensor<2x64xf32>
  %h = slim.stash %a encoding(#slim.quant<bits = 8, group = 64, rounding = nearest, range = batch>) : tensor<2x64xf32>
  %b = slim.silu %a : tensor<2x64xf32>
  %c = slim.silu %b : tensor<2x64xf32>
  %a2 = slim.unstash %h : !slim.stash<tensor<2x64xf32>>
  %r = slim.mul %c, %a2 : tensor<2x64xf32>
  return %r : tensor<2x64xf32>
}
