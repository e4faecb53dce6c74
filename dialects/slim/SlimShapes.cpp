//===- SlimShapes.cpp - the shape and attribute rule of every slim op --------------------===//
//
// InferShapeOpInterface::inferResultTypes for each op: the one statement of what operands and
// attributes an op accepts and what it returns. The verifier, builders and slim-infer-shapes
// all use it. A `?` dimension is accepted wherever a static one would be and propagates.
//
//===-------------------------------------------------------------------------------------===//

#include "dialects/slim/SlimOps.h"
#include "dialects/slim/SlimShapeChecks.h"

#include "mlir/IR/TypeUtilities.h"


using namespace mlir;
using namespace mlir::slim;

using namespace mlir::slim::shape;

//===-------------------------------------------------------------------------------------===//
// Embeddings
//===-------------------------------------------------------------------------------------===//

LogicalResult EmbeddingOp::inferResultTypes(SmallVectorImpl<Type> &types, EmitFn emitError) {
  auto table = getTable().getType();
  auto ids = getIds().getType();
  if (failed(expectTable(emitError, table)))
    return failure();
  SmallVector<int64_t> dims(ids.getShape());
  dims.push_back(table.getDimSize(1));
  // A bf16 or block table is a frozen weight kept so: its rows are activations, f32.
  Type element = table.getElementType();
  if (element.isBF16() || isa<BlocksType>(element))
    element = Float32Type::get(getContext());
  types.push_back(RankedTensorType::get(dims, element));
  return success();
}

LogicalResult PositionEmbeddingOp::inferResultTypes(SmallVectorImpl<Type> &types,
                                                    EmitFn emitError) {
  auto table = getTable().getType();
  auto ids = getIds().getType();
  if (failed(expectTable(emitError, table)) ||
      failed(expectRank(emitError, "ids", ids, 2, "[batch, seq]")))
    return failure();
  int64_t seq = ids.getDimSize(1), positions = table.getDimSize(0);
  if (!isDyn(seq) && !isDyn(positions) && seq > positions)
    return emitError() << "sequence length " << seq << " exceeds the table's " << positions
                       << " positions";
  types.push_back(RankedTensorType::get({ids.getDimSize(0), seq, table.getDimSize(1)},
                                        table.getElementType()));
  return success();
}

//===-------------------------------------------------------------------------------------===//
// Norms
//===-------------------------------------------------------------------------------------===//

LogicalResult RMSNormOp::inferResultTypes(SmallVectorImpl<Type> &types, EmitFn emitError) {
  return inferNorm(emitError, types, getInput(), getScale(), Value(),
                   getEpsilon().convertToDouble());
}

LogicalResult LayerNormOp::inferResultTypes(SmallVectorImpl<Type> &types, EmitFn emitError) {
  return inferNorm(emitError, types, getInput(), getScale(), getShift(),
                   getEpsilon().convertToDouble());
}

LogicalResult NormalizeOp::inferResultTypes(SmallVectorImpl<Type> &types, EmitFn emitError) {
  if (failed(inferNorm(emitError, types, getInput(), Value(), Value(),
                       getEpsilon().convertToDouble())))
    return failure();
  types.push_back(rowStatisticType(getInput().getType()));
  return success();
}

LogicalResult ScaleShiftOp::inferResultTypes(SmallVectorImpl<Type> &types, EmitFn emitError) {
  return inferNorm(emitError, types, getInput(), getScale(), getShift(), /*epsilon=*/1.0);
}

//===-------------------------------------------------------------------------------------===//
// Linear layers and adapters
//===-------------------------------------------------------------------------------------===//

LogicalResult mlir::slim::shape::inferLinear(EmitFn emitError, SmallVectorImpl<Type> &types,
                                             RankedTensorType in, RankedTensorType weight,
                                             WeightLayout layout, Value bias) {
  StringRef layoutName = stringifyWeightLayout(layout);
  bool outIn = layout == WeightLayout::out_in;
  if (failed(expectMinRank(emitError, "an input", in, 1)) ||
      failed(expectRank(emitError, "a weight", weight, 2,
                        outIn ? "[out, in] for layout out_in" : "[in, out] for layout in_out")) ||
      failed(expectWeightElementType(emitError, "a weight", weight, in)))
    return failure();
  int64_t inFeatures = weight.getDimSize(outIn ? 1 : 0), outFeatures = weight.getDimSize(outIn ? 0 : 1);
  if (!agree(inFeatures, lastDim(in)))
    return emitError() << "weight of shape " << showShape(weight.getShape()) << " (layout "
                       << layoutName << ") takes " << dim(inFeatures)
                       << " input features, but the input has " << dim(lastDim(in));
  if (failed(expectChannelVector(emitError, "bias", bias, in, outFeatures)))
    return failure();
  types.push_back(withLastDim(in, outFeatures));
  return success();
}

LogicalResult mlir::slim::shape::expectCeLoraOperands(EmitFn emitError, RankedTensorType weight,
                                                      RankedTensorType left, RankedTensorType right,
                                                      RankedTensorType norms,
                                                      RankedTensorType columns, int64_t out,
                                                      int64_t refresh) {
  if (!weight.hasStaticShape() || !left.hasStaticShape() || !right.hasStaticShape() ||
      !norms.hasStaticShape() || !columns.hasStaticShape())
    return emitError() << "expects static shapes";
  int64_t rows = weight.getDimSize(0), cols = weight.getDimSize(1), r = left.getDimSize(1);
  if (left.getDimSize(0) != rows || right.getDimSize(0) != r || right.getDimSize(1) != cols ||
      r < 1 || r >= std::min(rows, cols))
    return emitError() << "expects an SVD pair [" << rows << ", r] and [r, " << cols
                       << "] with 1 <= r < " << std::min(rows, cols) << ", got "
                       << showShape(left.getShape()) << " and " << showShape(right.getShape());
  if (norms.getDimSize(0) != out)
    return emitError() << "expects " << out << " residual norms (one per output feature), got "
                       << norms.getDimSize(0);
  int64_t k = columns.getDimSize(0);
  if (isDyn(k) || isDyn(out) || k < 1 || k > out)
    return emitError() << "expects between 1 and " << dim(out) << " kept output features, got "
                       << dim(k);
  if (refresh < 1)
    return emitError() << "expects refresh >= 1 optimizer steps, got " << refresh;
  return success();
}

LogicalResult LinearOp::inferResultTypes(SmallVectorImpl<Type> &types, EmitFn emitError) {
  return inferLinear(emitError, types, getInput().getType(), getWeight().getType(), getLayout(),
                     getBias());
}

LogicalResult SampledLinearOp::inferResultTypes(SmallVectorImpl<Type> &types, EmitFn emitError) {
  if (failed(inferLinear(emitError, types, getInput().getType(), getWeight().getType(),
                         getLayout(), getBias())))
    return failure();
  return expectCeLoraOperands(emitError, getWeight().getType(), getLeft().getType(),
                              getRight().getType(), getNorms().getType(), getColumns().getType(),
                              getOutFeatures(), static_cast<int64_t>(getRefresh()));
}

LogicalResult mlir::slim::shape::inferLora(EmitFn emitError, SmallVectorImpl<Type> &types,
                                           RankedTensorType in, RankedTensorType a,
                                           RankedTensorType b, double scale, double dropout) {
  if (failed(expectMinRank(emitError, "an input", in, 1)) ||
      failed(expectRank(emitError, "lora_a", a, 2, "[rank, in]")) ||
      failed(expectRank(emitError, "lora_b", b, 2, "[out, rank]")) ||
      failed(expectSameElementType(emitError, "lora_a", a, in)) ||
      failed(expectSameElementType(emitError, "lora_b", b, in)))
    return failure();
  if (!agree(a.getDimSize(1), lastDim(in)))
    return emitError() << "lora_a of shape " << showShape(a.getShape()) << " takes "
                       << dim(a.getDimSize(1)) << " input features, but the input has "
                       << dim(lastDim(in));
  if (!agree(a.getDimSize(0), b.getDimSize(1)))
    return emitError() << "lora_a has rank " << dim(a.getDimSize(0)) << " but lora_b of shape "
                       << showShape(b.getShape()) << " has rank " << dim(b.getDimSize(1));
  if (!std::isfinite(scale) || std::fabs(scale) > std::numeric_limits<float>::max())
    return emitError() << "expects a finite scale within fp32's range, got " << num(scale);
  if (!(dropout >= 0.0 && dropout < 1.0))
    return emitError() << "expects dropout in [0, 1), got " << num(dropout);
  types.push_back(withLastDim(in, b.getDimSize(0)));
  return success();
}

LogicalResult LoraOp::inferResultTypes(SmallVectorImpl<Type> &types, EmitFn emitError) {
  return inferLora(emitError, types, getInput().getType(), getLoraA().getType(),
                   getLoraB().getType(), getScale().convertToDouble(),
                   getDropout().convertToDouble());
}

LogicalResult MergeLoraOp::inferResultTypes(SmallVectorImpl<Type> &types, EmitFn emitError) {
  auto weight = getWeight().getType();
  auto a = getLoraA().getType(), b = getLoraB().getType();
  bool outIn = getLayout() == WeightLayout::out_in;
  if (failed(expectRank(emitError, "a weight", weight, 2,
                        outIn ? "[out, in] for layout out_in" : "[in, out] for layout in_out")) ||
      failed(expectRank(emitError, "lora_a", a, 2, "[rank, in]")) ||
      failed(expectRank(emitError, "lora_b", b, 2, "[out, rank]")) ||
      failed(expectSameElementType(emitError, "lora_a", a, weight)) ||
      failed(expectSameElementType(emitError, "lora_b", b, weight)))
    return failure();
  auto weightShape = [&] {
    return showShape(weight.getShape()) + " (layout " +
           stringifyWeightLayout(getLayout()).str() + ")";
  };
  if (!agree(a.getDimSize(1), getInFeatures()))
    return emitError() << "lora_a of shape " << showShape(a.getShape()) << " takes "
                       << dim(a.getDimSize(1)) << " input features, but the weight of shape "
                       << weightShape() << " has " << dim(getInFeatures());
  if (!agree(b.getDimSize(0), getOutFeatures()))
    return emitError() << "lora_b of shape " << showShape(b.getShape()) << " gives "
                       << dim(b.getDimSize(0)) << " output features, but the weight of shape "
                       << weightShape() << " has " << dim(getOutFeatures());
  if (!agree(a.getDimSize(0), b.getDimSize(1)))
    return emitError() << "lora_a has rank " << dim(a.getDimSize(0)) << " but lora_b of shape "
                       << showShape(b.getShape()) << " has rank " << dim(b.getDimSize(1));
  if (!std::isfinite(getScale().convertToDouble()))
    return emitError() << "expects a finite scale, got " << num(getScale().convertToDouble());
  types.push_back(weight);
  return success();
}

//===-------------------------------------------------------------------------------------===//
// Attention
//===-------------------------------------------------------------------------------------===//

LogicalResult RopeOp::inferResultTypes(SmallVectorImpl<Type> &types, EmitFn emitError) {
  auto in = getInput().getType();
  int64_t headDim = static_cast<int64_t>(getHeadDim());
  if (failed(expectRank(emitError, "an input", in, 3, "[batch, seq, heads * head_dim]")))
    return failure();
  if (headDim <= 0 || headDim % 2 != 0)
    return emitError() << "expects a positive, even head_dim, got " << headDim;
  if (!isDyn(lastDim(in)) && lastDim(in) % headDim != 0)
    return emitError() << "head_dim " << headDim << " does not divide the last dimension ("
                       << lastDim(in) << ")";
  if (failed(expectPositiveFinite(emitError, "theta", getTheta().convertToDouble())))
    return failure();
  types.push_back(in);
  return success();
}

LogicalResult mlir::slim::shape::inferAttention(EmitFn emitError, SmallVectorImpl<Type> &types,
                                                RankedTensorType q, RankedTensorType k,
                                                RankedTensorType v, int64_t heads,
                                                int64_t kvHeads, std::optional<APFloat> scale) {
  const char *layout = "[batch, seq, heads * head_dim]";
  if (failed(expectRank(emitError, "a query", q, 3, layout)) ||
      failed(expectRank(emitError, "a key", k, 3, layout)) ||
      failed(expectRank(emitError, "a value", v, 3, layout)) ||
      failed(expectSameElementType(emitError, "a key", k, q)) ||
      failed(expectSameElementType(emitError, "a value", v, q)))
    return failure();
  if (heads <= 0 || kvHeads <= 0 || heads % kvHeads != 0)
    return emitError() << "expects heads (" << heads << ") to be a positive multiple of "
                       << "kv_heads (" << kvHeads << ")";
  if (!isDyn(lastDim(q)) && lastDim(q) % heads != 0)
    return emitError() << "query channels (" << lastDim(q) << ") are not divisible by "
                       << heads << " heads";
  int64_t headDim = isDyn(lastDim(q)) ? ShapedType::kDynamic : lastDim(q) / heads;
  int64_t kvChannels = isDyn(headDim) ? ShapedType::kDynamic : kvHeads * headDim;
  for (auto [name, t] : {std::pair<StringRef, RankedTensorType>{"key", k}, {"value", v}}) {
    if (!agree(lastDim(t), kvChannels))
      return emitError() << name << " has " << lastDim(t) << " channels, expected kv_heads * "
                         << "head_dim = " << kvHeads << " * " << dim(headDim);
    for (int i = 0; i < 2; ++i)
      if (!agree(t.getDimSize(i), q.getDimSize(i)))
        return emitError() << name << " of shape " << showShape(t.getShape())
                           << " does not match the query's batch and sequence "
                           << showShape(q.getShape().take_front(2));
  }
  if (scale)
    if (failed(expectPositiveFinite(emitError, "scale", scale->convertToDouble())))
      return failure();
  types.push_back(RankedTensorType::get(
      {merge(merge(q.getDimSize(0), k.getDimSize(0)), v.getDimSize(0)),
       merge(merge(q.getDimSize(1), k.getDimSize(1)), v.getDimSize(1)), lastDim(q)},
      q.getElementType()));
  return success();
}

LogicalResult AttentionOp::inferResultTypes(SmallVectorImpl<Type> &types, EmitFn emitError) {
  return inferAttention(emitError, types, getQuery().getType(), getKey().getType(),
                        getValue().getType(), static_cast<int64_t>(getNumHeads()),
                        static_cast<int64_t>(getNumKvHeads()), getScale());
}

//===-------------------------------------------------------------------------------------===//
// Elementwise
//===-------------------------------------------------------------------------------------===//

LogicalResult SiluOp::inferResultTypes(SmallVectorImpl<Type> &types, EmitFn) {
  types.push_back(getInput().getType());
  return success();
}

LogicalResult GeluOp::inferResultTypes(SmallVectorImpl<Type> &types, EmitFn) {
  types.push_back(getInput().getType());
  return success();
}

namespace {
LogicalResult inferBinary(EmitFn emitError, SmallVectorImpl<Type> &types,
                          RankedTensorType lhs, RankedTensorType rhs) {
  if (failed(expectSameElementType(emitError, "operands", rhs, lhs)))
    return failure();
  if (failed(verifyCompatibleShape(lhs.getShape(), rhs.getShape())))
    return emitError() << "expects operands of one shape, got " << showShape(lhs.getShape())
                       << " and " << showShape(rhs.getShape());
  SmallVector<int64_t> dims;
  for (auto [a, b] : llvm::zip_equal(lhs.getShape(), rhs.getShape()))
    dims.push_back(merge(a, b));
  types.push_back(RankedTensorType::get(dims, lhs.getElementType()));
  return success();
}
} // namespace

LogicalResult AddOp::inferResultTypes(SmallVectorImpl<Type> &types, EmitFn emitError) {
  return inferBinary(emitError, types, getLhs().getType(), getRhs().getType());
}

LogicalResult MulOp::inferResultTypes(SmallVectorImpl<Type> &types, EmitFn emitError) {
  return inferBinary(emitError, types, getLhs().getType(), getRhs().getType());
}

LogicalResult ScaledAddOp::inferResultTypes(SmallVectorImpl<Type> &types, EmitFn emitError) {
  for (auto [name, value] : {std::pair{"alpha", getAlpha().convertToDouble()},
                              {"beta", getBeta().convertToDouble()}})
    if (!std::isfinite(value) || std::fabs(value) > std::numeric_limits<float>::max())
      return emitError() << name << " must be a finite fp32 value, got " << value;
  return inferBinary(emitError, types, getLhs().getType(), getRhs().getType());
}

//===-------------------------------------------------------------------------------------===//
// Slicing
//===-------------------------------------------------------------------------------------===//

LogicalResult SliceOp::inferResultTypes(SmallVectorImpl<Type> &types, EmitFn emitError) {
  auto in = getInput().getType();
  int64_t start = static_cast<int64_t>(getStart()), end = static_cast<int64_t>(getEnd());
  if (failed(expectMinRank(emitError, "an input", in, 1)))
    return failure();
  if (start < 0 || end <= start || (!isDyn(lastDim(in)) && end > lastDim(in)))
    return emitError() << "slice [" << start << " : " << end
                       << "] is empty or outside the last dimension (" << dim(lastDim(in))
                       << ")";
  types.push_back(withLastDim(in, end - start));
  return success();
}

LogicalResult ConcatOp::inferResultTypes(SmallVectorImpl<Type> &types, EmitFn emitError) {
  if (getInputs().empty())
    return emitError() << "expects at least one input";
  auto first = cast<RankedTensorType>(getInputs().front().getType());
  if (failed(expectMinRank(emitError, "inputs", first, 1)))
    return failure();
  SmallVector<int64_t> dims(first.getShape());
  dims.back() = 0;
  for (auto [i, value] : llvm::enumerate(getInputs())) {
    auto t = cast<RankedTensorType>(value.getType());
    if (t.getRank() != first.getRank())
      return emitError() << "input #" << i << " has rank " << t.getRank()
                         << ", input #0 has rank " << first.getRank();
    if (failed(expectSameElementType(emitError, "inputs", t, first)))
      return failure();
    for (int64_t d = 0; d + 1 < t.getRank(); ++d) {
      if (!agree(t.getDimSize(d), dims[d]))
        return emitError() << "input #" << i << " of shape " << showShape(t.getShape())
                           << " differs from input #0 " << showShape(first.getShape())
                           << " outside the last dimension";
      dims[d] = merge(dims[d], t.getDimSize(d));
    }
    dims.back() = isDyn(dims.back()) || isDyn(lastDim(t)) ? ShapedType::kDynamic
                                                          : dims.back() + lastDim(t);
  }
  types.push_back(RankedTensorType::get(dims, first.getElementType()));
  return success();
}

//===-------------------------------------------------------------------------------------===//
// Loss
//===-------------------------------------------------------------------------------------===//

LogicalResult mlir::slim::shape::inferCrossEntropy(EmitFn emitError,
                                                   SmallVectorImpl<Type> &types,
                                                   RankedTensorType logits,
                                                   RankedTensorType targets,
                                                   int64_t ignoreIndex) {
  if (failed(expectMinRank(emitError, "logits", logits, 1)))
    return failure();
  // Targets are 32-bit ids: an ignore index no target can equal would ignore nothing.
  if (ignoreIndex < INT32_MIN || ignoreIndex > INT32_MAX)
    return emitError() << "expects ignore_index to be a 32-bit id, got " << ignoreIndex;
  ArrayRef<int64_t> rows = logits.getShape().drop_back();
  if (targets.getRank() != static_cast<int64_t>(rows.size()) ||
      failed(verifyCompatibleShape(rows, targets.getShape())))
    return emitError() << "targets of shape " << showShape(targets.getShape())
                       << " do not match the logits' rows " << showShape(rows)
                       << " (logits are [..., vocab], targets [...])";
  types.push_back(RankedTensorType::get({}, Float32Type::get(logits.getContext())));
  return success();
}

LogicalResult CrossEntropyOp::inferResultTypes(SmallVectorImpl<Type> &types,
                                               EmitFn emitError) {
  return inferCrossEntropy(emitError, types, getLogits().getType(), getTargets().getType(),
                           static_cast<int64_t>(getIgnoreIndex()));
}

LogicalResult mlir::slim::shape::inferLinearCrossEntropy(EmitFn emitError,
                                                         SmallVectorImpl<Type> &types,
                                                         RankedTensorType in,
                                                         RankedTensorType weight,
                                                         WeightLayout layout,
                                                         RankedTensorType targets,
                                                         int64_t ignoreIndex) {
  // The fused op's operands are those of the linear and the loss it replaces.
  SmallVector<Type, 1> logits;
  if (failed(inferLinear(emitError, logits, in, weight, layout, Value())))
    return failure();
  return inferCrossEntropy(emitError, types, cast<RankedTensorType>(logits.front()), targets,
                           ignoreIndex);
}

LogicalResult LinearCrossEntropyOp::inferResultTypes(SmallVectorImpl<Type> &types,
                                                     EmitFn emitError) {
  return inferLinearCrossEntropy(emitError, types, getInput().getType(), getWeight().getType(),
                                 getLayout(), getTargets().getType(),
                                 static_cast<int64_t>(getIgnoreIndex()));
}

//===-------------------------------------------------------------------------------------===//
// Memory
//===-------------------------------------------------------------------------------------===//

LogicalResult StashOp::inferResultTypes(SmallVectorImpl<Type> &types, EmitFn emitError) {
  auto in = getInput().getType();
  if (auto encoding = getEncodingAttr())
    if (failed(encoding.verifyFor(in, emitError)))
      return failure();
  // A moving range exactly when the encoding asks for one: [ceil(channels / group), 2].
  auto quant = dyn_cast_or_null<QuantEncodingAttr>(getEncodingAttr());
  bool ema = quant && quant.getRange() == QuantRange::ema;
  if (ema != static_cast<bool>(getRangeState()))
    return emitError() << (ema ? "a range = ema encoding needs a range state operand"
                               : "a range state operand needs a range = ema encoding");
  if (ema) {
    auto state = getRangeState().getType();
    int64_t channels = in.getRank() ? lastDim(in) : 1;
    auto expected = RankedTensorType::get(
        {isDyn(channels) ? ShapedType::kDynamic : quant.getGroupsPerRow(channels), 2},
        state.getElementType());
    if (failed(expectGradientOf(emitError, "range state", state, expected)))
      return failure();
  }
  types.push_back(StashType::get(in));
  return success();
}

LogicalResult UnstashOp::inferResultTypes(SmallVectorImpl<Type> &types, EmitFn) {
  types.push_back(getHandle().getType().getTensorType());
  return success();
}
