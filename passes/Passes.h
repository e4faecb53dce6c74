//===- Passes.h - declarations and registration of every slim pass -----------------------===//

#ifndef SLIMTUNE_PASSES_PASSES_H
#define SLIMTUNE_PASSES_PASSES_H

#include "dialects/slim/SlimOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::slim {
#define GEN_PASS_DECL
#include "passes/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/Passes.h.inc"
} // namespace mlir::slim

#endif // SLIMTUNE_PASSES_PASSES_H
