// slim-plan-memory{target=...}: a step the target's kernels cannot run is refused when it is
// planned, not when it runs. The CUDA attention kernels take head dimensions up to 256; the
// CPU's any.
// RUN: not slimtune-opt %s --slim-plan-memory=target=cuda 2>&1 | FileCheck %s
// RUN: slimtune-opt %s --slim-plan-memory=target=cpu | FileCheck %s --check-prefix=CPU
// CHECK: error: 'slim.attention' op slim-plan-memory: head dimension 320 is over the 256 the cuda target's attention kernels take
// CPU: slim.plan_target = "cpu"
func.func @wide_heads(%q: tensor<1x8x640xf32>) -> tensor<1x8x640xf32> {
  %a = slim.attention %q, %q, %q heads 2 kv_heads 2 : (tensor<1x8x640xf32>, tensor<1x8x640xf32>, tensor<1x8x640xf32>) -> tensor<1x8x640xf32>
  return %a : tensor<1x8x640xf32>
}
