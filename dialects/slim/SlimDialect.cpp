//===- SlimDialect.cpp - the slim dialect and its argument attributes ---------------------===//

#include "dialects/slim/SlimOps.h"

#include "mlir/Interfaces/FunctionInterfaces.h"

using namespace mlir;
using namespace mlir::slim;

#include "dialects/slim/SlimDialect.cpp.inc"
#include "dialects/slim/SlimEnums.cpp.inc"

void SlimDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dialects/slim/SlimOps.cpp.inc"
      >();
  registerAttributes();
  registerTypes();
}

namespace {
// The element types a parameter may have: those of Slim_FloatTensor in SlimOps.td.
bool isParameterType(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  return tensor && tensor.hasStaticShape() &&
         (tensor.getElementType().isF32() || tensor.getElementType().isF16() ||
          tensor.getElementType().isBF16() || isa<BlocksType>(tensor.getElementType()));
}

// Finds an earlier argument of `func` bound to the checkpoint tensor `name`. Quadratic in
// the argument count, which stays in the hundreds even for deep models.
std::optional<unsigned> findEarlierParam(FunctionOpInterface func, unsigned argIndex,
                                         StringRef name) {
  for (unsigned i = 0; i < argIndex; ++i) {
    auto other = func.getArgAttrOfType<ParamAttr>(i, SlimDialect::kParamAttrName);
    if (other && other.getName() == name)
      return i;
  }
  return std::nullopt;
}
} // namespace

LogicalResult SlimDialect::verifyRegionArgAttribute(Operation *op, unsigned regionIndex,
                                                    unsigned argIndex,
                                                    NamedAttribute attribute) {
  Region &region = op->getRegion(regionIndex);
  if (region.empty() || argIndex >= region.getNumArguments())
    return op->emitError() << "'" << attribute.getName() << "' on a missing argument";
  BlockArgument arg = region.getArgument(argIndex);
  auto func = dyn_cast<FunctionOpInterface>(op);
  StringRef attrName = attribute.getName().getValue();
  auto emit = [&]() {
    return op->emitError() << "argument #" << argIndex << ": '" << attrName << "' ";
  };
  // An argument is a parameter or a batch input, never both.
  if (func && func.getArgAttr(argIndex, kParamAttrName) &&
      func.getArgAttr(argIndex, kInputAttrName))
    return op->emitError() << "argument #" << argIndex << " is marked both '" << kParamAttrName
                           << "' and '" << kInputAttrName << "'";

  if (attrName == kParamAttrName) {
    auto param = dyn_cast<ParamAttr>(attribute.getValue());
    if (!param)
      return emit() << "expects a #slim.param attribute, got " << attribute.getValue();
    if (!isParameterType(arg.getType()))
      return emit() << "expects a statically shaped tensor of f32, f16, bf16 or !slim.blocks "
                       "(its shape comes from the checkpoint), got "
                    << arg.getType();
    if (auto tensor = cast<RankedTensorType>(arg.getType()); isa<BlocksType>(tensor.getElementType())) {
      if (param.isTrainable())
        return emit() << "a trainable parameter must be floats, got " << arg.getType();
      if (tensor.getRank() != 2 || tensor.getShape().back() % BlocksType::kBlockElements != 0)
        return emit() << "expects a matrix whose rows are a multiple of 32 elements in blocks, got "
                      << arg.getType();
    }
    if (auto earlier = func ? findEarlierParam(func, argIndex, param.getName()) : std::nullopt)
      return emit() << "binds \"" << param.getName() << "\", already bound to argument #"
                    << *earlier;
    return success();
  }

  if (attrName == kInputAttrName) {
    auto kind = dyn_cast<StringAttr>(attribute.getValue());
    if (!kind || (kind.getValue() != "tokens" && kind.getValue() != "targets" &&
                  kind.getValue() != "step" && kind.getValue() != "lr"))
      return emit() << "expects \"tokens\", \"targets\", \"step\" or \"lr\", got "
                    << attribute.getValue();
    auto tensor = dyn_cast<RankedTensorType>(arg.getType());
    if (kind.getValue() == "step") {
      if (!tensor || tensor.getRank() != 0 || !tensor.getElementType().isInteger(32))
        return emit() << "\"step\" expects a tensor<i32> (the optimizer step), got "
                      << arg.getType();
      return success();
    }
    if (kind.getValue() == "lr") {
      if (!tensor || tensor.getRank() != 0 || !tensor.getElementType().isF32())
        return emit() << "\"lr\" expects a tensor<f32> (the learning rate), got "
                      << arg.getType();
      return success();
    }
    if (!tensor || tensor.getRank() != 2 || !tensor.getElementType().isInteger(32))
      return emit() << "expects a tensor<BxTxi32> ([batch, seq] token ids), got "
                    << arg.getType();
    return success();
  }

  if (attrName == kStateAttrName) {
    auto name = dyn_cast<StringAttr>(attribute.getValue());
    if (!name || name.getValue().empty())
      return emit() << "expects the state tensor's name, got " << attribute.getValue();
    // Float optimizer moments, or i32 indices (CE-LoRA's kept columns).
    auto tensor = dyn_cast<RankedTensorType>(arg.getType());
    if (!isParameterType(arg.getType()) &&
        !(tensor && tensor.hasStaticShape() && tensor.getElementType().isInteger(32)))
      return emit() << "expects a statically shaped float or i32 tensor, got " << arg.getType();
    return success();
  }

  return op->emitError() << "argument #" << argIndex << ": unknown slim argument attribute '"
                         << attrName << "' (known: '" << kParamAttrName
                         << "', '" << kInputAttrName << "')";
}

LogicalResult SlimDialect::verifyRegionResultAttribute(Operation *op, unsigned regionIndex,
                                                       unsigned resultIndex,
                                                       NamedAttribute attribute) {
  auto func = dyn_cast<FunctionOpInterface>(op);
  StringRef attrName = attribute.getName().getValue();
  if (!func || resultIndex >= func.getResultTypes().size())
    return op->emitError() << "'" << attrName << "' on a missing result";
  Type type = func.getResultTypes()[resultIndex];
  auto emit = [&]() {
    return op->emitError() << "result #" << resultIndex << ": '" << attrName << "' ";
  };

  if (attrName == kOutputAttrName) {
    auto kind = dyn_cast<StringAttr>(attribute.getValue());
    // reconstruction.*: slim-autodiff{measure-reconstruction}'s errors of reversible layers.
    if (!kind || (kind.getValue() != "loss" && kind.getValue() != "grad_norm" &&
                  !kind.getValue().starts_with("reconstruction.")))
      return emit() << "expects \"loss\", \"grad_norm\" or \"reconstruction.*\", got "
                    << attribute.getValue();
    auto tensor = dyn_cast<RankedTensorType>(type);
    if (!tensor || tensor.getRank() != 0 || !tensor.getElementType().isF32())
      return emit() << "expects a tensor<f32>, got " << type;
    return success();
  }

  if (attrName == kGradAttrName) {
    auto name = dyn_cast<StringAttr>(attribute.getValue());
    if (!name)
      return emit() << "expects a parameter name, got " << attribute.getValue();
    for (unsigned i = 0, e = func.getNumArguments(); i < e; ++i)
      if (auto param = func.getArgAttrOfType<ParamAttr>(i, kParamAttrName);
          param && param.getName() == name.getValue()) {
        if (func.getArgumentTypes()[i] != type)
          return emit() << "has type " << type << " but parameter \"" << name.getValue()
                        << "\" is " << func.getArgumentTypes()[i];
        return success();
      }
    return emit() << "names \"" << name.getValue() << "\", which is no parameter";
  }

  if (attrName == kUpdatesAttrName) {
    auto index = dyn_cast<IntegerAttr>(attribute.getValue());
    if (!index || index.getInt() < 0 || index.getInt() >= func.getNumArguments())
      return emit() << "expects the index of an argument, got " << attribute.getValue();
    if (func.getArgumentTypes()[index.getInt()] != type)
      return emit() << "has type " << type << " but argument #" << index.getInt() << " is "
                    << func.getArgumentTypes()[index.getInt()];
    return success();
  }

  return op->emitError() << "result #" << resultIndex << ": unknown slim result attribute '"
                         << attrName << "'";
}

LogicalResult SlimDialect::verifyOperationAttribute(Operation *op, NamedAttribute attribute) {
  StringRef attrName = attribute.getName().getValue();
  auto emit = [&]() { return op->emitError() << "'" << attrName << "' "; };
  if (attrName == kAdapterConfigAttrName) {
    if (!isa<StringAttr>(attribute.getValue()))
      return emit() << "expects the adapter configuration as a string, got "
                    << attribute.getValue();
    return success();
  }
  if (attrName == kLrScheduleAttrName) {
    // What the runtime computes learning rates from: checked here, once, for any step.
    std::optional<LrScheduleSpec> schedule = LrScheduleSpec::fromAttr(attribute.getValue());
    if (!schedule)
      return emit() << "expects {kind, lr, warmup_steps, total_steps, min_lr}, got "
                    << attribute.getValue();
    if (schedule->kind != "constant" && schedule->kind != "cosine")
      return emit() << "kind must be \"constant\" or \"cosine\", got \"" << schedule->kind << "\"";
    double rate = schedule->lr, low = schedule->minLr;
    if (!(rate >= 1e-12 && rate < 1e3))
      return emit() << "lr must be in [1e-12, 1000), got " << rate;
    if (schedule->kind == "cosine" &&
        (schedule->warmupSteps < 0 || schedule->totalSteps <= schedule->warmupSteps ||
         !(low >= 0 && low <= rate)))
      return emit() << "expects 0 <= warmup_steps < total_steps and 0 <= min_lr <= lr for a "
                       "cosine schedule";
    return success();
  }
  if (attrName == kRecomputeAttrName) {
    if (!isa<UnitAttr>(attribute.getValue()) || !isa<DifferentiableOpInterface>(op))
      return emit() << "marks a forward op of the slim dialect and takes no value";
    return success();
  }
  if (attrName == kCheckpointAttrName) {
    if (!isa<UnitAttr>(attribute.getValue()) || op->getNumResults() != 1)
      return emit() << "marks a forward op of one result and takes no value";
    return success();
  }
  if (attrName == kReconstructAttrName) {
    auto coupling = dyn_cast<ScaledAddOp>(op);
    if (!isa<UnitAttr>(attribute.getValue()) || !coupling)
      return emit() << "marks a slim.scaled_add coupling and takes no value";
    if (coupling.getAlpha().isZero())
      return emit() << "needs alpha != 0: the lhs is rebuilt as (result - beta*rhs) / alpha";
    return success();
  }
  return success(); // the planner's and passes' own (slim.arena_bytes, slim.offsets, ...)
}

//===-------------------------------------------------------------------------------------===//
// The learning-rate schedule attribute
//===-------------------------------------------------------------------------------------===//

namespace {
constexpr llvm::StringLiteral kKind = "kind", kLr = "lr", kWarmupSteps = "warmup_steps",
                              kTotalSteps = "total_steps", kMinLr = "min_lr";
} // namespace

DictionaryAttr LrScheduleSpec::toAttr(MLIRContext *ctx) const {
  Builder b(ctx);
  return b.getDictionaryAttr({
      b.getNamedAttr(kKind, b.getStringAttr(kind)),
      b.getNamedAttr(kLr, b.getF64FloatAttr(lr)),
      b.getNamedAttr(kWarmupSteps, b.getI64IntegerAttr(warmupSteps)),
      b.getNamedAttr(kTotalSteps, b.getI64IntegerAttr(totalSteps)),
      b.getNamedAttr(kMinLr, b.getF64FloatAttr(minLr)),
  });
}

std::optional<LrScheduleSpec> LrScheduleSpec::fromAttr(Attribute attr) {
  auto dict = dyn_cast_or_null<DictionaryAttr>(attr);
  if (!dict)
    return std::nullopt;
  auto kind = dict.getAs<StringAttr>(kKind);
  auto lr = dict.getAs<FloatAttr>(kLr);
  auto minLr = dict.getAs<FloatAttr>(kMinLr);
  auto warmup = dict.getAs<IntegerAttr>(kWarmupSteps);
  auto total = dict.getAs<IntegerAttr>(kTotalSteps);
  if (!kind || !lr || !minLr || !warmup || !total)
    return std::nullopt;
  return LrScheduleSpec{kind.getValue().str(), lr.getValueAsDouble(), warmup.getInt(),
                        total.getInt(), minLr.getValueAsDouble()};
}
