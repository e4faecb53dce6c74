// slim-remat on the bundled 2-layer LLaMA graph (LoRA on q and v): candidates in cost order
// (recomputed FLOPs per stashed byte saved), the first `count` marked slim.recompute.
// Single elementwise ops come first (a SiLU whose input the backward keeps anyway; layer 1's
// input norm, whose input its own backward keeps), then whole layers; a recomputed layer's
// entering stream is marked slim.checkpoint, its output (the next layer's input) is not
// recomputed. Layer 0 comes after layer 1: its norm's input needs no gradient, so less of it
// is stashed to begin with.
// RUN: slimtune-opt %slimtune_src/examples/llama-2layer-lora.mlir --slim-infer-shapes="batch=2 seq=8" --slim-remat="count=3" | FileCheck %s --check-prefix=THREE
// RUN: slimtune-opt %slimtune_src/examples/llama-2layer-lora.mlir --slim-infer-shapes="batch=2 seq=8" --slim-remat | FileCheck %s --check-prefix=ALL
// RUN: slimtune-opt %slimtune_src/examples/llama-2layer-lora.mlir --slim-infer-shapes="batch=2 seq=8" --slim-remat="count=0" | FileCheck %s --check-prefix=NONE
// RUN: slimtune-opt %slimtune_src/examples/llama-2layer-lora.mlir --slim-infer-shapes="batch=2 seq=8" --slim-remat="count=99" | FileCheck %s --check-prefix=ALL

// THREE: slim.remat = {candidates = 5 : i64, chosen = ["model.layers.0.mlp:silu", "model.layers.1.attention:rms_norm", "model.layers.1.mlp:silu"]}
// THREE:      %[[E:.*]] = slim.embedding
// THREE-NOT:  slim.checkpoint
// THREE:      slim.silu %{{.*}} {slim.recompute}
// THREE-NEXT: slim.mul %{{.*}} : tensor
// THREE:      slim.rms_norm %{{.*}} {slim.recompute}
// THREE:      slim.silu %{{.*}} {slim.recompute}
// THREE-NOT:  slim.recompute
// THREE:      return

// ALL: slim.remat = {candidates = 5 : i64, chosen = ["model.layers.0.mlp:silu", "model.layers.1.attention:rms_norm", "model.layers.1.mlp:silu", "model.layers.1", "model.layers.0"]}
// ALL:      %[[E:.*]] = slim.embedding {{.*}}{slim.checkpoint}
// ALL-NEXT: slim.rms_norm %[[E]] {{.*}}{slim.recompute}
// ALL:      slim.attention {{.*}}{slim.recompute}
// ALL:      %[[MID:.*]] = slim.add %[[E]], %{{.*}} {slim.recompute}
// ALL:      %[[OUT0:.*]] = slim.add %[[MID]], %{{.*}} {slim.checkpoint}
// ALL-NEXT: slim.rms_norm %[[OUT0]] {{.*}}{slim.recompute}
// ALL:      %[[OUT1:.*]] = slim.add %{{[0-9]+}}, %{{[0-9]+}} : tensor<2x8x64xf32>
// ALL-NEXT: slim.rms_norm %[[OUT1]] scale %{{.*}} epsilon 1.000000e-05 :
// ALL-NOT:  slim.recompute
// ALL:      return

// NONE: slim.remat = {candidates = 5 : i64, chosen = []}
// NONE-NOT: slim.recompute
// NONE-NOT: slim.checkpoint
