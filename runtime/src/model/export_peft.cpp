// A checkpoint's adapter as a PEFT adapter folder.
#include "slimtune/export.h"

#include "formats/json_input.h"
#include "slimtune/atomic_file.h"
#include "slimtune/checkpoint.h"
#include "slimtune/safetensors.h"

#include <filesystem>

namespace slimtune {

Status exportPeftAdapter(const std::string &checkpoint, const std::string &baseModel,
                         const std::string &out) {
  SLIMTUNE_TRY(contents, verifyCheckpoint(checkpoint));
  if (contents.adapterConfig.empty())
    return Status::error(checkpoint + ": holds no adapter configuration to export");
  std::string configPath = checkpoint + "/adapter_config.json";
  SLIMTUNE_TRY(config, parseJsonStrict<nlohmann::ordered_json>(
                           contents.adapterConfig.data(),
                           contents.adapterConfig.data() + contents.adapterConfig.size()));
  if (!config.is_object())
    return Status::error(configPath + ": not a JSON object");
  // PEFT reads the configuration with these keys present; its defaults otherwise.
  auto setDefault = [&](const char *key, nlohmann::ordered_json value) {
    if (!config.contains(key) || config[key].is_null() ||
        (config[key].is_string() && config[key].get<std::string>().empty()))
      config[key] = std::move(value);
  };
  setDefault("peft_type", "LORA");
  setDefault("task_type", "CAUSAL_LM");
  setDefault("base_model_name_or_path", baseModel);
  setDefault("r", 8);
  setDefault("lora_alpha", 8);
  setDefault("inference_mode", true);

  SLIMTUNE_TRY(stored, SafetensorsFile::open(checkpoint + "/adapter_model.safetensors"));
  std::vector<TensorToWrite> tensors;
  for (const TensorView &t : stored.tensors()) {
    bool a = t.name.size() > 14 && t.name.compare(t.name.size() - 14, 14, ".lora_A.weight") == 0;
    bool b = t.name.size() > 14 && t.name.compare(t.name.size() - 14, 14, ".lora_B.weight") == 0;
    if (t.name.rfind("base_model.model.", 0) != 0 || !(a || b) || t.shape.size() != 2)
      return Status::error(stored.path() + ": tensor \"" + t.name +
                           "\" is not a LoRA weight as PEFT names it");
    tensors.push_back({t.name, t.dtype, t.shape, t.data, t.bytes});
  }
  std::error_code ec;
  std::filesystem::create_directories(out, ec);
  if (ec)
    return Status::error(out + ": cannot create: " + ec.message());
  if (Status s = writeSafetensors(out + "/adapter_model.safetensors", tensors, {{"format", "pt"}}); !s)
    return s;
  std::string text = config.dump(2) + "\n";
  return writeFileAtomically(out + "/adapter_config.json", {{text.data(), text.size()}});
}

} // namespace slimtune
