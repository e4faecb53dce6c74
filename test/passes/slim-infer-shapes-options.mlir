// slim-infer-shapes with one option only, or none: only the named dimension changes.
// RUN: slimtune-opt %s --slim-infer-shapes="seq=8" | FileCheck %s --check-prefix=SEQ
// RUN: slimtune-opt %s --slim-infer-shapes | FileCheck %s --check-prefix=NONE
// RUN: not slimtune-opt %s --slim-infer-shapes="batch=-1" 2>&1 | FileCheck %s --check-prefix=NEG

// SEQ: tensor<?x8xi32> {slim.input = "tokens"}
// SEQ: slim.embedding {{.*}} -> tensor<?x8x64xf32>
// NONE: tensor<?x?xi32> {slim.input = "tokens"}
// NEG: slim-infer-shapes: batch and seq must be >= 0, got batch=-1 seq=0
func.func @f(%wte: tensor<512x64xf32> {slim.param = #slim.param<"wte.weight", frozen>},
             %ids: tensor<?x?xi32> {slim.input = "tokens"}) -> tensor<?x?x64xf32> {
  %x = slim.embedding %wte[%ids] : tensor<512x64xf32>, tensor<?x?xi32> -> tensor<?x?x64xf32>
  return %x : tensor<?x?x64xf32>
}
