//===- MetricsLog.h - --log FILE.jsonl ----------------------------------------------------===//
//
// One JSON object per line: {"step": N, "loss": X, "grad_norm": G, "lr": L, "tokens": T,
// "tokens_per_s": R, "elapsed_s": S} for training steps and {"step": N, "val_loss": X,
// "val_tokens": T} for evaluations. Each line is flushed as it is written, so the file can be
// followed while training runs; a resumed run appends.
//
//===-------------------------------------------------------------------------------------===//

#ifndef SLIMTUNE_TOOLS_SLIMTUNE_TRAIN_METRICSLOG_H
#define SLIMTUNE_TOOLS_SLIMTUNE_TRAIN_METRICSLOG_H

#include "slimtune/status.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <string>

namespace slimtune::cli {

class MetricsLog {
public:
  MetricsLog() = default;
  ~MetricsLog();
  MetricsLog(const MetricsLog &) = delete;
  MetricsLog &operator=(const MetricsLog &) = delete;

  // No path: logging is off. `append` keeps what the file holds (a resumed run).
  Status open(const std::string &path, bool append);
  Status write(const nlohmann::json &record);

private:
  std::string path_;
  std::FILE *file_ = nullptr;
};

} // namespace slimtune::cli

#endif // SLIMTUNE_TOOLS_SLIMTUNE_TRAIN_METRICSLOG_H
