//===- Remat.cpp - slim-remat -----------------------------------------------------------===//
//
// Rematerialization as marks on the forward graph: an op marked slim.recompute is run again
// by slim-autodiff's backward instead of having its result stashed (the mechanism
// slim-reversible's segments use). This pass only chooses what to mark, by a cost model:
// recomputed FLOPs per stashed byte saved, cheapest first.
//
// What the backward would stash is predicted from the ops' own rules
// (DifferentiableOpInterface::backwardReadsOperand/Result, the rules slim-autodiff builds
// from), as slim-share-norm-stash predicts it.
//
//===-------------------------------------------------------------------------------------===//

#include "passes/ActiveValues.h"
#include "passes/ArenaPlanner.h"
#include "passes/DecoderLayers.h"
#include "passes/Passes.h"

#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/StringMap.h"

#include <algorithm>

namespace mlir::slim {
#define GEN_PASS_DEF_SLIMREMAT
#include "passes/Passes.h.inc"
} // namespace mlir::slim

using namespace mlir;
using namespace mlir::slim;

namespace {

int64_t bytesOf(Value v) {
  auto type = dyn_cast<RankedTensorType>(v.getType());
  return type && type.hasStaticShape() ? tensorBytes(type) : 0;
}

int64_t elementsOf(Value v) {
  auto type = dyn_cast<RankedTensorType>(v.getType());
  return type && type.hasStaticShape() ? type.getNumElements() : 0;
}

// The FLOPs of running `op` again: its matrix products, else one per result element.
int64_t recomputeFlops(Operation *op) {
  if (auto kernel = dyn_cast<KernelOpInterface>(op); kernel && kernel.getMatmulFlops() > 0)
    return kernel.getMatmulFlops();
  int64_t flops = 0;
  for (Value r : op->getResults())
    flops += elementsOf(r);
  return flops;
}

// One choice the pass can make: ops to mark, what it saves and costs.
struct Candidate {
  std::string name;
  SmallVector<Operation *> ops;
  Operation *checkpoint = nullptr; // the op whose result a recomputed layer starts from
  int64_t flops = 0, bytes = 0;
};

class Rematerializer {
public:
  explicit Rematerializer(func::FuncOp func) : func_(func) {}

  FailureOr<SmallVector<Candidate>> candidates() {
    active_ = activeValues(func_);
    predictStashes();
    FailureOr<SmallVector<Layer>> layers = findLayers(func_, "slim-remat");
    if (failed(layers))
      return failure();
    SmallVector<Candidate> found;
    for (Layer &layer : *layers)
      for (ResidualBlock *block : {&layer.attention, &layer.mlp}) {
        // Named model.layers.3.mlp:silu; a second op of a kind in a block gets #1, #2, ...
        std::string prefix = layer.module + (block == &layer.attention ? ".attention:" : ".mlp:");
        llvm::StringMap<int> seen;
        for (Operation *op : block->ops) {
          std::string kind = op->getName().stripDialect().str();
          int n = seen[kind]++;
          if (std::optional<Candidate> c = singleOp(op, prefix + kind + (n ? "#" + std::to_string(n) : "")))
            found.push_back(*c);
        }
      }
    for (Layer &layer : *layers)
      if (std::optional<Candidate> c = wholeLayer(layer))
        found.push_back(*c);
    // Cheapest per byte first, ties in graph order (a stable sort); a/b < c/d as a·d < c·b,
    // in 128 bits, so nothing rounds or overflows.
    std::stable_sort(found.begin(), found.end(), [](const Candidate &a, const Candidate &b) {
      __int128 left = static_cast<__int128>(a.flops) * b.bytes;
      __int128 right = static_cast<__int128>(b.flops) * a.bytes;
      return left < right;
    });
    return found;
  }

private:
  bool active(Value v) const { return v && active_.contains(v); }

  // The values the backward will stash: read by some active op's rule, through the ops it
  // recomputes by itself (a norm's affine part from the normalized value).
  void predictStashes() {
    auto isActive = [&](Value v) { return active(v); };
    SmallVector<Value> reads;
    func_.walk([&](DifferentiableOpInterface op) {
      if (llvm::none_of(op->getResults(), isActive))
        return; // no backward
      for (OpOperand &operand : op->getOpOperands())
        if (op.backwardReadsOperand(operand.getOperandNumber(), isActive))
          reads.push_back(operand.get());
      for (OpResult result : op->getResults())
        if (op.backwardReadsResult(result.getResultNumber(), isActive))
          reads.push_back(result);
    });
    while (!reads.empty()) {
      Value v = reads.pop_back_val();
      if (isa<BlockArgument>(v) || !stashed_.insert(v).second)
        continue;
      auto producer = v.getDefiningOp<DifferentiableOpInterface>();
      if (producer && producer.isRecomputedForBackward()) {
        stashed_.erase(v);
        reads.append(producer->operand_begin(), producer->operand_end());
      }
    }
  }

  bool keptAnyway(Value v) const { return isa<BlockArgument>(v) || stashed_.contains(v); }

  // An elementwise op whose result is stashed and whose operands are kept anyway: recomputing
  // it costs a pass over its elements and saves its stash.
  std::optional<Candidate> singleOp(Operation *op, std::string name) {
    if (!isa<DifferentiableOpInterface>(op) || op->getNumResults() != 1 ||
        !stashed_.contains(op->getResult(0)))
      return std::nullopt;
    if (auto kernel = dyn_cast<KernelOpInterface>(op); kernel && kernel.getMatmulFlops() > 0)
      return std::nullopt;
    if (!llvm::all_of(op->getOperands(), [&](Value v) { return keptAnyway(v); }))
      return std::nullopt;
    Candidate c;
    c.name = std::move(name);
    c.ops = {op};
    c.flops = recomputeFlops(op);
    c.bytes = bytesOf(op->getResult(0));
    return c;
  }

  // The whole layer from the stream entering it: every op but the last residual add (the
  // next layer's input) is marked; only the entering stream is stashed.
  std::optional<Candidate> wholeLayer(const Layer &layer) {
    Candidate c;
    c.name = layer.module;
    for (const ResidualBlock *block : {&layer.attention, &layer.mlp}) {
      for (Operation *op : block->ops)
        c.ops.push_back(op);
      if (block == &layer.attention)
        c.ops.push_back(layer.attention.residual);
    }
    for (Operation *op : c.ops) {
      if (!isa<DifferentiableOpInterface>(op))
        return std::nullopt; // an op the backward could not run again
      c.flops += recomputeFlops(op);
      for (Value r : op->getResults())
        if (stashed_.contains(r))
          c.bytes += bytesOf(r);
    }
    Value input = layer.attention.input;
    if (!keptAnyway(input))
      c.bytes -= bytesOf(input);
    if (c.bytes <= 0)
      return std::nullopt;
    c.checkpoint = input.getDefiningOp();
    return c;
  }

  func::FuncOp func_;
  DenseSet<Value> active_;
  DenseSet<Value> stashed_;
};

struct RematPass : public mlir::slim::impl::SlimRematBase<RematPass> {
  using SlimRematBase::SlimRematBase;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal() || !func.getBody().hasOneBlock())
      return;
    if (!func.getOps<StashOp>().empty()) {
      func.emitError() << "slim-remat: runs on a forward graph, before slim-autodiff (this one "
                          "already has stashes)";
      return signalPassFailure();
    }
    if (count < -1) {
      func.emitError() << "slim-remat: count must be -1 (all) or >= 0, got "
                       << static_cast<int64_t>(count);
      return signalPassFailure();
    }
    FailureOr<SmallVector<Candidate>> found = Rematerializer(func).candidates();
    if (failed(found))
      return signalPassFailure();
    int64_t total = static_cast<int64_t>(found->size());
    int64_t take = count < 0 ? total : std::min<int64_t>(count, total);
    Builder b(func.getContext());
    SmallVector<Attribute> chosen;
    for (const Candidate &c : ArrayRef<Candidate>(*found).take_front(take)) {
      for (Operation *op : c.ops)
        op->setAttr(SlimDialect::kRecomputeAttrName, b.getUnitAttr());
      if (c.checkpoint)
        c.checkpoint->setAttr(SlimDialect::kCheckpointAttrName, b.getUnitAttr());
      chosen.push_back(b.getStringAttr(c.name));
    }
    func->setAttr(SlimDialect::kRematAttrName,
                  b.getDictionaryAttr({b.getNamedAttr("candidates", b.getI64IntegerAttr(total)),
                                       b.getNamedAttr("chosen", b.getArrayAttr(chosen))}));
  }
};

} // namespace
