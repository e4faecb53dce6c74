// Hugging Face config.json for the LLaMA and GPT-2 families. A setting that would change the
// model's math and that slimtune does not implement (RoPE scaling, cross-attention, ...) is an
// error naming the key; base-model dropout, which slimtune does not apply, is a warning.
#include "model/model_spec_builders.h"

#include "formats/json_input.h"

#include <cmath>

namespace slimtune {
namespace {
using json = nlohmann::json;

Status checkRope(const JsonFields<> &f, ModelConfig &c) {
  // Older files: rope_theta + rope_scaling; newer: rope_parameters {rope_type, rope_theta}.
  SLIMTUNE_TRY(theta, f.number("rope_theta", 10000.0));
  c.ropeTheta = theta;
  for (const char *key : {"rope_scaling", "rope_parameters"}) {
    const json *rope = f.get(key);
    if (!rope || rope->is_null())
      continue;
    if (!rope->is_object())
      return f.error(key, "must be an object, got " + rope->dump());
    JsonFields<> r(*rope, f.file());
    SLIMTUNE_TRY(type, r.string("rope_type", ""));
    if (type.empty()) {
      SLIMTUNE_TRY(legacy, r.string("type", "default"));
      type = legacy;
    }
    if (type != "default")
      return f.error(key, "has rope_type \"" + type +
                              "\", which slimtune does not support (only \"default\")");
    if (r.hasValue("rope_theta")) {
      SLIMTUNE_TRY(t, r.number("rope_theta", theta));
      c.ropeTheta = t;
    }
  }
  return Status::ok();
}

Status parseTokens(const JsonFields<> &f, ModelConfig &c) {
  SLIMTUNE_TRY(bos, f.intOrIntList("bos_token_id"));
  SLIMTUNE_TRY(eos, f.intOrIntList("eos_token_id"));
  SLIMTUNE_TRY(pad, f.intOrIntList("pad_token_id"));
  if (!bos.empty())
    c.bosTokenId = bos[0];
  c.eosTokenIds = eos;
  if (!pad.empty())
    c.padTokenId = pad[0];
  return Status::ok();
}

Expected<ModelConfig> parseLlama(const JsonFields<> &f, std::vector<std::string> &warnings) {
  ModelConfig c;
  c.family = ModelFamily::Llama;
  c.architecture = "LlamaForCausalLM";
  SLIMTUNE_TRY(vocab, f.positiveInt("vocab_size"));
  SLIMTUNE_TRY(hidden, f.positiveInt("hidden_size"));
  SLIMTUNE_TRY(ffn, f.positiveInt("intermediate_size"));
  SLIMTUNE_TRY(layers, f.positiveInt("num_hidden_layers"));
  SLIMTUNE_TRY(heads, f.positiveInt("num_attention_heads"));
  SLIMTUNE_TRY(kvHeads, f.positiveInt("num_key_value_heads", heads));
  if (heads % kvHeads != 0)
    return f.error("num_key_value_heads", "(" + std::to_string(kvHeads) +
                                              ") must divide num_attention_heads (" +
                                              std::to_string(heads) + ")");
  if (!f.hasValue("head_dim") && hidden % heads != 0)
    return f.error("hidden_size", "(" + std::to_string(hidden) +
                                      ") is not divisible by num_attention_heads (" +
                                      std::to_string(heads) + ")");
  SLIMTUNE_TRY(headDim, f.positiveInt("head_dim", hidden / heads));
  if (headDim % 2 != 0)
    return f.error("head_dim", "must be even for rotary embeddings, got " + std::to_string(headDim));
  SLIMTUNE_TRY(positions, f.positiveInt("max_position_embeddings", 2048));
  SLIMTUNE_TRY(eps, f.number("rms_norm_eps", 1e-6));
  SLIMTUNE_TRY(tied, f.boolean("tie_word_embeddings", false));
  SLIMTUNE_TRY(attnBias, f.boolean("attention_bias", false));
  SLIMTUNE_TRY(mlpBias, f.boolean("mlp_bias", false));
  SLIMTUNE_TRY(act, f.string("hidden_act", "silu"));
  if (act != "silu" && act != "swish")
    return f.error("hidden_act", "is \"" + act + "\"; the LLaMA family here uses \"silu\"");
  SLIMTUNE_TRY(attnDropout, f.number("attention_dropout", 0.0));
  if (attnDropout != 0.0)
    warnings.push_back(f.file() + ": attention_dropout " + std::to_string(attnDropout) +
                       " is not applied; slimtune trains without dropout in the base model");
  c.vocabSize = vocab;
  c.hiddenSize = hidden;
  c.intermediateSize = ffn;
  c.numLayers = layers;
  c.numHeads = heads;
  c.numKvHeads = kvHeads;
  c.headDim = headDim;
  c.maxPositions = positions;
  c.normEps = eps;
  c.tiedEmbeddings = tied;
  c.attentionBias = attnBias;
  c.mlpBias = mlpBias;
  c.activation = "silu";
  if (Status s = checkRope(f, c); !s)
    return s;
  if (Status s = parseTokens(f, c); !s)
    return s;
  return c;
}

Expected<ModelConfig> parseGpt2(const JsonFields<> &f, std::vector<std::string> &warnings) {
  ModelConfig c;
  c.family = ModelFamily::Gpt2;
  c.architecture = "GPT2LMHeadModel";
  SLIMTUNE_TRY(vocab, f.positiveInt("vocab_size"));
  SLIMTUNE_TRY(positions, f.positiveInt("n_positions"));
  SLIMTUNE_TRY(hidden, f.positiveInt("n_embd"));
  SLIMTUNE_TRY(layers, f.positiveInt("n_layer"));
  SLIMTUNE_TRY(heads, f.positiveInt("n_head"));
  if (hidden % heads != 0)
    return f.error("n_embd", "(" + std::to_string(hidden) + ") is not divisible by n_head (" +
                                 std::to_string(heads) + ")");
  SLIMTUNE_TRY(inner, f.positiveInt("n_inner", 4 * hidden));
  SLIMTUNE_TRY(eps, f.number("layer_norm_epsilon", 1e-5));
  SLIMTUNE_TRY(tied, f.boolean("tie_word_embeddings", true));
  SLIMTUNE_TRY(act, f.string("activation_function", "gelu_new"));
  if (act == "gelu_new" || act == "gelu_pytorch_tanh" || act == "gelu_fast")
    c.activation = "gelu_tanh";
  else if (act == "gelu")
    c.activation = "gelu";
  else
    return f.error("activation_function",
                   "is \"" + act + "\"; slimtune supports gelu_new, gelu_pytorch_tanh and gelu");
  SLIMTUNE_TRY(scaleAttn, f.boolean("scale_attn_weights", true));
  SLIMTUNE_TRY(byLayer, f.boolean("scale_attn_by_inverse_layer_idx", false));
  if (byLayer)
    return f.error("scale_attn_by_inverse_layer_idx", "is true, which slimtune does not support");
  SLIMTUNE_TRY(cross, f.boolean("add_cross_attention", false));
  if (cross)
    return f.error("add_cross_attention", "is true; slimtune trains decoder-only models");
  std::vector<std::string> dropouts;
  for (const char *key : {"resid_pdrop", "embd_pdrop", "attn_pdrop"}) {
    SLIMTUNE_TRY(p, f.number(key, 0.1));
    if (p != 0.0)
      dropouts.push_back(std::string(key) + " " + std::to_string(p));
  }
  if (!dropouts.empty()) {
    std::string list;
    for (const std::string &d : dropouts)
      list += (list.empty() ? "" : ", ") + d;
    warnings.push_back(f.file() + ": dropout (" + list +
                       ") is not applied; slimtune trains without dropout in the base model");
  }
  c.vocabSize = vocab;
  c.maxPositions = positions;
  c.hiddenSize = hidden;
  c.numLayers = layers;
  c.numHeads = heads;
  c.numKvHeads = heads;
  c.headDim = hidden / heads;
  c.intermediateSize = inner;
  c.normEps = eps;
  c.tiedEmbeddings = tied;
  c.attentionScale = scaleAttn ? 0.0 : 1.0;
  if (Status s = parseTokens(f, c); !s)
    return s;
  return c;
}
} // namespace

Expected<ModelConfig> parseHfConfig(const std::string &path, std::vector<std::string> &warnings) {
  SLIMTUNE_TRY(text, readSmallFile(path));
  return parseHfConfigText(text, path, warnings);
}

Expected<ModelConfig> parseHfConfigText(const std::string &text, const std::string &path,
                                        std::vector<std::string> &warnings) {
  auto parsed = parseJsonStrict(text.data(), text.data() + text.size());
  if (!parsed)
    return Status::error(path + ": " + parsed.status().message());
  if (!parsed->is_object())
    return Status::error(path + ": not a JSON object");
  JsonFields<> f(*parsed, path);
  SLIMTUNE_TRY(type, f.string("model_type", ""));
  if (type.empty()) {
    // Old files name only the class.
    const json *archs = f.get("architectures");
    if (archs && archs->is_array() && !archs->empty() && (*archs)[0].is_string()) {
      std::string arch = (*archs)[0].get<std::string>();
      type = arch.rfind("Llama", 0) == 0 ? "llama" : arch.rfind("GPT2", 0) == 0 ? "gpt2" : arch;
    }
  }
  if (type == "llama" || type == "gpt2") {
    auto config = type == "llama" ? parseLlama(f, warnings) : parseGpt2(f, warnings);
    if (config)
      if (Status s = checkConfigLimits(*config, path); !s)
        return s;
    return config;
  }
  return f.error("model_type", type.empty() ? std::string("is missing")
                                            : "is \"" + type + "\"; slimtune supports llama and gpt2");
}

} // namespace slimtune
