//===- PlanMemory.cpp - slim-plan-memory ------------------------------------------------===//
//
// Static memory planning of a training step: every intermediate tensor and kernel workspace
// gets an offset in one arena, decided before anything runs, so the planned peak is exact.
//
// - Storage: a value and everything that aliases it share one buffer: a stash and its
//   unstash read the stashed value's buffer (no copy unless an encoding says so), and a
//   result computed in place of an operand that dies at that op (where the kernel ABI allows
//   it: add, mul, rope, a merged weight over an intermediate one, the fused loss gradient over
//   the logits) takes the operand's buffer.
// - Not in the arena: function arguments (parameters, optimizer state, inputs: bound by the
//   runtime), returned values (written straight into the runtime's output buffers), and
//   results that update an argument in place (slim.updates).
// - Liveness is over the op order; offsets come from a greedy-by-size best fit, in the spirit
//   of TFLite's arena planner: the largest buffers first, each into the smallest gap among
//   the buffers whose lifetimes overlap it.
//
// Results: `slim.offsets` (one byte offset per result, -1 when outside the arena) and
// `slim.workspace` (offset, bytes) on ops; `slim.arena_bytes` on the function.
//
//===-------------------------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "passes/MemoryPlan.h"

#include "slimtune/kernel_abi.h"

#include "llvm/ADT/DenseMap.h"

namespace mlir::slim {
#define GEN_PASS_DEF_SLIMPLANMEMORY
#include "passes/Passes.h.inc"
} // namespace mlir::slim

using namespace mlir;
using namespace mlir::slim;

int64_t mlir::slim::tensorBytes(Type type) {
  auto tensor = cast<RankedTensorType>(type);
  int64_t elementBytes = (tensor.getElementTypeBitWidth() + 7) / 8;
  return tensor.getNumElements() * elementBytes;
}

int64_t mlir::slim::workspaceBytes(Operation *op) {
  auto rows = [](Value v) {
    auto t = cast<RankedTensorType>(v.getType());
    return t.getNumElements() / t.getShape().back();
  };
  auto last = [](Value v) { return cast<RankedTensorType>(v.getType()).getShape().back(); };
  int64_t floats = 0;
  if (auto lora = dyn_cast<LoraOp>(op))
    floats = slimtune_lora_work(rows(lora.getInput()), last(lora.getInput()), lora.getRank(),
                                static_cast<float>(lora.getDropout().convertToDouble()));
  else if (auto grad = dyn_cast<LoraGradOp>(op))
    floats = slimtune_lora_grad_work(rows(grad.getInput()), last(grad.getInput()),
                                     cast<RankedTensorType>(grad.getLoraA().getType()).getDimSize(0),
                                     static_cast<float>(grad.getDropout().convertToDouble()));
  else if (isa<AttentionWithLseOp, AttentionOp, AttentionGradOp>(op)) {
    auto q = cast<RankedTensorType>(op->getOperand(0).getType());
    int64_t b = q.getDimSize(0), t = q.getDimSize(1);
    int64_t heads = cast<IntegerAttr>(op->getAttr("num_heads")).getInt();
    if (isa<AttentionGradOp>(op))
      floats = slimtune_attention_grad_work(b, t, heads);
    else if (isa<AttentionWithLseOp>(op))
      floats = slimtune_attention_work(b, t, heads);
    else // plain attention: its kernel's logsumexp output lands after the workspace
      floats = slimtune_attention_work(b, t, heads) + b * heads * t;
  }
  return floats * static_cast<int64_t>(sizeof(float));
}

namespace {

constexpr int64_t kAlignment = 64;

int64_t aligned(int64_t bytes) { return (bytes + kAlignment - 1) / kAlignment * kAlignment; }

// One buffer of the arena: the values sharing it and when it is live.
struct Storage {
  int64_t bytes = 0;
  int64_t start = 0, end = 0; // op indices, inclusive
  int64_t offset = -1;
};

class Planner {
public:
  explicit Planner(func::FuncOp func) : func_(func) {}

  LogicalResult run() {
    Block &body = func_.getBody().front();
    auto ret = body.getTerminator();
    for (Value v : ret->getOperands())
      returned_.insert(v);
    int64_t index = 0;
    for (Operation &op : body.without_terminator())
      order_[&op] = index++;
    end_ = index;

    // Assign storages in op order: in-place and alias results join their operand's storage.
    for (Operation &op : body.without_terminator()) {
      int64_t at = order_[&op];
      // Stash handles share the stashed value's storage; unstashes read it.
      if (auto stash = dyn_cast<StashOp>(op)) {
        alias(stash.getHandle(), stash.getInput());
      } else if (auto unstash = dyn_cast<UnstashOp>(op)) {
        alias(unstash.getResult(), unstash.getHandle());
      } else {
        for (auto [i, result] : llvm::enumerate(op.getResults())) {
          if (returned_.contains(result))
            continue; // outputs live in the runtime's buffers
          if (Value source = inPlaceSource(&op, i)) {
            storageOf_[result] = storageOf_.lookup(source);
            continue;
          }
          storages_.push_back({aligned(tensorBytes(result.getType())), at, at});
          storageOf_[result] = static_cast<int>(storages_.size()) - 1;
        }
      }
      if (int64_t bytes = workspaceBytes(&op)) {
        storages_.push_back({aligned(bytes), at, at});
        workspaceOf_[&op] = static_cast<int>(storages_.size()) - 1;
      }
      // Every use extends its storage's lifetime.
      for (Value operand : op.getOperands())
        extend(operand, at);
    }
    for (Value v : ret->getOperands())
      extend(v, end_);
    place();
    annotate();
    return success();
  }

private:
  void alias(Value to, Value from) {
    auto it = storageOf_.find(from);
    if (it != storageOf_.end())
      storageOf_[to] = it->second;
  }

  void extend(Value v, int64_t at) {
    auto it = storageOf_.find(v);
    if (it != storageOf_.end() && it->second >= 0)
      storages_[it->second].end = std::max(storages_[it->second].end, at);
  }

  // The operand whose buffer result #i may take: one the kernel may overwrite, of the same
  // size, in the arena, and dead after this op (no later use of any value in its storage).
  Value inPlaceSource(Operation *op, unsigned i) {
    SmallVector<Value, 2> candidates;
    if (isa<AddOp, MulOp>(op))
      candidates = {op->getOperand(0), op->getOperand(1)};
    else if (isa<RopeOp, MergeLoraOp>(op))
      candidates = {op->getOperand(0)};
    else if (auto ce = dyn_cast<CrossEntropyWithGradOp>(op); ce && i == 1)
      candidates = {ce.getLogits()};
    for (Value c : candidates) {
      auto it = storageOf_.find(c);
      if (it == storageOf_.end() || c.getType() != op->getResult(i).getType())
        continue;
      if (lastUse(it->second) == order_[op])
        return c;
    }
    return Value();
  }

  // The last op that reads any value stored in storage `s`.
  int64_t lastUse(int s) {
    int64_t last = -1;
    for (auto &[value, storage] : storageOf_) {
      if (storage != s)
        continue;
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
    SmallVector<int> byBytes;
    for (int i = 0, e = storages_.size(); i < e; ++i)
      byBytes.push_back(i);
    llvm::stable_sort(byBytes, [&](int a, int b) { return storages_[a].bytes > storages_[b].bytes; });
    SmallVector<int> placed;
    for (int s : byBytes) {
      Storage &me = storages_[s];
      SmallVector<std::pair<int64_t, int64_t>> busy; // [offset, offset + bytes)
      for (int p : placed) {
        const Storage &other = storages_[p];
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
      arenaBytes_ = std::max(arenaBytes_, me.offset + me.bytes);
      placed.push_back(s);
    }
  }

  void annotate() {
    Builder b(func_.getContext());
    for (Operation &op : func_.getBody().front().without_terminator()) {
      SmallVector<int64_t> offsets;
      for (Value result : op.getResults()) {
        auto it = storageOf_.find(result);
        offsets.push_back(it == storageOf_.end() || isa<StashType>(result.getType())
                              ? -1
                              : storages_[it->second].offset);
      }
      op.setAttr(kOffsetsAttr, b.getDenseI64ArrayAttr(offsets));
      if (auto it = workspaceOf_.find(&op); it != workspaceOf_.end())
        op.setAttr(kWorkspaceAttr, b.getDenseI64ArrayAttr({storages_[it->second].offset,
                                                            storages_[it->second].bytes}));
      else
        op.removeAttr(kWorkspaceAttr);
    }
    func_->setAttr(kArenaBytesAttr, b.getI64IntegerAttr(arenaBytes_));
  }

  func::FuncOp func_;
  DenseMap<Operation *, int64_t> order_;
  DenseSet<Value> returned_;
  SmallVector<Storage> storages_;
  DenseMap<Value, int> storageOf_;
  DenseMap<Operation *, int> workspaceOf_;
  int64_t end_ = 0;
  int64_t arenaBytes_ = 0;
};

struct PlanMemoryPass : public mlir::slim::impl::SlimPlanMemoryBase<PlanMemoryPass> {
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
    if (walk.wasInterrupted() || failed(Planner(func).run()))
      signalPassFailure();
  }
};

} // namespace
