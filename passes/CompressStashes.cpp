//===- CompressStashes.cpp - slim-compress-stashes ---------------------------------------===//
//
// Mesa (TECHNIQUES.md §1): values stashed for the backward are kept as b-bit codes with an
// fp32 step and minimum per group of `group` consecutive elements; the forward is untouched
// (it reads the exact values before they are stashed), the backward reads the decoded ones.
// The pass only sets each qualifying stash's `#slim.quant` encoding; planning gives the codes
// a buffer of their own (the exact value's buffer then dies at its last forward use) and code
// generation calls the runtime's quantize/dequantize kernels.
//
// Which stashes qualify (the policy): float stashes of at least `min-bytes` whose last
// dimension `group` divides, not already encoded. Integer stashes (Approx-BP's 2-bit flags,
// token ids) are already cheaper than any code, and small ones (attention's per-row
// logsumexp) are not worth their error.
//
//===-------------------------------------------------------------------------------------===//

#include "passes/Passes.h"

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
    if (*rangeMode == QuantRange::ema) {
      // The EMA needs a range per site carried from step to step (state the runtime would
      // bind, update and checkpoint); until then, refuse rather than quietly use the batch's.
      func.emitError() << "slim-compress-stashes: range=ema is not supported yet; use "
                          "range=batch (each group's range from the current batch)";
      return signalPassFailure();
    }
    auto encoding = QuantEncodingAttr::getChecked(
        [&] { return func.emitError() << "slim-compress-stashes: "; }, func.getContext(),
        static_cast<unsigned>(bits), static_cast<int64_t>(group), *roundingMode, *rangeMode);
    if (!encoding)
      return signalPassFailure();

    func.walk([&](StashOp stash) {
      auto type = stash.getInput().getType();
      if (stash.getEncodingAttr() || !type.getElementType().isF32() || !type.hasStaticShape() ||
          stash.getStoredBytes() < static_cast<int64_t>(minBytes))
        return;
      if (type.getRank() == 0 || type.getShape().back() % static_cast<int64_t>(group) != 0) {
        stash.emitRemark() << "slim-compress-stashes: left exact: group " << static_cast<int64_t>(group)
                           << " does not divide the last dimension of " << type;
        return;
      }
      stash.setEncodingAttr(encoding);
    });
  }
};

} // namespace
