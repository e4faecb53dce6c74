//===- DecoderLayers.h - a decoder's layers, found by its residual stream ------------------===//
//
// slim-reversible and slim-remat work layer by layer. A layer is found by its residual
// stream, not by names: a residual add is an add one of whose operands is computed from the
// other (x + A(x)); a layer is two of them in a row (attention, then MLP).
//
//===-------------------------------------------------------------------------------------===//

#ifndef SLIMTUNE_PASSES_DECODERLAYERS_H
#define SLIMTUNE_PASSES_DECODERLAYERS_H

#include "dialects/slim/SlimOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <string>

namespace mlir::slim {

// One branch of a layer: `stream + branch(stream)`, the residual add and the ops between.
struct ResidualBlock {
  Value input;                    // the residual stream entering the block
  AddOp residual;                 // input + the branch's output
  SmallVector<Operation *> ops;   // the branch, in block order
  Value branchOutput() { return residual.getLhs() == input ? residual.getRhs() : residual.getLhs(); }
};

struct Layer {
  ResidualBlock attention, mlp;
  std::string name;   // the prefix of its adapters' names: "base_model.model.model.layers.3"
  std::string module; // the same without PEFT's "base_model.model.", for the ops' locations
};

// The decoder's layers in order, or failure (with a diagnostic naming `pass`) when the graph
// has no residual stream of pairs of blocks.
FailureOr<SmallVector<Layer>> findLayers(func::FuncOp func, StringRef pass);

} // namespace mlir::slim

#endif // SLIMTUNE_PASSES_DECODERLAYERS_H
