//===- ArenaPlanner.h - the static memory plan of a step, and the attributes that record it ===//
//
// slim-plan-memory computes a plan (planMemory) and records it as attributes; code generation
// reads the attributes, and the memory report recomputes the plan of any step (the analysis
// does not modify the IR) to account for it by category and over the schedule.
//
//===-------------------------------------------------------------------------------------===//

#ifndef SLIMTUNE_PASSES_ARENAPLANNER_H
#define SLIMTUNE_PASSES_ARENAPLANNER_H

#include "dialects/slim/KernelTarget.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Operation.h"
#include "mlir/IR/Types.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallVector.h"

namespace mlir::slim {

// On ops: one arena byte offset per result, -1 when the result is not in the arena.
inline constexpr llvm::StringLiteral kOffsetsAttr = "slim.offsets";
// On ops that need scratch memory: [offset, bytes] of their workspace in the arena.
inline constexpr llvm::StringLiteral kWorkspaceAttr = "slim.workspace";
// On the function: the arena's size in bytes.
inline constexpr llvm::StringLiteral kArenaBytesAttr = "slim.arena_bytes";
// The kernel target whose workspace sizes the plan holds: code generation for another target
// is refused.
inline constexpr llvm::StringLiteral kPlanTargetAttr = "slim.plan_target";

// Bytes of a static tensor.
int64_t tensorBytes(Type type);

// One buffer of the arena: the values that share it (a value, its stash and unstash, results
// computed in place of it), or one op's kernel workspace.
struct ArenaBuffer {
  int64_t bytes = 0;            // 64-byte aligned
  int64_t start = 0, end = 0;   // live over these schedule indices, inclusive
  int64_t offset = -1;          // in the arena
  SmallVector<Value, 2> values; // empty for a workspace
  Operation *workspaceOf = nullptr;
};

struct MemoryPlan {
  SmallVector<Operation *> schedule; // the function's ops in order, without the terminator
  SmallVector<ArenaBuffer> buffers;
  DenseMap<Value, int> bufferOf;          // values in the arena -> their buffer
  DenseMap<Operation *, int> workspaceOf; // ops with scratch memory -> its buffer
  int64_t arenaBytes = 0;
};

// Whether a stash handle holds an encoding of its value (a buffer of its own) rather than
// naming the value's buffer.
bool isEncoded(Value handle);

// Whether `func` can be planned: one block, every argument and result a static tensor.
bool isPlannable(func::FuncOp func);
// Plans `func` (isPlannable) for the kernels of `target` without modifying it.
MemoryPlan planMemory(func::FuncOp func, const KernelTarget &target = defaultKernelTarget());
// Records `plan` on `func`: slim.offsets and slim.workspace on ops, slim.arena_bytes.
void annotateMemoryPlan(func::FuncOp func, const MemoryPlan &plan);

} // namespace mlir::slim

#endif // SLIMTUNE_PASSES_ARENAPLANNER_H
