//===- KernelTarget.h - what the compiler must know of a kernel backend -------------------===//
//
// The kernels of every backend keep one ABI (kernel_abi.h), but the scratch memory each needs
// is the backend's own: a CPU attention keeps one running sum per row, a GPU one may tile
// differently. The compiler plans exactly what the target's kernels use, so each backend
// states its sizes here, from the header its kernels are built with. A new backend is one
// more KernelTarget (its sizes) in KernelTarget.cpp.
//
//===-------------------------------------------------------------------------------------===//

#ifndef SLIMTUNE_DIALECTS_SLIM_KERNELTARGET_H
#define SLIMTUNE_DIALECTS_SLIM_KERNELTARGET_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>

namespace mlir::slim {

struct KernelTarget {
  // The target's name, as `--target` and the step manifest spell it.
  llvm::StringRef name;
  // Workspace, in floats, of the kernels that take one (their parameters as in kernel_abi.h).
  int64_t (*loraWork)(int64_t n, int64_t in, int64_t r, float dropout);
  int64_t (*loraGradWork)(int64_t n, int64_t in, int64_t r, float dropout);
  int64_t (*attentionWork)(int64_t batch, int64_t seq, int64_t heads);
  int64_t (*attentionGradWork)(int64_t batch, int64_t seq, int64_t heads);
  int64_t (*linearBf16Work)(int64_t n, int64_t in, int64_t out);
  int64_t (*linearBlocksWork)(int64_t n, int64_t in, int64_t out);
  // format: the weight's slimtune_weight_format (kernel_abi.h).
  int64_t (*linearCrossEntropyWork)(int64_t n, int64_t in, int64_t vocab, int64_t chunk,
                                    int32_t format);
  // Whether the target has kernels for weights in ggml blocks (!slim.blocks).
  bool weightBlocks;
  int64_t (*sampledLinearGradWork)(int64_t n, int64_t in, int64_t out, int64_t k, int64_t r);
  // The largest attention head dimension the target's kernels take (0: any): a step with a
  // larger one is refused when planned, not when run.
  int64_t maxAttentionHeadDim;
  // slim-lora-order merges a LoRA layer's weight (W + s·B·A) only where the rank-r products
  // it replaces cost this many times the merge's own multiply-adds: a merge also streams the
  // whole weight twice, which FLOPs do not count. Measured per target (docs/techniques.md).
  double loraMergeFactor;
};

// The target called `name`, or null when the compiler knows none by that name.
const KernelTarget *lookupKernelTarget(llvm::StringRef name);
// The target of a compile that names none: the CPU.
const KernelTarget &defaultKernelTarget();
// Every known target, for error messages.
llvm::ArrayRef<KernelTarget> kernelTargets();

} // namespace mlir::slim

#endif // SLIMTUNE_DIALECTS_SLIM_KERNELTARGET_H
