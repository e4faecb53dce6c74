//===- SlimOps.h - operations of the slim dialect ----------------------------------------===//

#ifndef SLIMTUNE_DIALECTS_SLIM_SLIMOPS_H
#define SLIMTUNE_DIALECTS_SLIM_SLIMOPS_H

#include "dialects/slim/SlimDialect.h"

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace mlir::slim::detail {
/// The verifier of InferShapeOpInterface: checks an op's declared result types against the
/// types its shape rule infers (equal element types, compatible shapes).
LogicalResult verifyInferredResultTypes(Operation *op);
} // namespace mlir::slim::detail

#include "dialects/slim/SlimOpInterfaces.h.inc"

#define GET_OP_CLASSES
#include "dialects/slim/SlimOps.h.inc"

namespace mlir::slim {
/// Creates an op of type OpT whose result types are inferred from its operands and
/// attributes (InferShapeOpInterface), so callers need not spell them. Returns null, with
/// the diagnostic emitted at `loc`, when the operands are inconsistent.
template <typename OpT, typename... Args>
OpT createInferred(OpBuilder &builder, Location loc, Args &&...args);
} // namespace mlir::slim

template <typename OpT, typename... Args>
OpT mlir::slim::createInferred(OpBuilder &builder, Location loc, Args &&...args) {
  // Every slim op has one result; its type is filled in from the shape rule before the op
  // is inserted, so nothing observes the null placeholder.
  OperationState state(loc, OpT::getOperationName());
  OpT::build(builder, state, Type(), std::forward<Args>(args)...);
  Operation *op = Operation::create(state);
  SmallVector<Type> types;
  if (failed(cast<InferShapeOpInterface>(op).inferResultTypes(
          types, [&] { return emitError(loc); }))) {
    op->destroy();
    return nullptr;
  }
  for (auto [result, type] : llvm::zip_equal(op->getResults(), types))
    result.setType(type);
  builder.insert(op);
  return cast<OpT>(op);
}

#endif // SLIMTUNE_DIALECTS_SLIM_SLIMOPS_H
