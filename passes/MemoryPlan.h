//===- MemoryPlan.h - what slim-plan-memory records, for its readers ----------------------===//
//
// The attributes slim-plan-memory leaves on a training step and the size rules it uses; code
// generation and the memory report read them.
//
//===-------------------------------------------------------------------------------------===//

#ifndef SLIMTUNE_PASSES_MEMORYPLAN_H
#define SLIMTUNE_PASSES_MEMORYPLAN_H

#include "mlir/IR/Operation.h"
#include "mlir/IR/Types.h"

namespace mlir::slim {

// On ops: one arena byte offset per result, -1 when the result is not in the arena.
inline constexpr llvm::StringLiteral kOffsetsAttr = "slim.offsets";
// On ops that need scratch memory: [offset, bytes] of their workspace in the arena.
inline constexpr llvm::StringLiteral kWorkspaceAttr = "slim.workspace";
// On the function: the arena's size in bytes.
inline constexpr llvm::StringLiteral kArenaBytesAttr = "slim.arena_bytes";

// Bytes of a static tensor.
int64_t tensorBytes(Type type);
// Bytes of scratch memory an op's kernel needs (0 for most ops), per the kernel ABI.
int64_t workspaceBytes(Operation *op);

} // namespace mlir::slim

#endif // SLIMTUNE_PASSES_MEMORYPLAN_H
