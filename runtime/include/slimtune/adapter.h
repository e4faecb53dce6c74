// LoRA adapter configuration as PEFT writes it (adapter_config.json), and which linear layers
// of a model it adapts, with what rank and scale. Matching follows PEFT 0.17 exactly
// (target_modules / exclude_modules / layers_to_transform / rank_pattern / alpha_pattern).
// A key that would change the math and that slimtune does not implement is an error naming
// it; harmless unknown keys are warnings.
#ifndef SLIMTUNE_ADAPTER_H
#define SLIMTUNE_ADAPTER_H

#include "slimtune/model.h"
#include "slimtune/regex.h"
#include "slimtune/status.h"

#include <optional>
#include <string>
#include <vector>

namespace slimtune {

enum class LoraInit { KaimingUniform, Gaussian, NoInit };

struct AdapterConfig {
  std::string path;
  int64_t r = 8;
  double alpha = 8;
  double dropout = 0;
  bool useRslora = false;
  bool fanInFanOut = false;
  LoraInit init = LoraInit::KaimingUniform;
  std::string baseModel; // base_model_name_or_path, informational

  // target_modules: absent (the family's default), a list, a regex, or "all-linear".
  enum class Targets { Default, List, Regex, AllLinear } targets = Targets::Default;
  std::vector<std::string> targetList;
  std::optional<Regex> targetRegex;
  std::vector<std::string> excludeList;
  std::optional<Regex> excludeRegex;
  std::optional<std::vector<int64_t>> layersToTransform;
  std::vector<std::string> layersPattern;
  // In file order: the first key that matches a module decides.
  std::vector<std::pair<Regex, int64_t>> rankPattern;
  std::vector<std::pair<Regex, double>> alphaPattern;
};

// Reads and validates adapter_config.json. Warnings (unknown keys, ...) are appended.
Expected<AdapterConfig> parseAdapterConfig(const std::string &path,
                                           std::vector<std::string> &warnings);
// The file's text, as parseAdapterConfig reads it (for a caller that keeps the text too).
Expected<std::string> readAdapterConfigFile(const std::string &path);
// The same from the file's text; `path` labels errors.
Expected<AdapterConfig> parseAdapterConfigText(const std::string &text, const std::string &path,
                                               std::vector<std::string> &warnings);

// One adapted linear layer.
struct AdaptedLinear {
  const LinearSpec *linear;
  int64_t rank;
  double alpha;
  double scale;      // alpha / rank, or alpha / sqrt(rank) with rsLoRA
  std::string loraA; // PEFT tensor names: base_model.model.<module>.lora_A.weight
  std::string loraB;
};

// The linear layers `config` adapts in `spec`, in model order. Errors when a target matches a
// module slimtune cannot adapt (an embedding, a norm, a container) or matches nothing.
Expected<std::vector<AdaptedLinear>> resolveAdapters(const AdapterConfig &config,
                                                     const ModelSpec &spec,
                                                     std::vector<std::string> &warnings);

} // namespace slimtune

#endif // SLIMTUNE_ADAPTER_H
