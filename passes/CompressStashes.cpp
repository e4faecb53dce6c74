//===- CompressStashes.cpp - slim-compress-stashes ---------------------------------------===//
//
// Mesa (docs/techniques.md, Mesa): values stashed for the backward are kept as b-bit codes with an
// fp32 step and minimum per group of `group` consecutive elements; the forward is untouched
// (it reads the exact values before they are stashed), the backward reads the decoded ones.
// The pass only sets each qualifying stash's `#slim.quant` encoding; planning gives the codes
// a buffer of their own (the exact value's buffer then dies at its last forward use) and code
// generation calls the runtime's quantize/dequantize kernels.
//
// With range=ema each encoded stash also gets its moving range (Mesa's EMA per site and
// channel group) as a new step argument, read and updated in place by the quantize kernel.
//
// Which stashes qualify (the policy): float stashes of at least `min-bytes`, not already
// encoded, and made by one of `producers` when given. A row whose width `group` does not
// divide ends in a shorter group (a model of width 48 is compressed too).
// Integer stashes (Approx-BP's 2-bit flags, token ids) are already cheaper than any code, and
// small ones (attention's per-row logsumexp) are not worth their error.
//
//===-------------------------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "passes/StashSites.h"

namespace mlir::slim {
#define GEN_PASS_DEF_SLIMCOMPRESSSTASHES
#include "passes/Passes.h.inc"
} // namespace mlir::slim

using namespace mlir;
using namespace mlir::slim;

namespace {

struct CompressStashesPass
    : public mlir::slim::impl::SlimCompressStashesBase<CompressStashesPass> {
  using SlimCompressStashesBase::SlimCompressStashesBase;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    std::optional<Rounding> roundingMode = symbolizeRounding(rounding);
    std::optional<QuantRange> rangeMode = symbolizeQuantRange(range);
    if (!roundingMode) {
      func.emitError() << "slim-compress-stashes: rounding must be nearest or stochastic, got '"
                       << rounding << "'";
      return signalPassFailure();
    }
    if (!rangeMode) {
      func.emitError() << "slim-compress-stashes: range must be batch or ema, got '" << range
                       << "'";
      return signalPassFailure();
    }
    for (const std::string &name : producers)
      if (!RegisteredOperationName::lookup(name, func.getContext())) {
        func.emitError() << "slim-compress-stashes: producers: '" << name
                         << "' is not an op (e.g. slim.silu)";
        return signalPassFailure();
      }
    auto chosenSites = SitePatterns::parse(sites, func, "slim-compress-stashes");
    if (failed(chosenSites))
      return signalPassFailure();
    auto encoding = QuantEncodingAttr::getChecked(
        [&] { return func.emitError() << "slim-compress-stashes: "; }, func.getContext(),
        static_cast<unsigned>(bits), static_cast<int64_t>(group), *roundingMode, *rangeMode,
        RangeDecay{static_cast<double>(decay)});
    if (!encoding)
      return signalPassFailure();

    func.walk([&](StashOp stash) {
      auto type = stash.getInput().getType();
      if (stash.getEncodingAttr() || !type.getElementType().isF32() || !type.hasStaticShape() ||
          stash.getStoredBytes() < static_cast<int64_t>(minBytes) || !chosenProducer(stash) ||
          !chosenSites->matches(stash))
        return;
      if (type.getRank() == 0)
        return; // a scalar: nothing to group
      // A reversible segment's stream (made by or entering slim-reversible's couplings): the
      // backward recomputes layers from it and rebuilds layers below, multiplying any error
      // in it by 1/λ or 1/β per layer.
      Value kept = stash.getInput();
      if (kept.getDefiningOp<ScaledAddOp>() ||
          llvm::any_of(kept.getUsers(), [](Operation *user) { return isa<ScaledAddOp>(user); }))
        return;
      // The stream a recomputed layer starts from (slim-remat): the whole layer's values
      // would be recomputed from the code's error.
      if (Operation *def = kept.getDefiningOp(); def && def->hasAttr(SlimDialect::kCheckpointAttrName))
        return;
      stash.setEncodingAttr(encoding);
      if (*rangeMode == QuantRange::ema)
        stash.getRangeStateMutable().assign(addRangeState(func, stash, type, rangeStates++));
    });
  }

  // Whether `producers` (empty: every op) names the op that made the stashed value.
  bool chosenProducer(StashOp stash) {
    if (producers.empty())
      return true;
    Operation *def = stash.getInput().getDefiningOp();
    return def && llvm::is_contained(producers, def->getName().getStringRef().str());
  }

  // The moving range of one stash site: a step argument ([channels / group, 2]: minimum,
  // maximum) named "stash<site>.range", which the runtime keeps with the optimizer state,
  // checkpoints and restores, so a resumed run quantizes as the uninterrupted one would.
  BlockArgument addRangeState(func::FuncOp func, StashOp stash, RankedTensorType type,
                              int64_t site) {
    OpBuilder b(func.getContext());
    auto stateType = RankedTensorType::get(
        {cast<QuantEncodingAttr>(stash.getEncodingAttr()).getGroupsPerRow(type.getShape().back()), 2},
        b.getF32Type());
    unsigned index = func.getNumArguments();
    func.insertArgument(index, stateType,
                        b.getDictionaryAttr(b.getNamedAttr(
                            SlimDialect::kStateAttrName,
                            b.getStringAttr("stash" + std::to_string(site) + ".range"))),
                        func.getLoc());
    return func.getArgument(index);
  }

  int64_t rangeStates = 0;
};

} // namespace
