//===- MemoryReport.cpp - compile's memory report, timeline picture and budget -------------===//

#include "MemoryReport.h"

#include "passes/ArenaPlanner.h"
#include "slimtune/atomic_file.h"
#include "slimtune/progress.h"

#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/Format.h"

#include <map>

namespace slimtune::cli {

using memory::Category;

PassMemoryRow rowFor(const std::string &pass, mlir::func::FuncOp step) {
  memory::MemoryAccount account = memory::accountMemory(step);
  return {pass, account.stashedBytes, account.peak};
}

void PassMemoryRecorder::runAfterPass(mlir::Pass *pass, mlir::Operation *op) {
  // Pass adaptors (the implicit nesting into func.func) run on the module: skip them.
  auto step = llvm::dyn_cast<mlir::func::FuncOp>(op);
  if (step && mlir::slim::isPlannable(step) && !pass->getArgument().empty())
    rows_.push_back(rowFor(pass->getArgument().str(), step));
}

namespace {
// slim-remat's choice in a few lines: single ops by kind (their names are layer:op), whole
// layers by name, a long run of them as its first and last.
std::vector<std::string> rematSummary(const std::vector<std::string> &names) {
  std::map<std::string, int64_t> opsByKind;
  std::vector<std::string> layers;
  for (const std::string &name : names) {
    size_t colon = name.rfind(':');
    if (colon == std::string::npos)
      layers.push_back(name);
    else
      ++opsByKind[name.substr(colon + 1, name.find('#', colon) - colon - 1)];
  }
  std::vector<std::string> lines;
  if (!opsByKind.empty()) {
    std::string line = "single ops:";
    for (const auto &[kind, n] : opsByKind)
      line += " " + kind + " x" + std::to_string(n);
    lines.push_back(line);
  }
  if (!layers.empty()) {
    std::string line = "whole layers (" + std::to_string(layers.size()) + "): ";
    if (layers.size() <= 4)
      for (size_t i = 0; i < layers.size(); ++i)
        line += (i ? ", " : "") + layers[i];
    else
      line += layers.front() + ", " + layers[1] + ", ..., " + layers.back();
    lines.push_back(line);
  }
  return lines;
}
} // namespace

void printMemoryReport(llvm::raw_ostream &os, const std::string &pipeline,
                       const std::vector<PassMemoryRow> &rows,
                       const memory::MemoryAccount &account) {
  os << "memory report\n";
  os << "pipeline: " << pipeline << "\n";
  os << llvm::format("%-28s %18s %18s %12s\n", static_cast<const char *>("after pass"),
                     static_cast<const char *>("stashed bytes"),
                     static_cast<const char *>("planned peak"), static_cast<const char *>("peak"));
  for (const PassMemoryRow &row : rows)
    os << llvm::format("%-28s %18lld %18lld %12s\n", row.pass.c_str(),
                       static_cast<long long>(row.stashed), static_cast<long long>(row.peak),
                       formatBytes(row.peak).c_str());
  os << "stashed bytes by op kind (" << account.stashedBytes << " bytes in all)\n";
  for (const memory::StashGroup &group : account.stashByProducer)
    os << llvm::format("  %-26s %8lld stashes %18lld bytes %12s\n", group.producer.c_str(),
                       static_cast<long long>(group.count), static_cast<long long>(group.bytes),
                       formatBytes(group.bytes).c_str());
  if (account.rematCandidates >= 0) {
    // slim-remat's choice, cheapest first: whole layers by name, single ops as layer:op.
    os << "recomputed in the backward (slim-remat): " << account.recomputed.size() << " of "
       << account.rematCandidates << " candidates\n";
    for (const std::string &line : rematSummary(account.recomputed))
      os << "  " << line << "\n";
  }
  os << "parameters by element type:";
  for (const auto &[type, bytes] : account.parameterBytesByType)
    os << " " << type << " " << bytes << " bytes";
  os << "\n";
  for (int c = 0; c < memory::kCategoryCount; ++c)
    os << memory::categoryName(static_cast<Category>(c)) << ": " << account.atPeak[c]
       << " bytes\n";
  os << "peak: " << account.peak << " bytes\n";
}

namespace {

// The passes (by flag) that shrink a category.
std::vector<std::string> passesReducing(Category category) {
  if (category == Category::Stashed)
    return {"slim-share-norm-stash", "slim-compress-stashes", "slim-approx-activation-grad",
            "slim-remat"};
  return {};
}

// What else shrinks a category, whatever the passes.
const char *otherRemedy(Category category) {
  switch (category) {
  case Category::FrozenWeights:
    return "a smaller base model";
  case Category::TrainableParams:
  case Category::Gradients:
  case Category::OptimizerState:
    return "a smaller adapter rank or fewer target modules";
  default:
    return "a smaller batch or sequence length";
  }
}

} // namespace

std::string memoryBudgetError(int64_t budget, const memory::MemoryAccount &account) {
  if (account.peak <= budget)
    return "";
  std::string message = "the plan needs " + std::to_string(account.peak) + " bytes (" +
                        formatBytes(account.peak) + "), over the memory budget of " +
                        std::to_string(budget) + " bytes (" + formatBytes(budget) + ") by " +
                        std::to_string(account.peak - budget) + " bytes; largest: ";
  std::vector<int> order;
  for (int c = 0; c < memory::kCategoryCount; ++c)
    order.push_back(c);
  std::stable_sort(order.begin(), order.end(),
                   [&](int a, int b) { return account.atPeak[a] > account.atPeak[b]; });
  std::string remedies;
  for (int i = 0; i < 3; ++i) {
    Category c = static_cast<Category>(order[i]);
    message += std::string(i ? ", " : "") + memory::categoryName(c) + " " +
               formatBytes(account.atPeak[order[i]]);
    if (c == Category::Stashed && !account.stashByProducer.empty())
      message += " (most from " + account.stashByProducer.front().producer + ")";
    std::vector<std::string> passes = passesReducing(c);
    std::string fix;
    for (const std::string &p : passes)
      fix += (fix.empty() ? "" : ", ") + p;
    fix += (fix.empty() ? "" : ", or ") + std::string(otherRemedy(c));
    remedies += std::string(i ? "; " : "") + memory::categoryName(c) + ": " + fix;
  }
  if (account.rematCandidates > 0 &&
      static_cast<int64_t>(account.recomputed.size()) == account.rematCandidates)
    message += "; even with every one of the " + std::to_string(account.rematCandidates) +
               " candidates of slim-remat recomputed";
  return message + "; to reduce them: " + remedies;
}

Status writeMemoryTimeline(const std::string &path, const memory::MemoryTimeline &timeline) {
  std::string svg = memory::renderTimelineSvg(timeline);
  if (Status s = writeFileAtomically(path, {{svg.data(), svg.size()}}); !s)
    return Status::error("--memory-timeline: " + s.message());
  return Status::ok();
}

} // namespace slimtune::cli
