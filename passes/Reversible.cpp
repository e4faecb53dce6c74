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

#include "passes/DecoderLayers.h"
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
    FailureOr<SmallVector<Layer>> found = findLayers(func, "slim-reversible");
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
