//===- SlimDialect.h - the slim dialect, its attributes and types ------------------------===//
//
// Include this for the dialect, its enums, attributes and types; SlimOps.h adds the ops.
//
//===-------------------------------------------------------------------------------------===//

#ifndef SLIMTUNE_DIALECTS_SLIM_SLIMDIALECT_H
#define SLIMTUNE_DIALECTS_SLIM_SLIMDIALECT_H

#include "mlir/IR/Attributes.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/DialectImplementation.h"

#include "dialects/slim/SlimDialect.h.inc"
#include "dialects/slim/SlimEnums.h.inc"
#include "dialects/slim/SlimAttrInterfaces.h.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/slim/SlimAttrs.h.inc"

#define GET_TYPEDEF_CLASSES
#include "dialects/slim/SlimTypes.h.inc"

#endif // SLIMTUNE_DIALECTS_SLIM_SLIMDIALECT_H
