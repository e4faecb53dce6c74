// The text files of a checkpoint folder: checksums.sha256 and trainer_state.json.
#include "step/checkpoint_files.h"

#include <gtest/gtest.h>

namespace slimtune {
namespace {

const std::string kDigest(64, 'a');

TEST(CheckpointChecksums, ListsEveryFile) {
  auto listed = parseCheckpointChecksums(kDigest + "  adapter_model.safetensors\n" + kDigest +
                                             "  optimizer.safetensors\n" + std::string(64, 'b') +
                                             "  trainer_state.json",
                                         "c/checksums.sha256");
  ASSERT_TRUE(listed) << listed.status().message();
  EXPECT_EQ(listed->size(), 3u);
  EXPECT_EQ(listed->at("trainer_state.json"), std::string(64, 'b'));
}

TEST(CheckpointChecksums, NegativeMalformedOrIncomplete) {
  auto error = [](const std::string &text) {
    auto r = parseCheckpointChecksums(text, "c/checksums.sha256");
    return r ? std::string("ok") : r.status().message();
  };
  EXPECT_EQ(error(kDigest + " adapter_model.safetensors\n"),
            "c/checksums.sha256: malformed line \"" + kDigest +
                " adapter_model.safetensors\": the checkpoint is corrupt");
  EXPECT_NE(error("abc  adapter_model.safetensors\n").find("malformed line"), std::string::npos);
  EXPECT_NE(error(kDigest + "  ../trainer_state.json\n").find("malformed line"), std::string::npos);
  EXPECT_NE(error(kDigest + "  \n").find("malformed line"), std::string::npos);
  EXPECT_EQ(error(kDigest + "  adapter_model.safetensors\n"),
            "c/checksums.sha256: does not list optimizer.safetensors: the checkpoint is corrupt");
  EXPECT_NE(error("").find("does not list adapter_model.safetensors"), std::string::npos);
}

TEST(TrainerState, ReadsStepAndTrainer) {
  auto state = parseTrainerState(
      R"({"format": "slimtune-checkpoint", "version": 1, "step": 12, "trainer": {"loss": 2.5}})",
      "c/trainer_state.json");
  ASSERT_TRUE(state) << state.status().message();
  EXPECT_EQ(state->step, 12);
  EXPECT_EQ(state->trainerJson, R"({"loss":2.5})");
  EXPECT_EQ(state->adapterConfig, "");
}

TEST(TrainerState, NegativeNotACheckpoint) {
  auto error = [](const std::string &text) {
    auto r = parseTrainerState(text, "c/trainer_state.json");
    return r ? std::string("ok") : r.status().message();
  };
  EXPECT_EQ(error(R"([1])"), "c/trainer_state.json: not a slimtune checkpoint");
  EXPECT_EQ(error(R"({"format": "other", "version": 1, "step": 1, "trainer": {}})"),
            "c/trainer_state.json: not a slimtune checkpoint");
  EXPECT_EQ(error(R"({"format": "slimtune-checkpoint", "version": 2, "step": 1, "trainer": {}})"),
            "c/trainer_state.json: checkpoint version 2; this slimtune reads 1");
  EXPECT_EQ(error(R"({"format": "slimtune-checkpoint", "version": 1, "step": -1, "trainer": {}})"),
            "c/trainer_state.json: lacks a step count or the trainer's state");
  EXPECT_EQ(error(R"({"format": "slimtune-checkpoint", "version": 1, "step": 1, "trainer": []})"),
            "c/trainer_state.json: lacks a step count or the trainer's state");
  EXPECT_NE(error("{").find("invalid JSON"), std::string::npos);
}

// Found by fuzz-checkpoint_state: fields of another type made nlohmann's value() throw out of
// the parser, and versions were converted to int before comparing.
TEST(TrainerState, NegativeFieldsOfAnotherType) {
  auto error = [](const std::string &text) {
    auto r = parseTrainerState(text, "c/trainer_state.json");
    return r ? std::string("ok") : r.status().message();
  };
  EXPECT_EQ(error(R"({"format": 2, "step": 1, "trainer": {}})"),
            "c/trainer_state.json: not a slimtune checkpoint");
  auto withVersion = [&](const std::string &version) {
    return error(R"({"format": "slimtune-checkpoint", "version": )" + version +
                 R"(, "step": 1, "trainer": {}})");
  };
  EXPECT_EQ(withVersion("\"1\""),
            "c/trainer_state.json: checkpoint version \"1\"; this slimtune reads 1");
  EXPECT_EQ(withVersion("4294967297"),
            "c/trainer_state.json: checkpoint version 4294967297; this slimtune reads 1");
  EXPECT_NE(withVersion("1e300").find("checkpoint version 1e+300"), std::string::npos);
  EXPECT_NE(withVersion("1.5").find("checkpoint version 1.5"), std::string::npos);
  EXPECT_EQ(withVersion("1"), "ok");
  EXPECT_EQ(error(R"({"format": "slimtune-checkpoint", "step": 1, "trainer": {}})"),
            "c/trainer_state.json: checkpoint version -1; this slimtune reads 1");
}

} // namespace
} // namespace slimtune
