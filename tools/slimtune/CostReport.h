//===- CostReport.h - compile's FLOP count of a step --------------------------------------===//

#ifndef SLIMTUNE_TOOLS_SLIMTUNE_COSTREPORT_H
#define SLIMTUNE_TOOLS_SLIMTUNE_COSTREPORT_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/Support/raw_ostream.h"

namespace slimtune::cli {

// The matrix-product FLOPs of one run of `step`, as the compiler counts them
// (KernelOpInterface::getMatmulFlops): a line per op kind (ops, FLOPs, share), then
// `flops: N`. Elementwise ops, memory-bound, are not counted.
void printCostReport(llvm::raw_ostream &os, mlir::func::FuncOp step);

} // namespace slimtune::cli

#endif // SLIMTUNE_TOOLS_SLIMTUNE_COSTREPORT_H
