//===- KernelTarget.cpp - the kernel backends the compiler can plan for -------------------===//

#include "dialects/slim/KernelTarget.h"

#include "runtime/kernels/cpu/workspace.h"
#include "runtime/kernels/cuda/workspace.h"

namespace mlir::slim {
namespace {
const KernelTarget kTargets[] = {
    {"cpu", slimtune_cpu_lora_work, slimtune_cpu_lora_grad_work, slimtune_cpu_attention_work,
     slimtune_cpu_attention_grad_work, slimtune_cpu_linear_bf16_work,
     slimtune_cpu_linear_blocks_work, slimtune_cpu_linear_cross_entropy_work,
     /*weightBlocks=*/true, slimtune_cpu_sampled_linear_grad_work, 0, /*loraMergeFactor=*/4.0},
    {"cuda", slimtune_cuda_lora_work, slimtune_cuda_lora_grad_work, slimtune_cuda_attention_work,
     slimtune_cuda_attention_grad_work, slimtune_cuda_linear_bf16_work,
     slimtune_cuda_linear_blocks_work, slimtune_cuda_linear_cross_entropy_work,
     /*weightBlocks=*/false, slimtune_cuda_sampled_linear_grad_work, SLIMTUNE_CUDA_MAX_HEAD_DIM, /*loraMergeFactor=*/1.0},
};
} // namespace

const KernelTarget *lookupKernelTarget(llvm::StringRef name) {
  for (const KernelTarget &t : kTargets)
    if (t.name == name)
      return &t;
  return nullptr;
}

const KernelTarget &defaultKernelTarget() { return kTargets[0]; }

llvm::ArrayRef<KernelTarget> kernelTargets() { return kTargets; }

} // namespace mlir::slim
