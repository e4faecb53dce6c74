// A model to fine-tune, independent of how it is stored: its hyperparameters, where each
// weight lives (tensor names in the file), the Hugging Face module path of each linear layer
// (which PEFT adapters are named and targeted by), and access to the weights as fp32.
// Sources: a Hugging Face folder (config.json + safetensors) or a GGUF file.
#ifndef SLIMTUNE_MODEL_H
#define SLIMTUNE_MODEL_H

#include "slimtune/ggml_types.h"
#include "slimtune/status.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace slimtune {

enum class ModelFamily { Llama, Gpt2 };

struct ModelConfig {
  ModelFamily family = ModelFamily::Llama;
  std::string architecture; // as the source names it: "LlamaForCausalLM", "gpt2", ...
  int64_t vocabSize = 0;
  int64_t hiddenSize = 0;
  int64_t intermediateSize = 0;
  int64_t numLayers = 0;
  int64_t numHeads = 0;
  int64_t numKvHeads = 0;
  int64_t headDim = 0;
  int64_t maxPositions = 0;
  double normEps = 1e-5;
  double ropeTheta = 10000.0;    // LLaMA
  bool tiedEmbeddings = false;   // the LM head reuses the token embedding
  bool attentionBias = false;    // LLaMA q/k/v/o biases
  bool mlpBias = false;          // LLaMA gate/up/down biases
  std::string activation;        // "silu", "gelu" (erf) or "gelu_tanh"
  double attentionScale = 0;     // 0: 1/sqrt(head_dim)
  std::optional<int64_t> bosTokenId;
  std::vector<int64_t> eosTokenIds;
  std::optional<int64_t> padTokenId;
};

enum class WeightLayout { OutIn, InOut };

// One linear layer: y = x·Wᵀ + b (OutIn) or x·W + b (InOut).
struct LinearSpec {
  std::string module;  // Hugging Face module path, e.g. "model.layers.0.self_attn.q_proj"
  std::string weight;  // tensor name in the source
  std::string bias;    // "" when there is none
  WeightLayout layout = WeightLayout::OutIn;
  int64_t in = 0, out = 0;
  int64_t layer = -1;  // decoder layer index; -1 outside the layers (the LM head)
};

struct NormSpec {
  std::string weight;
  std::string bias; // LayerNorm only
};

struct LayerSpec {
  NormSpec attnNorm, mlpNorm;
  LinearSpec q, k, v; // LLaMA
  LinearSpec qkv;     // GPT-2's fused projection
  LinearSpec o;
  LinearSpec gate;    // LLaMA
  LinearSpec up, down;
};

struct ModelSpec {
  ModelConfig config;
  std::string tokenEmbedding;
  std::string positionEmbedding; // GPT-2
  std::vector<LayerSpec> layers;
  NormSpec finalNorm;
  LinearSpec lmHead; // weight is the token embedding when tied

  // Every linear layer, in order: the modules an adapter may target.
  std::vector<const LinearSpec *> linears() const;
};

// A tensor as stored: what `inspect` lists.
struct StoredTensor {
  std::string name;
  std::string dtype; // "BF16", "Q4_1", ...
  std::vector<int64_t> shape;
  uint64_t bytes = 0;
  std::string file;
};

class ModelSource {
public:
  // Opens a Hugging Face folder (config.json + model.safetensors or its sharded index) or a
  // .gguf file, reads the architecture, and checks every weight against it.
  static Expected<std::unique_ptr<ModelSource>> open(const std::string &path);
  // A model given by config.json alone (`path`: the file or its folder), its weights drawn
  // from `seed` as Hugging Face initializes them: for benchmarks at real shapes without the
  // weights. The same seed gives the same weights on every machine.
  static Expected<std::unique_ptr<ModelSource>> openRandom(const std::string &path, uint64_t seed);
  virtual ~ModelSource() = default;

  const ModelSpec &spec() const { return spec_; }
  // "Hugging Face safetensors" or "GGUF v3".
  virtual std::string format() const = 0;
  virtual const std::vector<StoredTensor> &storedTensors() const = 0;
  // Reads a weight as fp32 in Hugging Face layout (GGUF: dequantized, q/k rows restored).
  virtual Status readF32(const std::string &name, std::vector<float> &out) const = 0;
  // A weight's blocks as the file stores them, in Hugging Face layout (GGUF's q/k rows
  // restored), when the file stores it as `type`; `out` left empty when it does not (the
  // caller then codes readF32's values itself).
  virtual Status readStoredBlocks(const std::string &name, GgmlType type,
                                  std::vector<uint8_t> &out) const {
    (void)name, (void)type;
    out.clear();
    return Status::ok();
  }
  const std::string &path() const { return path_; }
  // Settings of the source that slimtune reads but does not apply (e.g. base-model dropout).
  const std::vector<std::string> &warnings() const { return warnings_; }

protected:
  std::string path_;
  ModelSpec spec_;
  std::vector<std::string> warnings_;
};

// The weights `spec` expects, with their shapes (row-major): the source must hold each one.
std::vector<std::pair<std::string, std::vector<int64_t>>> expectedWeights(const ModelSpec &spec);

const char *familyName(ModelFamily family);

} // namespace slimtune

#endif // SLIMTUNE_MODEL_H
