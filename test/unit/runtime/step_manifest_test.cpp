// The manifest a compiled step carries: sizes of 2 GiB and more read whole (an int once
// truncated them), every field type-checked, byte counts consistent with the shapes.
#include "step/step_manifest.h"

#include "slimtune/kernel_abi.h"

#include <gtest/gtest.h>

#include <string>

using slimtune::parseStepManifest;

namespace {
std::string manifest(const std::string &arena, const std::string &buffers,
                     const std::string &extra = "") {
  return R"({"format": "slimtune-step", "abi_version": )" + std::to_string(SLIMTUNE_ABI_VERSION) +
         R"(, "arena_bytes": )" + arena + R"(, "buffers": [)" + buffers + "]" + extra + "}";
}
const std::string kTokens =
    R"({"name": "tokens", "role": "tokens", "dtype": "i32", "shape": [4, 256], "bytes": 4096})";

std::string errorOf(const std::string &text) {
  auto parsed = parseStepManifest(text);
  return parsed ? "" : parsed.status().message();
}
} // namespace

TEST(StepManifest, SizesPastFourGiBAreReadWhole) {
  const std::string logits = R"({"name": "result", "role": "output", "dtype": "f32",)"
                             R"( "shape": [16, 256, 270000], "bytes": 4423680000})";
  auto parsed = parseStepManifest(manifest("9000000000", kTokens + ", " + logits));
  ASSERT_TRUE(parsed) << parsed.status().message();
  EXPECT_EQ(parsed->arenaBytes, 9000000000);
  EXPECT_EQ(parsed->buffers[1].bytes, 4423680000);
}

TEST(StepManifest, MalformedFieldsAreNamed) {
  EXPECT_EQ(errorOf(manifest("\"big\"", kTokens)), "manifest: \"arena_bytes\" must be an integer, got \"big\"");
  EXPECT_EQ(errorOf(manifest("18446744073709551615", kTokens)),
            "manifest: \"arena_bytes\" must be an integer, got 18446744073709551615");
  EXPECT_EQ(errorOf(manifest("-1", kTokens)), "manifest lacks arena_bytes or buffers");
  EXPECT_EQ(errorOf(manifest("64", kTokens, R"(, "ignore_index": 4294967296)")),
            "manifest: ignore_index 4294967296 is not a 32-bit id");
  EXPECT_EQ(errorOf(manifest("64", R"({"name": "x", "role": "frozen", "dtype": "f32", "shape": [2], "bytes": 9})")),
            "manifest buffer \"x\" is malformed");
  // A shape whose product overflows is malformed, not a small allocation.
  EXPECT_EQ(errorOf(manifest("64", R"({"name": "x", "role": "frozen", "dtype": "f32",)"
                                   R"( "shape": [4294967296, 4294967296], "bytes": 0})")),
            "manifest buffer \"x\" is malformed");
  EXPECT_EQ(errorOf(manifest("64", kTokens, R"(, "lr_schedule": {"kind": "cosine", "lr": 0.001,)"
                                            R"( "warmup_steps": 10, "total_steps": 5, "min_lr": 0})")),
            R"(manifest: "lr_schedule" {"kind":"cosine","lr":0.001,"min_lr":0,"total_steps":5,"warmup_steps":10} is not a schedule)");
  EXPECT_NE(errorOf(R"({"format": "slimtune-step", "abi_version": 1})").find("built for kernel ABI 1"),
            std::string::npos);
}

TEST(StepManifest, ScheduleAndAdapterConfigAreRead) {
  auto parsed = parseStepManifest(manifest("64", kTokens,
                                           R"(, "lr_schedule": {"kind": "cosine", "lr": 0.001, "warmup_steps": 2,)"
                                           R"( "total_steps": 10, "min_lr": 0}, "adapter_config": "{\"r\": 8}")"));
  ASSERT_TRUE(parsed) << parsed.status().message();
  ASSERT_TRUE(parsed->schedule);
  EXPECT_TRUE(parsed->schedule->cosine);
  EXPECT_FLOAT_EQ(parsed->schedule->at(0), 0.0005f);
  EXPECT_EQ(parsed->adapterConfig, "{\"r\": 8}");
}

TEST(StepManifest, TargetIsReadAndDefaultsToTheCpu) {
  auto older = parseStepManifest(manifest("64", kTokens));
  ASSERT_TRUE(older) << older.status().message();
  EXPECT_EQ(older->target, "cpu");
  auto cuda = parseStepManifest(manifest("64", kTokens, R"(, "target": "cuda")"));
  ASSERT_TRUE(cuda) << cuda.status().message();
  EXPECT_EQ(cuda->target, "cuda");
  EXPECT_EQ(errorOf(manifest("64", kTokens, R"(, "target": 3)")),
            "manifest: \"target\" must be a target name, got 3");
  EXPECT_EQ(errorOf(manifest("64", kTokens, R"(, "target": "")")),
            "manifest: \"target\" must be a target name, got \"\"");
}

TEST(StepManifest, BuffersTheRuntimeFillsHaveItsTypes) {
  EXPECT_EQ(errorOf(manifest("64", R"({"name": "tokens", "role": "tokens", "dtype": "f32",)"
                                   R"( "shape": [4, 256], "bytes": 4096})")),
            "manifest buffer \"tokens\" (tokens) is f32; the runtime takes it as i32");
  EXPECT_EQ(errorOf(manifest("64", kTokens + R"(, {"name": "lr", "role": "lr", "dtype": "f64",)"
                                             R"( "shape": [], "bytes": 8})")),
            "manifest buffer \"lr\" (lr) is f64; the runtime takes it as f32");
  EXPECT_EQ(errorOf(manifest("64", kTokens + R"(, {"name": "loss", "role": "output", "dtype": "i32",)"
                                             R"( "shape": [], "bytes": 4})")),
            "manifest buffer \"loss\" (output) is i32; the runtime takes it as f32");
  // Other buffers may have any of the three types.
  auto parsed = parseStepManifest(manifest("64", kTokens + R"(, {"name": "sum", "role": "state",)"
                                                           R"( "dtype": "f64", "shape": [1], "bytes": 8})"));
  ASSERT_TRUE(parsed) << parsed.status().message();
  EXPECT_EQ(parsed->buffers[1].elementType(), slimtune::DType::F64);
}
