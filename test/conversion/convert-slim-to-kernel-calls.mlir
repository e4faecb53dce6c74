// RUN: slimtune-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(slim-plan-memory),convert-slim-to-kernel-calls)' | FileCheck %s
// RUN: not slimtune-opt %s -split-input-file --pass-pipeline='builtin.module(convert-slim-to-kernel-calls{target=tpu})' 2>&1 | FileCheck %s --check-prefix=TARGET
// RUN: not slimtune-opt %s -split-input-file --pass-pipeline='builtin.module(convert-slim-to-kernel-calls)' 2>&1 | FileCheck %s --check-prefix=UNPLANNED

// The step function of kernel_abi.h: the arena, buffer table, kernel table and device context
// loaded from the args; one pointer per step argument from the buffer table; each kernel
// called through the table with the context first, then its status checked: the first failure
// stores the kernel's id in *args->failed_kernel and is returned.

// CHECK-LABEL: llvm.func @slimtune_artifact_step(%arg0: !llvm.ptr) -> i32
// CHECK: %[[ARENA_AT:.*]] = llvm.getelementptr %arg0[0, 1]
// CHECK: %[[BUFFERS_AT:.*]] = llvm.getelementptr %arg0[0, 2]
// CHECK: %[[BUFFERS:.*]] = llvm.load %[[BUFFERS_AT]]
// CHECK: %[[KERNELS_AT:.*]] = llvm.getelementptr %arg0[0, 3]
// CHECK: %[[KERNELS:.*]] = llvm.load %[[KERNELS_AT]]
// CHECK: %[[CONTEXT_AT:.*]] = llvm.getelementptr %arg0[0, 4]
// CHECK: %[[CONTEXT:.*]] = llvm.load %[[CONTEXT_AT]]
// CHECK: %[[X_AT:.*]] = llvm.getelementptr %[[BUFFERS]][0]
// CHECK: %[[X:.*]] = llvm.load %[[X_AT]]
// CHECK: %[[W_AT:.*]] = llvm.getelementptr %[[BUFFERS]][1]
// CHECK: %[[W:.*]] = llvm.load %[[W_AT]]
// The result is computed straight into its output buffer (#2).
// CHECK: %[[Y_AT:.*]] = llvm.getelementptr %[[BUFFERS]][2]
// CHECK: %[[Y:.*]] = llvm.load %[[Y_AT]]
// CHECK: %[[NOBIAS:.*]] = llvm.mlir.zero : !llvm.ptr
// CHECK: %[[ROWS:.*]] = llvm.mlir.constant(2 : i64)
// CHECK: %[[IN:.*]] = llvm.mlir.constant(4 : i64)
// CHECK: %[[OUT:.*]] = llvm.mlir.constant(3 : i64)
// CHECK: %[[LAYOUT:.*]] = llvm.mlir.constant(0 : i32)
// SLIMTUNE_KERNEL_LINEAR is entry 6 of the table.
// CHECK: %[[LINEAR_AT:.*]] = llvm.getelementptr %[[KERNELS]][6]
// CHECK: %[[LINEAR:.*]] = llvm.load %[[LINEAR_AT]]
// CHECK: %[[STATUS:.*]] = llvm.call %[[LINEAR]](%[[CONTEXT]], %[[Y]], %[[X]], %[[W]], %[[NOBIAS]], %[[ROWS]], %[[IN]], %[[OUT]], %[[LAYOUT]]) : !llvm.ptr, (!llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, i64, i64, i64, i32) -> i32
// CHECK: %[[OK:.*]] = llvm.mlir.constant(0 : i32)
// CHECK: %[[BAD:.*]] = llvm.icmp "ne" %[[STATUS]], %[[OK]]
// CHECK: %[[ID:.*]] = llvm.mlir.constant(6 : i32)
// CHECK: llvm.cond_br %[[BAD]], ^[[FAILED:.*]](%[[STATUS]], %[[ID]] : i32, i32), ^[[NEXT:bb[0-9]+]]
// CHECK: ^[[NEXT]]:
// CHECK: %[[ZERO:.*]] = llvm.mlir.constant(0 : i32)
// CHECK: llvm.return %[[ZERO]] : i32
// CHECK: ^[[FAILED]](%[[S:.*]]: i32, %[[K:.*]]: i32):
// CHECK: %[[WHERE_AT:.*]] = llvm.getelementptr %arg0[0, 5]
// CHECK: %[[WHERE:.*]] = llvm.load %[[WHERE_AT]]
// CHECK: llvm.store %[[K]], %[[WHERE]]
// CHECK: llvm.return %[[S]] : i32
// TARGET: error: convert-slim-to-kernel-calls: unknown target "tpu"
// UNPLANNED: error: convert-slim-to-kernel-calls: the step has no memory plan; run slim-plan-memory before code generation
func.func @step(%x: tensor<2x4xf32> {slim.param = #slim.param<"x", frozen>},
                %w: tensor<3x4xf32> {slim.param = #slim.param<"w", frozen>}) -> tensor<2x3xf32> {
  %y = slim.linear %x, %w : (tensor<2x4xf32>, tensor<3x4xf32>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

// An encoded stash: quantize_ema (entry 34) into the arena with the attribute's decay, the
// site's moving range and the step counter (a zero here: the step has no optimizer); its
// unstash decodes (dequantize, entry 21) into the output buffer.
// CHECK-LABEL: llvm.func @slimtune_artifact_step
// CHECK: %[[ARENA_AT:.*]] = llvm.getelementptr %arg0[0, 1]
// CHECK: %[[ARENA:.*]] = llvm.load %[[ARENA_AT]]
// CHECK: %[[CONTEXT_AT:.*]] = llvm.getelementptr %arg0[0, 4]
// CHECK: %[[CONTEXT:.*]] = llvm.load %[[CONTEXT_AT]]
// CHECK: %[[X_AT:.*]] = llvm.getelementptr %{{.*}}[0]
// CHECK: %[[X:.*]] = llvm.load %[[X_AT]]
// CHECK: %[[RANGE_AT:.*]] = llvm.getelementptr %{{.*}}[1]
// CHECK: %[[RANGE:.*]] = llvm.load %[[RANGE_AT]]
// CHECK: %[[STEP:.*]] = llvm.alloca
// CHECK: %[[CODES:.*]] = llvm.getelementptr %[[ARENA]][%{{.*}}] : (!llvm.ptr, i64) -> !llvm.ptr, i8
// CHECK: %[[DECAY:.*]] = llvm.mlir.constant(5.000000e-01 : f32)
// CHECK: llvm.getelementptr %{{.*}}[34]
// CHECK: llvm.call %{{.*}}(%[[CONTEXT]], %[[CODES]], %[[X]], %[[RANGE]], %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[STEP]], %[[DECAY]])
// CHECK: llvm.getelementptr %{{.*}}[21]
// CHECK: llvm.call %{{.*}}(%[[CONTEXT]], %{{.*}}, %[[CODES]],
func.func @step(%x: tensor<2x64xf32> {slim.param = #slim.param<"x", frozen>},
                %r: tensor<1x2xf32> {slim.state = "stash0.range"}) -> tensor<2x64xf32> {
  %h = slim.stash %x range(%r : tensor<1x2xf32>) encoding(#slim.quant<bits = 8, group = 64, rounding = nearest, range = ema, decay = 5.000000e-01>) : tensor<2x64xf32>
  %y = slim.unstash %h : !slim.stash<tensor<2x64xf32>>
  return %y : tensor<2x64xf32>
}

// -----

// Plain attention (entry 12): its logsumexp goes after the CPU kernel's workspace (b·heads·t
// = 8 floats, 32 bytes); an argument returned as is is copied to its output buffer
// (copy_columns, entry 25).
// CHECK-LABEL: llvm.func @slimtune_artifact_step
// CHECK: %[[BUFFERS_AT:.*]] = llvm.getelementptr %arg0[0, 2]
// CHECK: %[[BUFFERS:.*]] = llvm.load %[[BUFFERS_AT]]
// CHECK: %[[Q_AT:.*]] = llvm.getelementptr %[[BUFFERS]][0]
// CHECK: %[[Q:.*]] = llvm.load %[[Q_AT]]
// CHECK: %[[O_AT:.*]] = llvm.getelementptr %[[BUFFERS]][1]
// CHECK: %[[O:.*]] = llvm.load %[[O_AT]]
// CHECK: %[[WORK:.*]] = llvm.getelementptr %{{.*}}[%{{.*}}] : (!llvm.ptr, i64) -> !llvm.ptr, i8
// CHECK: %[[LSE_OFFSET:.*]] = llvm.mlir.constant(32 : i64)
// CHECK: %[[LSE:.*]] = llvm.getelementptr %[[WORK]][%[[LSE_OFFSET]]]
// CHECK: llvm.getelementptr %{{.*}}[12]
// CHECK: llvm.call %{{.*}}(%{{.*}}, %[[O]], %[[LSE]], %[[Q]], %[[Q]], %[[Q]], %[[WORK]],
// CHECK: llvm.getelementptr %{{.*}}[25]
// CHECK: llvm.call %{{.*}}(%{{.*}}, %{{.*}}, %[[Q]],
func.func @step(%q: tensor<1x4x8xf32> {slim.param = #slim.param<"q", frozen>})
    -> (tensor<1x4x8xf32>, tensor<1x4x8xf32>) {
  %o = slim.attention %q, %q, %q heads 2 kv_heads 2 : (tensor<1x4x8xf32>, tensor<1x4x8xf32>, tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
  return %o, %q : tensor<1x4x8xf32>, tensor<1x4x8xf32>
}

// -----

// Frozen weights kept in bf16: embedding_bf16 (entry 36) widens the table's rows; linear_bf16
// (entry 35) takes a workspace in the arena, where it rounds its input to bf16 (2 x 4 values:
// 16 bytes, planned as 64).
// CHECK-LABEL: llvm.func @slimtune_artifact_step
// CHECK: llvm.getelementptr %{{.*}}[36]
// CHECK: %[[WORK:.*]] = llvm.getelementptr %{{.*}}[%{{.*}}] : (!llvm.ptr, i64) -> !llvm.ptr, i8
// CHECK: llvm.getelementptr %{{.*}}[35]
// CHECK: llvm.call %{{.*}}(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[WORK]], %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) : !llvm.ptr, (!llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, i64, i64, i64, i32) -> i32
func.func @step(%ids: tensor<1x2xi32> {slim.input = "tokens"},
                %t: tensor<8x4xbf16> {slim.param = #slim.param<"t", frozen>},
                %w: tensor<3x4xbf16> {slim.param = #slim.param<"w", frozen>}) -> tensor<1x2x3xf32> {
  %x = slim.embedding %t[%ids] : tensor<8x4xbf16>, tensor<1x2xi32> -> tensor<1x2x4xf32>
  %y = slim.linear %x, %w : (tensor<1x2x4xf32>, tensor<3x4xbf16>) -> tensor<1x2x3xf32>
  return %y : tensor<1x2x3xf32>
}
