//===- StashSites.cpp - choosing stashes by site -------------------------------------------===//

#include "passes/StashSites.h"

#include "llvm/Support/Error.h"

namespace mlir::slim {

FailureOr<SitePatterns> SitePatterns::parse(ArrayRef<std::string> patterns, func::FuncOp func,
                                            StringRef pass) {
  SitePatterns result;
  for (const std::string &text : patterns) {
    auto pattern = llvm::GlobPattern::create(text);
    if (!pattern) {
      func.emitError() << pass << ": sites: '" << text
                       << "' is not a glob pattern: " << llvm::toString(pattern.takeError());
      return failure();
    }
    result.patterns_.push_back(std::move(*pattern));
  }
  return result;
}

bool SitePatterns::matches(StashOp stash) const {
  if (patterns_.empty())
    return true;
  std::string site = stash.getSite();
  return llvm::any_of(patterns_, [&](const llvm::GlobPattern &p) { return p.match(site); });
}

} // namespace mlir::slim
