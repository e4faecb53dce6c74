// slim-lora-order chooses the backward's orders too: on a forward graph it refuses.
// RUN: not slimtune-opt %s --slim-lora-order 2>&1 | FileCheck %s
// CHECK: error: slim-lora-order: expects a training step (run slim-autodiff first)
func.func @forward(%x: tensor<2x8x16xf32>) -> tensor<2x8x16xf32> {
  return %x : tensor<2x8x16xf32>
}
