// The bundled example graph verifies, round-trips, and specializes to a batch shape.
// RUN: slimtune-opt %slimtune_src/examples/llama-2layer-lora.mlir | slimtune-opt | FileCheck %s --check-prefix=ROUND
// RUN: slimtune-opt %slimtune_src/examples/llama-2layer-lora.mlir --slim-infer-shapes="batch=4 seq=32" | FileCheck %s

// ROUND: func.func @forward
// ROUND-COUNT-4: slim.lora
// ROUND: slim.cross_entropy

// 28 parameters, of which 8 adapters train; tokens and targets are [4, 32].
// CHECK-COUNT-8: trainable>}
// CHECK-SAME: %{{.*}}: tensor<4x32xi32> {slim.input = "tokens"}, %{{.*}}: tensor<4x32xi32> {slim.input = "targets"}) -> tensor<f32>
// CHECK: slim.embedding {{.*}} -> tensor<4x32x64xf32>
// CHECK: slim.attention {{.*}} heads 4 kv_heads 2 : (tensor<4x32x64xf32>, tensor<4x32x32xf32>, tensor<4x32x32xf32>) -> tensor<4x32x64xf32>
// CHECK: slim.linear {{.*}} -> tensor<4x32x256xf32>
// CHECK: slim.cross_entropy {{.*}} : (tensor<4x32x256xf32>, tensor<4x32xi32>) -> tensor<f32>
