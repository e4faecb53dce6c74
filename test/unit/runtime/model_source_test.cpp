// Model sources: the fixtures open from HF folders and GGUF files into the same ModelSpec, the
// GGUF weights equal the HF weights once dequantized (and q/k rows restored, Conv1D
// transposed), and bad configs or weights give one error naming the file and the problem.
#include "slimtune/gguf_writer.h"
#include "slimtune/model.h"
#include "slimtune/safetensors.h"

#include "support/temp_dir.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>

using namespace slimtune;
using slimtune::testing::TempDir;

namespace {
const std::string kFixtures = SLIMTUNE_FIXTURES_DIR;

std::unique_ptr<ModelSource> openOrFail(const std::string &path) {
  auto source = ModelSource::open(path);
  EXPECT_TRUE(source.isOk()) << source.status().message();
  return source.isOk() ? source.take() : nullptr;
}

std::string openError(const std::string &path) {
  auto source = ModelSource::open(path);
  return source.isOk() ? "opened" : source.status().message();
}

// Largest |a - b| relative to the largest |a|, over every weight, pairing the two sources'
// weights by role (expectedWeights lists them in the same order for every naming scheme).
double maxRelativeDifference(const ModelSource &a, const ModelSource &b) {
  auto wa = expectedWeights(a.spec()), wb = expectedWeights(b.spec());
  EXPECT_EQ(wa.size(), wb.size());
  // Weights stored in a different layout by the two sources (GPT-2: Conv1D vs GGUF).
  std::set<std::string> transposedInB;
  auto la = a.spec().linears(), lb = b.spec().linears();
  for (size_t i = 0; i < la.size() && i < lb.size(); ++i)
    if (la[i]->layout != lb[i]->layout)
      transposedInB.insert(lb[i]->weight);
  double worst = 0;
  for (size_t i = 0; i < wa.size() && i < wb.size(); ++i) {
    std::vector<float> x, y;
    EXPECT_TRUE(a.readF32(wa[i].first, x).isOk());
    EXPECT_TRUE(b.readF32(wb[i].first, y).isOk());
    if (transposedInB.count(wb[i].first)) {
      auto shape = wa[i].second;
      EXPECT_EQ(shape.size(), 2u) << wa[i].first;
      std::vector<float> t(y.size());
      for (int64_t r = 0; r < shape[0]; ++r)
        for (int64_t c = 0; c < shape[1]; ++c)
          t[r * shape[1] + c] = y[c * shape[0] + r];
      y.swap(t);
    }
    EXPECT_EQ(x.size(), y.size()) << wa[i].first;
    double amax = 0, diff = 0;
    for (size_t j = 0; j < x.size() && j < y.size(); ++j) {
      amax = std::max(amax, std::fabs(double(x[j])));
      diff = std::max(diff, std::fabs(double(x[j]) - y[j]));
    }
    worst = std::max(worst, amax > 0 ? diff / amax : diff);
  }
  return worst;
}
} // namespace

TEST(ModelSource, LlamaFolder) {
  auto m = openOrFail(kFixtures + "/llama-tiny");
  ASSERT_TRUE(m);
  const ModelConfig &c = m->spec().config;
  EXPECT_EQ(c.family, ModelFamily::Llama);
  EXPECT_EQ(c.vocabSize, 96);
  EXPECT_EQ(c.numKvHeads, 2);
  EXPECT_EQ(c.headDim, 8);
  EXPECT_FALSE(c.tiedEmbeddings);
  EXPECT_EQ(m->spec().layers.size(), 2u);
  EXPECT_EQ(m->spec().layers[1].k.module, "model.layers.1.self_attn.k_proj");
  EXPECT_EQ(m->spec().layers[1].k.out, 16);
  EXPECT_EQ(m->spec().lmHead.weight, "lm_head.weight");
  EXPECT_EQ(m->spec().linears().size(), 2u * 7 + 1);
  EXPECT_EQ(m->format(), "Hugging Face safetensors");
  EXPECT_TRUE(m->warnings().empty());
}

TEST(ModelSource, TiedLlamaWithNewRopeKeys) {
  auto m = openOrFail(kFixtures + "/llama-tiny-tied");
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->spec().config.tiedEmbeddings);
  EXPECT_EQ(m->spec().lmHead.weight, "model.embed_tokens.weight");
  EXPECT_EQ(m->spec().config.ropeTheta, 10000.0);
}

TEST(ModelSource, Gpt2FolderWithAndWithoutPrefix) {
  for (std::string name : {"gpt2-tiny", "gpt2-tiny-prefixed"}) {
    auto m = openOrFail(kFixtures + "/" + name);
    ASSERT_TRUE(m);
    const ModelSpec &s = m->spec();
    EXPECT_EQ(s.config.family, ModelFamily::Gpt2);
    EXPECT_EQ(s.config.activation, "gelu_tanh");
    EXPECT_EQ(s.layers[0].qkv.layout, WeightLayout::InOut);
    EXPECT_EQ(s.layers[0].qkv.module, "transformer.h.0.attn.c_attn");
    EXPECT_EQ(s.layers[0].qkv.out, 96);
    // The attention-mask buffers are neither weights nor worth a warning.
    EXPECT_TRUE(m->warnings().empty()) << m->warnings()[0];
  }
  auto prefixed = openOrFail(kFixtures + "/gpt2-tiny-prefixed");
  EXPECT_EQ(prefixed->spec().tokenEmbedding, "transformer.wte.weight");
}

TEST(ModelSource, GgufLlamaMatchesTheFolder) {
  auto hf = openOrFail(kFixtures + "/llama-tiny");
  ASSERT_TRUE(hf);
  // Stated bounds: F32 exact; Q8_0 ~1/254 of the block max; 4-bit ~1/16 of the range.
  for (auto [file, bound] : {std::pair{"llama-tiny.f32.gguf", 0.0}, {"llama-tiny.q8_0.gguf", 0.01},
                            {"llama-tiny.q4_0.gguf", 0.15}, {"llama-tiny.q4_1.gguf", 0.1}}) {
    auto g = openOrFail(kFixtures + "/" + file);
    ASSERT_TRUE(g);
    EXPECT_EQ(g->spec().layers[0].q.weight, "blk.0.attn_q.weight");
    EXPECT_EQ(g->spec().layers[0].q.module, "model.layers.0.self_attn.q_proj");
    EXPECT_EQ(g->spec().config.numKvHeads, 2);
    EXPECT_FALSE(g->spec().config.tiedEmbeddings);
    EXPECT_LE(maxRelativeDifference(*hf, *g), bound) << file;
  }
}

// --precision q8|q4 binds a GGUF file's own blocks: every weight stored in the asked type
// comes back as the file's bytes (q/k rows restored as whole rows of blocks), decoding to
// exactly what readF32 gives; one stored otherwise comes back empty (the session codes it).
TEST(ModelSource, GgufStoredBlocksDecodeToTheSameValues) {
  for (auto [file, type] : {std::pair{"llama-tiny.q8_0.gguf", GgmlType::Q8_0},
                            {"llama-tiny.q4_1.gguf", GgmlType::Q4_1},
                            {"llama-tiny.q4_0.gguf", GgmlType::Q4_0}}) {
    auto g = openOrFail(kFixtures + "/" + file);
    ASSERT_TRUE(g);
    int stored = 0;
    for (const StoredTensor &t : g->storedTensors()) {
      std::vector<uint8_t> blocks;
      ASSERT_TRUE(g->readStoredBlocks(t.name, type, blocks)) << t.name;
      const bool same = t.dtype == ggmlTypeInfo(static_cast<uint32_t>(type))->name;
      ASSERT_EQ(blocks.empty(), !same) << file << " " << t.name << " " << t.dtype;
      if (!same)
        continue;
      ++stored;
      std::vector<float> values, decoded;
      ASSERT_TRUE(g->readF32(t.name, values));
      decoded.resize(values.size());
      ASSERT_TRUE(dequantizeToF32(type, blocks.data(), blocks.size(), decoded.data(), decoded.size()));
      EXPECT_EQ(decoded, values) << file << " " << t.name;
    }
    EXPECT_GT(stored, 10) << file; // every layer's matrices, q and k among them
    std::vector<uint8_t> none;
    EXPECT_TRUE(g->readStoredBlocks("blk.0.attn_q.weight", GgmlType::Q6_K, none));
    EXPECT_TRUE(none.empty());
    EXPECT_FALSE(g->readStoredBlocks("no.such.weight", type, none));
  }
}

TEST(ModelSource, GgufKQuantsMatchTheFolder) {
  auto hf = openOrFail(kFixtures + "/llama-wide");
  ASSERT_TRUE(hf);
  for (auto [file, bound] : {std::pair{"llama-wide.f16.gguf", 1e-3}, {"llama-wide.q6_k.gguf", 0.04},
                            {"llama-wide.q4_k.gguf", 0.15}}) {
    auto g = openOrFail(kFixtures + "/" + file);
    ASSERT_TRUE(g);
    EXPECT_TRUE(g->spec().config.tiedEmbeddings);
    EXPECT_LE(maxRelativeDifference(*hf, *g), bound) << file;
  }
}

TEST(ModelSource, GgufGpt2MatchesTheFolder) {
  auto hf = openOrFail(kFixtures + "/gpt2-tiny");
  ASSERT_TRUE(hf);
  for (auto [file, bound] : {std::pair{"gpt2-tiny.f16.gguf", 1e-3}, {"gpt2-tiny.q8_0.gguf", 0.01}}) {
    auto g = openOrFail(kFixtures + "/" + file);
    ASSERT_TRUE(g);
    EXPECT_EQ(g->spec().layers[0].qkv.layout, WeightLayout::OutIn);
    EXPECT_EQ(g->spec().layers[1].up.module, "transformer.h.1.mlp.c_fc");
    EXPECT_LE(maxRelativeDifference(*hf, *g), bound) << file;
  }
}

namespace {
// A copy of a fixture folder whose config.json is edited by `edit`.
std::string editedConfig(const TempDir &dir, const std::string &fixture,
                         const std::string &from, const std::string &to) {
  std::string folder = dir.path(fixture);
  std::filesystem::copy(kFixtures + "/" + fixture, folder);
  std::ifstream in(folder + "/config.json");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos)
    text.replace(at, from.size(), to);
  std::ofstream(folder + "/config.json") << text;
  return folder;
}
} // namespace

TEST(ModelSourceErrors, ShapeMismatchNamesTheTensor) {
  TempDir dir;
  std::string folder = editedConfig(dir, "llama-tiny", "\"intermediate_size\": 64", "\"intermediate_size\": 48");
  EXPECT_EQ(openError(folder),
            folder + "/model.safetensors: tensor \"model.layers.0.mlp.gate_proj.weight\" has "
                     "shape [64, 32], but config.json implies [48, 32]");
}

TEST(ModelSourceErrors, MissingTensor) {
  TempDir dir;
  std::string folder = editedConfig(dir, "llama-tiny", "\"num_hidden_layers\": 2", "\"num_hidden_layers\": 3");
  EXPECT_NE(openError(folder).find("tensor \"model.layers.2.input_layernorm.weight\" is missing"),
            std::string::npos);
}

TEST(ModelSourceErrors, BadConfigValues) {
  TempDir dir;
  std::string folder = editedConfig(dir, "llama-tiny", "\"num_attention_heads\": 4", "\"num_attention_heads\": \"four\"");
  EXPECT_EQ(openError(folder), folder + "/config.json: \"num_attention_heads\" must be a positive integer, got \"four\"");
}

TEST(ModelSourceErrors, UnsupportedArchitecture) {
  TempDir dir;
  std::string folder = editedConfig(dir, "llama-tiny", "\"model_type\": \"llama\"", "\"model_type\": \"mamba\"");
  EXPECT_EQ(openError(folder), folder + "/config.json: \"model_type\" is \"mamba\"; slimtune supports llama and gpt2");
}

TEST(ModelSourceErrors, RopeScalingIsRefused) {
  TempDir dir;
  std::string folder = editedConfig(dir, "llama-tiny", "\"rope_scaling\": null",
                                    "\"rope_scaling\": {\"rope_type\": \"llama3\", \"factor\": 8.0}");
  EXPECT_NE(openError(folder).find("\"rope_scaling\" has rope_type \"llama3\", which slimtune does not support"),
            std::string::npos);
}

TEST(ModelSourceErrors, InvalidJson) {
  TempDir dir;
  std::string folder = editedConfig(dir, "llama-tiny", "{", "{{");
  EXPECT_NE(openError(folder).find("/config.json: invalid JSON"), std::string::npos);
}

TEST(ModelSourceErrors, Gpt2DropoutIsAWarning) {
  TempDir dir;
  std::string folder = editedConfig(dir, "gpt2-tiny", "\"attn_pdrop\": 0.0", "\"attn_pdrop\": 0.1");
  auto m = openOrFail(folder);
  ASSERT_TRUE(m);
  ASSERT_EQ(m->warnings().size(), 1u);
  EXPECT_NE(m->warnings()[0].find("attn_pdrop 0.1"), std::string::npos) << m->warnings()[0];
}

TEST(ModelSourceErrors, NotAModel) {
  TempDir dir;
  EXPECT_EQ(openError(dir.path("")), dir.path("") + ": no config.json (a model folder holds config.json and model.safetensors)");
  EXPECT_EQ(openError(dir.write("x.gguf", "hello")), dir.path("x.gguf") + ": not a GGUF file (no \"GGUF\" magic at the start)");
  EXPECT_EQ(openError(dir.path("nothing")), dir.path("nothing") + ": no such file or folder");
}

TEST(ModelSourceErrors, WeightDtype) {
  TempDir dir;
  std::string folder = dir.path("m");
  std::filesystem::copy(kFixtures + "/llama-tiny", folder);
  auto ckpt = SafetensorsFile::open(folder + "/model.safetensors");
  ASSERT_TRUE(ckpt.isOk());
  std::vector<TensorToWrite> tensors;
  std::vector<std::vector<int32_t>> ints;
  ints.reserve(ckpt->tensors().size());
  for (const TensorView &t : ckpt->tensors()) {
    if (t.name == "model.norm.weight") {
      ints.emplace_back(t.numel(), 1);
      tensors.push_back({t.name, DType::I32, t.shape, ints.back().data(), t.numel() * 4});
    } else {
      tensors.push_back({t.name, t.dtype, t.shape, t.data, t.bytes});
    }
  }
  ASSERT_TRUE(writeSafetensors(folder + "/model.safetensors.new", tensors).isOk());
  std::filesystem::rename(folder + "/model.safetensors.new", folder + "/model.safetensors");
  EXPECT_EQ(openError(folder), folder + "/model.safetensors: tensor \"model.norm.weight\" has dtype I32; weights must be F32, F16 or BF16");
}

TEST(ModelSourceErrors, AbsurdSizesAreRefusedBeforeAllocating) {
  TempDir dir;
  std::string folder = editedConfig(dir, "llama-tiny", "\"num_hidden_layers\": 2",
                                    "\"num_hidden_layers\": 1099511627776");
  EXPECT_EQ(openError(folder),
            folder + "/config.json: layers 1099511627776 is beyond slimtune's limit of 1024");
  GgufWriter w;
  w.addString("general.architecture", "llama");
  w.addUint32("llama.block_count", 4000000000u);
  w.addUint32("llama.embedding_length", 32);
  w.addUint32("llama.feed_forward_length", 64);
  w.addUint32("llama.attention.head_count", 4);
  w.addUint32("llama.context_length", 64);
  w.addUint32("llama.vocab_size", 96);
  w.addFloat32("llama.attention.layer_norm_rms_epsilon", 1e-5f);
  ASSERT_TRUE(w.write(dir.path("huge.gguf")).isOk());
  EXPECT_EQ(openError(dir.path("huge.gguf")),
            dir.path("huge.gguf") + ": layers 4000000000 is beyond slimtune's limit of 1024");
}
