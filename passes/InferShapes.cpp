//===- InferShapes.cpp - slim-infer-shapes -----------------------------------------------===//
//
// Specializes a graph written with open batch/sequence dimensions to one batch shape and
// propagates static shapes through every op with its shape rule.
//
//===-------------------------------------------------------------------------------------===//

#include "passes/Passes.h"

namespace mlir::slim {
#define GEN_PASS_DEF_SLIMINFERSHAPES
#include "passes/Passes.h.inc"
} // namespace mlir::slim

using namespace mlir;
using namespace mlir::slim;

namespace {
// The more static of two types of one kind; null when known dimensions conflict.
RankedTensorType refine(RankedTensorType declared, RankedTensorType inferred) {
  if (declared.getRank() != inferred.getRank() ||
      declared.getElementType() != inferred.getElementType())
    return {};
  SmallVector<int64_t> dims;
  for (auto [a, b] : llvm::zip_equal(declared.getShape(), inferred.getShape())) {
    if (!ShapedType::isDynamic(a) && !ShapedType::isDynamic(b) && a != b)
      return {};
    dims.push_back(ShapedType::isDynamic(a) ? b : a);
  }
  return RankedTensorType::get(dims, declared.getElementType());
}

Type refineType(Type declared, Type inferred) {
  if (auto a = dyn_cast<StashType>(declared)) {
    auto b = dyn_cast<StashType>(inferred);
    RankedTensorType tensor = b ? refine(a.getTensorType(), b.getTensorType()) : nullptr;
    return tensor ? StashType::get(tensor) : Type();
  }
  auto a = dyn_cast<RankedTensorType>(declared);
  auto b = dyn_cast<RankedTensorType>(inferred);
  if (a && b)
    return refine(a, b);
  return declared == inferred ? declared : Type();
}

struct InferShapesPass : public mlir::slim::impl::SlimInferShapesBase<InferShapesPass> {
  using SlimInferShapesBase::SlimInferShapesBase;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal())
      return;
    if (!func.getBody().hasOneBlock()) {
      func.emitError() << "slim-infer-shapes: expects a graph of one block";
      return signalPassFailure();
    }
    // -1 (the default) leaves a dimension as written; anything else must be a real size (a
    // batch of 0 once passed as "leave it", silently printing the graph unchanged).
    for (auto [name, value] : {std::pair{"batch", static_cast<int64_t>(batch)},
                               std::pair{"seq", static_cast<int64_t>(seq)}})
      if (value == 0 || value < -1) {
        func.emitError() << "slim-infer-shapes: " << name << " must be a positive size, got "
                         << value;
        return signalPassFailure();
      }
    if (failed(setInputShapes(func)) || failed(propagate(func)))
      return signalPassFailure();
  }

  // Gives the slim.input arguments the requested batch and sequence sizes.
  LogicalResult setInputShapes(func::FuncOp func) {
    Block &entry = func.getBody().front();
    for (BlockArgument arg : entry.getArguments()) {
      auto kind = func.getArgAttrOfType<StringAttr>(arg.getArgNumber(),
                                                    SlimDialect::kInputAttrName);
      // Only the [batch, seq] inputs: the step counter and learning rate are scalars.
      if (!kind || (kind.getValue() != "tokens" && kind.getValue() != "targets"))
        continue;
      auto type = cast<RankedTensorType>(arg.getType());
      SmallVector<int64_t> dims(type.getShape());
      int64_t wanted[2] = {batch, seq};
      const char *names[2] = {"batch", "seq"};
      for (int d = 0; d < 2; ++d) {
        if (wanted[d] == -1)
          continue;
        if (!ShapedType::isDynamic(dims[d]) && dims[d] != wanted[d])
          return func.emitError() << "slim-infer-shapes: argument #" << arg.getArgNumber()
                                  << " (" << kind << ") has " << names[d] << " " << dims[d]
                                  << ", but " << names[d] << "=" << wanted[d]
                                  << " was requested";
        dims[d] = wanted[d];
      }
      arg.setType(RankedTensorType::get(dims, type.getElementType()));
    }
    return success();
  }

  // Recomputes result types in program order, then the function's signature.
  LogicalResult propagate(func::FuncOp func) {
    WalkResult walk = func.walk([&](InferShapeOpInterface op) {
      SmallVector<Type> inferred;
      if (failed(op.inferResultTypes(inferred, [&] { return op->emitOpError(); })))
        return WalkResult::interrupt();
      for (auto [result, type] : llvm::zip_equal(op->getResults(), inferred)) {
        Type refined = refineType(result.getType(), type);
        if (!refined) {
          op->emitOpError() << "slim-infer-shapes: result type " << result.getType()
                            << " conflicts with the inferred " << type;
          return WalkResult::interrupt();
        }
        result.setType(refined);
      }
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return failure();
    Block &entry = func.getBody().front();
    auto ret = cast<func::ReturnOp>(entry.getTerminator());
    func.setFunctionType(FunctionType::get(func.getContext(), entry.getArgumentTypes(),
                                           ret.getOperandTypes()));
    return success();
  }
};
} // namespace
