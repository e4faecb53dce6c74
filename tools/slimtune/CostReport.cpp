//===- CostReport.cpp - compile's FLOP count of a step ------------------------------------===//

#include "CostReport.h"

#include "dialects/slim/SlimOps.h"

#include "llvm/Support/Format.h"

#include <algorithm>
#include <map>
#include <string>

namespace slimtune::cli {

void printCostReport(llvm::raw_ostream &os, mlir::func::FuncOp step) {
  struct Kind {
    int64_t ops = 0, flops = 0;
  };
  std::map<std::string, Kind> kinds;
  int64_t total = 0;
  step.walk([&](mlir::slim::KernelOpInterface op) {
    int64_t flops = op.getMatmulFlops();
    if (flops == 0)
      return;
    Kind &k = kinds[op->getName().getStringRef().str()];
    k.ops += 1;
    k.flops += flops;
    total += flops;
  });
  os << "matrix-product FLOPs per step, by op (the compiler's count; elementwise ops not counted):\n";
  int width = 26; // the op names' column: the longest name's width
  for (const auto &[name, k] : kinds)
    width = std::max(width, static_cast<int>(name.size()));
  for (const auto &[name, k] : kinds)
    os << llvm::format("  %-*s %5lld ops %16lld FLOPs %6.2f%%\n", width, name.c_str(),
                       static_cast<long long>(k.ops), static_cast<long long>(k.flops),
                       total ? 100.0 * double(k.flops) / double(total) : 0.0);
  os << "flops: " << total << "\n";
}

} // namespace slimtune::cli
