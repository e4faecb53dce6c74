//===- ArenaPlanner.cpp - liveness and arena offsets of a training step ------------------===//
//
// - Storage: a value and everything that aliases it share one buffer: a stash and its
//   unstash read the stashed value's buffer (no copy unless an encoding says so), and a
//   result computed in place of an operand that dies at that op (where its kernel allows it:
//   KernelOpInterface::getInPlaceOperands) takes the operand's buffer.
// - Not in the arena: function arguments (parameters, optimizer state, inputs: bound by the
//   runtime), returned values (written straight into the runtime's output buffers), and
//   results that update an argument in place (slim.updates).
// - Liveness is over the op order; offsets come from a greedy-by-size best fit, in the spirit
//   of TFLite's arena planner: the largest buffers first, each into the smallest gap among
//   the buffers whose lifetimes overlap it.
//
//===-------------------------------------------------------------------------------------===//

#include "passes/ArenaPlanner.h"

#include "dialects/slim/SlimOps.h"

#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/STLExtras.h"

using namespace mlir;
using namespace mlir::slim;

int64_t mlir::slim::tensorBytes(Type type) {
  auto tensor = cast<RankedTensorType>(type);
  if (auto blocks = dyn_cast<BlocksType>(tensor.getElementType()))
    return blocks.getStoredBytes(tensor.getNumElements());
  int64_t elementBytes = (tensor.getElementTypeBitWidth() + 7) / 8;
  return tensor.getNumElements() * elementBytes;
}

namespace {

constexpr int64_t kAlignment = 64;

int64_t aligned(int64_t bytes) { return (bytes + kAlignment - 1) / kAlignment * kAlignment; }

class Planner {
public:
  Planner(func::FuncOp func, const KernelTarget &target, MemoryPlan &plan)
      : func_(func), target_(target), plan_(plan) {}

  void run() {
    Block &body = func_.getBody().front();
    auto ret = body.getTerminator();
    for (Value v : ret->getOperands())
      returned_.insert(v);
    for (Operation &op : body.without_terminator()) {
      order_[&op] = static_cast<int64_t>(plan_.schedule.size());
      plan_.schedule.push_back(&op);
    }
    end_ = static_cast<int64_t>(plan_.schedule.size());

    // Assign storages in op order: in-place and alias results join their operand's storage.
    for (Operation *op : plan_.schedule) {
      int64_t at = order_[op];
      // Stash handles share the stashed value's storage and unstashes read it, unless the
      // stash is encoded: then the codes are a buffer of their own, from the stash to the last
      // unstash, and each unstash decodes into a fresh buffer.
      if (auto stash = dyn_cast<StashOp>(op)) {
        if (stash.getEncodingAttr())
          fresh(stash.getHandle(), stash.getStoredBytes(), at);
        else
          alias(stash.getHandle(), stash.getInput());
      } else if (auto unstash = dyn_cast<UnstashOp>(op)) {
        if (isEncoded(unstash.getHandle()))
          fresh(unstash.getResult(), tensorBytes(unstash.getType()), at);
        else
          alias(unstash.getResult(), unstash.getHandle());
      } else {
        for (auto [i, result] : llvm::enumerate(op->getResults())) {
          if (returned_.contains(result))
            continue; // outputs live in the runtime's buffers
          if (Value source = inPlaceSource(op, i)) {
            join(result, plan_.bufferOf.lookup(source));
            continue;
          }
          fresh(result, tensorBytes(result.getType()), at);
        }
      }
      auto kernel = dyn_cast<KernelOpInterface>(op);
      if (int64_t bytes = kernel ? kernel.getWorkspaceBytes(target_) : 0) {
        plan_.buffers.push_back({aligned(bytes), at, at, -1, {}, op});
        plan_.workspaceOf[op] = static_cast<int>(plan_.buffers.size()) - 1;
      }
      // Every use extends its storage's lifetime.
      for (Value operand : op->getOperands())
        extend(operand, at);
    }
    for (Value v : ret->getOperands())
      extend(v, end_);
    place();
  }

private:
  void join(Value v, int buffer) {
    plan_.bufferOf[v] = buffer;
    plan_.buffers[buffer].values.push_back(v);
  }

  void fresh(Value v, int64_t bytes, int64_t at) {
    plan_.buffers.push_back({aligned(bytes), at, at, -1, {}, nullptr});
    join(v, static_cast<int>(plan_.buffers.size()) - 1);
  }

  void alias(Value to, Value from) {
    auto it = plan_.bufferOf.find(from);
    if (it != plan_.bufferOf.end())
      join(to, it->second);
  }

  void extend(Value v, int64_t at) {
    auto it = plan_.bufferOf.find(v);
    if (it != plan_.bufferOf.end())
      plan_.buffers[it->second].end = std::max(plan_.buffers[it->second].end, at);
  }

  // The operand whose buffer result #i may take: one the kernel may overwrite (the op says
  // which), of the same type, in the arena, and dead after this op (no later use of any value
  // in its storage).
  Value inPlaceSource(Operation *op, unsigned i) {
    auto kernel = dyn_cast<KernelOpInterface>(op);
    if (!kernel)
      return Value();
    for (unsigned index : kernel.getInPlaceOperands(i)) {
      Value c = op->getOperand(index);
      auto it = plan_.bufferOf.find(c);
      if (it == plan_.bufferOf.end() || c.getType() != op->getResult(i).getType())
        continue;
      if (lastUse(it->second) == order_[op])
        return c;
    }
    return Value();
  }

  // The last op that reads any value stored in buffer `s`.
  int64_t lastUse(int s) {
    int64_t last = -1;
    for (Value value : plan_.buffers[s].values) {
      if (returned_.contains(value))
        return end_;
      for (Operation *user : value.getUsers())
        if (auto it = order_.find(user); it != order_.end())
          last = std::max(last, it->second);
        else
          return end_; // the terminator
    }
    return last;
  }

  // Greedy by size, best fit: the largest buffers first, each at the smallest gap that
  // holds it among the placed buffers live at the same time.
  void place() {
    auto &buffers = plan_.buffers;
    SmallVector<int> byBytes;
    for (int i = 0, e = buffers.size(); i < e; ++i)
      byBytes.push_back(i);
    llvm::stable_sort(byBytes, [&](int a, int b) { return buffers[a].bytes > buffers[b].bytes; });
    SmallVector<int> placed;
    for (int s : byBytes) {
      ArenaBuffer &me = buffers[s];
      SmallVector<std::pair<int64_t, int64_t>> busy; // [offset, offset + bytes)
      for (int p : placed) {
        const ArenaBuffer &other = buffers[p];
        if (other.start <= me.end && me.start <= other.end)
          busy.push_back({other.offset, other.offset + other.bytes});
      }
      llvm::sort(busy);
      int64_t best = -1, bestGap = INT64_MAX, cursor = 0;
      for (auto [begin, finish] : busy) {
        if (begin - cursor >= me.bytes && begin - cursor < bestGap) {
          best = cursor;
          bestGap = begin - cursor;
        }
        cursor = std::max(cursor, finish);
      }
      me.offset = best >= 0 ? best : cursor;
      plan_.arenaBytes = std::max(plan_.arenaBytes, me.offset + me.bytes);
      placed.push_back(s);
    }
  }

  func::FuncOp func_;
  const KernelTarget &target_;
  MemoryPlan &plan_;
  DenseMap<Operation *, int64_t> order_;
  DenseSet<Value> returned_;
  int64_t end_ = 0;
};

} // namespace

bool mlir::slim::isPlannable(func::FuncOp func) {
  if (func.isExternal() || !func.getBody().hasOneBlock())
    return false;
  auto isStatic = [](Type t) {
    auto tensor = dyn_cast<RankedTensorType>(t);
    return !isa<TensorType>(t) || (tensor && tensor.hasStaticShape());
  };
  if (!llvm::all_of(func.getArgumentTypes(), isStatic))
    return false;
  WalkResult walk = func.walk([&](Operation *op) {
    return llvm::all_of(op->getResultTypes(), isStatic) ? WalkResult::advance()
                                                        : WalkResult::interrupt();
  });
  return !walk.wasInterrupted();
}

MemoryPlan mlir::slim::planMemory(func::FuncOp func, const KernelTarget &target) {
  MemoryPlan plan;
  Planner(func, target, plan).run();
  return plan;
}

bool mlir::slim::isEncoded(Value handle) {
  auto stash = handle.getDefiningOp<StashOp>();
  return stash && stash.getEncodingAttr();
}

void mlir::slim::annotateMemoryPlan(func::FuncOp func, const MemoryPlan &plan) {
  Builder b(func.getContext());
  for (Operation *op : plan.schedule) {
    SmallVector<int64_t> offsets;
    for (Value result : op->getResults()) {
      auto it = plan.bufferOf.find(result);
      bool alias = isa<StashType>(result.getType()) && !isEncoded(result);
      offsets.push_back(it == plan.bufferOf.end() || alias ? -1 : plan.buffers[it->second].offset);
    }
    op->setAttr(kOffsetsAttr, b.getDenseI64ArrayAttr(offsets));
    if (auto it = plan.workspaceOf.find(op); it != plan.workspaceOf.end())
      op->setAttr(kWorkspaceAttr, b.getDenseI64ArrayAttr({plan.buffers[it->second].offset,
                                                          plan.buffers[it->second].bytes}));
    else
      op->removeAttr(kWorkspaceAttr);
  }
  func->setAttr(kArenaBytesAttr, b.getI64IntegerAttr(plan.arenaBytes));
}
