// A whole training step (the lean pipeline on the two-layer example) lowers completely: no
// slim op or cast is left anywhere in the output, every kernel call is followed by its status
// check, and the function has its two returns (the end of the calls and the failure path).
// RUN: slimtune-opt %slimtune_src/examples/llama-2layer-lora.mlir --pass-pipeline='builtin.module(func.func(slim-infer-shapes{batch=2 seq=8}),lean,convert-slim-to-kernel-calls)' -o %t.mlir
// RUN: FileCheck %s --input-file=%t.mlir --implicit-check-not=slim. --implicit-check-not=unrealized_conversion_cast
// RUN: grep -c 'llvm.call' %t.mlir > %t.calls
// RUN: grep -c 'llvm.cond_br %.*, \^bb[0-9]*(%.*, %.* : i32, i32), \^bb' %t.mlir > %t.checks
// RUN: diff %t.calls %t.checks
// CHECK: llvm.func @slimtune_artifact_step(%arg0: !llvm.ptr) -> i32
// CHECK-COUNT-2: llvm.return %{{[0-9]+}} : i32
