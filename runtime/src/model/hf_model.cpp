// A Hugging Face model folder: config.json plus model.safetensors or a sharded index.
#include "model/hf_model.h"

#include "kernels/cpu/convert.h"
#include "model/model_spec_builders.h"

#include <cstring>
#include <sys/stat.h>

namespace slimtune {
namespace {
bool exists(const std::string &path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

// Buffers some GPT-2 checkpoints carry (the causal mask); not weights.
bool isKnownBuffer(const std::string &name) {
  auto endsWith = [&](const char *s) {
    size_t n = std::strlen(s);
    return name.size() >= n && name.compare(name.size() - n, n, s) == 0;
  };
  return endsWith(".attn.bias") || endsWith(".attn.masked_bias") ||
         endsWith("rotary_emb.inv_freq");
}
} // namespace

Expected<std::unique_ptr<ModelSource>> HfModelSource::open(const std::string &folder) {
  std::string config = folder + "/config.json";
  if (!exists(config))
    return Status::error(folder + ": no config.json (a model folder holds config.json and "
                                  "model.safetensors)");
  std::string weights = folder + "/model.safetensors";
  if (!exists(weights))
    weights = folder + "/model.safetensors.index.json";
  if (!exists(weights))
    return Status::error(folder + ": no model.safetensors or model.safetensors.index.json" +
                         std::string(exists(folder + "/pytorch_model.bin")
                                         ? " (pytorch_model.bin is not read: convert it to safetensors)"
                                         : ""));
  auto source = std::unique_ptr<HfModelSource>(new HfModelSource());
  source->path_ = folder;
  SLIMTUNE_TRY(parsed, parseHfConfig(config, source->warnings_));
  SLIMTUNE_TRY(checkpoint, SafetensorsCheckpoint::open(weights));
  source->checkpoint_ = std::move(checkpoint);
  const SafetensorsCheckpoint &ckpt = source->checkpoint_;

  if (parsed.family == ModelFamily::Llama) {
    source->spec_ = buildLlamaSpec(parsed, TensorNaming::HuggingFace);
  } else {
    std::string prefix = ckpt.find("transformer.wte.weight") ? "transformer." : "";
    source->spec_ = buildGpt2Spec(parsed, TensorNaming::HuggingFace, prefix);
  }
  Status s = checkWeights(source->spec_, weights, "config.json",
                          [&](const std::string &name) -> const std::vector<int64_t> * {
                            const TensorView *t = ckpt.find(name);
                            return t ? &t->shape : nullptr;
                          });
  if (!s)
    return s;

  std::set<std::string> used;
  for (const auto &[name, shape] : expectedWeights(source->spec_)) {
    used.insert(name);
    const TensorView *t = ckpt.find(name);
    if (t->dtype != DType::F32 && t->dtype != DType::F16 && t->dtype != DType::BF16)
      return Status::error(weights + ": tensor \"" + name + "\" has dtype " +
                           std::string(dtypeName(t->dtype)) + "; weights must be F32, F16 or BF16");
  }
  size_t ignored = 0;
  std::string firstIgnored;
  for (const TensorView *t : ckpt.tensors()) {
    std::string file;
    for (const SafetensorsFile &f : ckpt.files())
      if (f.find(t->name) == t)
        file = f.path();
    source->stored_.push_back({t->name, std::string(dtypeName(t->dtype)), t->shape, t->bytes, file});
    if (!used.count(t->name) && !isKnownBuffer(t->name) &&
        !(parsed.tiedEmbeddings && t->name == "lm_head.weight") && ignored++ == 0)
      firstIgnored = t->name;
  }
  if (ignored)
    source->warnings_.push_back(weights + ": " + std::to_string(ignored) +
                                " tensor(s) the model does not use are ignored, e.g. \"" +
                                firstIgnored + "\"");
  return std::unique_ptr<ModelSource>(std::move(source));
}

Status HfModelSource::readF32(const std::string &name, std::vector<float> &out) const {
  const TensorView *t = checkpoint_.find(name);
  if (!t)
    return Status::error(path_ + ": no tensor \"" + name + "\"");
  uint64_t n = t->numel();
  out.resize(n);
  switch (t->dtype) {
  case DType::F32:
    std::memcpy(out.data(), t->data, n * 4);
    return Status::ok();
  case DType::F16:
  case DType::BF16: {
    std::vector<uint16_t> halves(n); // the mapping may leave them unaligned
    std::memcpy(halves.data(), t->data, n * 2);
    if (t->dtype == DType::F16)
      cpu::f16ToF32(halves.data(), out.data(), n);
    else
      cpu::bf16ToF32(halves.data(), out.data(), n);
    return Status::ok();
  }
  default:
    return Status::error(path_ + ": tensor \"" + name + "\" has dtype " +
                         std::string(dtypeName(t->dtype)) + ", not a float type");
  }
}

} // namespace slimtune
