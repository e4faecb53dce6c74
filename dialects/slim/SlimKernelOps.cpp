//===- SlimKernelOps.cpp - what the planner and cost counts ask of each op ----------------===//
//
// KernelOpInterface: workspace bytes on a target, in-place operands, matmul FLOPs. The
// kernels' contracts are in kernel_abi.h; an in-place operand here is one its kernel allows
// the output to alias.
//
//===-------------------------------------------------------------------------------------===//

#include "dialects/slim/SlimOps.h"

using namespace mlir;
using namespace mlir::slim;

namespace {
int64_t rows(Value v) {
  auto t = cast<RankedTensorType>(v.getType());
  return t.getNumElements() / t.getShape().back();
}
int64_t last(Value v) { return cast<RankedTensorType>(v.getType()).getShape().back(); }
int64_t dim(Value v, unsigned d) { return cast<RankedTensorType>(v.getType()).getDimSize(d); }
int64_t floatBytes(int64_t floats) { return floats * static_cast<int64_t>(sizeof(float)); }

// Causal attention: each of its matrix products touches t(t+1)/2 of the t x t pairs.
template <typename OpT>
int64_t attentionFlops(OpT op, int64_t products) {
  Value q = op.getQuery();
  int64_t b = dim(q, 0), n = dim(q, 1), heads = static_cast<int64_t>(op.getNumHeads());
  return products * 2 * b * heads * op.getHeadDim() * (n * (n + 1) / 2);
}
} // namespace

//===-- Workspace ------------------------------------------------------------------===//

int64_t LinearOp::getWorkspaceBytes(const KernelTarget &target) {
  // A bf16 weight's kernel rounds the input to bf16 first, into its workspace (and, on the
  // CPU, widens the weight there a panel at a time); a weight in blocks is decoded there a
  // panel at a time.
  Type element = getWeight().getType().getElementType();
  if (isa<BlocksType>(element))
    return floatBytes(
        target.linearBlocksWork(rows(getInput()), last(getInput()), last(getResult())));
  if (!element.isBF16())
    return 0;
  return floatBytes(target.linearBf16Work(rows(getInput()), last(getInput()), last(getResult())));
}

int64_t SampledLinearOp::getWorkspaceBytes(const KernelTarget &target) {
  if (!getWeight().getType().getElementType().isBF16())
    return 0;
  return floatBytes(target.linearBf16Work(rows(getInput()), last(getInput()), last(getResult())));
}

// The fused head and loss: one chunk's logits, and its weight format's own (the bf16 rounding
// of its operands, or a decoded panel of blocks).
template <typename HeadLoss>
int64_t headLossWorkspace(HeadLoss op, const KernelTarget &target) {
  auto weight = op.getWeight().getType();
  const int64_t vocab = weight.getDimSize(op.getLayout() == WeightLayout::out_in ? 0 : 1);
  return floatBytes(target.linearCrossEntropyWork(rows(op.getInput()), last(op.getInput()),
                                                  vocab, static_cast<int64_t>(op.getChunk()),
                                                  weightFormat(weight.getElementType())));
}

int64_t LinearCrossEntropyOp::getWorkspaceBytes(const KernelTarget &target) {
  return headLossWorkspace(*this, target);
}

int64_t LinearCrossEntropyWithGradOp::getWorkspaceBytes(const KernelTarget &target) {
  return headLossWorkspace(*this, target);
}

int64_t SampledLinearGradOp::getWorkspaceBytes(const KernelTarget &target) {
  return floatBytes(target.sampledLinearGradWork(rows(getResultGrad()), getInFeatures(),
                                                 getOutFeatures(), dim(getColumns(), 0), getRank()));
}

int64_t LoraOp::getWorkspaceBytes(const KernelTarget &target) {
  return floatBytes(target.loraWork(rows(getInput()), last(getInput()), getRank(),
                                    static_cast<float>(getDropout().convertToDouble())));
}

int64_t LoraGradOp::getWorkspaceBytes(const KernelTarget &target) {
  return floatBytes(target.loraGradWork(rows(getInput()), last(getInput()), dim(getLoraA(), 0),
                                        static_cast<float>(getDropout().convertToDouble())));
}

int64_t LoraWeightGradOp::getWorkspaceBytes(const KernelTarget &target) {
  return floatBytes(target.loraGradWork(rows(getInput()), last(getInput()), dim(getLoraA(), 0),
                                        static_cast<float>(getDropout().convertToDouble())));
}

int64_t AttentionOp::getWorkspaceBytes(const KernelTarget &target) {
  // Plain attention's kernel still writes a logsumexp: it lands after the workspace.
  int64_t b = dim(getQuery(), 0), t = dim(getQuery(), 1), heads = getNumHeads();
  return floatBytes(target.attentionWork(b, t, heads) + b * heads * t);
}

int64_t AttentionWithLseOp::getWorkspaceBytes(const KernelTarget &target) {
  return floatBytes(target.attentionWork(dim(getQuery(), 0), dim(getQuery(), 1), getNumHeads()));
}

int64_t AttentionGradOp::getWorkspaceBytes(const KernelTarget &target) {
  return floatBytes(
      target.attentionGradWork(dim(getQuery(), 0), dim(getQuery(), 1), getNumHeads()));
}

//===-- In place ---------------------------------------------------------------------===//

SmallVector<unsigned, 2> AddOp::getInPlaceOperands(unsigned) { return {0, 1}; }
SmallVector<unsigned, 2> MulOp::getInPlaceOperands(unsigned) { return {0, 1}; }
SmallVector<unsigned, 2> ScaledAddOp::getInPlaceOperands(unsigned) { return {0, 1}; }
SmallVector<unsigned, 2> RopeOp::getInPlaceOperands(unsigned) { return {0}; }
SmallVector<unsigned, 2> ScaleShiftOp::getInPlaceOperands(unsigned) { return {0}; }
SmallVector<unsigned, 2> MergeLoraOp::getInPlaceOperands(unsigned) { return {0}; }
SmallVector<unsigned, 2> CrossEntropyWithGradOp::getInPlaceOperands(unsigned index) {
  // The logits' gradient over the logits; the loss is a scalar of its own.
  if (index == 1)
    return {0};
  return {};
}

//===-- Matmul FLOPs -----------------------------------------------------------------===//

int64_t LinearOp::getMatmulFlops() {
  return 2 * rows(getInput()) * getInFeatures() * getOutFeatures();
}

int64_t SampledLinearOp::getMatmulFlops() {
  return 2 * rows(getInput()) * getInFeatures() * getOutFeatures();
}

int64_t SampledLinearGradOp::getMatmulFlops() {
  // The steady state (the first step costs the exact product): dy[:, S] W[S], then the
  // dropped features through the pair, (dy[:, ~S] L[~S]) R.
  int64_t n = rows(getResultGrad()), in = getInFeatures(), k = dim(getColumns(), 0);
  return 2 * n * (k * in + (getOutFeatures() - k) * getRank() + getRank() * in);
}

int64_t LinearCrossEntropyOp::getMatmulFlops() {
  return 2 * rows(getInput()) * getWeight().getType().getNumElements(); // the logits
}

int64_t LinearCrossEntropyWithGradOp::getMatmulFlops() {
  return 4 * rows(getInput()) * getWeight().getType().getNumElements(); // logits, input grad
}

int64_t WeightGradOp::getMatmulFlops() {
  return 2 * rows(getInput()) * last(getInput()) * last(getResultGrad());
}

int64_t LoraOp::getMatmulFlops() {
  return 2 * rows(getInput()) * getRank() * (last(getInput()) + last(getResult()));
}

int64_t LoraGradOp::getMatmulFlops() {
  // u recomputed, then dB, du, dA, dx.
  return 2 * rows(getInput()) * dim(getLoraA(), 0) * (3 * last(getInput()) + 2 * last(getResultGrad()));
}

int64_t LoraWeightGradOp::getMatmulFlops() {
  // u recomputed, then dB, du, dA: lora_grad's without dx.
  return 2 * rows(getInput()) * dim(getLoraA(), 0) * (2 * last(getInput()) + 2 * last(getResultGrad()));
}

int64_t MergeLoraOp::getMatmulFlops() {
  return 2 * getOutFeatures() * getRank() * getInFeatures(); // B·A, once per step
}

int64_t AttentionOp::getMatmulFlops() {
  return attentionFlops(*this, 2);
}

int64_t AttentionWithLseOp::getMatmulFlops() {
  return attentionFlops(*this, 2);
}

int64_t AttentionGradOp::getMatmulFlops() {
  // Scores again, dP, dV, dQ, dK.
  return attentionFlops(*this, 5);
}
