//===- SlimTypes.cpp - types of the slim dialect -----------------------------------------===//

#include "dialects/slim/SlimDialect.h"
#include "dialects/slim/SlimOps.h"
#include "slimtune/kernel_abi.h"

#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::slim;

#define GET_TYPEDEF_CLASSES
#include "dialects/slim/SlimTypes.cpp.inc"

void SlimDialect::registerTypes() {
  addTypes<
#define GET_TYPEDEF_LIST
#include "dialects/slim/SlimTypes.cpp.inc"
      >();
}

int64_t BlocksType::getBlockBytes() const {
  switch (getFormat()) {
  case BlockFormat::q8_0:
    return 34;
  case BlockFormat::q4_0:
    return 18;
  case BlockFormat::q4_1:
    return 20;
  }
  return 0;
}

int32_t mlir::slim::weightFormat(Type element) {
  if (element.isBF16())
    return SLIMTUNE_WEIGHT_BF16;
  if (auto blocks = dyn_cast<BlocksType>(element)) {
    switch (blocks.getFormat()) {
    case BlockFormat::q8_0:
      return SLIMTUNE_WEIGHT_Q8_0;
    case BlockFormat::q4_0:
      return SLIMTUNE_WEIGHT_Q4_0;
    case BlockFormat::q4_1:
      return SLIMTUNE_WEIGHT_Q4_1;
    }
  }
  return SLIMTUNE_WEIGHT_F32;
}
