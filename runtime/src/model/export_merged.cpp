// A checkpoint's adapter folded into the base model: W' = W + scale·B·A (fp32), written as a
// Hugging Face folder.
#include "slimtune/export.h"

#include "formats/json_input.h"
#include "kernels/cpu/convert.h"
#include "model/model_spec_builders.h"
#include "slimtune/atomic_file.h"
#include "slimtune/checkpoint.h"
#include "slimtune/mapped_file.h"
#include "slimtune/merge_lora.h"
#include "slimtune/safetensors.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>

namespace slimtune {
namespace {

// One tensor of the merged model, converted to the output dtype.
struct OutputTensor {
  std::string name;
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;
};

std::vector<uint8_t> convert(const std::vector<float> &values, DType dtype) {
  std::vector<uint8_t> out(values.size() * dtypeSize(dtype));
  if (dtype == DType::F32)
    std::memcpy(out.data(), values.data(), out.size());
  else if (dtype == DType::BF16)
    cpu::f32ToBf16(values.data(), reinterpret_cast<uint16_t *>(out.data()), values.size());
  else
    cpu::f32ToF16(values.data(), reinterpret_cast<uint16_t *>(out.data()), values.size());
  return out;
}

std::vector<float> transpose(const std::vector<float> &values, int64_t rows, int64_t cols) {
  std::vector<float> out(values.size());
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c)
      out[c * rows + r] = values[r * cols + c];
  return out;
}

const char *torchDtype(DType dtype) {
  return dtype == DType::F32 ? "float32" : dtype == DType::BF16 ? "bfloat16" : "float16";
}

bool isGguf(const ModelSource &model) { return model.format().rfind("GGUF", 0) == 0; }

// The same model named as a Hugging Face checkpoint names it.
ModelSpec huggingFaceSpec(const ModelSource &model) {
  if (!isGguf(model))
    return model.spec();
  const ModelConfig &c = model.spec().config;
  return c.family == ModelFamily::Llama ? buildLlamaSpec(c, TensorNaming::HuggingFace)
                                        : buildGpt2Spec(c, TensorNaming::HuggingFace);
}

Expected<std::vector<float>> readAdapterTensor(const SafetensorsFile &file, const std::string &name,
                                               const std::vector<int64_t> &shape) {
  const TensorView *t = file.find(name);
  if (!t)
    return Status::error(file.path() + ": has no tensor \"" + name +
                         "\": the checkpoint was trained with a different adapter");
  if (t->dtype != DType::F32 || t->shape != shape)
    return Status::error(file.path() + ": tensor \"" + name + "\" is " + std::string(dtypeName(t->dtype)) +
                         " " + shapeString(t->shape) + ", expected F32 " + shapeString(shape));
  std::vector<float> values(t->numel());
  std::memcpy(values.data(), t->data, t->bytes);
  return values;
}

} // namespace

Status exportMergedModel(const std::string &checkpoint, const ModelSource &model,
                         const std::vector<AdaptedLinear> &adapters, DType dtype,
                         const std::string &out) {
  if (dtype != DType::F32 && dtype != DType::BF16 && dtype != DType::F16)
    return Status::error("merged weights can be written as F32, BF16 or F16, not " +
                         std::string(dtypeName(dtype)));
  SLIMTUNE_TRY(contents, verifyCheckpoint(checkpoint));
  (void)contents;
  SLIMTUNE_TRY(stored, SafetensorsFile::open(checkpoint + "/adapter_model.safetensors"));
  const ModelSpec &spec = model.spec();
  const ModelSpec named = huggingFaceSpec(model);
  auto sourceWeights = expectedWeights(spec), outputWeights = expectedWeights(named);

  // Adapters by the weight they change; an adapter on a tied LM head unties it.
  std::map<std::string, const AdaptedLinear *> byWeight;
  const AdaptedLinear *headAdapter = nullptr;
  for (const AdaptedLinear &a : adapters) {
    if (a.linear == &spec.lmHead && spec.config.tiedEmbeddings)
      headAdapter = &a;
    else
      byWeight[a.linear->weight] = &a;
  }
  auto merged = [&](const std::string &source, const AdaptedLinear *a) -> Expected<std::vector<float>> {
    std::vector<float> weight;
    if (Status s = model.readF32(source, weight); !s)
      return s;
    if (!a)
      return weight;
    SLIMTUNE_TRY(loraA, readAdapterTensor(stored, a->loraA, {a->rank, a->linear->in}));
    SLIMTUNE_TRY(loraB, readAdapterTensor(stored, a->loraB, {a->linear->out, a->rank}));
    if (Status s = mergeLoraIntoWeight(weight, loraA, loraB, *a); !s)
      return s;
    return weight;
  };

  std::vector<OutputTensor> tensors;
  for (size_t i = 0; i < sourceWeights.size(); ++i) {
    const auto &[source, shape] = sourceWeights[i];
    const auto &[name, outShape] = outputWeights[i];
    auto it = byWeight.find(source);
    SLIMTUNE_TRY(values, merged(source, it == byWeight.end() ? nullptr : it->second));
    // GGUF keeps GPT-2's Conv1D weights as [out, in]; Hugging Face as [in, out].
    if (shape != outShape && shape.size() == 2)
      values = transpose(values, shape[0], shape[1]);
    tensors.push_back({name, outShape, convert(values, dtype)});
  }
  if (headAdapter) {
    SLIMTUNE_TRY(values, merged(spec.tokenEmbedding, headAdapter));
    tensors.push_back({"lm_head.weight", {spec.config.vocabSize, spec.config.hiddenSize}, convert(values, dtype)});
  }
  // Every adapter must have been folded somewhere.
  for (const AdaptedLinear &a : adapters)
    if (&a != headAdapter && !std::count_if(sourceWeights.begin(), sourceWeights.end(),
                                            [&](auto &w) { return w.first == a.linear->weight; }))
      return Status::error(a.linear->module + ": its weight is not among the model's");

  // config.json: the model's own (Hugging Face), or written from the GGUF metadata.
  std::string config;
  bool tied = spec.config.tiedEmbeddings && !headAdapter;
  if (isGguf(model)) {
    config = huggingFaceConfigJson(named, dtype, tied);
  } else {
    std::string path = model.path() + "/config.json";
    SLIMTUNE_TRY(text, readSmallFile(path));
    SLIMTUNE_TRY(json, parseJsonStrict<nlohmann::ordered_json>(text.data(), text.data() + text.size()));
    json["torch_dtype"] = torchDtype(dtype);
    if (headAdapter)
      json["tie_word_embeddings"] = false;
    config = json.dump(2) + "\n";
  }

  std::error_code ec;
  std::filesystem::create_directories(out, ec);
  if (ec)
    return Status::error(out + ": cannot create: " + ec.message());
  std::vector<TensorToWrite> toWrite;
  for (const OutputTensor &t : tensors)
    toWrite.push_back({t.name, dtype, t.shape, t.bytes.data(), t.bytes.size()});
  if (Status s = writeSafetensors(out + "/model.safetensors", toWrite, {{"format", "pt"}}); !s)
    return s;
  if (Status s = writeFileAtomically(out + "/config.json", {{config.data(), config.size()}}); !s)
    return s;
  // The tokenizer and generation settings travel with the weights, so the folder loads with
  // from_pretrained as the original did. (A GGUF source has none to copy.)
  if (!isGguf(model))
    for (const char *name : {"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
                             "generation_config.json", "vocab.json", "merges.txt", "tokenizer.model",
                             "added_tokens.json"}) {
      std::string from = model.path() + "/" + name;
      if (!std::filesystem::is_regular_file(from))
        continue;
      SLIMTUNE_TRY(file, MappedFile::open(from));
      if (Status s = writeFileAtomically(out + "/" + name, {{file->data(), file->size()}}); !s)
        return s;
    }
  return Status::ok();
}

namespace {
// GGUF keeps epsilons and rope_theta as float32: 1e-5 arrives as 9.99999974e-06. Writes the
// shortest decimal that reads back as the same float, as the model's author wrote it.
double shortestAsFloat(double value) {
  float f = static_cast<float>(value);
  if (static_cast<double>(f) != value)
    return value;
  for (int digits = 1; digits <= 9; ++digits) {
    char text[32];
    std::snprintf(text, sizeof text, "%.*g", digits, value);
    double parsed = std::strtod(text, nullptr);
    if (static_cast<float>(parsed) == f)
      return parsed;
  }
  return value;
}
} // namespace

std::string huggingFaceConfigJson(const ModelSpec &spec, DType dtype, bool tiedEmbeddings) {
  const ModelConfig &c = spec.config;
  nlohmann::ordered_json j;
  if (c.family == ModelFamily::Llama) {
    j = {{"architectures", {"LlamaForCausalLM"}},
         {"model_type", "llama"},
         {"vocab_size", c.vocabSize},
         {"hidden_size", c.hiddenSize},
         {"intermediate_size", c.intermediateSize},
         {"num_hidden_layers", c.numLayers},
         {"num_attention_heads", c.numHeads},
         {"num_key_value_heads", c.numKvHeads},
         {"head_dim", c.headDim},
         {"max_position_embeddings", c.maxPositions},
         {"rms_norm_eps", shortestAsFloat(c.normEps)},
         {"rope_theta", shortestAsFloat(c.ropeTheta)},
         {"hidden_act", "silu"},
         {"attention_bias", c.attentionBias},
         {"mlp_bias", c.mlpBias},
         {"tie_word_embeddings", tiedEmbeddings}};
  } else {
    j = {{"architectures", {"GPT2LMHeadModel"}},
         {"model_type", "gpt2"},
         {"vocab_size", c.vocabSize},
         {"n_positions", c.maxPositions},
         {"n_ctx", c.maxPositions},
         {"n_embd", c.hiddenSize},
         {"n_layer", c.numLayers},
         {"n_head", c.numHeads},
         {"n_inner", c.intermediateSize},
         {"layer_norm_epsilon", shortestAsFloat(c.normEps)},
         {"activation_function", c.activation == "gelu" ? "gelu" : "gelu_new"},
         {"tie_word_embeddings", tiedEmbeddings}};
  }
  if (c.bosTokenId)
    j["bos_token_id"] = *c.bosTokenId;
  if (c.eosTokenIds.size() == 1)
    j["eos_token_id"] = c.eosTokenIds[0];
  else if (!c.eosTokenIds.empty())
    j["eos_token_id"] = c.eosTokenIds;
  j["torch_dtype"] = torchDtype(dtype);
  return j.dump(2) + "\n";
}

} // namespace slimtune
