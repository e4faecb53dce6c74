//===- Reversible.cpp - slim-reversible --------------------------------------------------===//
//
// MEFT's reversible layers (arXiv 2306.00477) as a forward rewrite. The decoder is found by
// its residual stream, not by names: a residual add is an add one of whose operands is
// computed from the other (x + A(x)); a layer is two of them in a row (attention, then MLP).
// The top K layers are rebuilt after the original ones as two coupled streams; the originals
// then have no users and are erased.
//
// What makes the segment cheap in memory is not here but in slim-autodiff: the marks this
// pass sets (slim.recompute on F's and G's ops, slim.reconstruct on the couplings) tell the
// backward to rebuild and recompute instead of stashing.
//
//===-------------------------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "llvm/ADT/DenseSet.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include <cmath>
#include <cstring>

namespace mlir::slim {
#define GEN_PASS_DEF_SLIMREVERSIBLE
#include "passes/Passes.h.inc"
} // namespace mlir::slim

using namespace mlir;
using namespace mlir::slim;

namespace {

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

// Whether `v` is computed from `from` (through ops after `from`'s definition).
bool dependsOn(Value v, Value from, DenseSet<Value> &seen) {
  if (v == from)
    return true;
  if (!seen.insert(v).second)
    return false;
  Operation *op = v.getDefiningOp();
  if (!op)
    return false;
  if (Operation *start = from.getDefiningOp(); start && op->isBeforeInBlock(start))
    return false;
  return llvm::any_of(op->getOperands(), [&](Value operand) { return dependsOn(operand, from, seen); });
}

// The residual add `add` is, if it is one: its stream operand.
Value streamOf(AddOp add) {
  for (auto [stream, branch] : {std::pair{add.getLhs(), add.getRhs()}, {add.getRhs(), add.getLhs()}}) {
    DenseSet<Value> seen;
    if (dependsOn(branch, stream, seen))
      return stream;
  }
  return Value();
}

// The branch's ops: those between the stream and the residual that are computed from the
// stream and feed the branch's output.
void collectBranch(ResidualBlock &block) {
  DenseSet<Value> fromStream = {block.input};
  DenseSet<Operation *> feeding;
  SmallVector<Value> work = {block.branchOutput()};
  while (!work.empty()) {
    Operation *op = work.pop_back_val().getDefiningOp();
    if (!op || !feeding.insert(op).second)
      continue;
    for (Value operand : op->getOperands())
      work.push_back(operand);
  }
  Operation *start = block.input.getDefiningOp();
  mlir::Block *body = block.residual->getBlock();
  auto it = start ? std::next(start->getIterator()) : body->begin();
  for (; &*it != block.residual.getOperation(); ++it) {
    Operation *op = &*it;
    if (llvm::none_of(op->getOperands(), [&](Value v) { return fromStream.contains(v); }))
      continue;
    for (Value r : op->getResults())
      fromStream.insert(r);
    if (feeding.contains(op))
      block.ops.push_back(op);
  }
}

// The prefix of the layer's adapter parameters ("base_model.model.model.layers.3"): from a
// LoRA parameter of the layer when it has one, else "base_model.model." and a frozen
// parameter's module path ("blk.3" in a GGUF file). Not the ops' locations, which a graph
// read back from text without debug info no longer has.
std::string layerName(func::FuncOp func, const ResidualBlock &block, size_t index) {
  std::string marker = "." + std::to_string(index) + ".", frozen;
  for (Operation *op : block.ops)
    for (Value operand : op->getOperands()) {
      auto arg = dyn_cast<BlockArgument>(operand);
      auto param = arg ? func.getArgAttrOfType<ParamAttr>(arg.getArgNumber(),
                                                          SlimDialect::kParamAttrName)
                       : ParamAttr();
      if (!param)
        continue;
      StringRef name = param.getName();
      size_t at = name.find(marker);
      if (at == StringRef::npos)
        continue;
      std::string prefix = name.substr(0, at + marker.size() - 1).str();
      if (param.isTrainable())
        return prefix;
      if (frozen.empty())
        frozen = "base_model.model." + prefix;
    }
  return frozen.empty() ? "base_model.model.layers." + std::to_string(index) : frozen;
}

// The decoder's layers in order, or failure (with a diagnostic) when the graph has no
// residual stream of pairs of blocks.
FailureOr<SmallVector<Layer>> findLayers(func::FuncOp func) {
  SmallVector<std::pair<AddOp, Value>> residuals;
  func.walk([&](AddOp add) {
    if (Value stream = streamOf(add))
      residuals.push_back({add, stream});
  });
  if (residuals.empty() || residuals.size() % 2 != 0)
    return func.emitError() << "slim-reversible: expects a decoder whose layers are two residual "
                               "blocks (attention, MLP), found "
                            << residuals.size() << " residual adds";
  SmallVector<Layer> layers;
  for (size_t i = 0; i < residuals.size(); ++i) {
    auto [add, stream] = residuals[i];
    if (i > 0 && stream != residuals[i - 1].first.getResult())
      return add.emitError() << "slim-reversible: this residual add does not continue the "
                                "stream of the one before it";
    ResidualBlock block{stream, add, {}};
    collectBranch(block);
    if (i % 2 == 0) {
      layers.push_back({});
      layers.back().attention = std::move(block);
    } else {
      layers.back().mlp = std::move(block);
      Layer &l = layers.back();
      l.name = layerName(func, l.attention, layers.size() - 1);
      l.module = StringRef(l.name).starts_with("base_model.model.")
                     ? l.name.substr(std::strlen("base_model.model."))
                     : l.name;
    }
  }
  return layers;
}

struct Variant {
  enum Kind { Meft1, Meft2, Meft3 } kind;
  double lambda, beta;
  bool swap; // the next layer's x1, x2 are this one's y2, y1
};

FailureOr<Variant> parseVariant(StringRef name, double lambda, double beta) {
  Variant v;
  if (name == "meft1")
    v = {Variant::Meft1, 0.1, 1.0, true};
  else if (name == "meft2")
    v = {Variant::Meft2, 1.0, 0.1, true};
  else if (name == "meft3")
    v = {Variant::Meft3, 0.1, 0.1, false};
  else
    return failure();
  if (lambda != 0)
    v.lambda = lambda;
  if (beta != 0)
    v.beta = beta;
  return v;
}

class Rewriter {
public:
  Rewriter(func::FuncOp func, const Variant &variant, int64_t bottleneck, bool mean,
           int64_t anchor, bool reconstruct)
      : func_(func), b_(func.getContext()), variant_(variant), bottleneck_(bottleneck),
        mean_(mean), anchor_(anchor), reconstruct_(reconstruct) {}

  void run(MutableArrayRef<Layer> segment) {
    Value top = segment.back().mlp.residual.getResult();
    b_.setInsertionPointAfter(segment.back().mlp.residual);
    Value x1 = segment.front().attention.input, x2 = x1, last;
    for (auto [i, layer] : llvm::enumerate(segment)) {
      // Counted from the top, where rebuilding starts: every anchor-th layer's inputs are
      // kept, so the error 1/λ and 1/β multiply restarts from exact values there.
      size_t fromTop = segment.size() - 1 - i;
      anchored_ = anchor_ > 0 && fromTop % static_cast<size_t>(anchor_) ==
                                     static_cast<size_t>(anchor_) - 1;
      auto [y1, y2] = couple(layer, x1, x2);
      last = variant_.kind == Variant::Meft1 ? y1 : y2; // where the pretrained layer wrote
      std::tie(x1, x2) = variant_.swap ? std::pair{y2, y1} : std::pair{y1, y2};
    }
    // The stream the pretrained layers wrote last carries the pretrained model's output (up
    // to λ and β); MEFT's mean of both streams also carries a state one block (meft3) or one
    // layer (meft1, meft2) earlier, which the pretrained head never saw.
    Value output = mean_ ? createInferred<ScaledAddOp>(b_, loc("reversible.output"), x1, x2,
                                                       APFloat(0.5), APFloat(0.5))
                               .getResult()
                         : last;
    top.replaceAllUsesWith(output);
    // The original layers now feed nothing.
    for (Operation &op : llvm::make_early_inc_range(llvm::reverse(func_.getBody().front())))
      if (isOpTriviallyDead(&op))
        op.erase();
    // So are meft1's last bottleneck adapter (G after the output is written) and the
    // coupling it fed: their parameters go too, rather than train with a zero gradient.
    for (unsigned i = func_.getNumArguments(); i-- > 0;)
      if (added_.contains(func_.getArgument(i)) && func_.getArgument(i).use_empty())
        (void)func_.eraseArgument(i);
  }

private:
  Location loc(const std::string &name) { return NameLoc::get(b_.getStringAttr(name)); }

  Operation *mark(Operation *op) {
    if (reconstruct_)
      op->setAttr(SlimDialect::kRecomputeAttrName, b_.getUnitAttr());
    return op;
  }

  // input + branch(input), the block's ops cloned onto a new input.
  Value block(ResidualBlock &block, Value input) {
    IRMapping map;
    map.map(block.input, input);
    for (Operation *op : block.ops)
      mark(b_.clone(*op, map));
    Value branch = map.lookupOrDefault(block.branchOutput());
    return mark(createInferred<AddOp>(b_, block.residual.getLoc(), input, branch))->getResult(0);
  }

  Value layer(Layer &l, Value input) { return block(l.mlp, block(l.attention, input)); }

  // A new trainable parameter before the step's inputs.
  Value param(const std::string &name, ArrayRef<int64_t> shape, Type element) {
    unsigned at = func_.getNumArguments();
    for (unsigned i = 0; i < func_.getNumArguments(); ++i)
      if (func_.getArgAttr(i, SlimDialect::kInputAttrName)) {
        at = i;
        break;
      }
    auto attr = ParamAttr::get(b_.getContext(), name, ParamRole::trainable);
    auto attrs = b_.getDictionaryAttr(b_.getNamedAttr(SlimDialect::kParamAttrName, attr));
    (void)func_.insertArgument(at, RankedTensorType::get(shape, element), attrs, func_.getLoc());
    added_.insert(func_.getArgument(at));
    return func_.getArgument(at);
  }

  // MEFT's bottleneck adapter: up(act(down(h))), with biases, the model's activation.
  Value adapter(Layer &l, Value h) {
    auto type = cast<RankedTensorType>(h.getType());
    int64_t c = type.getShape().back(), r = bottleneck_;
    Type f32 = type.getElementType();
    std::string prefix = l.name + ".meft_adapter.";
    Value downW = param(prefix + "down.weight", {r, c}, f32), downB = param(prefix + "down.bias", {r}, f32);
    Value upW = param(prefix + "up.weight", {c, r}, f32), upB = param(prefix + "up.bias", {c}, f32);
    Location at = loc(l.module + ".meft_adapter");
    Value d = mark(createInferred<LinearOp>(b_, at, h, downW, downB, WeightLayout::out_in))->getResult(0);
    Operation *act = nullptr;
    for (Operation *op : l.mlp.ops)
      if (isa<SiluOp, GeluOp>(op))
        act = op;
    if (auto gelu = dyn_cast_or_null<GeluOp>(act))
      d = mark(createInferred<GeluOp>(b_, at, d, gelu.getApproximateAttr()))->getResult(0);
    else
      d = mark(createInferred<SiluOp>(b_, at, d))->getResult(0);
    return mark(createInferred<LinearOp>(b_, at, d, upW, upB, WeightLayout::out_in))->getResult(0);
  }

  // y1 = λ·x1 + F(x2), y2 = β·x2 + G(y1).
  std::pair<Value, Value> couple(Layer &l, Value x1, Value x2) {
    auto coupling = [&](Value skip, Value update, double scale, const char *name) {
      auto op = createInferred<ScaledAddOp>(b_, loc(l.module + ".reversible." + name), skip, update,
                                            APFloat(scale), APFloat(1.0));
      if (reconstruct_ && !anchored_)
        op->setAttr(SlimDialect::kReconstructAttrName, b_.getUnitAttr());
      return op.getResult();
    };
    Value f, y1, g;
    switch (variant_.kind) {
    case Variant::Meft1:
      f = layer(l, x2);
      y1 = coupling(x1, f, variant_.lambda, "y1");
      g = adapter(l, y1);
      break;
    case Variant::Meft2:
      f = adapter(l, x2);
      y1 = coupling(x1, f, variant_.lambda, "y1");
      g = layer(l, y1);
      break;
    case Variant::Meft3:
      f = block(l.attention, x2);
      y1 = coupling(x1, f, variant_.lambda, "y1");
      g = block(l.mlp, y1);
      break;
    }
    return {y1, coupling(x2, g, variant_.beta, "y2")};
  }

  func::FuncOp func_;
  OpBuilder b_;
  Variant variant_;
  int64_t bottleneck_;
  bool mean_;
  int64_t anchor_;
  bool reconstruct_;
  bool anchored_ = false; // the layer being built keeps its inputs
  DenseSet<Value> added_;  // the adapters' parameters
};

struct ReversiblePass : public mlir::slim::impl::SlimReversibleBase<ReversiblePass> {
  using SlimReversibleBase::SlimReversibleBase;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal() || !func.getBody().hasOneBlock())
      return;
    if (!func.getOps<StashOp>().empty()) {
      func.emitError() << "slim-reversible: runs on a forward graph, before slim-autodiff (this "
                          "one already has stashes)";
      return signalPassFailure();
    }
    FailureOr<Variant> v = parseVariant(variant, lambda, beta);
    if (failed(v)) {
      func.emitError() << "slim-reversible: variant must be meft1, meft2 or meft3, got '"
                       << variant << "'";
      return signalPassFailure();
    }
    for (auto [name, value] : {std::pair{"lambda", v->lambda}, {"beta", v->beta}})
      if (!std::isfinite(value) || std::fabs(value) < 1e-3 || std::fabs(value) > 1e3) {
        func.emitError() << "slim-reversible: " << name << " must be in [1e-3, 1e3] in magnitude "
                         << "(the backward divides by it), got " << value;
        return signalPassFailure();
      }
    if (bottleneck < 1 || bottleneck > (int64_t(1) << 20)) {
      func.emitError() << "slim-reversible: bottleneck must be in [1, 2^20], got "
                       << static_cast<int64_t>(bottleneck);
      return signalPassFailure();
    }
    if (output != "stream" && output != "mean") {
      func.emitError() << "slim-reversible: output must be stream or mean, got '" << output << "'";
      return signalPassFailure();
    }
    if (anchor < 0) {
      func.emitError() << "slim-reversible: anchor must be >= 0, got " << static_cast<int64_t>(anchor);
      return signalPassFailure();
    }
    FailureOr<SmallVector<Layer>> found = findLayers(func);
    if (failed(found))
      return signalPassFailure();
    int64_t total = static_cast<int64_t>(found->size());
    int64_t count = layers < 0 ? total : layers;
    if (count > total) {
      func.emitError() << "slim-reversible: layers=" << static_cast<int64_t>(layers)
                       << " but the model has " << total;
      return signalPassFailure();
    }
    if (count == 0)
      return;
    Rewriter(func, *v, bottleneck, output == "mean", anchor, reconstruct)
        .run(MutableArrayRef<Layer>(*found).take_back(static_cast<size_t>(count)));
  }
};

} // namespace
