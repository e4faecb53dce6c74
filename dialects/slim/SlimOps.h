//===- SlimOps.h - operations of the slim dialect ----------------------------------------===//

#ifndef SLIMTUNE_DIALECTS_SLIM_SLIMOPS_H
#define SLIMTUNE_DIALECTS_SLIM_SLIMOPS_H

#include "dialects/slim/BackwardBuilder.h"
#include "dialects/slim/KernelTarget.h"
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
/// The attention ops' head width (q's channels / heads) and softmax scale (the attribute, or
/// 1/sqrt(head width)).
int64_t attentionHeadDim(RankedTensorType query, uint64_t heads);
double attentionScale(std::optional<APFloat> scale, int64_t headDim);
} // namespace mlir::slim::detail

#include "dialects/slim/SlimOpInterfaces.h.inc"

#define GET_OP_CLASSES
#include "dialects/slim/SlimOps.h.inc"

namespace mlir::slim {

// How a frozen weight of element type `element` is stored, as the kernels take it
// (slimtune_weight_format in kernel_abi.h: f32, bf16 or one of the block formats).
int32_t weightFormat(Type element);
/// Creates an op of type OpT whose result types are inferred from its operands and
/// attributes (InferShapeOpInterface), so callers need not spell them. Returns null, with
/// the diagnostic emitted at `loc`, when the operands are inconsistent.
template <typename OpT, typename... Args>
OpT createInferred(OpBuilder &builder, Location loc, Args &&...args);
} // namespace mlir::slim

namespace mlir::slim::detail {
// The fixed number of results of an op class (slim ops have one to three).
template <typename OpT> constexpr unsigned fixedResultCount() {
  if constexpr (OpT::template hasTrait<OpTrait::OneResult>())
    return 1;
  else if constexpr (OpT::template hasTrait<OpTrait::NResults<2>::Impl>())
    return 2;
  else if constexpr (OpT::template hasTrait<OpTrait::NResults<3>::Impl>())
    return 3;
  else
    static_assert(sizeof(OpT) == 0, "createInferred needs an op with a fixed result count");
}
} // namespace mlir::slim::detail

template <typename OpT, typename... Args>
OpT mlir::slim::createInferred(OpBuilder &builder, Location loc, Args &&...args) {
  // Result types are filled in from the shape rule before the op is inserted, so nothing
  // observes the null placeholders.
  OperationState state(loc, OpT::getOperationName());
  SmallVector<Type, 3> placeholders(detail::fixedResultCount<OpT>(), Type());
  OpT::build(builder, state, TypeRange(placeholders), std::forward<Args>(args)...);
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
