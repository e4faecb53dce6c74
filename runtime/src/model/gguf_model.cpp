// A GGUF file (llama or gpt2 architecture) as a ModelSource: hyperparameters from the
// architecture's metadata keys, weights dequantized to fp32, and llama q/k rows restored to
// the Hugging Face layout the rest of slimtune uses.
#include "model/gguf_model.h"

#include "model/model_spec_builders.h"

#include <cmath>
#include <cstring>

namespace slimtune {
namespace {

// Reads "<arch>.<key>" as a positive integer.
Expected<int64_t> positive(const GgufFile &f, const std::string &key) {
  SLIMTUNE_TRY(v, f.getInt(key));
  if (v <= 0)
    return Status::error(f.path() + ": metadata key \"" + key + "\" must be positive, got " +
                         std::to_string(v));
  return v;
}

Expected<int64_t> positiveOr(const GgufFile &f, const std::string &key, int64_t fallback) {
  return f.value(key) ? positive(f, key) : Expected<int64_t>(fallback);
}

Expected<double> realOr(const GgufFile &f, const std::string &key, double fallback) {
  return f.value(key) ? f.getReal(key) : Expected<double>(fallback);
}

std::optional<int64_t> optionalId(const GgufFile &f, const std::string &key) {
  auto v = f.getInt(key);
  return v ? std::optional<int64_t>(*v) : std::nullopt;
}

Expected<ModelConfig> configFromMetadata(const GgufFile &f) {
  SLIMTUNE_TRY(arch, f.getString("general.architecture"));
  ModelConfig c;
  c.architecture = std::string(arch);
  std::string p = c.architecture + ".";
  if (arch != "llama" && arch != "gpt2")
    return Status::error(f.path() + ": general.architecture is \"" + c.architecture +
                         "\"; slimtune supports llama and gpt2");
  c.family = arch == "llama" ? ModelFamily::Llama : ModelFamily::Gpt2;
  SLIMTUNE_TRY(layers, positive(f, p + "block_count"));
  SLIMTUNE_TRY(hidden, positive(f, p + "embedding_length"));
  SLIMTUNE_TRY(ffn, positive(f, p + "feed_forward_length"));
  SLIMTUNE_TRY(heads, positive(f, p + "attention.head_count"));
  SLIMTUNE_TRY(context, positive(f, p + "context_length"));
  c.numLayers = layers;
  c.hiddenSize = hidden;
  c.intermediateSize = ffn;
  c.numHeads = heads;
  c.maxPositions = context;

  // The vocabulary: the explicit key, else the tokenizer's list, else the embedding's rows.
  const GgufTensorInfo *embed = f.find("token_embd.weight");
  if (f.value(p + "vocab_size")) {
    SLIMTUNE_TRY(vocab, positive(f, p + "vocab_size"));
    c.vocabSize = vocab;
  } else if (const GgufValue *tokens = f.value("tokenizer.ggml.tokens"); tokens && tokens->count) {
    c.vocabSize = static_cast<int64_t>(tokens->count);
  } else if (embed && embed->shape.size() == 2) {
    c.vocabSize = embed->shape[0];
  } else {
    return Status::error(f.path() + ": cannot tell the vocabulary size (no " + p +
                         "vocab_size, tokenizer.ggml.tokens or token_embd.weight)");
  }
  c.tiedEmbeddings = f.find("output.weight") == nullptr;
  c.bosTokenId = optionalId(f, "tokenizer.ggml.bos_token_id");
  if (auto eos = optionalId(f, "tokenizer.ggml.eos_token_id"))
    c.eosTokenIds = {*eos};
  c.padTokenId = optionalId(f, "tokenizer.ggml.padding_token_id");

  if (c.family == ModelFamily::Llama) {
    c.architecture = "llama";
    SLIMTUNE_TRY(kvHeads, positiveOr(f, p + "attention.head_count_kv", heads));
    if (heads % kvHeads != 0)
      return Status::error(f.path() + ": " + p + "attention.head_count_kv (" +
                           std::to_string(kvHeads) + ") does not divide the head count (" +
                           std::to_string(heads) + ")");
    SLIMTUNE_TRY(headDim, positiveOr(f, p + "attention.key_length", hidden / heads));
    SLIMTUNE_TRY(ropeDims, positiveOr(f, p + "rope.dimension_count", headDim));
    if (ropeDims != headDim)
      return Status::error(f.path() + ": " + p + "rope.dimension_count (" +
                           std::to_string(ropeDims) + ") differs from the head size (" +
                           std::to_string(headDim) + "); partial rotary embeddings are not supported");
    if (const GgufValue *scaling = f.value(p + "rope.scaling.type");
        scaling && scaling->string != "none")
      return Status::error(f.path() + ": " + p + "rope.scaling.type \"" +
                           std::string(scaling->string) + "\" is not supported");
    SLIMTUNE_TRY(eps, f.getReal(p + "attention.layer_norm_rms_epsilon"));
    SLIMTUNE_TRY(theta, realOr(f, p + "rope.freq_base", 10000.0));
    c.numKvHeads = kvHeads;
    c.headDim = headDim;
    c.normEps = eps;
    c.ropeTheta = theta;
    c.activation = "silu";
    c.attentionBias = f.find("blk.0.attn_q.bias") != nullptr;
    c.mlpBias = f.find("blk.0.ffn_gate.bias") != nullptr;
  } else {
    if (hidden % heads != 0)
      return Status::error(f.path() + ": " + p + "embedding_length is not divisible by the head count");
    SLIMTUNE_TRY(eps, f.getReal(p + "attention.layer_norm_epsilon"));
    c.numKvHeads = heads;
    c.headDim = hidden / heads;
    c.normEps = eps;
    c.activation = "gelu_tanh"; // llama.cpp's GPT-2 graph uses the tanh approximation
  }
  if (Status s = checkConfigLimits(c, f.path()); !s)
    return s;
  return c;
}

bool endsWith(const std::string &s, const char *suffix) {
  size_t n = std::strlen(suffix);
  return s.size() >= n && s.compare(s.size() - n, n, suffix) == 0;
}
} // namespace

template <typename T>
void unpermuteHeadRows(std::vector<T> &values, int64_t heads, int64_t rows, int64_t cols) {
  int64_t hd = rows / heads;
  std::vector<T> out(values.size());
  for (int64_t h = 0; h < heads; ++h)
    for (int64_t i = 0; i < hd / 2; ++i)
      for (int64_t s = 0; s < 2; ++s) {
        const T *src = values.data() + (h * hd + 2 * i + s) * cols;
        T *dst = out.data() + (h * hd + s * (hd / 2) + i) * cols;
        std::memcpy(dst, src, cols * sizeof(T));
      }
  values.swap(out);
}
template void unpermuteHeadRows<float>(std::vector<float> &, int64_t, int64_t, int64_t);
template void unpermuteHeadRows<uint8_t>(std::vector<uint8_t> &, int64_t, int64_t, int64_t);

Expected<std::unique_ptr<ModelSource>> GgufModelSource::open(const std::string &path) {
  SLIMTUNE_TRY(file, GgufFile::open(path));
  auto source = std::unique_ptr<GgufModelSource>(new GgufModelSource());
  source->path_ = path;
  source->file_ = std::move(file);
  const GgufFile &f = source->file_;
  SLIMTUNE_TRY(config, configFromMetadata(f));
  source->spec_ = config.family == ModelFamily::Llama ? buildLlamaSpec(config, TensorNaming::Gguf)
                                                      : buildGpt2Spec(config, TensorNaming::Gguf);
  Status s = checkWeights(source->spec_, path, "its metadata",
                          [&](const std::string &name) -> const std::vector<int64_t> * {
                            const GgufTensorInfo *t = f.find(name);
                            return t ? &t->shape : nullptr;
                          });
  if (!s)
    return s;
  for (const auto &[name, shape] : expectedWeights(source->spec_)) {
    const GgufTensorInfo *t = f.find(name);
    auto info = ggmlTypeInfo(static_cast<uint32_t>(t->type));
    if (!info->dequantizable)
      return Status::error(path + ": tensor \"" + name + "\" has ggml type " +
                           std::string(info->name) + ", which slimtune cannot dequantize");
  }
  for (const GgufTensorInfo &t : f.tensors())
    source->stored_.push_back({t.name,
                               std::string(ggmlTypeInfo(static_cast<uint32_t>(t.type))->name),
                               t.shape, t.bytes, path});
  return std::unique_ptr<ModelSource>(std::move(source));
}

Status GgufModelSource::readF32(const std::string &name, std::vector<float> &out) const {
  const GgufTensorInfo *t = file_.find(name);
  if (!t)
    return Status::error(path_ + ": no tensor \"" + name + "\"");
  out.resize(t->numel());
  if (Status s = dequantizeToF32(t->type, t->data, t->bytes, out.data(), out.size()); !s)
    return Status::error(path_ + ": tensor \"" + name + "\": " + s.message());
  const ModelConfig &c = spec_.config;
  if (c.family == ModelFamily::Llama) {
    int64_t rows = t->shape[0], cols = t->shape.size() > 1 ? t->shape[1] : 1;
    if (endsWith(name, ".attn_q.weight") || endsWith(name, ".attn_q.bias"))
      unpermuteHeadRows(out, c.numHeads, rows, cols);
    else if (endsWith(name, ".attn_k.weight") || endsWith(name, ".attn_k.bias"))
      unpermuteHeadRows(out, c.numKvHeads, rows, cols);
  }
  return Status::ok();
}

Status GgufModelSource::readStoredBlocks(const std::string &name, GgmlType type,
                                         std::vector<uint8_t> &out) const {
  out.clear();
  const GgufTensorInfo *t = file_.find(name);
  if (!t)
    return Status::error(path_ + ": no tensor \"" + name + "\"");
  if (t->type != type)
    return Status::ok();
  out.assign(t->data, t->data + t->bytes);
  // q and k rows come permuted for llama.cpp's RoPE (readF32): whole rows of blocks move back.
  const ModelConfig &c = spec_.config;
  if (c.family == ModelFamily::Llama && t->shape.size() == 2) {
    const int64_t rows = t->shape[0], rowBytes = static_cast<int64_t>(t->bytes) / rows;
    if (endsWith(name, ".attn_q.weight"))
      unpermuteHeadRows(out, c.numHeads, rows, rowBytes);
    else if (endsWith(name, ".attn_k.weight"))
      unpermuteHeadRows(out, c.numKvHeads, rows, rowBytes);
  }
  return Status::ok();
}

} // namespace slimtune
