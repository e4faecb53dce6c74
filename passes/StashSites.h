//===- StashSites.h - choosing stashes by site ---------------------------------------------===//
//
// The approximating passes take `sites=PATTERN,...`: glob patterns (`*`, `?`, `[..]`) over
// StashOp::getSite(), e.g. `model.layers.*.mlp.gate_proj:add` or `model.layers.0.*`. A stash
// qualifies when its site matches one of them; no patterns: every stash. `slimtune fidelity`
// uses them to approximate one site (or one kind of site) at a time.
//
//===-------------------------------------------------------------------------------------===//

#ifndef SLIMTUNE_PASSES_STASHSITES_H
#define SLIMTUNE_PASSES_STASHSITES_H

#include "dialects/slim/SlimOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/Support/GlobPattern.h"

#include <string>
#include <vector>

namespace mlir::slim {

class SitePatterns {
public:
  // Compiles `patterns`; a malformed one is reported on `func` naming `pass`.
  static FailureOr<SitePatterns> parse(ArrayRef<std::string> patterns, func::FuncOp func,
                                       StringRef pass);
  bool matches(StashOp stash) const;

private:
  std::vector<llvm::GlobPattern> patterns_;
};

} // namespace mlir::slim

#endif // SLIMTUNE_PASSES_STASHSITES_H
