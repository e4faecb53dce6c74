//===- StepBuffers.h - the buffers a compiled step exchanges with the runtime -------------===//
//
// A planned training step reads and writes three kinds of memory: the arena (planned
// intermediates), and buffers the runtime owns: one per function argument (parameters,
// optimizer state, inputs), in argument order, then one per returned value that does not
// update an argument in place (loss, gradient norm, gradients...). This table is the
// artifact's manifest, and code generation addresses memory through it.
//
//===-------------------------------------------------------------------------------------===//

#ifndef SLIMTUNE_COMPILER_CODEGEN_STEPBUFFERS_H
#define SLIMTUNE_COMPILER_CODEGEN_STEPBUFFERS_H

#include "dialects/slim/KernelTarget.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/Support/JSON.h"

#include <string>
#include <vector>

namespace slimtune::codegen {

struct StepBuffer {
  std::string name;  // parameter or state name, input kind, output name
  std::string role;  // frozen, trainable, state, tokens, targets, step, lr, output
  std::string dtype; // f32, i32, f64
  std::vector<int64_t> shape;
  int64_t bytes = 0;
  std::string gradOf; // outputs that are a parameter's gradient
};

struct StepBuffers {
  std::vector<StepBuffer> buffers;
  // For each function result: its buffer index (an argument's when it updates it in place).
  std::vector<int64_t> resultBuffer;
};

// Reads the buffer table of a planned step. Fails (with a diagnostic on the function) when an
// argument has no slimtune role.
mlir::FailureOr<StepBuffers> collectStepBuffers(mlir::func::FuncOp step);

// Floating-point operations of the step's matrix products (linear layers, adapters, attention;
// elementwise work is not counted): what achieved FLOP/s is measured against.
int64_t matmulFlops(mlir::func::FuncOp step);

// The manifest JSON the artifact carries: ABI version, the kernel target it was planned and
// generated for, arena size, buffers, matmul FLOPs, what
// the runtime needs to validate a batch (vocabulary, ignore index, batch shape), the
// learning-rate schedule it follows when a caller gives none, and the adapter configuration.
llvm::json::Object buildManifest(mlir::func::FuncOp step, const StepBuffers &buffers,
                                 const mlir::slim::KernelTarget &target);

} // namespace slimtune::codegen

#endif // SLIMTUNE_COMPILER_CODEGEN_STEPBUFFERS_H
