// libFuzzer target: config.json parsing and, for accepted configs, the model spec built from
// them (its size is bounded by the config limits) and the weights it expects.
#include "model/model_spec_builders.h"

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::vector<std::string> warnings;
  auto config = slimtune::parseHfConfigText(
      std::string(reinterpret_cast<const char *>(data), size), "config.json", warnings);
  if (!config)
    return 0;
  // Keep the spec small enough to build quickly; limits already bound it.
  if (config->numLayers > 64)
    return 0;
  slimtune::ModelSpec spec = config->family == slimtune::ModelFamily::Llama
                                 ? slimtune::buildLlamaSpec(*config, slimtune::TensorNaming::HuggingFace)
                                 : slimtune::buildGpt2Spec(*config, slimtune::TensorNaming::HuggingFace);
  volatile size_t sink = slimtune::expectedWeights(spec).size() + spec.linears().size();
  (void)sink;
  return 0;
}
