//===- PlanMemory.cpp - slim-plan-memory ------------------------------------------------===//
//
// Static memory planning of a training step: every intermediate tensor and kernel workspace
// gets an offset in one arena, decided before anything runs, so the planned peak is exact.
// The plan itself (liveness, in-place results, best-fit offsets) is ArenaPlanner.cpp; this pass
// first shortens lifetimes by a cheap reordering, then records the plan as attributes:
// `slim.offsets` (one byte offset per result, -1 when outside the arena) and
// `slim.workspace` (offset, bytes) on ops; `slim.arena_bytes` on the function.
//
//===-------------------------------------------------------------------------------------===//

#include "passes/ArenaPlanner.h"
#include "passes/Passes.h"

#include "dialects/slim/SlimOps.h"

namespace mlir::slim {
#define GEN_PASS_DEF_SLIMPLANMEMORY
#include "passes/Passes.h.inc"
} // namespace mlir::slim

using namespace mlir;
using namespace mlir::slim;

namespace {

// Whether `v` is read at or after `point` (by an op other than `except`).
bool readAtOrAfter(Value v, Operation *point, Operation *except) {
  for (Operation *user : v.getUsers())
    if (user != except && (user == point || point->isBeforeInBlock(user)))
      return true;
  return false;
}

// Sinks ops whose results are first read much later to just before that first reader, when
// that lengthens no operand's lifetime (every operand is an argument or is read again at or
// after the new position). The result's buffer is then live for less of the schedule; nothing
// else changes. Ops are pure except slim.adamw, which writes its parameter and moments in
// place: nothing moves across one, and adamw itself, stashes and unstashes (aliases, no
// memory of their own) stay put. Returns the number of ops moved.
int sinkToFirstUse(Block &body) {
  SmallVector<Operation *> ops;
  for (Operation &op : body.without_terminator())
    ops.push_back(&op);
  int moved = 0;
  for (Operation *op : llvm::reverse(ops)) {
    if (op->getNumResults() == 0 || isa<AdamWOp, StashOp, UnstashOp>(op))
      continue;
    Operation *first = nullptr;
    for (Operation *user : op->getUsers())
      if (!first || user->isBeforeInBlock(first))
        first = user;
    if (!first || first == op->getNextNode() || first->hasTrait<OpTrait::IsTerminator>())
      continue;
    bool crossesUpdate = false;
    for (Operation *between = op->getNextNode(); between != first; between = between->getNextNode())
      crossesUpdate |= isa<AdamWOp>(between);
    bool operandsStayLive = llvm::all_of(op->getOperands(), [&](Value operand) {
      return isa<BlockArgument>(operand) || readAtOrAfter(operand, first, op);
    });
    if (crossesUpdate || !operandsStayLive)
      continue;
    op->moveBefore(first);
    ++moved;
  }
  return moved;
}

struct PlanMemoryPass : public mlir::slim::impl::SlimPlanMemoryBase<PlanMemoryPass> {
  using SlimPlanMemoryBase::SlimPlanMemoryBase;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal())
      return;
    if (!func.getBody().hasOneBlock()) {
      func.emitError() << "slim-plan-memory: expects a graph of one block";
      return signalPassFailure();
    }
    WalkResult walk = func.walk([&](Operation *op) {
      for (Type t : op->getResultTypes())
        if (auto tensor = dyn_cast<RankedTensorType>(t); tensor && !tensor.hasStaticShape()) {
          op->emitOpError() << "slim-plan-memory: result type " << t << " is not static";
          return WalkResult::interrupt();
        }
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return signalPassFailure();
    const KernelTarget *kernels = lookupKernelTarget(target);
    if (!kernels) {
      func.emitError() << "slim-plan-memory: unknown target \"" << target << "\"";
      return signalPassFailure();
    }
    if (kernels->maxAttentionHeadDim > 0) {
      WalkResult tooWide = func.walk([&](Operation *op) {
        int64_t headDim = 0;
        if (auto a = dyn_cast<AttentionOp>(op))
          headDim = a.getHeadDim();
        else if (auto a = dyn_cast<AttentionWithLseOp>(op))
          headDim = a.getHeadDim();
        else if (auto a = dyn_cast<AttentionGradOp>(op))
          headDim = a.getHeadDim();
        if (headDim <= kernels->maxAttentionHeadDim)
          return WalkResult::advance();
        op->emitOpError() << "slim-plan-memory: head dimension " << headDim << " is over the "
                          << kernels->maxAttentionHeadDim << " the " << kernels->name
                          << " target's attention kernels take";
        return WalkResult::interrupt();
      });
      if (tooWide.wasInterrupted())
        return signalPassFailure();
    }
    if (!kernels->weightBlocks)
      for (BlockArgument arg : func.getArguments())
        if (auto t = dyn_cast<RankedTensorType>(arg.getType()); t && isa<BlocksType>(t.getElementType())) {
          func.emitError() << "slim-plan-memory: argument #" << arg.getArgNumber() << " is " << t
                           << ": the " << kernels->name
                           << " target has no kernels for weights in ggml blocks (--precision q8 "
                              "and q4 are for the CPU; bf16 runs everywhere)";
          return signalPassFailure();
        }
    if (reorder)
      sinkToFirstUse(func.getBody().front());
    annotateMemoryPlan(func, planMemory(func, *kernels));
    func->setAttr(kPlanTargetAttr, StringAttr::get(func.getContext(), kernels->name));
  }
};

} // namespace
