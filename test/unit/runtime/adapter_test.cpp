// adapter_config.json: which layers PEFT's rules adapt (targets, exclusions, layer filters,
// per-module rank/alpha in file order, rsLoRA), and refusal of settings that change the math.
#include "slimtune/adapter.h"

#include "support/temp_dir.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace slimtune;
using slimtune::testing::TempDir;

namespace {
const std::string kFixtures = SLIMTUNE_FIXTURES_DIR;

class AdapterTest : public ::testing::Test {
protected:
  void SetUp() override {
    llama_ = ModelSource::open(kFixtures + "/llama-tiny").take();
    gpt2_ = ModelSource::open(kFixtures + "/gpt2-tiny").take();
  }

  // Resolves `json` against a model; returns the adapted module paths or the error.
  std::vector<std::string> resolve(const std::string &json, const ModelSource &model,
                                   std::vector<AdaptedLinear> *out = nullptr) {
    warnings_.clear();
    auto config = parseAdapterConfig(dir_.write("adapter_config.json", json), warnings_);
    if (!config)
      return {"error: " + config.status().message()};
    auto adapted = resolveAdapters(*config, model.spec(), warnings_);
    if (!adapted)
      return {"error: " + adapted.status().message()};
    std::vector<std::string> modules;
    for (const AdaptedLinear &a : *adapted)
      modules.push_back(a.linear->module);
    if (out)
      *out = adapted.take();
    return modules;
  }

  std::string error(const std::string &json) {
    auto r = resolve(json, *llama_);
    return r.size() == 1 && r[0].rfind("error: ", 0) == 0 ? r[0].substr(7) : "no error";
  }

  TempDir dir_;
  std::unique_ptr<ModelSource> llama_, gpt2_;
  std::vector<std::string> warnings_;
};
} // namespace

TEST_F(AdapterTest, DefaultTargetsPerFamily) {
  std::vector<AdaptedLinear> adapted;
  EXPECT_EQ(resolve(R"({"peft_type":"LORA","r":8,"lora_alpha":16})", *llama_, &adapted),
            (std::vector<std::string>{"model.layers.0.self_attn.q_proj", "model.layers.0.self_attn.v_proj",
                                      "model.layers.1.self_attn.q_proj", "model.layers.1.self_attn.v_proj"}));
  EXPECT_EQ(adapted[0].scale, 2.0);
  EXPECT_EQ(adapted[0].loraA, "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight");
  EXPECT_EQ(adapted[1].loraB, "base_model.model.model.layers.0.self_attn.v_proj.lora_B.weight");
  EXPECT_EQ(resolve(R"({"peft_type":"LORA","fan_in_fan_out":true})", *gpt2_),
            (std::vector<std::string>{"transformer.h.0.attn.c_attn", "transformer.h.1.attn.c_attn"}));
  EXPECT_TRUE(warnings_.empty());
}

TEST_F(AdapterTest, ListEntriesMatchWholeTrailingComponents) {
  EXPECT_EQ(resolve(R"({"target_modules":["self_attn.o_proj","proj"]})", *llama_),
            (std::vector<std::string>{"model.layers.0.self_attn.o_proj", "model.layers.1.self_attn.o_proj"}));
}

TEST_F(AdapterTest, RegexIsAFullMatch) {
  EXPECT_EQ(resolve(R"({"target_modules":".*\\.1\\.mlp\\.(up|down)_proj"})", *llama_),
            (std::vector<std::string>{"model.layers.1.mlp.up_proj", "model.layers.1.mlp.down_proj"}));
  EXPECT_NE(error(R"({"target_modules":"q_proj"})").find("matches no linear layer"), std::string::npos);
}

TEST_F(AdapterTest, AllLinearLeavesOutTheHead) {
  EXPECT_EQ(resolve(R"({"target_modules":"ALL-LINEAR"})", *llama_).size(), 14u);
  auto gpt2 = resolve(R"({"target_modules":"all-linear","fan_in_fan_out":true})", *gpt2_);
  EXPECT_EQ(gpt2.size(), 8u);
  EXPECT_EQ(gpt2.back(), "transformer.h.1.mlp.c_proj");
}

TEST_F(AdapterTest, TheHeadCanBeTargetedByName) {
  EXPECT_EQ(resolve(R"({"target_modules":["lm_head"]})", *llama_), (std::vector<std::string>{"lm_head"}));
}

TEST_F(AdapterTest, Exclusions) {
  EXPECT_EQ(resolve(R"({"target_modules":["q_proj"],"exclude_modules":["layers.0.self_attn.q_proj"]})", *llama_),
            (std::vector<std::string>{"model.layers.1.self_attn.q_proj"}));
  EXPECT_EQ(resolve(R"({"target_modules":"all-linear","exclude_modules":".*mlp.*"})", *llama_).size(), 8u);
}

TEST_F(AdapterTest, LayersToTransform) {
  EXPECT_EQ(resolve(R"({"target_modules":["q_proj","v_proj"],"layers_to_transform":1})", *llama_),
            (std::vector<std::string>{"model.layers.1.self_attn.q_proj", "model.layers.1.self_attn.v_proj"}));
  EXPECT_EQ(resolve(R"({"target_modules":["c_fc"],"layers_to_transform":[0],"layers_pattern":"h","fan_in_fan_out":true})", *gpt2_),
            (std::vector<std::string>{"transformer.h.0.mlp.c_fc"}));
  // A layers_pattern that names no layer list leaves nothing to adapt.
  EXPECT_NE(error(R"({"target_modules":["q_proj"],"layers_to_transform":[0],"layers_pattern":"blocks"})")
                .find("matches no linear layer"),
            std::string::npos);
  // An exact module name is adapted whatever layers_to_transform says, as in PEFT.
  EXPECT_EQ(resolve(R"({"target_modules":["model.layers.0.self_attn.q_proj"],"layers_to_transform":[1]})", *llama_),
            (std::vector<std::string>{"model.layers.0.self_attn.q_proj"}));
}

TEST_F(AdapterTest, RankAndAlphaPatternsTakeTheFirstMatchInFileOrder) {
  std::vector<AdaptedLinear> a;
  resolve(R"({"r":8,"lora_alpha":16,"target_modules":["q_proj","v_proj"],)"
          R"("rank_pattern":{"q_proj":4,"layers.0.self_attn.q_proj":2},"alpha_pattern":{".*v_proj":4}})",
          *llama_, &a);
  ASSERT_EQ(a.size(), 4u);
  EXPECT_EQ(a[0].rank, 4); // "q_proj" comes first in the file and matches layer 0 too
  EXPECT_EQ(a[0].scale, 16.0 / 4);
  EXPECT_EQ(a[1].rank, 8);
  EXPECT_EQ(a[1].alpha, 4.0);
  EXPECT_EQ(a[1].scale, 0.5);
  // Patterns match whole trailing components: "proj" matches no module name.
  resolve(R"({"target_modules":["q_proj"],"rank_pattern":{"proj":2}})", *llama_, &a);
  EXPECT_EQ(a[0].rank, 8);
}

TEST_F(AdapterTest, RsLoraScale) {
  std::vector<AdaptedLinear> a;
  resolve(R"({"r":16,"lora_alpha":8,"use_rslora":true})", *llama_, &a);
  EXPECT_DOUBLE_EQ(a[0].scale, 8.0 / 4.0);
}

TEST_F(AdapterTest, NonLinearTargetsAreRefused) {
  EXPECT_EQ(error(R"({"target_modules":["embed_tokens"]})"),
            dir_.path("adapter_config.json") +
                ": target_modules [\"embed_tokens\"] matches \"model.embed_tokens\", an embedding; "
                "LoRA adapts linear layers only");
  EXPECT_NE(error(R"({"target_modules":["self_attn"]})").find("an attention block"), std::string::npos);
  EXPECT_NE(error(R"({"target_modules":".*"})").find("the whole model"), std::string::npos);
}

TEST_F(AdapterTest, MathChangingKeysAreRefusedByName) {
  std::string path = dir_.path("adapter_config.json");
  EXPECT_EQ(error(R"({"use_dora":true})"), path + ": \"use_dora\" is true: slimtune does not support DoRA adapters");
  EXPECT_NE(error(R"({"modules_to_save":["lm_head"]})").find("\"modules_to_save\" is [\"lm_head\"]"), std::string::npos);
  EXPECT_NE(error(R"({"bias":"lora_only"})").find("\"bias\" is \"lora_only\""), std::string::npos);
  EXPECT_NE(error(R"({"init_lora_weights":"pissa"})").find("\"init_lora_weights\" is \"pissa\""), std::string::npos);
  EXPECT_NE(error(R"({"peft_type":"IA3"})").find("\"peft_type\" is \"IA3\""), std::string::npos);
  EXPECT_NE(error(R"({"task_type":"SEQ_CLS"})").find("\"task_type\" is \"SEQ_CLS\""), std::string::npos);
  EXPECT_NE(error(R"({"lora_dropout":1.0})").find("\"lora_dropout\" must be in [0, 1)"), std::string::npos);
  EXPECT_NE(error(R"({"r":0})").find("\"r\" must be a positive integer, got 0"), std::string::npos);
  EXPECT_NE(error(R"({"target_modules":"(q"})").find("\"target_modules\" is an invalid regular expression"), std::string::npos);
  EXPECT_NE(error(R"({"target_modules":"q.*","layers_to_transform":[0]})").find("cannot be used with a regex"), std::string::npos);
  EXPECT_NE(error(R"({"rank_pattern":{"q_proj":"big"}})").find("not a rank in [1, 65536]"), std::string::npos);
  EXPECT_NE(error(R"({"r":1099511627776})").find("\"r\" is 1099511627776; slimtune's limit is 65536"),
            std::string::npos);
  EXPECT_NE(error(R"({"r":8,"r":9})").find("duplicate key \"r\""), std::string::npos);
}

TEST_F(AdapterTest, DefaultsOfRefusedKeysAndUnknownKeys) {
  auto modules = resolve(R"({"peft_type":"LORA","use_dora":false,"modules_to_save":null,"loftq_config":{},)"
                         R"("inference_mode":true,"my_note":"x"})", *llama_);
  EXPECT_EQ(modules.size(), 4u);
  ASSERT_EQ(warnings_.size(), 1u);
  EXPECT_NE(warnings_[0].find("unknown key \"my_note\" is ignored"), std::string::npos);
}

TEST_F(AdapterTest, FanInFanOutFollowsTheLayerType) {
  resolve(R"({"peft_type":"LORA"})", *gpt2_);
  ASSERT_EQ(warnings_.size(), 1u);
  EXPECT_NE(warnings_[0].find("GPT-2's layers are Conv1D"), std::string::npos);
  resolve(R"({"peft_type":"LORA","fan_in_fan_out":true})", *llama_);
  ASSERT_EQ(warnings_.size(), 1u);
  EXPECT_NE(warnings_[0].find("nn.Linear"), std::string::npos);
}
