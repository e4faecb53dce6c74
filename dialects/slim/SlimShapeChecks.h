//===- SlimShapeChecks.h - building blocks of the ops' shape rules ------------------------===//
//
// Internal to the dialect: the checks the shape rules of SlimShapes.cpp (forward ops) and
// SlimTrainingShapes.cpp (backward and optimizer ops) are made of. A `?` dimension agrees
// with anything and propagates.
//
//===-------------------------------------------------------------------------------------===//

#ifndef SLIMTUNE_DIALECTS_SLIM_SLIMSHAPECHECKS_H
#define SLIMTUNE_DIALECTS_SLIM_SLIMSHAPECHECKS_H

#include "dialects/slim/SlimOps.h"

#include "mlir/IR/TypeUtilities.h"

#include <cmath>
#include <limits>
#include <sstream>
#include <string>

namespace mlir::slim::shape {

using EmitFn = function_ref<InFlightDiagnostic()>;

inline bool isDyn(int64_t d) { return ShapedType::isDynamic(d); }

// Two dimensions agree unless both are known and differ.
inline bool agree(int64_t a, int64_t b) { return a == b || isDyn(a) || isDyn(b); }

// The better-known of two agreeing dimensions.
inline int64_t merge(int64_t a, int64_t b) { return isDyn(a) ? b : a; }

inline std::string dim(int64_t d) { return isDyn(d) ? "?" : std::to_string(d); }

// Attribute values as a user wrote them: 0.5, 1e-05, inf.
inline std::string num(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

inline std::string showShape(ArrayRef<int64_t> dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i)
    s += (i ? ", " : "") + dim(dims[i]);
  return s + "]";
}

inline int64_t lastDim(RankedTensorType t) { return t.getShape().back(); }

// `type` with its last dimension replaced.
inline RankedTensorType withLastDim(RankedTensorType type, int64_t last) {
  SmallVector<int64_t> dims(type.getShape());
  dims.back() = last;
  return RankedTensorType::get(dims, type.getElementType());
}

inline LogicalResult expectRank(EmitFn emitError, StringRef what, RankedTensorType t, int64_t rank,
                         StringRef layout) {
  if (t.getRank() == rank)
    return success();
  return emitError() << "expects " << what << " of rank " << rank << " (" << layout
                     << "), got " << t;
}

inline LogicalResult expectMinRank(EmitFn emitError, StringRef what, RankedTensorType t,
                            int64_t rank) {
  if (t.getRank() >= rank)
    return success();
  return emitError() << "expects " << what << " of rank >= " << rank << ", got " << t;
}

inline LogicalResult expectSameElementType(EmitFn emitError, StringRef what, RankedTensorType t,
                                    RankedTensorType reference) {
  if (t.getElementType() == reference.getElementType())
    return success();
  return emitError() << "expects " << what << " with element type "
                     << reference.getElementType() << ", got " << t.getElementType();
}

// A stored weight's element type: the input's, or bf16 for an f32 input (frozen weights kept
// in bf16 with activations in f32, `--precision bf16`: the kernels multiply bf16-rounded
// inputs by the bf16 weights and accumulate in f32).
inline LogicalResult expectWeightElementType(EmitFn emitError, StringRef what, RankedTensorType weight,
                                             RankedTensorType input) {
  if (weight.getElementType().isBF16() && input.getElementType().isF32())
    return success();
  // ggml blocks (--precision q8|q4): decoded to f32 by the kernel, 32 elements along each row.
  if (isa<BlocksType>(weight.getElementType()) && input.getElementType().isF32()) {
    int64_t row = weight.getShape().empty() ? 0 : weight.getShape().back();
    if (row != ShapedType::kDynamic && row % BlocksType::kBlockElements != 0)
      return emitError() << "expects " << what << " in blocks of 32 to have rows of a multiple of 32 "
                         << "elements, got " << weight;
    return success();
  }
  return expectSameElementType(emitError, what, weight, input);
}

// A positive attribute the kernels take as fp32 (an epsilon, a RoPE base, a scale): it must
// stay positive and finite once rounded to fp32 (1e-50 would become 0, 1e40 infinity).
inline LogicalResult expectPositiveFinite(EmitFn emitError, StringRef what, double value) {
  if (!(std::isfinite(value) && value > 0))
    return emitError() << "expects " << what << " > 0, got " << num(value);
  if (value < std::numeric_limits<float>::min() || value > std::numeric_limits<float>::max())
    return emitError() << "expects " << what << " within fp32's range (the kernels take it in "
                       << "fp32), got " << num(value);
  return success();
}

// A per-channel vector (norm scale/shift, bias) of shape [channels].
inline LogicalResult expectChannelVector(EmitFn emitError, StringRef what, Value vector,
                                  RankedTensorType input, int64_t channels) {
  if (!vector)
    return success();
  auto type = cast<RankedTensorType>(vector.getType());
  if (failed(expectRank(emitError, what, type, 1, "[channels]")) ||
      failed(expectSameElementType(emitError, what, type, input)))
    return failure();
  if (!agree(type.getDimSize(0), channels))
    return emitError() << what << " has " << dim(type.getDimSize(0)) << " elements but the "
                       << "last dimension has " << dim(channels);
  return success();
}

// Norms over the last dimension: [..., C] in, same out.
inline LogicalResult inferNorm(EmitFn emitError, SmallVectorImpl<Type> &types, Value input,
                        Value scale, Value shift, double epsilon) {
  auto in = cast<RankedTensorType>(input.getType());
  if (failed(expectMinRank(emitError, "an input", in, 1)) ||
      failed(expectPositiveFinite(emitError, "epsilon", epsilon)) ||
      failed(expectChannelVector(emitError, "scale", scale, in, lastDim(in))) ||
      failed(expectChannelVector(emitError, "shift", shift, in, lastDim(in))))
    return failure();
  types.push_back(in);
  return success();
}

// The per-row statistic of a norm over the last dimension (rstd): [...] of an input [..., C],
// always fp32 (it is the same for every channel, and small).
inline RankedTensorType rowStatisticType(RankedTensorType input) {
  return RankedTensorType::get(input.getShape().drop_back(),
                               Float32Type::get(input.getContext()));
}

// Embedding-like ops look rows up in a [rows, C] table.
inline LogicalResult expectTable(EmitFn emitError, RankedTensorType table) {
  return expectRank(emitError, "a table", table, 2, "[rows, channels]");
}

// Rules shared by forward ops and their training counterparts (defined in SlimShapes.cpp).
LogicalResult inferAttention(EmitFn emitError, SmallVectorImpl<Type> &types, RankedTensorType q,
                             RankedTensorType k, RankedTensorType v, int64_t heads,
                             int64_t kvHeads, std::optional<APFloat> scale);
// A linear layer's result type [..., out] from its input, weight (in `layout`) and bias.
LogicalResult inferLinear(EmitFn emitError, SmallVectorImpl<Type> &types, RankedTensorType in,
                          RankedTensorType weight, WeightLayout layout, Value bias);
// CE-LoRA's operands beside a weight of `weight`'s type: the SVD pair left [R, r] and right
// [r, C] of the weight as stored [R, C] (r < min(R, C)), the residual's norms [out], the
// kept columns [k] with 1 <= k <= out, refresh >= 1.
LogicalResult expectCeLoraOperands(EmitFn emitError, RankedTensorType weight,
                                   RankedTensorType left, RankedTensorType right,
                                   RankedTensorType norms, RankedTensorType columns, int64_t out,
                                   int64_t refresh);
LogicalResult inferLora(EmitFn emitError, SmallVectorImpl<Type> &types, RankedTensorType in,
                        RankedTensorType a, RankedTensorType b, double scale, double dropout);
LogicalResult inferCrossEntropy(EmitFn emitError, SmallVectorImpl<Type> &types,
                                RankedTensorType logits, RankedTensorType targets,
                                int64_t ignoreIndex);
LogicalResult inferLinearCrossEntropy(EmitFn emitError, SmallVectorImpl<Type> &types,
                                      RankedTensorType in, RankedTensorType weight,
                                      WeightLayout layout, RankedTensorType targets,
                                      int64_t ignoreIndex);

// Checks that `got` is a gradient of a value of type `of` (same element type, compatible
// shape).
inline LogicalResult expectGradientOf(EmitFn emitError, StringRef what, RankedTensorType got,
                                      Type of) {
  auto expected = cast<RankedTensorType>(of);
  if (got.getElementType() == expected.getElementType() &&
      succeeded(verifyCompatibleShape(got.getShape(), expected.getShape())))
    return success();
  return emitError() << what << " has type " << got << ", expected " << expected;
}

} // namespace mlir::slim::shape

#endif // SLIMTUNE_DIALECTS_SLIM_SLIMSHAPECHECKS_H
