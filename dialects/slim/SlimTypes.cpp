//===- SlimTypes.cpp - types of the slim dialect -----------------------------------------===//

#include "dialects/slim/SlimDialect.h"

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
