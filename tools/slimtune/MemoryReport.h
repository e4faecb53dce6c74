//===- MemoryReport.h - compile's memory report, timeline picture and budget ---------------===//

#ifndef SLIMTUNE_TOOLS_SLIMTUNE_MEMORYREPORT_H
#define SLIMTUNE_TOOLS_SLIMTUNE_MEMORYREPORT_H

#include "compiler/memory/MemoryAccount.h"
#include "slimtune/status.h"

#include "mlir/Pass/PassInstrumentation.h"
#include "llvm/Support/raw_ostream.h"

#include <string>
#include <vector>

namespace slimtune::cli {

// What the step looked like after one pass: the bytes it stashes and its planned peak.
struct PassMemoryRow {
  std::string pass; // the pass's flag, or "(input)" for the graph before any pass
  int64_t stashed = 0, peak = 0;
};

// Appends a row to `rows` after every pass that runs on the step function.
class PassMemoryRecorder : public mlir::PassInstrumentation {
public:
  explicit PassMemoryRecorder(std::vector<PassMemoryRow> &rows) : rows_(rows) {}
  void runAfterPass(mlir::Pass *pass, mlir::Operation *op) override;

private:
  std::vector<PassMemoryRow> &rows_;
};
PassMemoryRow rowFor(const std::string &pass, mlir::func::FuncOp step);

// The per-pass table, stashed bytes by op kind, then one line per category and `peak: N bytes`.
void printMemoryReport(llvm::raw_ostream &os, const std::string &pipeline,
                       const std::vector<PassMemoryRow> &rows,
                       const memory::MemoryAccount &account);

// "" when the plan fits `budget`; otherwise one line naming the largest contributors and the
// registered passes that would reduce them.
std::string memoryBudgetError(int64_t budget, const memory::MemoryAccount &account);

// Writes the timeline picture; errors name the file.
Status writeMemoryTimeline(const std::string &path, const memory::MemoryTimeline &timeline);

} // namespace slimtune::cli

#endif // SLIMTUNE_TOOLS_SLIMTUNE_MEMORYREPORT_H
