// A whole training step (the lean pipeline on the two-layer example) lowers completely: no
// slim op or cast is left, every kernel call is followed by its status check, and the step
// returns 0 at its end.
// RUN: slimtune-opt %slimtune_src/examples/llama-2layer-lora.mlir --pass-pipeline='builtin.module(func.func(slim-infer-shapes{batch=2 seq=8}),lean,convert-slim-to-kernel-calls)' | FileCheck %s
// RUN: slimtune-opt %slimtune_src/examples/llama-2layer-lora.mlir --pass-pipeline='builtin.module(func.func(slim-infer-shapes{batch=2 seq=8}),lean,convert-slim-to-kernel-calls)' | grep -c 'llvm.call' > %t.calls
// RUN: slimtune-opt %slimtune_src/examples/llama-2layer-lora.mlir --pass-pipeline='builtin.module(func.func(slim-infer-shapes{batch=2 seq=8}),lean,convert-slim-to-kernel-calls)' | grep -c 'llvm.cond_br %.*, \^bb[0-9]*(%.*, %.* : i32, i32), \^bb' > %t.checks
// RUN: diff %t.calls %t.checks
// CHECK-NOT: slim.
// CHECK-NOT: unrealized_conversion_cast
// CHECK: llvm.func @slimtune_artifact_step(%arg0: !llvm.ptr) -> i32
// The end of the calls, and the failure path: two returns.
// CHECK-COUNT-2: llvm.return %{{[0-9]+}} : i32
// CHECK-NOT: slim.
// CHECK-NOT: unrealized_conversion_cast
