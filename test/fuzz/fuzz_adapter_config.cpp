// libFuzzer target: adapter_config.json parsing and, for accepted configs, target resolution
// (PEFT's matching rules and user regexes) against a small LLaMA and a small GPT-2.
#include "model/model_spec_builders.h"
#include "slimtune/adapter.h"

#include <cstddef>
#include <cstdint>
#include <string>

namespace {
slimtune::ModelSpec tinyModel(slimtune::ModelFamily family) {
  slimtune::ModelConfig c;
  c.family = family;
  c.vocabSize = 64;
  c.hiddenSize = 32;
  c.intermediateSize = 64;
  c.numLayers = 3;
  c.numHeads = 4;
  c.numKvHeads = family == slimtune::ModelFamily::Llama ? 2 : 4;
  c.headDim = 8;
  c.maxPositions = 64;
  return family == slimtune::ModelFamily::Llama
             ? slimtune::buildLlamaSpec(c, slimtune::TensorNaming::HuggingFace)
             : slimtune::buildGpt2Spec(c, slimtune::TensorNaming::HuggingFace);
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const slimtune::ModelSpec llama = tinyModel(slimtune::ModelFamily::Llama);
  static const slimtune::ModelSpec gpt2 = tinyModel(slimtune::ModelFamily::Gpt2);
  std::vector<std::string> warnings;
  auto config = slimtune::parseAdapterConfigText(
      std::string(reinterpret_cast<const char *>(data), size), "adapter_config.json", warnings);
  if (!config)
    return 0;
  (void)slimtune::resolveAdapters(*config, llama, warnings);
  (void)slimtune::resolveAdapters(*config, gpt2, warnings);
  return 0;
}
