// Which modules a LoRA config adapts: PEFT 0.17's check_target_module_exists, applied to the
// module tree that transformers builds for the model (LlamaForCausalLM / GPT2LMHeadModel), so
// targets that PEFT would reject (an embedding, a norm, a container) are rejected here too.
#include "slimtune/adapter.h"

#include <cmath>
#include <cstdio>

namespace slimtune {
namespace {

struct Module {
  std::string name;
  const LinearSpec *linear; // null for modules LoRA cannot wrap
  const char *kind;         // what it is, with its article, for messages
};

// named_modules() of the Hugging Face model class, with the linear layers tied to the spec.
std::vector<Module> moduleTree(const ModelSpec &spec) {
  std::vector<Module> tree;
  auto other = [&](std::string name, const char *kind) { tree.push_back({std::move(name), nullptr, kind}); };
  auto linear = [&](const LinearSpec &l) { tree.push_back({l.module, &l, "a linear layer"}); };
  other("", "the whole model");
  if (spec.config.family == ModelFamily::Llama) {
    other("model", "the decoder stack");
    other("model.embed_tokens", "an embedding");
    other("model.layers", "the layer list");
    for (size_t i = 0; i < spec.layers.size(); ++i) {
      const LayerSpec &l = spec.layers[i];
      std::string p = "model.layers." + std::to_string(i);
      other(p, "a decoder layer");
      other(p + ".self_attn", "an attention block");
      for (const LinearSpec *s : {&l.q, &l.k, &l.v, &l.o})
        linear(*s);
      other(p + ".mlp", "an MLP block");
      for (const LinearSpec *s : {&l.gate, &l.up, &l.down})
        linear(*s);
      other(p + ".mlp.act_fn", "an activation");
      other(p + ".input_layernorm", "an RMSNorm");
      other(p + ".post_attention_layernorm", "an RMSNorm");
    }
    other("model.norm", "an RMSNorm");
    other("model.rotary_emb", "the rotary embedding");
  } else {
    other("transformer", "the decoder stack");
    other("transformer.wte", "an embedding");
    other("transformer.wpe", "an embedding");
    other("transformer.drop", "a dropout");
    other("transformer.h", "the layer list");
    for (size_t i = 0; i < spec.layers.size(); ++i) {
      const LayerSpec &l = spec.layers[i];
      std::string p = "transformer.h." + std::to_string(i);
      other(p, "a decoder layer");
      other(p + ".ln_1", "a LayerNorm");
      other(p + ".attn", "an attention block");
      linear(l.qkv);
      linear(l.o);
      other(p + ".attn.attn_dropout", "a dropout");
      other(p + ".attn.resid_dropout", "a dropout");
      other(p + ".ln_2", "a LayerNorm");
      other(p + ".mlp", "an MLP block");
      linear(l.up);
      linear(l.down);
      other(p + ".mlp.act", "an activation");
      other(p + ".mlp.dropout", "a dropout");
    }
    other("transformer.ln_f", "a LayerNorm");
  }
  linear(spec.lmHead);
  return tree;
}

bool endsWithComponent(const std::string &key, const std::string &target) {
  return key.size() > target.size() && key.compare(key.size() - target.size(), target.size(), target) == 0 &&
         key[key.size() - target.size() - 1] == '.';
}

bool inList(const std::vector<std::string> &list, const std::string &key) {
  for (const std::string &t : list)
    if (key == t || endsWithComponent(key, t))
      return true;
  return false;
}

// PEFT's layer index: the last ".<name>.<digits>." of the key (greedy regex), with <name>
// restricted to layers_pattern when given.
std::optional<int64_t> layerIndex(const std::string &key, const std::vector<std::string> &patterns) {
  std::vector<std::string> regexes;
  if (patterns.empty())
    regexes.push_back(R"(.*\.[^.]*\.(\d+)\.)");
  for (const std::string &p : patterns)
    regexes.push_back(".*\\." + p + "\\.(\\d+)\\.");
  for (const std::string &r : regexes) {
    auto regex = Regex::compile(r);
    if (!regex)
      continue; // an invalid layers_pattern matches nothing, as in PEFT it raises on use
    if (auto index = regex->matchPrefix(key, 1))
      return std::stoll(*index);
  }
  return std::nullopt;
}

bool targeted(const AdapterConfig &c, const Module &m, const std::vector<std::string> &defaults) {
  if (c.excludeRegex ? c.excludeRegex->fullMatch(m.name) : inList(c.excludeList, m.name))
    return false;
  switch (c.targets) {
  case AdapterConfig::Targets::AllLinear:
    return m.linear && m.name != "lm_head"; // PEFT leaves the output layer out
  case AdapterConfig::Targets::Regex:
    return c.targetRegex->fullMatch(m.name);
  case AdapterConfig::Targets::Default:
  case AdapterConfig::Targets::List: {
    const std::vector<std::string> &list =
        c.targets == AdapterConfig::Targets::List ? c.targetList : defaults;
    for (const std::string &t : list)
      if (m.name == t)
        return true; // an exact name skips the layer filter, as in PEFT
    if (!inList(list, m.name))
      return false;
    if (!c.layersToTransform || c.layersToTransform->empty())
      return true;
    auto index = layerIndex(m.name, c.layersPattern);
    if (!index)
      return false;
    for (int64_t wanted : *c.layersToTransform)
      if (wanted == *index)
        return true;
    return false;
  }
  }
  return false;
}

std::string describeTargets(const AdapterConfig &c, const std::vector<std::string> &defaults) {
  switch (c.targets) {
  case AdapterConfig::Targets::AllLinear:
    return "\"all-linear\"";
  case AdapterConfig::Targets::Regex:
    return "\"" + c.targetRegex->pattern() + "\"";
  default: {
    std::string s = "[";
    for (const std::string &t : c.targets == AdapterConfig::Targets::List ? c.targetList : defaults)
      s += (s.size() > 1 ? ", \"" : "\"") + t + "\"";
    return s + "]" + (c.targets == AdapterConfig::Targets::Default ? " (the default)" : "");
  }
  }
}
} // namespace

Expected<std::vector<AdaptedLinear>> resolveAdapters(const AdapterConfig &c, const ModelSpec &spec,
                                                     std::vector<std::string> &warnings) {
  bool gpt2 = spec.config.family == ModelFamily::Gpt2;
  // PEFT's TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING.
  std::vector<std::string> defaults = gpt2 ? std::vector<std::string>{"c_attn"}
                                           : std::vector<std::string>{"q_proj", "v_proj"};
  // PEFT would quietly match nothing in a layer the model does not have; that is a mistake in
  // the config (a layer count from another model), so it is named as one.
  if (c.layersToTransform)
    for (int64_t layer : *c.layersToTransform)
      if (layer >= static_cast<int64_t>(spec.layers.size()))
        return Status::error(c.path + ": layers_to_transform names layer " + std::to_string(layer) +
                             ", but this " + familyName(spec.config.family) + " model has " +
                             std::to_string(spec.layers.size()) + " layers (0 to " +
                             std::to_string(spec.layers.size() - 1) + ")");
  std::vector<AdaptedLinear> adapted;
  for (const Module &m : moduleTree(spec)) {
    if (!targeted(c, m, defaults))
      continue;
    if (!m.linear)
      return Status::error(c.path + ": target_modules " + describeTargets(c, defaults) +
                           " matches \"" + m.name + "\", " + m.kind +
                           "; LoRA adapts linear layers only");
    int64_t rank = c.r;
    double alpha = c.alpha;
    for (const auto &[pattern, value] : c.rankPattern)
      if (pattern.matchPrefix(m.name)) {
        rank = value;
        break;
      }
    for (const auto &[pattern, value] : c.alphaPattern)
      if (pattern.matchPrefix(m.name)) {
        alpha = value;
        break;
      }
    double scale = c.useRslora ? alpha / std::sqrt(static_cast<double>(rank)) : alpha / rank;
    // The kernels take the scale as fp32: beyond 1e30 it is infinite or overflows at once.
    if (!(std::fabs(scale) <= 1e30))
    {
      char text[96];
      std::snprintf(text, sizeof text, "lora_alpha %g gives a scale of %g", alpha, scale);
      return Status::error(c.path + ": " + text + " for \"" + m.name +
                           "\"; it must be at most 1e30 in magnitude");
    }
    std::string prefix = "base_model.model." + m.name;
    adapted.push_back({m.linear, rank, alpha, scale, prefix + ".lora_A.weight", prefix + ".lora_B.weight"});
  }
  if (adapted.empty())
    return Status::error(c.path + ": target_modules " + describeTargets(c, defaults) +
                         " matches no linear layer of this " + familyName(spec.config.family) +
                         " model");
  // PEFT overrides fan_in_fan_out to the layer type's value with a warning; so do we.
  bool anyConv1D = false;
  for (const AdaptedLinear &a : adapted)
    anyConv1D |= a.linear->module != "lm_head";
  if (gpt2 && anyConv1D && !c.fanInFanOut)
    warnings.push_back(c.path + ": fan_in_fan_out is false but GPT-2's layers are Conv1D; "
                                "treating it as true, as PEFT does");
  if (!gpt2 && c.fanInFanOut)
    warnings.push_back(c.path + ": fan_in_fan_out is true but the layers are nn.Linear; "
                                "treating it as false, as PEFT does");
  return adapted;
}

} // namespace slimtune
