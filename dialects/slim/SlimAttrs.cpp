//===- SlimAttrs.cpp - attributes of the slim dialect ------------------------------------===//

#include "llvm/Support/JSON.h"
#include "dialects/slim/SlimDialect.h"

#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::slim;

#include "dialects/slim/SlimAttrInterfaces.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/slim/SlimAttrs.cpp.inc"

void SlimDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "dialects/slim/SlimAttrs.cpp.inc"
      >();
}

//===-------------------------------------------------------------------------------------===//
// ParamAttr
//===-------------------------------------------------------------------------------------===//

LogicalResult ParamAttr::verify(function_ref<InFlightDiagnostic()> emitError, StringRef name,
                                ParamRole) {
  if (name.empty())
    return emitError() << "#slim.param needs a non-empty checkpoint tensor name";
  // Names travel into the artifact's manifest (JSON) and checkpoints (safetensors headers).
  if (!llvm::json::isUTF8(name))
    return emitError() << "#slim.param name is not valid UTF-8";
  return success();
}

//===-------------------------------------------------------------------------------------===//
// QuantEncodingAttr
//===-------------------------------------------------------------------------------------===//

LogicalResult QuantEncodingAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                        unsigned bits, int64_t group, Rounding, QuantRange,
                                        RangeDecay decay) {
  // Codes are packed whole into bytes: 8/bits per byte.
  if (bits != 2 && bits != 4 && bits != 8)
    return emitError() << "#slim.quant bits must be 2, 4 or 8, got " << bits;
  if (group <= 0)
    return emitError() << "#slim.quant group must be positive, got " << group;
  if (!(decay.value >= 0.0 && decay.value < 1.0))
    return emitError() << "#slim.quant decay must be in [0, 1), got " << decay.value;
  return success();
}

int64_t QuantEncodingAttr::getGroupsPerRow(int64_t channels) const {
  return (channels + getGroup() - 1) / getGroup();
}

int64_t QuantEncodingAttr::getStoredBytes(RankedTensorType type) const {
  if (!type.hasStaticShape() || type.getRank() == 0)
    return -1;
  int64_t elements = type.getNumElements();
  int64_t channels = type.getShape().back();
  int64_t codeBytes = (elements * getBits() + 7) / 8;
  // One fp32 scale and one fp32 shift per group: ceil(channels / group) groups per row, the
  // last one shorter when group does not divide the channels.
  int64_t groups = channels ? elements / channels * getGroupsPerRow(channels) : 0;
  return codeBytes + groups * 2 * static_cast<int64_t>(sizeof(float));
}

LogicalResult QuantEncodingAttr::verifyFor(RankedTensorType type,
                                           function_ref<InFlightDiagnostic()> emitError) const {
  if (!llvm::isa<FloatType>(type.getElementType()))
    return emitError() << "#slim.quant encodes float tensors, not " << type;
  if (type.getRank() == 0)
    return emitError() << "#slim.quant needs a tensor of rank >= 1, got " << type;
  return success(); // any last dimension: a row's last group may be shorter
}
