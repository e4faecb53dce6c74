//===- Cli.cpp - what every slimtune subcommand shares -----------------------------------===//

#include "Cli.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/raw_ostream.h"

#include <sstream>

namespace slimtune::cli {

int fail(const std::string &message) {
  llvm::errs() << "slimtune: error: " << message << "\n";
  return 1;
}

int fail(const Status &status) { return fail(status.message()); }

void warn(const std::string &message) { llvm::errs() << "slimtune: warning: " << message << "\n"; }

std::string number(double value) {
  std::ostringstream os;
  os << value;
  return os.str();
}

Expected<int64_t> positiveInteger(const std::string &name, const std::string &text) {
  if (text.empty())
    return Status::error("--" + name + " is required");
  int64_t value = 0;
  if (llvm::StringRef(text).getAsInteger(10, value) || value <= 0)
    return Status::error("--" + name + " must be a positive integer, got '" + text + "'");
  return value;
}

Expected<LoadedModel> loadModel(const std::string &modelPath, const std::string &adapterPath) {
  LoadedModel loaded;
  SLIMTUNE_TRY(source, ModelSource::open(modelPath));
  loaded.source = std::move(source);
  for (const std::string &w : loaded.source->warnings())
    warn(w);
  if (adapterPath.empty())
    return loaded;
  std::vector<std::string> warnings;
  auto config = parseAdapterConfig(adapterPath, warnings);
  for (const std::string &w : warnings)
    warn(w);
  if (!config)
    return config.status();
  warnings.clear();
  auto adapted = resolveAdapters(*config, loaded.source->spec(), warnings);
  for (const std::string &w : warnings)
    warn(w);
  if (!adapted)
    return adapted.status();
  loaded.adapter = config.take();
  loaded.adapted = adapted.take();
  return loaded;
}

} // namespace slimtune::cli
