//===- SlimInterfaces.td - interfaces of slim ops and attributes -------------------------===//

#ifndef SLIM_INTERFACES_TD
#define SLIM_INTERFACES_TD

include "mlir/IR/OpBase.td"

def Slim_InferShapeOpInterface : OpInterface<"InferShapeOpInterface"> {
  let cppNamespace = "::mlir::slim";
  let description = [{
    An op whose result types follow from its operand types and attributes. The one method
    holds the op's whole shape logic: the verifier checks declared result types against it,
    `slim-infer-shapes` uses it to make a graph written with `?` batch/sequence dimensions
    static, and builders use it so callers need not spell result types.
  }];
  let methods = [
    InterfaceMethod<[{
        Appends the result types implied by the current operand types and attributes to
        `types`. Dimensions that cannot be known (dynamic inputs) are dynamic. When operands
        or attributes are inconsistent, reports the problem through `emitError` and fails.
      }],
      "::llvm::LogicalResult", "inferResultTypes",
      (ins "::llvm::SmallVectorImpl<::mlir::Type> &":$types,
           "::llvm::function_ref<::mlir::InFlightDiagnostic()>":$emitError)>
  ];
  // Runs after the ODS operand/attribute constraints, so the rule sees well-typed operands.
  let verify = [{ return ::mlir::slim::detail::verifyInferredResultTypes($_op); }];
}

def Slim_DifferentiableOpInterface : OpInterface<"DifferentiableOpInterface"> {
  let cppNamespace = "::mlir::slim";
  let description = [{
    A forward op that slim-autodiff can differentiate. The op holds its own backward rule:
    the autodiff pass is a driver that visits the forward ops in reverse and asks each to
    build its backward through a `BackwardBuilder` (SlimAutodiff.h), which hands out the
    gradients of the op's results, the forward values as the backward sees them (`saved`:
    stashed once per value) and takes the gradients of its operands (`accumulate`).

    The op also says which of its operands and results its backward reads, so passes that
    run before the backward exists (slim-share-norm-stash) ask the op instead of restating
    its rule; slim-autodiff checks, on every op it differentiates, that the two agree.
  }];
  let methods = [
    InterfaceMethod<[{
        Builds the backward of this op at the builder's insertion point: reads the gradients
        of its results from `backward` and accumulates those of its active operands. Ops
        whose results have no gradient build nothing. Fails, with a diagnostic on the op,
        for what has no backward rule (a trainable norm scale, a trainable embedding).
      }],
      "::llvm::LogicalResult", "buildBackward",
      (ins "::mlir::slim::BackwardBuilder &":$backward)>,
    InterfaceMethod<[{
        Whether the backward built for this op reads operand #`index`, given which values
        are active (depend on a trainable parameter).
      }],
      "bool", "backwardReadsOperand",
      (ins "unsigned":$index, "::mlir::slim::ActivityFn":$isActive), "",
      [{ return false; }]>,
    InterfaceMethod<[{
        Whether the backward built for this op reads result #`index`, given which values are
        active.
      }],
      "bool", "backwardReadsResult",
      (ins "unsigned":$index, "::mlir::slim::ActivityFn":$isActive), "",
      [{ return false; }]>,
    InterfaceMethod<[{
        The op a training step computes in place of this one, built at the builder's
        insertion point with results that correspond one-to-one to this op's first results
        (attention also yields its logsumexp; the loss comes fused with its gradient); null
        when the op serves as it is.
      }],
      "::mlir::Operation *", "buildTrainingForward", (ins "::mlir::OpBuilder &":$builder), "",
      [{ return nullptr; }]>,
    InterfaceMethod<[{
        Whether the backward recomputes this op's result from its (saved) operands instead of
        stashing it: for ops much cheaper to redo than to keep (a norm's affine part).
      }],
      "bool", "isRecomputedForBackward", (ins), "", [{ return false; }]>
  ];
}

def Slim_KernelOpInterface : OpInterface<"KernelOpInterface"> {
  let cppNamespace = "::mlir::slim";
  let description = [{
    What the memory planner and the cost counts need to know about the kernel an op becomes:
    the scratch memory it needs on a target (the backend states its sizes: KernelTarget.h),
    which operand's buffer a result may be computed in, and the op's matrix-product FLOPs.
    Every slim op has it; the defaults are "no workspace, nothing in place, no matmul".
  }];
  let methods = [
    InterfaceMethod<"Bytes of scratch memory the op's kernel needs on `target`.",
      "int64_t", "getWorkspaceBytes", (ins "const ::mlir::slim::KernelTarget &":$target), "",
      [{ return 0; }]>,
    InterfaceMethod<[{
        The operands whose buffer result #`index` may be written over (the kernel allows the
        alias), in order of preference. The planner uses one only when it has the result's
        type and dies at this op.
      }],
      "::llvm::SmallVector<unsigned, 2>", "getInPlaceOperands", (ins "unsigned":$index), "",
      [{ return {}; }]>,
    InterfaceMethod<[{
        Floating-point operations of the op's matrix products (elementwise work is not
        counted): the step's total is what achieved FLOP/s is measured against.
      }],
      "int64_t", "getMatmulFlops", (ins), "", [{ return 0; }]>
  ];
}

def Slim_StashEncodingAttrInterface : AttrInterface<"StashEncodingAttrInterface"> {
  let cppNamespace = "::mlir::slim";
  let description = [{
    How a `slim.stash` stores its value between forward and backward. Without an encoding
    the tensor is kept as is; an encoding trades exactness for bytes.
  }];
  let methods = [
    InterfaceMethod<"Bytes this encoding stores for a tensor of `type`.",
      "int64_t", "getStoredBytes", (ins "::mlir::RankedTensorType":$type)>,
    InterfaceMethod<"Checks that a tensor of `type` can be stored with this encoding.",
      "::llvm::LogicalResult", "verifyFor",
      (ins "::mlir::RankedTensorType":$type,
           "::llvm::function_ref<::mlir::InFlightDiagnostic()>":$emitError)>
  ];
}

#endif // SLIM_INTERFACES_TD
