//===- TrainLoop.cpp - the training loop --------------------------------------------------===//

#include "TrainLoop.h"

#include "Interrupt.h"

#include "slimtune/checkpoint.h"
#include "slimtune/progress.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <sys/ioctl.h>
#include <unistd.h>

namespace slimtune::cli {
namespace {

using Clock = std::chrono::steady_clock;

int terminalWidth() {
  struct winsize size = {};
  if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 20)
    return size.ws_col;
  return 100;
}

bool utf8Terminal() {
  for (const char *name : {"LC_ALL", "LC_CTYPE", "LANG"})
    if (const char *value = std::getenv(name); value && *value) {
      std::string v = value;
      return v.find("UTF-8") != std::string::npos || v.find("utf8") != std::string::npos ||
             v.find("UTF8") != std::string::npos || v.find("utf-8") != std::string::npos;
    }
  return false;
}

// Where lines go: on a terminal a progress bar redrawn in place, with other lines printed
// above it; otherwise one plain line per step.
class Display {
public:
  Display() : terminal_(isatty(STDOUT_FILENO)), unicode_(utf8Terminal()) {}
  void step(const ProgressState &state) {
    if (terminal_) {
      bar_ = formatProgressBar(state, terminalWidth() - 1, unicode_);
      llvm::outs() << "\r" << bar_ << "\033[K";
    } else {
      llvm::outs() << formatStepLine(state) << "\n";
    }
    llvm::outs().flush();
  }
  void line(const std::string &text) {
    if (terminal_)
      llvm::outs() << "\r\033[K" << text << "\n" << bar_;
    else
      llvm::outs() << text << "\n";
    llvm::outs().flush();
  }
  // Redraws the bar with new figures (a validation loss); nothing to do in a log.
  void refresh(const ProgressState &state) {
    if (terminal_)
      step(state);
  }
  void finish() {
    if (terminal_ && !bar_.empty())
      llvm::outs() << "\n";
    bar_.clear();
  }

private:
  bool terminal_, unicode_;
  std::string bar_;
};

// The validation loss: the mean over every validation token of the first `evalBatches`
// batches (rows past the end of the split are padding and count for nothing).
Expected<std::pair<double, int64_t>> evaluate(Session &eval, const PackedDataset &data,
                                              const TrainPlan &plan) {
  int64_t batches = data.validationBatches(plan.batch);
  if (plan.evalBatches > 0)
    batches = std::min(batches, plan.evalBatches);
  std::vector<int32_t> inputs(plan.batch * plan.seq), targets(plan.batch * plan.seq);
  double sum = 0;
  int64_t tokens = 0;
  for (int64_t b = 0; b < batches; ++b) {
    int64_t rows = data.fillValidation(b, plan.batch, eval.ignoreIndex(), inputs.data(), targets.data());
    SLIMTUNE_TRY(result, eval.runStep(inputs.data(), targets.data()));
    sum += static_cast<double>(result.loss) * rows * plan.seq;
    tokens += rows * plan.seq;
  }
  return std::make_pair(sum / static_cast<double>(tokens), tokens);
}

std::string fixed(double value, int digits) {
  std::string out;
  llvm::raw_string_ostream(out) << llvm::format(("%." + std::to_string(digits) + "f").c_str(), value);
  return out;
}

// Keeps the newest `keep` checkpoints of the run.
void prune(const std::string &runFolder, int64_t keep) {
  std::vector<std::string> all = listCheckpoints(runFolder);
  std::error_code ec;
  for (size_t i = 0; i + keep < all.size(); ++i)
    std::filesystem::remove_all(all[i], ec);
}

} // namespace

int runTrainingLoop(TrainRun &run, MetricsLog &log) {
  const TrainPlan &plan = run.plan;
  Session &session = run.train;
  const int64_t first = session.stepCount();
  const int64_t rowTokens = plan.batch * plan.seq;
  std::vector<int32_t> inputs(rowTokens), targets(rowTokens);
  Display display;
  ProgressState state;
  state.totalSteps = plan.steps;
  double lastLoss = NAN, lastVal = NAN;

  // The device's measured peak: the evaluation step shares the training step's device (and
  // its arena and weights), so it counts once, both steps included.
  auto memory = [&] { return session.peakBytes(); };
  auto save = [&](int64_t step) -> Status {
    nlohmann::json trainer = {{"settings", run.settings.toJson()},
                              {"sequences_consumed", step * plan.batch},
                              {"data_fingerprint", run.data.fingerprint()},
                              {"loss", lastLoss},
                              {"val_loss", lastVal}};
    // An adapter trained in a rewritten model means something only there: export reads this.
    if (!run.modelRewrites.empty())
      trainer["model_rewrites"] = run.modelRewrites;
    std::string folder = checkpointFolder(run.runFolder, step);
    CheckpointContents contents;
    contents.step = step;
    contents.trainerJson = trainer.dump();
    contents.adapterConfig = run.adapterConfig;
    contents.baseModelPath = run.settings.get("model");
    if (Status s = saveCheckpoint(session, folder, contents); !s)
      return s;
    run.lastCheckpoint = folder;
    prune(run.runFolder, plan.keepCheckpoints);
    display.line("checkpoint: " + folder);
    return Status::ok();
  };
  auto failWithCheckpoint = [&](const std::string &message) {
    display.finish();
    return fail(message + (run.lastCheckpoint.empty()
                               ? std::string("; no checkpoint was saved")
                               : "; the last good checkpoint is " + run.lastCheckpoint));
  };

  // Validation loss at `step`: printed, logged and shown on the progress bar from then on.
  auto validate = [&](int64_t step) -> Status {
    auto val = evaluate(*run.eval, run.data, plan);
    if (!val)
      return Status::error("evaluation at step " + std::to_string(step) + ": " +
                           val.status().message());
    if (!std::isfinite(val->first))
      return Status::error("evaluation at step " + std::to_string(step) + ": the validation "
                           "loss is " + number(val->first) + "; stopping without saving");
    lastVal = val->first;
    state.valLoss = lastVal;
    display.line("eval step " + std::to_string(step) + "  val_loss " + fixed(lastVal, 4) + "  (" +
                 std::to_string(val->second) + " tokens)");
    if (step > first)
      display.refresh(state);
    return log.write({{"step", step}, {"val_loss", lastVal}, {"val_tokens", val->second}});
  };

  InterruptGuard interrupts;
  // A fresh run first measures the base model (the adapter starts as a no-op), so every later
  // validation loss has something to be compared with.
  if (run.eval && first == 0)
    if (Status st = validate(0); !st)
      return failWithCheckpoint(st.message());
  Clock::time_point start = Clock::now();
  for (int64_t s = first; s < plan.steps; ++s) {
    const int64_t step = s + 1;
    run.data.fillTrain(s * plan.batch, plan.batch, inputs.data(), targets.data());
    auto result = session.runStep(inputs.data(), targets.data());
    if (!result)
      return failWithCheckpoint("step " + std::to_string(step) + ": " + result.status().message());
    // A NaN can reach the gradients without reaching the loss (a weight only the backward
    // reads); the optimizer has then already written it into the adapter: stop before it
    // is saved, validated or trained further.
    if (!std::isfinite(result->loss) || !std::isfinite(result->gradNorm))
      return failWithCheckpoint("step " + std::to_string(step) + ": the " +
                                (std::isfinite(result->loss)
                                     ? "gradient norm is " + number(result->gradNorm)
                                     : "loss is " + number(result->loss)) +
                                "; stopping without saving (lower --lr?)");
    lastLoss = result->loss;
    double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    state.step = step;
    state.loss = result->loss;
    state.gradNorm = result->gradNorm;
    state.lr = result->lr;
    state.tokensPerSecond = (step - first) * rowTokens / elapsed;
    state.secondsLeft = elapsed / (step - first) * (plan.steps - step);
    state.memoryBytes = memory();
    display.step(state);
    if (Status st = log.write({{"step", step}, {"loss", result->loss}, {"grad_norm", result->gradNorm},
                               {"lr", result->lr}, {"tokens", step * rowTokens},
                               {"tokens_per_s", state.tokensPerSecond}, {"elapsed_s", elapsed}});
        !st)
      return failWithCheckpoint(st.message());

    const bool last = step == plan.steps;
    if (run.eval && ((plan.evalEvery && step % plan.evalEvery == 0) || last))
      if (Status st = validate(step); !st)
        return failWithCheckpoint(st.message());
    const bool interrupted = InterruptGuard::requested() != 0;
    if (!run.runFolder.empty() && ((plan.saveEvery && step % plan.saveEvery == 0) || last || interrupted))
      if (Status st = save(step); !st)
        return failWithCheckpoint("cannot save the checkpoint of step " + std::to_string(step) +
                                  ": " + st.message());
    if (interrupted && !last) {
      display.finish();
      llvm::outs() << "interrupted at step " << step << "/" << plan.steps;
      if (run.runFolder.empty())
        llvm::outs() << " (no --out: nothing saved)\n";
      else
        llvm::outs() << "; resume with: slimtune train --resume " << run.lastCheckpoint << "\n";
      llvm::outs().flush();
      return 128 + InterruptGuard::requested(); // as the shell reports a signal: 130, 143
    }
  }
  display.finish();
  llvm::outs() << "final loss: " << fixed(lastLoss, 6) << "\n";
  if (std::isfinite(lastVal))
    llvm::outs() << "validation loss: " << fixed(lastVal, 6) << "\n";
  llvm::outs() << "peak memory: " << memory() << " bytes\n";
  if (run.runFolder.empty())
    llvm::outs() << "nothing saved (no --out DIR)\n";
  return 0;
}

} // namespace slimtune::cli
