//===- ActiveValues.cpp - which values depend on a trainable parameter --------------------===//

#include "passes/ActiveValues.h"

namespace mlir::slim {

SmallVector<BlockArgument> trainableArguments(func::FuncOp func) {
  SmallVector<BlockArgument> trainable;
  for (BlockArgument arg : func.getArguments())
    if (auto p = func.getArgAttrOfType<ParamAttr>(arg.getArgNumber(), SlimDialect::kParamAttrName);
        p && p.isTrainable())
      trainable.push_back(arg);
  return trainable;
}

DenseSet<Value> activeValues(func::FuncOp func) {
  DenseSet<Value> active;
  for (BlockArgument arg : trainableArguments(func))
    active.insert(arg);
  // One block in op order: an op's operands are defined before it.
  for (Operation &op : func.getBody().front())
    if (llvm::any_of(op.getOperands(), [&](Value v) { return active.contains(v); }))
      for (Value r : op.getResults())
        active.insert(r);
  return active;
}

} // namespace mlir::slim
