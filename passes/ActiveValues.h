//===- ActiveValues.h - which values depend on a trainable parameter ----------------------===//
//
// A value is active when it depends on a trainable parameter (an argument whose slim.param is
// trainable): only active values get gradients, and only ops with an active result have a
// backward. slim-autodiff differentiates by it; slim-share-norm-stash predicts from it what the
// backward will keep.
//
//===-------------------------------------------------------------------------------------===//

#ifndef SLIMTUNE_PASSES_ACTIVEVALUES_H
#define SLIMTUNE_PASSES_ACTIVEVALUES_H

#include "dialects/slim/SlimOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/DenseSet.h"

namespace mlir::slim {

// The trainable arguments of a graph, in argument order.
SmallVector<BlockArgument> trainableArguments(func::FuncOp func);

// Every value of a one-block graph that depends on a trainable argument (those included).
DenseSet<Value> activeValues(func::FuncOp func);

} // namespace mlir::slim

#endif // SLIMTUNE_PASSES_ACTIVEVALUES_H
