//===- SlimAttrs.cpp - attributes of the slim dialect ------------------------------------===//

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
  return success();
}

//===-------------------------------------------------------------------------------------===//
// QuantEncodingAttr
//===-------------------------------------------------------------------------------------===//

LogicalResult QuantEncodingAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                        unsigned bits, int64_t group, Rounding, QuantRange) {
  // Codes are packed whole into bytes: 8/bits per byte.
  if (bits != 2 && bits != 4 && bits != 8)
    return emitError() << "#slim.quant bits must be 2, 4 or 8, got " << bits;
  if (group <= 0)
    return emitError() << "#slim.quant group must be positive, got " << group;
  return success();
}

int64_t QuantEncodingAttr::getStoredBytes(RankedTensorType type) const {
  if (!type.hasStaticShape())
    return -1;
  int64_t elements = type.getNumElements();
  int64_t codeBytes = (elements * getBits() + 7) / 8;
  // One fp32 scale and one fp32 shift per group.
  int64_t groups = elements / getGroup();
  return codeBytes + groups * 2 * static_cast<int64_t>(sizeof(float));
}

LogicalResult QuantEncodingAttr::verifyFor(RankedTensorType type,
                                           function_ref<InFlightDiagnostic()> emitError) const {
  if (!llvm::isa<FloatType>(type.getElementType()))
    return emitError() << "#slim.quant encodes float tensors, not " << type;
  if (type.getRank() == 0)
    return emitError() << "#slim.quant needs a tensor of rank >= 1, got " << type;
  int64_t last = type.getShape().back();
  if (!ShapedType::isDynamic(last) && last % getGroup() != 0)
    return emitError() << "#slim.quant group " << getGroup()
                       << " does not divide the last dimension (" << last << ")";
  return success();
}
