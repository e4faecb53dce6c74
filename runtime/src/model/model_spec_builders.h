// Internal to the model sources: building a ModelSpec for a family and naming scheme, and
// checking a source's tensors against it.
#ifndef SLIMTUNE_MODEL_SPEC_BUILDERS_H
#define SLIMTUNE_MODEL_SPEC_BUILDERS_H

#include "slimtune/model.h"
#include "slimtune/tensor_view.h"

#include <functional>

namespace slimtune {

enum class TensorNaming { HuggingFace, Gguf };

ModelSpec buildLlamaSpec(const ModelConfig &config, TensorNaming naming);
// `hfPrefix` is "" or "transformer." (GPT-2 checkpoints come both ways).
ModelSpec buildGpt2Spec(const ModelConfig &config, TensorNaming naming,
                        const std::string &hfPrefix = "");

// Checks that every weight the spec expects exists with the expected shape; `source` names
// what the expectation comes from ("config.json", "GGUF metadata").
Status checkWeights(const ModelSpec &spec, const std::string &file, const std::string &source,
                    const std::function<const std::vector<int64_t> *(const std::string &)> &shapeOf);

// Checks that a config's sizes are within what any real model uses (and what slimtune can
// hold), before anything is allocated from them: a malformed file claiming 2^40 layers must
// give an error, not an allocation. `source` names the file for errors.
Status checkConfigLimits(const ModelConfig &config, const std::string &source);

// Parses a Hugging Face config.json (LLaMA or GPT-2 family). Settings slimtune does not apply
// but that leave the model usable (dropout) are reported in `warnings`.
Expected<ModelConfig> parseHfConfig(const std::string &path, std::vector<std::string> &warnings);
// The same from the file's text; `path` labels errors.
Expected<ModelConfig> parseHfConfigText(const std::string &text, const std::string &path,
                                        std::vector<std::string> &warnings);

} // namespace slimtune

#endif // SLIMTUNE_MODEL_SPEC_BUILDERS_H
