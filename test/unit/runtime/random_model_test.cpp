// Models of random weights from config.json alone (ModelSource::openRandom): the spec of the
// folder's own config, every weight the spec expects, drawn as Hugging Face initializes them,
// and the same values for the same seed whichever order they are read in.
#include "slimtune/model.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

using namespace slimtune;

namespace {
const std::string kFixtures = SLIMTUNE_FIXTURES_DIR;

std::vector<float> read(const ModelSource &model, const std::string &name) {
  std::vector<float> values;
  Status st = model.readF32(name, values);
  EXPECT_TRUE(st.isOk()) << st.message();
  return values;
}

TEST(RandomModel, SpecAndTensorsOfTheConfig) {
  auto real = ModelSource::open(kFixtures + "/llama-tiny");
  auto random = ModelSource::openRandom(kFixtures + "/llama-tiny/config.json", 3);
  ASSERT_TRUE(real) << real.status().message();
  ASSERT_TRUE(random) << random.status().message();
  EXPECT_EQ((*random)->spec().config.hiddenSize, (*real)->spec().config.hiddenSize);
  EXPECT_EQ((*random)->spec().layers.size(), (*real)->spec().layers.size());
  EXPECT_EQ(expectedWeights((*random)->spec()), expectedWeights((*real)->spec()));
  EXPECT_EQ((*random)->storedTensors().size(), expectedWeights((*random)->spec()).size());
  EXPECT_EQ((*random)->format(), "random weights (seed 3)");
}

TEST(RandomModel, DrawnAsHuggingFaceInitializes) {
  auto model = ModelSource::openRandom(kFixtures + "/gpt2-tiny", 11);
  ASSERT_TRUE(model) << model.status().message();
  const ModelSpec &spec = (*model)->spec();
  // Norm scales 1, biases 0.
  for (float v : read(**model, spec.layers[0].attnNorm.weight))
    EXPECT_EQ(v, 1.0f);
  for (float v : read(**model, spec.layers[0].attnNorm.bias))
    EXPECT_EQ(v, 0.0f);
  for (float v : read(**model, spec.layers[0].qkv.bias))
    EXPECT_EQ(v, 0.0f);
  // Matrices normal(0, initializer_range): GPT-2's config gives 0.02.
  std::vector<float> w = read(**model, spec.tokenEmbedding);
  double sum = 0, squares = 0;
  for (float v : w) {
    ASSERT_TRUE(std::isfinite(v));
    sum += v;
    squares += double(v) * v;
  }
  const double mean = sum / w.size(), stddev = std::sqrt(squares / w.size() - mean * mean);
  EXPECT_NEAR(mean, 0.0, 4 * 0.02 / std::sqrt(double(w.size())));
  EXPECT_NEAR(stddev, 0.02, 0.02 * 0.05) << w.size() << " values";
}

TEST(RandomModel, TheSeedDecidesTheValues) {
  auto a = ModelSource::openRandom(kFixtures + "/llama-tiny", 5);
  auto b = ModelSource::openRandom(kFixtures + "/llama-tiny", 5);
  auto c = ModelSource::openRandom(kFixtures + "/llama-tiny", 6);
  ASSERT_TRUE(a && b && c);
  const std::string first = (*a)->storedTensors().front().name;
  const std::string last = (*a)->storedTensors().back().name;
  // Read in another order: the same values.
  std::vector<float> aLast = read(**a, last), aFirst = read(**a, first);
  EXPECT_EQ(read(**b, first), aFirst);
  EXPECT_EQ(read(**b, last), aLast);
  EXPECT_NE(read(**c, first), aFirst);
  // Two tensors of one model are not the same draws.
  const std::string q = (*a)->spec().layers[0].q.weight, k = (*a)->spec().layers[0].k.weight;
  std::vector<float> qv = read(**a, q), kv = read(**a, k);
  EXPECT_NE(std::vector<float>(qv.begin(), qv.begin() + 8), std::vector<float>(kv.begin(), kv.begin() + 8));
}

TEST(RandomModel, BadPathsAndConfigsAreNamed) {
  auto missing = ModelSource::openRandom("/nonexistent/config.json", 1);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.status().message(), "/nonexistent/config.json: no such file or folder");
  auto notConfig = ModelSource::openRandom(kFixtures + "/llama-tiny/model.safetensors", 1);
  ASSERT_FALSE(notConfig);
  EXPECT_NE(notConfig.status().message().find("model.safetensors"), std::string::npos)
      << notConfig.status().message();
  std::vector<float> out;
  auto model = ModelSource::openRandom(kFixtures + "/llama-tiny", 1);
  ASSERT_TRUE(model);
  Status st = (*model)->readF32("no.such.tensor", out);
  EXPECT_FALSE(st.isOk());
  EXPECT_NE(st.message().find("no.such.tensor"), std::string::npos);
}

} // namespace
