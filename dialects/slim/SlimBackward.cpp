//===- SlimBackward.cpp - each forward op's backward rule (DifferentiableOpInterface) -----===//
//
// Memory is the point of slimtune, so each rule reads as little of the forward as it can,
// and says so in backwardReadsOperand / backwardReadsResult (slim-share-norm-stash decides
// from those before the backward exists):
// - a frozen linear's dx = dy·W reads only W, so its input is not kept;
// - attention's backward keeps q, k, v, the output and the per-row logsumexp: no T×T matrix;
// - the loss comes fused with its gradient, so the logits are not kept either;
// - a normalize's backward reads its output z and rstd, not its input (MS-BP), and a norm's
//   affine part is recomputed from z rather than kept as a second copy.
//
//===-------------------------------------------------------------------------------------===//

#include "dialects/slim/SlimOps.h"

using namespace mlir;
using namespace mlir::slim;

namespace {
LogicalResult unsupported(Operation *op, StringRef why) {
  return op->emitOpError() << "slim-autodiff: " << why;
}
} // namespace

//===-- Embeddings: the tables are frozen -------------------------------------------===//

LogicalResult EmbeddingOp::buildBackward(BackwardBuilder &backward) {
  if (!backward.resultGrad(getResult()))
    return success();
  return unsupported(*this, "a trainable embedding table is not supported");
}

LogicalResult PositionEmbeddingOp::buildBackward(BackwardBuilder &backward) {
  if (!backward.resultGrad(getResult()))
    return success();
  return unsupported(*this, "a trainable embedding table is not supported");
}

//===-- Norms ------------------------------------------------------------------------===//

LogicalResult RMSNormOp::buildBackward(BackwardBuilder &backward) {
  Value dy = backward.resultGrad(getResult());
  if (!dy || !backward.isActive(getInput()))
    return success();
  if (Value s = getScale(); s && backward.isActive(s))
    return unsupported(*this, "a trainable norm scale is not supported");
  OpBuilder &b = backward.builder();
  Value scale = getScale() ? backward.saved(getScale()) : Value();
  backward.accumulate(getInput(), createInferred<RMSNormGradOp>(b, getLoc(), dy,
                                                                 backward.saved(getInput()), scale,
                                                                 getEpsilonAttr()));
  return success();
}

bool RMSNormOp::backwardReadsOperand(unsigned, ActivityFn isActive) {
  return isActive(getResult()); // the input, and the scale when there is one
}

LogicalResult LayerNormOp::buildBackward(BackwardBuilder &backward) {
  Value dy = backward.resultGrad(getResult());
  if (!dy || !backward.isActive(getInput()))
    return success();
  if ((getScale() && backward.isActive(getScale())) || (getShift() && backward.isActive(getShift())))
    return unsupported(*this, "a trainable norm scale or shift is not supported");
  OpBuilder &b = backward.builder();
  Value scale = getScale() ? backward.saved(getScale()) : Value();
  backward.accumulate(getInput(), createInferred<LayerNormGradOp>(b, getLoc(), dy,
                                                                   backward.saved(getInput()),
                                                                   scale, getEpsilonAttr()));
  return success();
}

bool LayerNormOp::backwardReadsOperand(unsigned index, ActivityFn isActive) {
  // The input and the scale; the shift's value does not enter the gradient.
  return isActive(getResult()) && (*this)->getOperand(index) != getShift();
}

LogicalResult NormalizeOp::buildBackward(BackwardBuilder &backward) {
  Value dy = backward.resultGrad(getResult());
  if (!dy || !backward.isActive(getInput()))
    return success();
  // From the output and rstd: the input need not be kept (MS-BP).
  backward.accumulate(getInput(), createInferred<NormalizeGradOp>(
                                      backward.builder(), getLoc(), dy, backward.saved(getResult()),
                                      backward.saved(getRstd()), getKindAttr()));
  return success();
}

bool NormalizeOp::backwardReadsResult(unsigned, ActivityFn isActive) {
  return isActive(getInput()); // z and rstd
}

LogicalResult ScaleShiftOp::buildBackward(BackwardBuilder &backward) {
  Value dy = backward.resultGrad(getResult());
  if (!dy || !backward.isActive(getInput()))
    return success();
  if (backward.isActive(getScale()) || (getShift() && backward.isActive(getShift())))
    return unsupported(*this, "a trainable scale or shift is not supported");
  // dx = dy · scale: the op again, without the shift.
  backward.accumulate(getInput(), createInferred<ScaleShiftOp>(backward.builder(), getLoc(), dy,
                                                                backward.saved(getScale()), Value()));
  return success();
}

bool ScaleShiftOp::backwardReadsOperand(unsigned index, ActivityFn isActive) {
  return index == 1 && isActive(getInput());
}

bool ScaleShiftOp::isRecomputedForBackward() { return true; }

//===-- Linear layers and adapters ------------------------------------------------===//

LogicalResult LinearOp::buildBackward(BackwardBuilder &backward) {
  Value dy = backward.resultGrad(getResult());
  if (!dy)
    return success();
  OpBuilder &b = backward.builder();
  bool outIn = getLayout() == WeightLayout::out_in;
  if (backward.isActive(getInput())) {
    // dx = dy·W: a linear with the other layout; the input is not needed.
    Value dx = createInferred<LinearOp>(b, getLoc(), dy, backward.saved(getWeight()), Value(),
                                        outIn ? WeightLayout::in_out : WeightLayout::out_in);
    backward.accumulate(getInput(), dx);
  }
  if (backward.isActive(getWeight()))
    backward.accumulate(getWeight(), createInferred<WeightGradOp>(b, getLoc(), dy,
                                                                  backward.saved(getInput()),
                                                                  getLayout()));
  if (Value bias = getBias(); bias && backward.isActive(bias))
    backward.accumulate(bias, createInferred<SumRowsOp>(b, getLoc(), dy));
  return success();
}

bool LinearOp::backwardReadsOperand(unsigned index, ActivityFn isActive) {
  Value operand = (*this)->getOperand(index);
  if (operand == getInput()) // dW = dy^T x; a frozen linear keeps nothing
    return isActive(getWeight());
  if (operand == getWeight()) // dx = dy W
    return isActive(getInput());
  return false;
}

LogicalResult SampledLinearOp::buildBackward(BackwardBuilder &backward) {
  Value dy = backward.resultGrad(getResult());
  if (!dy)
    return success();
  if (backward.isActive(getWeight()) || (getBias() && backward.isActive(getBias())))
    return unsupported(*this, "a sampled linear's weight and bias are frozen (slim-ce-lora)");
  if (!backward.isActive(getInput()))
    return success();
  // dx = dy[:, S] W[S] + (dy[:, ~S] L[~S]) R; the kept columns S are state the step updates
  // in place.
  auto grads = createInferred<SampledLinearGradOp>(
      backward.builder(), getLoc(), dy, backward.saved(getWeight()), backward.saved(getLeft()),
      backward.saved(getRight()), backward.saved(getNorms()), backward.saved(getColumns()),
      getRefreshAttr(), getLayoutAttr());
  backward.accumulate(getInput(), grads.getInputGrad());
  return backward.updateArgument(*this, getColumns(), grads.getNewColumns());
}

bool SampledLinearOp::backwardReadsOperand(unsigned index, ActivityFn isActive) {
  Value operand = (*this)->getOperand(index);
  return operand != getInput() && operand != getBias() && isActive(getInput());
}

LogicalResult LoraOp::buildBackward(BackwardBuilder &backward) {
  Value dy = backward.resultGrad(getResult());
  if (!dy)
    return success();
  auto grads = createInferred<LoraGradOp>(
      backward.builder(), getLoc(), dy, backward.saved(getInput()), backward.saved(getLoraA()),
      backward.saved(getLoraB()), getScaleAttr(), getDropoutAttr(), getSeedAttr());
  backward.accumulate(getInput(), grads.getInputGrad());
  backward.accumulate(getLoraA(), grads.getLoraAGrad());
  backward.accumulate(getLoraB(), grads.getLoraBGrad());
  return success();
}

bool LoraOp::backwardReadsOperand(unsigned, ActivityFn isActive) {
  return isActive(getResult()); // lora_grad reads x, A and B whenever it runs (dA = du^T x)
}

//===-- Attention ------------------------------------------------------------------===//

LogicalResult RopeOp::buildBackward(BackwardBuilder &backward) {
  Value dy = backward.resultGrad(getResult());
  if (!dy || !backward.isActive(getInput()))
    return success();
  // A rotation's transpose is the opposite rotation.
  OpBuilder &b = backward.builder();
  backward.accumulate(getInput(), createInferred<RopeOp>(b, getLoc(), dy, getHeadDimAttr(),
                                                         getThetaAttr(),
                                                         getInverse() ? UnitAttr() : b.getUnitAttr()));
  return success();
}

Operation *AttentionOp::buildTrainingForward(OpBuilder &b) {
  // The backward needs the logsumexp of each row, which the training forward yields too.
  return createInferred<AttentionWithLseOp>(b, getLoc(), getQuery(), getKey(), getValue(),
                                            getNumHeadsAttr(), getNumKvHeadsAttr(), getScaleAttr());
}

LogicalResult AttentionOp::buildBackward(BackwardBuilder &backward) {
  if (!backward.resultGrad(getResult()))
    return success();
  return unsupported(*this, "is differentiated as slim.attention_with_lse; its training forward "
                            "was not built");
}

bool AttentionOp::backwardReadsOperand(unsigned, ActivityFn isActive) {
  return isActive(getResult()); // q, k and v (and the training forward's output and lse)
}

LogicalResult AttentionWithLseOp::buildBackward(BackwardBuilder &backward) {
  Value dy = backward.resultGrad(getResult());
  if (!dy)
    return success();
  auto grads = createInferred<AttentionGradOp>(
      backward.builder(), getLoc(), backward.saved(getQuery()), backward.saved(getKey()),
      backward.saved(getValue()), backward.saved(getResult()), backward.saved(getLse()), dy,
      getNumHeadsAttr(), getNumKvHeadsAttr(), getScaleAttr());
  backward.accumulate(getQuery(), grads.getQueryGrad());
  backward.accumulate(getKey(), grads.getKeyGrad());
  backward.accumulate(getValue(), grads.getValueGrad());
  return success();
}

bool AttentionWithLseOp::backwardReadsOperand(unsigned, ActivityFn isActive) {
  return isActive(getResult());
}

bool AttentionWithLseOp::backwardReadsResult(unsigned, ActivityFn isActive) {
  return isActive(getResult()); // the output and its logsumexp
}

//===-- Elementwise ------------------------------------------------------------------===//

LogicalResult SiluOp::buildBackward(BackwardBuilder &backward) {
  Value dy = backward.resultGrad(getResult());
  if (!dy || !backward.isActive(getInput()))
    return success();
  backward.accumulate(getInput(), createInferred<SiluGradOp>(backward.builder(), getLoc(), dy,
                                                             backward.saved(getInput())));
  return success();
}

bool SiluOp::backwardReadsOperand(unsigned, ActivityFn isActive) { return isActive(getResult()); }

LogicalResult GeluOp::buildBackward(BackwardBuilder &backward) {
  Value dy = backward.resultGrad(getResult());
  if (!dy || !backward.isActive(getInput()))
    return success();
  backward.accumulate(getInput(), createInferred<GeluGradOp>(backward.builder(), getLoc(), dy,
                                                             backward.saved(getInput()),
                                                             getApproximateAttr()));
  return success();
}

bool GeluOp::backwardReadsOperand(unsigned, ActivityFn isActive) { return isActive(getResult()); }

LogicalResult AddOp::buildBackward(BackwardBuilder &backward) {
  Value dy = backward.resultGrad(getResult());
  backward.accumulate(getLhs(), dy);
  backward.accumulate(getRhs(), dy);
  return success();
}

LogicalResult MulOp::buildBackward(BackwardBuilder &backward) {
  Value dy = backward.resultGrad(getResult());
  if (!dy)
    return success();
  OpBuilder &b = backward.builder();
  if (backward.isActive(getLhs()))
    backward.accumulate(getLhs(), createInferred<MulOp>(b, getLoc(), dy, backward.saved(getRhs())));
  if (backward.isActive(getRhs()))
    backward.accumulate(getRhs(), createInferred<MulOp>(b, getLoc(), dy, backward.saved(getLhs())));
  return success();
}

// d lhs = alpha·dy, d rhs = beta·dy: scaled copies (beta 0: the second operand is not read).
LogicalResult ScaledAddOp::buildBackward(BackwardBuilder &backward) {
  Value dy = backward.resultGrad(getResult());
  if (!dy)
    return success();
  OpBuilder &b = backward.builder();
  auto scaled = [&](double factor) -> Value {
    if (factor == 1.0)
      return dy;
    return createInferred<ScaledAddOp>(b, getLoc(), dy, dy, APFloat(factor), APFloat(0.0));
  };
  if (backward.isActive(getLhs()))
    backward.accumulate(getLhs(), scaled(getAlpha().convertToDouble()));
  if (backward.isActive(getRhs()))
    backward.accumulate(getRhs(), scaled(getBeta().convertToDouble()));
  return success();
}

Value ScaledAddOp::reconstructLhs(OpBuilder &b, Value result, Value rhs) {
  double alpha = getAlpha().convertToDouble(), beta = getBeta().convertToDouble();
  return createInferred<ScaledAddOp>(b, getLoc(), result, rhs, APFloat(1.0 / alpha),
                                     APFloat(-beta / alpha))
      .getResult();
}

bool MulOp::backwardReadsOperand(unsigned index, ActivityFn isActive) {
  return isActive((*this)->getOperand(1 - index)); // each side's gradient reads the other side
}

//===-- Slicing --------------------------------------------------------------------===//

LogicalResult SliceOp::buildBackward(BackwardBuilder &backward) {
  if (Value dy = backward.resultGrad(getResult()))
    backward.accumulateSlice(getInput(), static_cast<int64_t>(getStart()),
                             static_cast<int64_t>(getEnd()), dy);
  return success();
}

LogicalResult ConcatOp::buildBackward(BackwardBuilder &backward) {
  Value dy = backward.resultGrad(getResult());
  if (!dy)
    return success();
  int64_t offset = 0;
  for (Value part : getInputs()) {
    int64_t width = cast<RankedTensorType>(part.getType()).getShape().back();
    if (backward.isActive(part))
      backward.accumulate(part, createInferred<SliceOp>(backward.builder(), getLoc(), dy,
                                                        static_cast<uint64_t>(offset),
                                                        static_cast<uint64_t>(offset + width)));
    offset += width;
  }
  return success();
}

//===-- Loss -----------------------------------------------------------------------===//

Operation *CrossEntropyOp::buildTrainingForward(OpBuilder &b) {
  // The loss and its gradient in one pass over the logits: they are not kept.
  return createInferred<CrossEntropyWithGradOp>(b, getLoc(), getLogits(), getTargets(),
                                                getIgnoreIndexAttr());
}

LogicalResult CrossEntropyOp::buildBackward(BackwardBuilder &backward) {
  if (!backward.isActive(getLoss()))
    return success();
  return unsupported(*this, "is differentiated as slim.cross_entropy_with_grad; its training "
                            "forward was not built");
}

Operation *LinearCrossEntropyOp::buildTrainingForward(OpBuilder &b) {
  // The loss and its input's gradient chunk by chunk: neither logits nor their gradient kept.
  return createInferred<LinearCrossEntropyWithGradOp>(b, getLoc(), getInput(), getWeight(),
                                                      getTargets(), getLayoutAttr(),
                                                      getIgnoreIndexAttr(), getChunkAttr());
}

LogicalResult LinearCrossEntropyOp::buildBackward(BackwardBuilder &backward) {
  if (!backward.isActive(getLoss()))
    return success();
  return unsupported(*this, "is differentiated as slim.linear_cross_entropy_with_grad; its "
                            "training forward was not built");
}

LogicalResult LinearCrossEntropyWithGradOp::buildBackward(BackwardBuilder &backward) {
  if (backward.isActive(getWeight()))
    return unsupported(*this, "computes no gradient for its weight (slim-fuse-head-loss fuses "
                              "frozen heads only)");
  if (backward.isActive(getInput()))
    backward.accumulate(getInput(), getInputGrad());
  return success();
}

LogicalResult CrossEntropyWithGradOp::buildBackward(BackwardBuilder &backward) {
  // The seed: d(loss)/d(logits) comes out of the op itself.
  backward.accumulate(getLogits(), getLogitsGrad());
  return success();
}
