// slim-reversible on the bundled 2-layer LLaMA graph (LoRA on q and v): the layers become MEFT's
// coupled streams, y1 = λ·x1 + F(x2), y2 = β·x2 + G(y1), F's and G's ops marked for the
// backward to recompute, the couplings for it to rebuild their scaled stream from.
// RUN: slimtune-opt %slimtune_src/examples/llama-2layer-lora.mlir --slim-infer-shapes="batch=2 seq=8" --slim-reversible | FileCheck %s --check-prefix=MEFT3
// RUN: slimtune-opt %slimtune_src/examples/llama-2layer-lora.mlir --slim-infer-shapes="batch=2 seq=8" --slim-reversible="variant=meft1" | FileCheck %s --check-prefix=MEFT1
// RUN: slimtune-opt %slimtune_src/examples/llama-2layer-lora.mlir --slim-infer-shapes="batch=2 seq=8" --slim-reversible="variant=meft2 lambda=0.5" | FileCheck %s --check-prefix=MEFT2
// RUN: slimtune-opt %slimtune_src/examples/llama-2layer-lora.mlir --slim-infer-shapes="batch=2 seq=8" --slim-reversible="layers=1 output=mean" | FileCheck %s --check-prefix=TOP1
// RUN: slimtune-opt %slimtune_src/examples/llama-2layer-lora.mlir --slim-infer-shapes="batch=2 seq=8" --slim-reversible="anchor=1" | FileCheck %s --check-prefix=ANCHOR
// RUN: slimtune-opt %slimtune_src/examples/llama-2layer-lora.mlir --slim-infer-shapes="batch=2 seq=8" --slim-reversible="reconstruct=false" | FileCheck %s --check-prefix=PLAIN
// RUN: slimtune-opt %slimtune_src/examples/llama-2layer-lora.mlir --slim-infer-shapes="batch=2 seq=8" --slim-reversible="layers=0" | FileCheck %s --check-prefix=NONE

// meft3: F = the attention block (with its residual), G = the MLP block; λ = β = 0.1; no swap:
// the second layer's x1, x2 are the first's y1, y2. Both streams start as the embedding.
// MEFT3:      %[[E:.*]] = slim.embedding
// MEFT3:      slim.rms_norm %[[E]] {{.*}}{slim.recompute}
// MEFT3:      slim.attention {{.*}}{slim.recompute}
// MEFT3:      %[[F0:.*]] = slim.add %[[E]], %{{.*}} {slim.recompute}
// MEFT3-NEXT: %[[A0:.*]] = slim.scaled_add %[[E]], %[[F0]] alpha 1.000000e-01 beta 1.000000e+00 {slim.reconstruct}
// MEFT3:      slim.silu {{.*}}{slim.recompute}
// MEFT3:      %[[G0:.*]] = slim.add %[[A0]], %{{.*}} {slim.recompute}
// MEFT3-NEXT: %[[B0:.*]] = slim.scaled_add %[[E]], %[[G0]] alpha 1.000000e-01 beta 1.000000e+00 {slim.reconstruct}
// MEFT3:      slim.rms_norm %[[B0]]
// MEFT3:      %[[F1:.*]] = slim.add %[[B0]], %{{.*}} {slim.recompute}
// MEFT3-NEXT: %[[A1:.*]] = slim.scaled_add %[[A0]], %[[F1]] alpha 1.000000e-01
// MEFT3:      %[[G1:.*]] = slim.add %[[A1]], %{{.*}} {slim.recompute}
// MEFT3-NEXT: %[[B1:.*]] = slim.scaled_add %[[B0]], %[[G1]] alpha 1.000000e-01
// The stream the MLP wrote last goes on to the final norm (output=stream).
// MEFT3-NEXT: slim.rms_norm %[[B1]] scale %{{.*}} epsilon 1.000000e-05 :
// MEFT3-NOT:  {slim.recompute}
// MEFT3:      return

// meft1: F = the whole layer, G = a bottleneck adapter (64 -> 8 -> 64, biases, SiLU as the
// model's MLP); λ = 0.1, β = 1; the streams swap. The top layer's G would write a stream that
// nothing reads (output=stream): it and its parameters are gone, one adapter is left.
// MEFT1-COUNT-1: tensor<8x64xf32> {slim.param = #slim.param<"base_model.model.model.layers.0.meft_adapter.down.weight", trainable>}
// MEFT1-SAME:    tensor<8xf32> {slim.param = #slim.param<"base_model.model.model.layers.0.meft_adapter.down.bias", trainable>}
// MEFT1-SAME:    tensor<64x8xf32> {slim.param = #slim.param<"base_model.model.model.layers.0.meft_adapter.up.weight", trainable>}
// MEFT1-SAME:    tensor<64xf32> {slim.param = #slim.param<"base_model.model.model.layers.0.meft_adapter.up.bias", trainable>}
// MEFT1-SAME:    {slim.input = "tokens"}
// MEFT1:      %[[E:.*]] = slim.embedding
// MEFT1:      %[[Y1:.*]] = slim.scaled_add %[[E]], %{{.*}} alpha 1.000000e-01 beta 1.000000e+00 {slim.reconstruct}
// MEFT1-NEXT: %[[D:.*]] = slim.linear %[[Y1]], %{{.*}} bias %{{.*}} {slim.recompute}
// MEFT1-NEXT: %[[S:.*]] = slim.silu %[[D]] {slim.recompute}
// MEFT1-NEXT: %[[U:.*]] = slim.linear %[[S]], %{{.*}} bias %{{.*}} {slim.recompute}
// MEFT1-NEXT: %[[Y2:.*]] = slim.scaled_add %[[E]], %[[U]] alpha 1.000000e+00 beta 1.000000e+00 {slim.reconstruct}
// The second layer's F reads y1 (swapped in as its x2); its y1 adds λ·(first y2).
// MEFT1-NEXT: slim.rms_norm %[[Y1]]
// MEFT1:      %[[OUT:.*]] = slim.scaled_add %[[Y2]], %{{.*}} alpha 1.000000e-01 beta 1.000000e+00 {slim.reconstruct}
// MEFT1-NEXT: slim.rms_norm %[[OUT]] scale
// MEFT1-NOT:  meft_adapter

// meft2: F = the adapter (λ given: 0.5), G = the layer (β = 0.1); the layer's stream is y2.
// MEFT2:      %[[E:.*]] = slim.embedding
// MEFT2-NEXT: slim.linear %[[E]], %{{.*}} bias
// MEFT2:      %[[Y1:.*]] = slim.scaled_add %[[E]], %{{.*}} alpha 5.000000e-01 beta 1.000000e+00 {slim.reconstruct}
// MEFT2-NEXT: slim.rms_norm %[[Y1]]
// MEFT2:      %[[Y2:.*]] = slim.scaled_add %[[E]], %{{.*}} alpha 1.000000e-01 beta 1.000000e+00 {slim.reconstruct}
// MEFT2:      %[[OUT:.*]] = slim.scaled_add %[[Y1]], %{{.*}} alpha 1.000000e-01 beta 1.000000e+00 {slim.reconstruct}
// MEFT2-NEXT: slim.rms_norm %[[OUT]] scale

// layers=1: the first layer stays as imported; the segment starts at its output. MEFT's mean
// of the two streams (output=mean) feeds the final norm.
// TOP1:      slim.rms_norm %0 scale %arg1 epsilon 1.000000e-05 :
// TOP1:      %[[Y1:.*]] = slim.scaled_add %[[X:[0-9]+]], %{{.*}} alpha 1.000000e-01 beta 1.000000e+00 {slim.reconstruct}
// TOP1:      %[[Y2:.*]] = slim.scaled_add %[[X]], %{{.*}} alpha 1.000000e-01
// TOP1-NEXT: %[[M:.*]] = slim.scaled_add %[[Y1]], %[[Y2]] alpha 5.000000e-01 beta 5.000000e-01 :
// TOP1-NEXT: slim.rms_norm %[[M]]

// anchor=1: every layer keeps its inputs: nothing is rebuilt, F and G are still recomputed.
// ANCHOR-NOT: slim.reconstruct
// ANCHOR:     slim.scaled_add {{.*}} : tensor<2x8x64xf32>
// ANCHOR-NOT: slim.reconstruct

// reconstruct=false: the same model, nothing marked (the backward stashes as usual).
// PLAIN-NOT: slim.re
// PLAIN:     slim.scaled_add
// PLAIN-NOT: slim.re

// NONE-NOT: slim.scaled_add
// NONE-NOT: slim.recompute

// The backward: where the same model with reconstruct=false stashes 22 values (as baseline),
// meft3 keeps the top layer's two output streams, the final norm's input being one of them
// (2 stashes), and runs the layers again from what it rebuilds: (y2 - G(y1)) / β, then
// (y1 - F(x2)) / λ.
// RUN: slimtune-opt %slimtune_src/examples/llama-2layer-lora.mlir --slim-infer-shapes="batch=2 seq=8" --slim-reversible --slim-autodiff | FileCheck %s --check-prefix=BACKWARD
// BACKWARD-COUNT-2: slim.stash %
// BACKWARD-NOT:     slim.stash %
// BACKWARD:         slim.scaled_add {{.*}} alpha 1.000000e+01 beta -1.000000e+01 :
// BACKWARD:         slim.attention_with_lse
// RUN: slimtune-opt %slimtune_src/examples/llama-2layer-lora.mlir --slim-infer-shapes="batch=2 seq=8" --slim-reversible="reconstruct=false" --slim-autodiff | FileCheck %s --check-prefix=STASHED
// STASHED-COUNT-22: slim.stash %
// STASHED-NOT:      slim.stash %

// What cannot be rewritten.
// RUN: not slimtune-opt %slimtune_src/examples/llama-2layer-lora.mlir --slim-infer-shapes="batch=2 seq=8" --slim-reversible="layers=3" 2>&1 | FileCheck %s --check-prefix=ERR-LAYERS
// ERR-LAYERS: slim-reversible: layers=3 but the model has 2
// RUN: not slimtune-opt %slimtune_src/examples/llama-2layer-lora.mlir --slim-infer-shapes="batch=2 seq=8" --slim-reversible="variant=meft4" 2>&1 | FileCheck %s --check-prefix=ERR-VARIANT
// ERR-VARIANT: variant must be meft1, meft2 or meft3, got 'meft4'
// RUN: not slimtune-opt %slimtune_src/examples/llama-2layer-lora.mlir --slim-infer-shapes="batch=2 seq=8" --slim-reversible="beta=1e-4" 2>&1 | FileCheck %s --check-prefix=ERR-BETA
// ERR-BETA: beta must be in [1e-3, 1e3] in magnitude (the backward divides by it), got 1.000000e-04
// RUN: not slimtune-opt %s --slim-reversible 2>&1 | FileCheck %s --check-prefix=ERR-NOSTREAM
// ERR-NOSTREAM: slim-reversible: expects a decoder whose layers are two residual blocks (attention, MLP), found 1 residual adds
func.func @one_block(%x: tensor<2x8x64xf32>, %w: tensor<64x64xf32>) -> tensor<2x8x64xf32> {
  %y = slim.linear %x, %w : (tensor<2x8x64xf32>, tensor<64x64xf32>) -> tensor<2x8x64xf32>
  %z = slim.add %x, %y : tensor<2x8x64xf32>
  return %z : tensor<2x8x64xf32>
}
