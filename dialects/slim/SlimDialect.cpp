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
          tensor.getElementType().isBF16());
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
      return emit() << "expects a statically shaped tensor of f32, f16 or bf16 (its shape "
                       "comes from the checkpoint), got "
                    << arg.getType();
    if (auto earlier = func ? findEarlierParam(func, argIndex, param.getName()) : std::nullopt)
      return emit() << "binds \"" << param.getName() << "\", already bound to argument #"
                    << *earlier;
    return success();
  }

  if (attrName == kInputAttrName) {
    auto kind = dyn_cast<StringAttr>(attribute.getValue());
    if (!kind || (kind.getValue() != "tokens" && kind.getValue() != "targets"))
      return emit() << "expects \"tokens\" or \"targets\", got " << attribute.getValue();
    auto tensor = dyn_cast<RankedTensorType>(arg.getType());
    if (!tensor || tensor.getRank() != 2 || !tensor.getElementType().isInteger(32))
      return emit() << "expects a tensor<BxTxi32> ([batch, seq] token ids), got "
                    << arg.getType();
    return success();
  }

  return op->emitError() << "argument #" << argIndex << ": unknown slim argument attribute '"
                         << attrName << "' (known: '" << kParamAttrName
                         << "', '" << kInputAttrName << "')";
}
