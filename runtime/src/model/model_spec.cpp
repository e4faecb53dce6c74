// Building a ModelSpec from a config: where each weight of a LLaMA or GPT-2 decoder lives in a
// Hugging Face checkpoint or a GGUF file, and its Hugging Face module path.
#include "model/model_spec_builders.h"

#include <cstdio>

namespace slimtune {
namespace {

// A real number as a person reads it: 0, -1, 1e-05, nan.
std::string formatReal(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", value);
  return text;
}

std::string layerPath(const std::string &prefix, int64_t i) { return prefix + std::to_string(i) + "."; }

LinearSpec linear(std::string module, std::string weight, std::string bias, WeightLayout layout,
                  int64_t in, int64_t out, int64_t layer) {
  return {std::move(module), std::move(weight), std::move(bias), layout, in, out, layer};
}

} // namespace

Status checkConfigLimits(const ModelConfig &c, const std::string &source) {
  // Every source funnels through here, so a value no kernel can use (an epsilon of 0 divides
  // by zero on a zero row; one below fp32's range rounds to 0 in the kernels) stops here, once,
  // whatever file it came from. The kernels take these as fp32.
  if (!(c.normEps >= 1e-30 && c.normEps <= 1))
    return Status::error(source + ": the norm epsilon is " + formatReal(c.normEps) +
                         "; it must be a number in [1e-30, 1]");
  if (c.family == ModelFamily::Llama && !(c.ropeTheta >= 1e-30 && c.ropeTheta <= 1e30))
    return Status::error(source + ": the RoPE base (rope_theta, rope.freq_base) is " + formatReal(c.ropeTheta) +
                         "; it must be a positive number below 1e30");
  struct Limit {
    const char *what;
    int64_t value, max;
  };
  for (const Limit &l : {Limit{"layers", c.numLayers, 1024}, Limit{"hidden size", c.hiddenSize, 1 << 17},
                         Limit{"FFN size", c.intermediateSize, 1 << 20},
                         Limit{"attention heads", c.numHeads, 1024},
                         Limit{"key-value heads", c.numKvHeads, 1024},
                         Limit{"head size", c.headDim, 1 << 12},
                         Limit{"vocabulary size", c.vocabSize, 1 << 24},
                         Limit{"positions", c.maxPositions, 1 << 24}})
    if (l.value > l.max)
      return Status::error(source + ": " + l.what + " " + std::to_string(l.value) +
                           " is beyond slimtune's limit of " + std::to_string(l.max));
  return Status::ok();
}

const char *familyName(ModelFamily family) {
  return family == ModelFamily::Llama ? "llama" : "gpt2";
}

std::vector<const LinearSpec *> ModelSpec::linears() const {
  std::vector<const LinearSpec *> all;
  for (const LayerSpec &l : layers) {
    for (const LinearSpec *s : {&l.q, &l.k, &l.v, &l.qkv, &l.o, &l.gate, &l.up, &l.down})
      if (!s->weight.empty())
        all.push_back(s);
  }
  all.push_back(&lmHead);
  return all;
}

ModelSpec buildLlamaSpec(const ModelConfig &c, TensorNaming naming) {
  bool gguf = naming == TensorNaming::Gguf;
  ModelSpec spec;
  spec.config = c;
  int64_t C = c.hiddenSize, D = c.headDim, F = c.intermediateSize;
  int64_t qOut = c.numHeads * D, kvOut = c.numKvHeads * D;
  spec.tokenEmbedding = gguf ? "token_embd.weight" : "model.embed_tokens.weight";
  for (int64_t i = 0; i < c.numLayers; ++i) {
    std::string hf = layerPath("model.layers.", i);
    std::string g = layerPath("blk.", i);
    // Tensor names of a HF module (path under the layer) or its GGUF counterpart.
    auto name = [&](const std::string &hfModule, const std::string &ggufName,
                    const char *suffix) {
      return gguf ? g + ggufName + "." + suffix : hf + hfModule + "." + suffix;
    };
    auto proj = [&](const std::string &module, const std::string &ggufName, int64_t in,
                    int64_t out, bool bias) {
      return linear(hf + module, name(module, ggufName, "weight"),
                    bias ? name(module, ggufName, "bias") : "", WeightLayout::OutIn, in, out, i);
    };
    LayerSpec l;
    l.attnNorm.weight = name("input_layernorm", "attn_norm", "weight");
    l.mlpNorm.weight = name("post_attention_layernorm", "ffn_norm", "weight");
    l.q = proj("self_attn.q_proj", "attn_q", C, qOut, c.attentionBias);
    l.k = proj("self_attn.k_proj", "attn_k", C, kvOut, c.attentionBias);
    l.v = proj("self_attn.v_proj", "attn_v", C, kvOut, c.attentionBias);
    l.o = proj("self_attn.o_proj", "attn_output", qOut, C, c.attentionBias);
    l.gate = proj("mlp.gate_proj", "ffn_gate", C, F, c.mlpBias);
    l.up = proj("mlp.up_proj", "ffn_up", C, F, c.mlpBias);
    l.down = proj("mlp.down_proj", "ffn_down", F, C, c.mlpBias);
    spec.layers.push_back(std::move(l));
  }
  spec.finalNorm.weight = gguf ? "output_norm.weight" : "model.norm.weight";
  std::string head = c.tiedEmbeddings ? spec.tokenEmbedding
                                      : (gguf ? "output.weight" : "lm_head.weight");
  spec.lmHead = linear("lm_head", head, "", WeightLayout::OutIn, C, c.vocabSize, -1);
  return spec;
}

ModelSpec buildGpt2Spec(const ModelConfig &c, TensorNaming naming, const std::string &hfPrefix) {
  bool gguf = naming == TensorNaming::Gguf;
  ModelSpec spec;
  spec.config = c;
  int64_t C = c.hiddenSize, F = c.intermediateSize;
  spec.tokenEmbedding = gguf ? "token_embd.weight" : hfPrefix + "wte.weight";
  spec.positionEmbedding = gguf ? "position_embd.weight" : hfPrefix + "wpe.weight";
  // llama.cpp's converter transposes GPT-2's Conv1D weights to [out, in].
  WeightLayout layout = gguf ? WeightLayout::OutIn : WeightLayout::InOut;
  for (int64_t i = 0; i < c.numLayers; ++i) {
    // PEFT names GPT2LMHeadModel's modules "transformer.h.<i>...." whatever the file prefix.
    std::string module = "transformer.h." + std::to_string(i) + ".";
    std::string hf = hfPrefix + layerPath("h.", i);
    std::string g = layerPath("blk.", i);
    auto name = [&](const std::string &hfName, const std::string &ggufName, const char *suffix) {
      return gguf ? g + ggufName + "." + suffix : hf + hfName + "." + suffix;
    };
    auto proj = [&](const std::string &hfName, const std::string &ggufName, int64_t in,
                    int64_t out) {
      return linear(module + hfName, name(hfName, ggufName, "weight"),
                    name(hfName, ggufName, "bias"), layout, in, out, i);
    };
    LayerSpec l;
    l.attnNorm = {name("ln_1", "attn_norm", "weight"), name("ln_1", "attn_norm", "bias")};
    l.mlpNorm = {name("ln_2", "ffn_norm", "weight"), name("ln_2", "ffn_norm", "bias")};
    l.qkv = proj("attn.c_attn", "attn_qkv", C, 3 * C);
    l.o = proj("attn.c_proj", "attn_output", C, C);
    l.up = proj("mlp.c_fc", "ffn_up", C, F);
    l.down = proj("mlp.c_proj", "ffn_down", F, C);
    spec.layers.push_back(std::move(l));
  }
  spec.finalNorm = gguf ? NormSpec{"output_norm.weight", "output_norm.bias"}
                        : NormSpec{hfPrefix + "ln_f.weight", hfPrefix + "ln_f.bias"};
  std::string head = c.tiedEmbeddings ? spec.tokenEmbedding
                                      : (gguf ? "output.weight" : "lm_head.weight");
  spec.lmHead = linear("lm_head", head, "", WeightLayout::OutIn, C, c.vocabSize, -1);
  return spec;
}

std::vector<std::pair<std::string, std::vector<int64_t>>> expectedWeights(const ModelSpec &spec) {
  const ModelConfig &c = spec.config;
  std::vector<std::pair<std::string, std::vector<int64_t>>> weights;
  auto vec = [&](const std::string &name, int64_t n) {
    if (!name.empty())
      weights.push_back({name, {n}});
  };
  auto lin = [&](const LinearSpec &l) {
    if (l.weight.empty())
      return;
    if (l.layout == WeightLayout::OutIn)
      weights.push_back({l.weight, {l.out, l.in}});
    else
      weights.push_back({l.weight, {l.in, l.out}});
    vec(l.bias, l.out);
  };
  weights.push_back({spec.tokenEmbedding, {c.vocabSize, c.hiddenSize}});
  if (!spec.positionEmbedding.empty())
    weights.push_back({spec.positionEmbedding, {c.maxPositions, c.hiddenSize}});
  for (const LayerSpec &l : spec.layers) {
    vec(l.attnNorm.weight, c.hiddenSize);
    vec(l.attnNorm.bias, c.hiddenSize);
    for (const LinearSpec *s : {&l.q, &l.k, &l.v, &l.qkv, &l.o})
      lin(*s);
    vec(l.mlpNorm.weight, c.hiddenSize);
    vec(l.mlpNorm.bias, c.hiddenSize);
    for (const LinearSpec *s : {&l.gate, &l.up, &l.down})
      lin(*s);
  }
  vec(spec.finalNorm.weight, c.hiddenSize);
  vec(spec.finalNorm.bias, c.hiddenSize);
  if (!c.tiedEmbeddings)
    lin(spec.lmHead);
  return weights;
}

Status checkWeights(const ModelSpec &spec, const std::string &file, const std::string &source,
                    const std::function<const std::vector<int64_t> *(const std::string &)> &shapeOf) {
  for (const auto &[name, expected] : expectedWeights(spec)) {
    const std::vector<int64_t> *shape = shapeOf(name);
    if (!shape)
      return Status::error(file + ": tensor \"" + name + "\" is missing (" + source +
                           " describes a " + familyName(spec.config.family) + " model with " +
                           std::to_string(spec.config.numLayers) + " layers)");
    if (*shape != expected)
      return Status::error(file + ": tensor \"" + name + "\" has shape " + shapeString(*shape) +
                           ", but " + source + " implies " + shapeString(expected));
  }
  return Status::ok();
}

} // namespace slimtune
