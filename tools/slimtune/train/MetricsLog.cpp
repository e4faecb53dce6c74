//===- MetricsLog.cpp - JSON Lines metrics ------------------------------------------------===//

#include "MetricsLog.h"

#include <cerrno>
#include <cstring>

namespace slimtune::cli {

MetricsLog::~MetricsLog() {
  if (file_)
    std::fclose(file_);
}

Status MetricsLog::open(const std::string &path, bool append) {
  path_ = path;
  if (path.empty())
    return Status::ok();
  file_ = std::fopen(path.c_str(), append ? "a" : "w");
  if (!file_)
    return Status::error(path + ": cannot open for writing: " + std::strerror(errno));
  return Status::ok();
}

Status MetricsLog::write(const nlohmann::json &record) {
  if (!file_)
    return Status::ok();
  std::string line = record.dump() + "\n";
  if (std::fwrite(line.data(), 1, line.size(), file_) != line.size() || std::fflush(file_) != 0)
    return Status::error(path_ + ": cannot write: " + std::strerror(errno));
  return Status::ok();
}

} // namespace slimtune::cli
