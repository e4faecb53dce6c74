// adapter_config.json (PEFT LoraConfig) reader. Every key PEFT 0.13-0.21 writes is known: the
// ones slimtune applies are validated, the ones that change the math when set (DoRA,
// modules_to_save, lora biases, ...) are refused when set, the informational ones are
// accepted quietly, and unknown keys are warnings (as PEFT itself treats them).
#include "slimtune/adapter.h"

#include "formats/json_input.h"

#include <cmath>
#include <map>

namespace slimtune {
namespace {
using Json = nlohmann::ordered_json; // rank_pattern precedence follows the file's key order

// Keys that change the math when they hold anything but their default, with why.
const std::map<std::string, std::string> kRefusedWhenSet = {
    {"use_dora", "DoRA adapters"},
    {"modules_to_save", "training full copies of modules"},
    {"lora_bias", "a bias on lora_B"},
    {"use_qalora", "QALoRA"},
    {"layer_replication", "layer replication"},
    {"trainable_token_indices", "trainable token embeddings"},
    {"target_parameters", "LoRA on raw parameters"},
    {"alora_invocation_tokens", "activated LoRA"},
    {"arrow_config", "Arrow routing"},
    {"megatron_config", "Megatron parallel layers"},
    {"use_bdlora", "block-diagonal LoRA"},
    {"velora_config", "VeLoRA"},
    {"monteclora_config", "MonteCLoRA"},
    {"kasa_config", "KaSA"},
    {"loftq_config", "LoftQ initialization"},
};

// Keys that carry no math slimtune must apply.
const std::set<std::string> kInformational = {
    "peft_type", "task_type", "auto_mapping", "base_model_name_or_path", "revision",
    "inference_mode", "peft_version", "megatron_core", "qalora_group_size", "runtime_config",
    "eva_config", "corda_config", "lora_ga_config", "ensure_weight_tying"};

// Keys slimtune interprets.
const std::set<std::string> kApplied = {
    "r", "lora_alpha", "lora_dropout", "target_modules", "exclude_modules",
    "layers_to_transform", "layers_pattern", "rank_pattern", "alpha_pattern", "use_rslora",
    "bias", "fan_in_fan_out", "init_lora_weights"};

bool isDefault(const Json &v) {
  return v.is_null() || (v.is_boolean() && !v.get<bool>()) || (v.is_array() && v.empty()) ||
         (v.is_object() && v.empty());
}

// A string or list of strings (target_modules, exclude_modules, layers_pattern).
Status stringOrList(const JsonFields<Json> &f, const std::string &key,
                    std::vector<std::string> &list, std::optional<Regex> *regex) {
  const Json *v = f.get(key);
  if (!v || v->is_null())
    return Status::ok();
  if (v->is_string()) {
    if (!regex) {
      list.push_back(v->get<std::string>());
      return Status::ok();
    }
    auto compiled = Regex::compile(v->get<std::string>());
    if (!compiled)
      return f.error(key, "is an " + compiled.status().message());
    *regex = compiled.take();
    return Status::ok();
  }
  if (!v->is_array())
    return f.error(key, "must be a string or a list of strings, got " + v->dump());
  for (const Json &item : *v) {
    if (!item.is_string())
      return f.error(key, "must be a string or a list of strings, got " + v->dump());
    list.push_back(item.get<std::string>());
  }
  return Status::ok();
}

// The largest rank accepted: wider than any layer of a real model (a LoRA rank beyond
// min(in, out) adds parameters and no expressiveness), far below what would overflow a size.
constexpr int64_t kMaxRank = 65536;

// rank_pattern / alpha_pattern: {pattern: value}, matched as re.match(r"(.*\.)?(pattern)$").
template <typename T>
Status patterns(const JsonFields<Json> &f, const std::string &key,
                std::vector<std::pair<Regex, T>> &out) {
  const Json *v = f.get(key);
  if (!v || v->is_null())
    return Status::ok();
  if (!v->is_object())
    return f.error(key, "must be an object of {pattern: value}, got " + v->dump());
  for (auto it = v->begin(); it != v->end(); ++it) {
    bool ok = std::is_integral_v<T> ? it->is_number_integer() && it->template get<int64_t>() > 0 &&
                                          it->template get<int64_t>() <= kMaxRank
                                    : it->is_number() && std::isfinite(it->template get<double>());
    if (!ok)
      return f.error(key, "maps \"" + it.key() + "\" to " + it->dump() + ", not a " +
                              (std::is_integral_v<T> ? "rank in [1, " + std::to_string(kMaxRank) + "]"
                                                     : std::string("number")));
    auto regex = Regex::compile("(.*\\.)?(" + it.key() + ")$");
    if (!regex)
      return f.error(key, "has an " + regex.status().message());
    out.push_back({regex.take(), it->template get<T>()});
  }
  return Status::ok();
}
} // namespace

Expected<std::string> readAdapterConfigFile(const std::string &path) { return readSmallFile(path); }

Expected<AdapterConfig> parseAdapterConfig(const std::string &path,
                                           std::vector<std::string> &warnings) {
  SLIMTUNE_TRY(text, readAdapterConfigFile(path));
  return parseAdapterConfigText(text, path, warnings);
}

Expected<AdapterConfig> parseAdapterConfigText(const std::string &text, const std::string &path,
                                               std::vector<std::string> &warnings) {
  auto parsed = parseJsonStrict<Json>(text.data(), text.data() + text.size());
  if (!parsed)
    return Status::error(path + ": " + parsed.status().message());
  Json json = parsed.take();
  if (!json.is_object())
    return Status::error(path + ": not a JSON object");
  JsonFields<Json> f(json, path);
  AdapterConfig c;
  c.path = path;

  for (auto it = json.begin(); it != json.end(); ++it) {
    const std::string &key = it.key();
    if (auto refused = kRefusedWhenSet.find(key); refused != kRefusedWhenSet.end()) {
      if (!isDefault(*it))
        return f.error(key, "is " + it->dump() + ": slimtune does not support " + refused->second);
    } else if (!kApplied.count(key) && !kInformational.count(key)) {
      warnings.push_back(path + ": unknown key \"" + key + "\" is ignored");
    }
  }

  SLIMTUNE_TRY(peftType, f.string("peft_type", ""));
  if (peftType.empty())
    warnings.push_back(path + ": no \"peft_type\"; reading it as a LORA config");
  else if (peftType != "LORA")
    return f.error("peft_type", "is \"" + peftType + "\"; slimtune supports LORA adapters");
  SLIMTUNE_TRY(taskType, f.string("task_type", "CAUSAL_LM"));
  if (taskType != "CAUSAL_LM")
    return f.error("task_type", "is \"" + taskType + "\"; slimtune fine-tunes causal language models");

  SLIMTUNE_TRY(r, f.positiveInt("r", 8));
  if (r > kMaxRank)
    return f.error("r", "is " + std::to_string(r) + "; slimtune's limit is " +
                            std::to_string(kMaxRank) + " (a rank beyond a layer's width adds nothing)");
  SLIMTUNE_TRY(alpha, f.number("lora_alpha", 8.0));
  SLIMTUNE_TRY(dropout, f.number("lora_dropout", 0.0));
  if (!std::isfinite(alpha))
    return f.error("lora_alpha", "must be a finite number");
  if (!(dropout >= 0.0 && dropout < 1.0))
    return f.error("lora_dropout", "must be in [0, 1), got " + f.get("lora_dropout")->dump());
  c.r = r;
  c.alpha = alpha;
  c.dropout = dropout;
  SLIMTUNE_TRY(rslora, f.boolean("use_rslora", false));
  SLIMTUNE_TRY(fanInFanOut, f.boolean("fan_in_fan_out", false));
  c.useRslora = rslora;
  c.fanInFanOut = fanInFanOut;
  SLIMTUNE_TRY(base, f.string("base_model_name_or_path", ""));
  c.baseModel = base;

  SLIMTUNE_TRY(bias, f.string("bias", "none"));
  if (bias != "none")
    return f.error("bias", "is \"" + bias + "\": training base-model biases is not supported (use \"none\")");

  if (const Json *init = f.get("init_lora_weights"); init && !init->is_null()) {
    if (init->is_boolean())
      c.init = init->get<bool>() ? LoraInit::KaimingUniform : LoraInit::NoInit;
    else if (init->is_string() && init->get<std::string>() == "gaussian")
      c.init = LoraInit::Gaussian;
    else
      return f.error("init_lora_weights", "is " + init->dump() +
                                               "; slimtune supports true, false and \"gaussian\"");
  }

  // target_modules: absent, "all-linear" (any case), a regex string, or a list.
  if (const Json *targets = f.get("target_modules"); targets && !targets->is_null()) {
    if (targets->is_string()) {
      std::string s = targets->get<std::string>();
      std::string lower;
      for (char ch : s)
        lower += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      c.targets = lower == "all-linear" ? AdapterConfig::Targets::AllLinear
                                        : AdapterConfig::Targets::Regex;
      if (c.targets == AdapterConfig::Targets::Regex)
        if (Status s2 = stringOrList(f, "target_modules", c.targetList, &c.targetRegex); !s2)
          return s2;
    } else {
      c.targets = AdapterConfig::Targets::List;
      if (Status s = stringOrList(f, "target_modules", c.targetList, nullptr); !s)
        return s;
    }
  }
  if (Status s = stringOrList(f, "exclude_modules", c.excludeList, &c.excludeRegex); !s)
    return s;
  SLIMTUNE_TRY(layers, f.intOrIntList("layers_to_transform"));
  if (f.hasValue("layers_to_transform"))
    c.layersToTransform = layers;
  if (Status s = stringOrList(f, "layers_pattern", c.layersPattern, nullptr); !s)
    return s;
  // PEFT's own consistency rules (LoraConfig.__post_init__).
  if (c.targets == AdapterConfig::Targets::Regex && (c.layersToTransform || !c.layersPattern.empty()))
    return f.error("layers_to_transform", "and layers_pattern cannot be used with a regex "
                                          "target_modules (PEFT refuses this too)");
  if (!c.layersPattern.empty() && !c.layersToTransform)
    return f.error("layers_pattern", "is set without layers_to_transform (PEFT refuses this too)");
  if (Status s = patterns(f, "rank_pattern", c.rankPattern); !s)
    return s;
  if (Status s = patterns(f, "alpha_pattern", c.alphaPattern); !s)
    return s;
  return c;
}

} // namespace slimtune
