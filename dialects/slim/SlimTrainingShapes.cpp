//===- SlimTrainingShapes.cpp - shape rules of the backward and optimizer ops -------------===//
//
// Each backward op checks that its forward operands are consistent by the forward op's own
// rule (shared in SlimShapeChecks.h) and that every incoming gradient has the type of the value
// it is the gradient of.
//
//===-------------------------------------------------------------------------------------===//

#include "dialects/slim/SlimOps.h"
#include "dialects/slim/SlimShapeChecks.h"

using namespace mlir;
using namespace mlir::slim;
using namespace mlir::slim::shape;

LogicalResult AttentionWithLseOp::inferResultTypes(SmallVectorImpl<Type> &types,
                                                   EmitFn emitError) {
  auto q = getQuery().getType();
  if (failed(inferAttention(emitError, types, q, getKey().getType(), getValue().getType(),
                            static_cast<int64_t>(getNumHeads()),
                            static_cast<int64_t>(getNumKvHeads()), getScale())))
    return failure();
  types.push_back(RankedTensorType::get(
      {q.getDimSize(0), static_cast<int64_t>(getNumHeads()), q.getDimSize(1)},
      q.getElementType()));
  return success();
}

LogicalResult AttentionGradOp::inferResultTypes(SmallVectorImpl<Type> &types, EmitFn emitError) {
  auto q = getQuery().getType(), k = getKey().getType(), v = getValue().getType();
  SmallVector<Type> forward;
  if (failed(inferAttention(emitError, forward, q, k, v, static_cast<int64_t>(getNumHeads()),
                            static_cast<int64_t>(getNumKvHeads()), getScale())) ||
      failed(expectGradientOf(emitError, "output", getOutput().getType(), forward[0])) ||
      failed(expectGradientOf(emitError, "output_grad", getOutputGrad().getType(), forward[0])))
    return failure();
  auto lse = RankedTensorType::get(
      {q.getDimSize(0), static_cast<int64_t>(getNumHeads()), q.getDimSize(1)}, q.getElementType());
  if (failed(expectGradientOf(emitError, "lse", getLse().getType(), lse)))
    return failure();
  types.append({q, k, v});
  return success();
}

LogicalResult RMSNormGradOp::inferResultTypes(SmallVectorImpl<Type> &types, EmitFn emitError) {
  if (failed(inferNorm(emitError, types, getInput(), getScale(), Value(),
                       getEpsilon().convertToDouble())))
    return failure();
  return expectGradientOf(emitError, "result_grad", getResultGrad().getType(), types[0]);
}

LogicalResult LayerNormGradOp::inferResultTypes(SmallVectorImpl<Type> &types, EmitFn emitError) {
  if (failed(inferNorm(emitError, types, getInput(), getScale(), Value(),
                       getEpsilon().convertToDouble())))
    return failure();
  return expectGradientOf(emitError, "result_grad", getResultGrad().getType(), types[0]);
}

LogicalResult NormalizeGradOp::inferResultTypes(SmallVectorImpl<Type> &types, EmitFn emitError) {
  auto z = getResult().getType();
  if (failed(expectMinRank(emitError, "a result", z, 1)) ||
      failed(expectGradientOf(emitError, "rstd", getRstd().getType(), rowStatisticType(z))) ||
      failed(expectGradientOf(emitError, "result_grad", getResultGrad().getType(), z)))
    return failure();
  types.push_back(z);
  return success();
}

LogicalResult WeightGradOp::inferResultTypes(SmallVectorImpl<Type> &types, EmitFn emitError) {
  auto dy = getResultGrad().getType(), x = getInput().getType();
  if (failed(expectMinRank(emitError, "result_grad", dy, 1)) ||
      failed(expectSameElementType(emitError, "an input", x, dy)))
    return failure();
  if (dy.getRank() != x.getRank() ||
      failed(verifyCompatibleShape(dy.getShape().drop_back(), x.getShape().drop_back())))
    return emitError() << "result_grad of shape " << showShape(dy.getShape())
                       << " and input of shape " << showShape(x.getShape())
                       << " differ outside the last dimension";
  int64_t out = lastDim(dy), in = lastDim(x);
  bool outIn = getLayout() == WeightLayout::out_in;
  types.push_back(RankedTensorType::get(outIn ? ArrayRef<int64_t>{out, in}
                                              : ArrayRef<int64_t>{in, out},
                                        dy.getElementType()));
  return success();
}

LogicalResult SumRowsOp::inferResultTypes(SmallVectorImpl<Type> &types, EmitFn emitError) {
  auto in = getInput().getType();
  if (failed(expectMinRank(emitError, "an input", in, 1)))
    return failure();
  types.push_back(RankedTensorType::get({lastDim(in)}, in.getElementType()));
  return success();
}

namespace {
// A LoRA gradient op's operands: the forward's (input, A, B, scale, dropout) and a gradient of
// the forward's result.
template <typename LoraGradLike>
LogicalResult expectLoraGradOperands(LoraGradLike op, EmitFn emitError) {
  SmallVector<Type> forward;
  if (failed(inferLora(emitError, forward, op.getInput().getType(), op.getLoraA().getType(),
                       op.getLoraB().getType(), op.getScale().convertToDouble(),
                       op.getDropout().convertToDouble())))
    return failure();
  return expectGradientOf(emitError, "result_grad", op.getResultGrad().getType(), forward[0]);
}
} // namespace

LogicalResult LoraGradOp::inferResultTypes(SmallVectorImpl<Type> &types, EmitFn emitError) {
  if (failed(expectLoraGradOperands(*this, emitError)))
    return failure();
  types.append({getInput().getType(), getLoraA().getType(), getLoraB().getType()});
  return success();
}

LogicalResult SampledLinearGradOp::inferResultTypes(SmallVectorImpl<Type> &types,
                                                     EmitFn emitError) {
  auto weight = getWeight().getType();
  auto dy = getResultGrad().getType();
  bool outIn = getLayout() == WeightLayout::out_in;
  if (failed(expectMinRank(emitError, "result_grad", dy, 1)) ||
      failed(expectRank(emitError, "a weight", weight, 2,
                        outIn ? "[out, in] for layout out_in" : "[in, out] for layout in_out")) ||
      failed(expectWeightElementType(emitError, "a weight", weight, dy)))
    return failure();
  if (!agree(getOutFeatures(), lastDim(dy)))
    return emitError() << "weight of shape " << showShape(weight.getShape()) << " has "
                       << dim(getOutFeatures()) << " output features, but result_grad has "
                       << dim(lastDim(dy));
  if (failed(expectCeLoraOperands(emitError, weight, getLeft().getType(), getRight().getType(),
                                  getNorms().getType(), getColumns().getType(), getOutFeatures(),
                                  static_cast<int64_t>(getRefresh()))))
    return failure();
  types.append({withLastDim(dy, getInFeatures()), getColumns().getType()});
  return success();
}

LogicalResult LoraWeightGradOp::inferResultTypes(SmallVectorImpl<Type> &types, EmitFn emitError) {
  if (failed(expectLoraGradOperands(*this, emitError)))
    return failure();
  types.append({getLoraA().getType(), getLoraB().getType()});
  return success();
}

LogicalResult SiluGradOp::inferResultTypes(SmallVectorImpl<Type> &types, EmitFn emitError) {
  types.push_back(getInput().getType());
  return expectGradientOf(emitError, "result_grad", getResultGrad().getType(), types[0]);
}

LogicalResult GeluGradOp::inferResultTypes(SmallVectorImpl<Type> &types, EmitFn emitError) {
  types.push_back(getInput().getType());
  return expectGradientOf(emitError, "result_grad", getResultGrad().getType(), types[0]);
}

// Flags of an activation's input: 4 per byte, as one flat vector.
static RankedTensorType flagsTypeFor(RankedTensorType input) {
  int64_t bytes = input.hasStaticShape() ? (input.getNumElements() + 3) / 4 : ShapedType::kDynamic;
  return RankedTensorType::get({bytes}, IntegerType::get(input.getContext(), 8));
}

LogicalResult ActivationFlagsOp::inferResultTypes(SmallVectorImpl<Type> &types, EmitFn emitError) {
  auto input = getInput().getType();
  if (!input.getElementType().isF32())
    return emitError() << "input must be f32 (the flags are computed in fp32), got "
                       << input.getElementType();
  types.push_back(flagsTypeFor(input));
  return success();
}

LogicalResult ActivationGradFromFlagsOp::inferResultTypes(SmallVectorImpl<Type> &types,
                                                          EmitFn emitError) {
  auto dy = getResultGrad().getType();
  auto expected = flagsTypeFor(dy);
  if (dy.hasStaticShape() && getFlags().getType() != expected)
    return emitError() << "flags must be " << expected << " (4 per byte) for a gradient of type "
                       << dy << ", got " << getFlags().getType();
  types.push_back(dy);
  return success();
}

LogicalResult ZerosOp::inferResultTypes(SmallVectorImpl<Type> &types, EmitFn) {
  // Nothing to infer from: the declared type is the rule.
  types.push_back(getType());
  return success();
}

LogicalResult CrossEntropyWithGradOp::inferResultTypes(SmallVectorImpl<Type> &types,
                                                       EmitFn emitError) {
  if (failed(inferCrossEntropy(emitError, types, getLogits().getType(), getTargets().getType(),
                               static_cast<int64_t>(getIgnoreIndex()))))
    return failure();
  types.push_back(getLogits().getType());
  return success();
}

LogicalResult LinearCrossEntropyWithGradOp::inferResultTypes(SmallVectorImpl<Type> &types,
                                                             EmitFn emitError) {
  if (failed(inferLinearCrossEntropy(emitError, types, getInput().getType(),
                                     getWeight().getType(), getLayout(),
                                     getTargets().getType(),
                                     static_cast<int64_t>(getIgnoreIndex()))))
    return failure();
  types.push_back(getInput().getType());
  return success();
}

LogicalResult GlobalNormSquaredOp::inferResultTypes(SmallVectorImpl<Type> &types,
                                                    EmitFn emitError) {
  if (getGradients().empty())
    return emitError() << "expects at least one gradient";
  types.push_back(RankedTensorType::get({}, Float64Type::get(getContext())));
  return success();
}

LogicalResult SqrtOp::inferResultTypes(SmallVectorImpl<Type> &types, EmitFn) {
  types.push_back(RankedTensorType::get({}, Float32Type::get(getContext())));
  return success();
}

LogicalResult AdamWOp::inferResultTypes(SmallVectorImpl<Type> &types, EmitFn emitError) {
  auto p = getParam().getType();
  if (failed(expectGradientOf(emitError, "grad", getGrad().getType(), p)) ||
      failed(expectGradientOf(emitError, "m", getM().getType(), p)) ||
      failed(expectGradientOf(emitError, "v", getV().getType(), p)))
    return failure();
  for (auto [name, value] : {std::pair<StringRef, double>{"beta1", getBeta1().convertToDouble()},
                             {"beta2", getBeta2().convertToDouble()}})
    if (!(value >= 0 && value < 1))
      return emitError() << "expects " << name << " in [0, 1), got " << num(value);
  if (failed(expectPositiveFinite(emitError, "eps", getEps().convertToDouble())))
    return failure();
  for (auto [name, value] :
       {std::pair<StringRef, double>{"weight_decay", getWeightDecay().convertToDouble()},
        {"max_grad_norm", getMaxGradNorm().convertToDouble()}})
    if (!(value >= 0) || !std::isfinite(value))
      return emitError() << "expects " << name << " >= 0, got " << num(value);
  types.append({p, p, p});
  return success();
}
