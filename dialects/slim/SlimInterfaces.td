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
