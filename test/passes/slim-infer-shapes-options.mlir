// slim-infer-shapes with one option only, or none: only the named dimension changes.
// RUN: slimtune-opt %s --slim-infer-shapes="seq=8" | FileCheck %s --check-prefix=SEQ
// RUN: slimtune-opt %s --slim-infer-shapes | FileCheck %s --check-prefix=NONE
// A size of 0 or below is an error, not "leave it as written" (that is leaving the option out).
// RUN: not slimtune-opt %s --slim-infer-shapes="batch=0" 2>&1 | FileCheck %s --check-prefix=ZERO
// RUN: not slimtune-opt %s --slim-infer-shapes="seq=-5" 2>&1 | FileCheck %s --check-prefix=NEG

// SEQ: tensor<?x8xi32> {slim.input = "tokens"}
// SEQ: slim.embedding {{.*}} -> tensor<?x8x64xf32>
// NONE: tensor<?x?xi32> {slim.input = "tokens"}
// ZERO: slim-infer-shapes: batch must be a positive size, got 0
// NEG: slim-infer-shapes: seq must be a positive size, got -5
func.func @f(%wte: tensor<512x64xf32> {slim.param = #slim.param<"wte.weight", frozen>},
             %ids: tensor<?x?xi32> {slim.input = "tokens"}) -> tensor<?x?x64xf32> {
  %x = slim.embedding %wte[%ids] : tensor<512x64xf32>, tensor<?x?xi32> -> tensor<?x?x64xf32>
  return %x : tensor<?x?x64xf32>
}
