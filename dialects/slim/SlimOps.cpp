//===- SlimOps.cpp - op definitions, result-type verification and folders ----------------===//
//
// The shape rules live in SlimShapes.cpp; this file holds what the generated op classes
// need besides them.
//
//===-------------------------------------------------------------------------------------===//

#include "dialects/slim/SlimOps.h"

#include "mlir/IR/TypeUtilities.h"

#include <cmath>

using namespace mlir;
using namespace mlir::slim;

#include "dialects/slim/SlimOpInterfaces.cpp.inc"

#define GET_OP_CLASSES
#include "dialects/slim/SlimOps.cpp.inc"

//===-------------------------------------------------------------------------------------===//
// Result types
//===-------------------------------------------------------------------------------------===//

namespace {
// Declared and inferred types agree when they are the same kind with equal element types and
// no pair of known dimensions differs.
bool compatible(Type declared, Type inferred) {
  if (auto a = dyn_cast<StashType>(declared))
    if (auto b = dyn_cast<StashType>(inferred))
      return compatible(a.getTensorType(), b.getTensorType());
  auto a = dyn_cast<RankedTensorType>(declared);
  auto b = dyn_cast<RankedTensorType>(inferred);
  if (!a || !b)
    return declared == inferred;
  return a.getElementType() == b.getElementType() &&
         succeeded(verifyCompatibleShape(a.getShape(), b.getShape()));
}
} // namespace

LogicalResult mlir::slim::detail::verifyInferredResultTypes(Operation *op) {
  SmallVector<Type> inferred;
  if (failed(cast<InferShapeOpInterface>(op).inferResultTypes(
          inferred, [op] { return op->emitOpError(); })))
    return failure();
  for (auto [i, declared, expected] : llvm::enumerate(op->getResultTypes(), inferred))
    if (!compatible(declared, expected))
      return op->emitOpError() << "result #" << i << " has type " << declared
                               << ", but its operands and attributes give " << expected;
  return success();
}

//===-------------------------------------------------------------------------------------===//
// Accessors
//===-------------------------------------------------------------------------------------===//

int64_t LinearOp::getInFeatures() {
  auto weight = getWeight().getType();
  return weight.getDimSize(getLayout() == WeightLayout::out_in ? 1 : 0);
}

int64_t LinearOp::getOutFeatures() {
  auto weight = getWeight().getType();
  return weight.getDimSize(getLayout() == WeightLayout::out_in ? 0 : 1);
}

int64_t SampledLinearOp::getInFeatures() {
  return getWeight().getType().getDimSize(getLayout() == WeightLayout::out_in ? 1 : 0);
}

int64_t SampledLinearOp::getOutFeatures() {
  return getWeight().getType().getDimSize(getLayout() == WeightLayout::out_in ? 0 : 1);
}

int64_t SampledLinearGradOp::getInFeatures() {
  return getWeight().getType().getDimSize(getLayout() == WeightLayout::out_in ? 1 : 0);
}

int64_t SampledLinearGradOp::getOutFeatures() {
  return getWeight().getType().getDimSize(getLayout() == WeightLayout::out_in ? 0 : 1);
}

int64_t LoraOp::getRank() { return getLoraA().getType().getDimSize(0); }

int64_t MergeLoraOp::getInFeatures() {
  return getWeight().getType().getDimSize(getLayout() == WeightLayout::out_in ? 1 : 0);
}

int64_t MergeLoraOp::getOutFeatures() {
  return getWeight().getType().getDimSize(getLayout() == WeightLayout::out_in ? 0 : 1);
}

int64_t MergeLoraOp::getRank() { return getLoraA().getType().getDimSize(0); }

int64_t mlir::slim::detail::attentionHeadDim(RankedTensorType query, uint64_t heads) {
  return query.getShape().back() / static_cast<int64_t>(heads);
}

double mlir::slim::detail::attentionScale(std::optional<APFloat> scale, int64_t headDim) {
  return scale ? scale->convertToDouble() : 1.0 / std::sqrt(static_cast<double>(headDim));
}

int64_t StashOp::getStoredBytes() {
  auto type = getInput().getType();
  if (auto encoding = getEncodingAttr())
    return encoding.getStoredBytes(type);
  if (!type.hasStaticShape())
    return -1;
  return type.getNumElements() *
         static_cast<int64_t>((type.getElementTypeBitWidth() + 7) / 8);
}

namespace {
// The name a location gives an op: a NameLoc's (possibly under a CallSiteLoc or FusedLoc).
std::string locationName(Location loc) {
  if (auto name = dyn_cast<NameLoc>(loc))
    return name.getName().str();
  if (auto call = dyn_cast<CallSiteLoc>(loc))
    return locationName(call.getCallee());
  if (auto fused = dyn_cast<FusedLoc>(loc))
    for (Location inner : fused.getLocations())
      if (std::string name = locationName(inner); !name.empty())
        return name;
  return "";
}
} // namespace

std::string StashOp::getSite() {
  Value kept = getInput();
  // Approx-BP's flags stand for the activation input they were computed from.
  if (auto flags = kept.getDefiningOp<ActivationFlagsOp>())
    kept = flags.getInput();
  Operation *producer = kept.getDefiningOp();
  if (!producer)
    return "arg" + std::to_string(cast<BlockArgument>(kept).getArgNumber());
  std::string kind = producer->getName().stripDialect().str();
  std::string site = locationName(producer->getLoc());
  if (site.empty()) {
    // The ordinal among ops of its kind: stable while passes add ops of other kinds.
    int64_t ordinal = 0;
    for (Operation &op : *producer->getBlock()) {
      if (&op == producer)
        break;
      ordinal += op.getName() == producer->getName();
    }
    site = "#" + std::to_string(ordinal);
  }
  site += ":" + kind;
  if (producer->getNumResults() > 1)
    site += "." + std::to_string(cast<OpResult>(kept).getResultNumber());
  return site;
}

//===-------------------------------------------------------------------------------------===//
// Folders
//===-------------------------------------------------------------------------------------===//

OpFoldResult SliceOp::fold(FoldAdaptor) {
  auto in = getInput().getType();
  int64_t start = static_cast<int64_t>(getStart()), end = static_cast<int64_t>(getEnd());
  // The whole last dimension: the input itself.
  if (start == 0 && end == in.getShape().back() && in == getType())
    return getInput();
  // A slice that picks exactly one operand of a concatenation: that operand.
  if (auto concat = getInput().getDefiningOp<ConcatOp>()) {
    int64_t offset = 0;
    for (Value part : concat.getInputs()) {
      int64_t size = cast<RankedTensorType>(part.getType()).getShape().back();
      if (ShapedType::isDynamic(size))
        return {};
      if (offset == start && offset + size == end && part.getType() == getType())
        return part;
      offset += size;
    }
  }
  return {};
}

OpFoldResult ConcatOp::fold(FoldAdaptor) {
  if (getInputs().size() == 1 && getInputs().front().getType() == getType())
    return getInputs().front();
  // Adjacent slices that cover one value from end to end: that value.
  Value source;
  int64_t next = 0;
  for (Value part : getInputs()) {
    auto slice = part.getDefiningOp<SliceOp>();
    if (!slice || (source && slice.getInput() != source) ||
        static_cast<int64_t>(slice.getStart()) != next)
      return {};
    source = slice.getInput();
    next = static_cast<int64_t>(slice.getEnd());
  }
  if (source && source.getType() == getType() &&
      cast<RankedTensorType>(source.getType()).getShape().back() == next)
    return source;
  return {};
}
