//===- MemoryAccount.cpp - what a planned step holds, by category and over its schedule ----===//

#include "compiler/memory/MemoryAccount.h"

#include "dialects/slim/LossOps.h"
#include "dialects/slim/SlimOps.h"
#include "passes/ArenaPlanner.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/raw_ostream.h"

#include <map>

using namespace mlir;
using namespace mlir::slim;

namespace slimtune::memory {

const char *categoryName(Category category) {
  switch (category) {
  case Category::FrozenWeights:
    return "frozen weights";
  case Category::TrainableParams:
    return "trainable params";
  case Category::Gradients:
    return "gradients";
  case Category::OptimizerState:
    return "optimizer state";
  case Category::Stashed:
    return "stashed activations";
  case Category::Workspace:
    return "workspace";
  }
  return "?";
}

int64_t runtimeBytes(int64_t bytes) { return std::max<int64_t>(64, (bytes + 63) / 64 * 64); }

namespace {

// The category of an argument, by the attribute the runtime binds it by.
Category argumentCategory(func::FuncOp step, unsigned i) {
  if (auto param = step.getArgAttrOfType<ParamAttr>(i, SlimDialect::kParamAttrName))
    return param.isTrainable() ? Category::TrainableParams : Category::FrozenWeights;
  if (step.getArgAttr(i, SlimDialect::kStateAttrName))
    return Category::OptimizerState;
  return Category::Workspace; // tokens, targets, the step counter
}

std::string producerOf(Value v) {
  Operation *def = v.getDefiningOp();
  return def ? def->getName().getStringRef().str() : "argument";
}

// What an arena buffer holds, and a label naming it among the largest at the peak.
std::pair<Category, std::string> classify(const ArenaBuffer &buffer) {
  if (buffer.workspaceOf)
    return {Category::Workspace, buffer.workspaceOf->getName().getStringRef().str() + " scratch"};
  for (Value v : buffer.values) {
    if (isEncoded(v)) {
      Value stashed = v.getDefiningOp<StashOp>().getInput();
      return {Category::Stashed, "stashed " + producerOf(stashed) + " results (encoded)"};
    }
    for (Operation *user : v.getUsers()) {
      if (auto stash = dyn_cast<StashOp>(user); stash && !stash.getEncodingAttr())
        return {Category::Stashed, "stashed " + producerOf(v) + " results"};
      if (auto adamw = dyn_cast<AdamWOp>(user); adamw && adamw.getGrad() == v)
        return {Category::Gradients, "parameter gradients"};
    }
  }
  return {Category::Workspace, producerOf(buffer.values.front()) + " results"};
}

} // namespace

MemoryAccount accountMemory(func::FuncOp step) {
  MemoryAccount account;
  if (auto remat = step->getAttrOfType<DictionaryAttr>(slim::SlimDialect::kRematAttrName)) {
    if (auto n = remat.getAs<IntegerAttr>("candidates"))
      account.rematCandidates = n.getInt();
    if (auto chosen = remat.getAs<ArrayAttr>("chosen"))
      for (Attribute name : chosen)
        if (auto text = dyn_cast<StringAttr>(name))
          account.recomputed.push_back(text.str());
  }
  MemoryPlan plan = planMemory(step);
  const int64_t ops = static_cast<int64_t>(plan.schedule.size());
  const int64_t points = std::max<int64_t>(ops, 1);
  std::array<std::vector<int64_t>, kCategoryCount> live;
  for (auto &series : live)
    series.assign(points, 0);
  // Constant over the step: arguments and outputs, each a buffer of the runtime's.
  std::array<int64_t, kCategoryCount> constant{};
  for (unsigned i = 0; i < step.getNumArguments(); ++i) {
    const Category category = argumentCategory(step, i);
    const int64_t bytes = runtimeBytes(tensorBytes(step.getArgumentTypes()[i]));
    constant[static_cast<int>(category)] += bytes;
    if (category == Category::FrozenWeights || category == Category::TrainableParams) {
      std::string type;
      llvm::raw_string_ostream os(type);
      Type element = cast<RankedTensorType>(step.getArgumentTypes()[i]).getElementType();
      if (auto blocks = dyn_cast<slim::BlocksType>(element))
        os << slim::stringifyBlockFormat(blocks.getFormat()); // q8_0, q4_0, q4_1
      else
        os << element;
      account.parameterBytesByType[os.str()] += bytes;
    }
  }
  for (unsigned i = 0; i < step.getNumResults(); ++i) {
    if (step.getResultAttr(i, SlimDialect::kUpdatesAttrName))
      continue; // written in place of its argument
    Category c = step.getResultAttr(i, SlimDialect::kGradAttrName) ? Category::Gradients
                                                                   : Category::Workspace;
    constant[static_cast<int>(c)] += runtimeBytes(tensorBytes(step.getResultTypes()[i]));
  }
  // Arena buffers, live from their first definition to their last use.
  std::vector<std::pair<Category, std::string>> kinds;
  for (const ArenaBuffer &buffer : plan.buffers) {
    kinds.push_back(classify(buffer));
    auto &series = live[static_cast<int>(kinds.back().first)];
    for (int64_t at = buffer.start; at <= std::min(buffer.end, points - 1); ++at)
      series[at] += buffer.bytes;
  }
  // The peak of the arena's live bytes; the arena may be larger (fragmentation).
  int64_t peakAt = 0, peakLive = -1;
  for (int64_t at = 0; at < points; ++at) {
    int64_t total = 0;
    for (auto &series : live)
      total += series[at];
    if (total > peakLive)
      peakLive = total, peakAt = at;
  }

  account.arenaBytes = plan.arenaBytes;
  account.peak = runtimeBytes(plan.arenaBytes);
  for (int64_t c : constant)
    account.peak += c;
  int64_t assigned = 0;
  for (int c = 0; c < kCategoryCount; ++c) {
    if (c == static_cast<int>(Category::Workspace))
      continue;
    account.atPeak[c] = constant[c] + live[c][peakAt];
    assigned += account.atPeak[c];
  }
  account.atPeak[static_cast<int>(Category::Workspace)] = account.peak - assigned;

  // Stashes by the kind of op whose result they keep.
  std::map<std::string, StashGroup> groups;
  for (Operation *op : plan.schedule)
    if (auto stash = dyn_cast<StashOp>(op)) {
      StashGroup &g = groups[producerOf(stash.getInput())];
      g.producer = producerOf(stash.getInput());
      ++g.count;
      g.bytes += stash.getStoredBytes();
      account.stashedBytes += stash.getStoredBytes();
    }
  for (auto &[name, group] : groups)
    account.stashByProducer.push_back(group);
  llvm::stable_sort(account.stashByProducer,
                    [](const StashGroup &a, const StashGroup &b) { return a.bytes > b.bytes; });

  // The timeline: every category over the schedule, the largest contributors at the peak.
  MemoryTimeline &timeline = account.timeline;
  for (int c = 0; c < kCategoryCount; ++c) {
    TimelineSeries series{categoryName(static_cast<Category>(c)), live[c]};
    for (int64_t &bytes : series.bytes)
      bytes += constant[c];
    timeline.series.push_back(std::move(series));
  }
  timeline.peakAt = peakAt;
  timeline.peakBytes = account.peak;
  for (auto [at, op] : llvm::enumerate(plan.schedule))
    if (isTrainingLoss(op))
      timeline.backwardStart = static_cast<int64_t>(at);
  std::map<std::string, int64_t> byLabel;
  for (int c = 0; c < kCategoryCount; ++c)
    if (constant[c] > 0 && c != static_cast<int>(Category::Workspace) &&
        c != static_cast<int>(Category::Gradients))
      byLabel[categoryName(static_cast<Category>(c))] += constant[c];
  for (auto [i, buffer] : llvm::enumerate(plan.buffers))
    if (buffer.start <= peakAt && peakAt <= buffer.end)
      byLabel[kinds[i].second] += buffer.bytes;
  for (auto &[label, bytes] : byLabel)
    timeline.topContributors.push_back({label, bytes});
  llvm::stable_sort(timeline.topContributors,
                    [](const TimelineContributor &a, const TimelineContributor &b) {
                      return a.bytes > b.bytes;
                    });
  if (timeline.topContributors.size() > 5)
    timeline.topContributors.resize(5);
  return account;
}

} // namespace slimtune::memory
