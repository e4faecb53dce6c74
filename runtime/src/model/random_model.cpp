// A model of random weights from config.json (random_model.h).
#include "model/random_model.h"

#include "formats/json_input.h"
#include "kernels/common/counter_random.h"
#include "model/model_spec_builders.h"

#include <cmath>
#include <sys/stat.h>

namespace slimtune {
namespace {

// The initializer_range config.json gives (HF's default 0.02 otherwise); malformed values are
// the config reader's to refuse, so a bad one here only falls back.
double initializerRange(const std::string &text) {
  auto parsed = parseJsonStrict(text.data(), text.data() + text.size());
  if (parsed && parsed->is_object() && parsed->contains("initializer_range") &&
      (*parsed)["initializer_range"].is_number()) {
    const double range = (*parsed)["initializer_range"].get<double>();
    if (std::isfinite(range) && range > 0 && range < 1)
      return range;
  }
  return 0.02;
}

// Element i of tensor stream `stream`: a standard normal from two counter-based uniforms
// (Box-Muller), so any element is drawn without the ones before it.
float normalAt(uint64_t stream, uint64_t i) {
  const uint64_t bits = slimtune_mix64(stream + 2 * i), more = slimtune_mix64(stream + 2 * i + 1);
  const double u1 = (static_cast<double>(bits >> 11) + 1.0) * (1.0 / 9007199254740993.0); // (0, 1]
  const double u2 = static_cast<double>(more >> 11) * (1.0 / 9007199254740992.0);         // [0, 1)
  return static_cast<float>(std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2));
}

uint64_t nameHash(const std::string &name) {
  uint64_t h = 1469598103934665603ull; // FNV-1a
  for (unsigned char c : name)
    h = (h ^ c) * 1099511628211ull;
  return h;
}

} // namespace

Expected<std::unique_ptr<ModelSource>> RandomModelSource::open(const std::string &path,
                                                               uint64_t seed) {
  struct stat st;
  std::string config = path;
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
    config = path + "/config.json";
  else if (::stat(path.c_str(), &st) != 0)
    return Status::error(path + ": no such file or folder");
  auto source = std::unique_ptr<RandomModelSource>(new RandomModelSource());
  source->path_ = path;
  source->seed_ = seed;
  SLIMTUNE_TRY(text, readSmallFile(config));
  SLIMTUNE_TRY(parsed, parseHfConfigText(text, config, source->warnings_));
  source->stddev_ = initializerRange(text);
  source->spec_ = parsed.family == ModelFamily::Llama ? buildLlamaSpec(parsed, TensorNaming::HuggingFace)
                                                      : buildGpt2Spec(parsed, TensorNaming::HuggingFace);
  const ModelSpec &spec = source->spec_;
  auto mark = [&](const std::string &name, Fill fill) {
    if (!name.empty())
      source->fill_[name] = fill;
  };
  auto norm = [&](const NormSpec &n) {
    mark(n.weight, Fill::Ones);
    mark(n.bias, Fill::Zeros);
  };
  for (const LayerSpec &l : spec.layers) {
    norm(l.attnNorm);
    norm(l.mlpNorm);
  }
  norm(spec.finalNorm);
  for (const LinearSpec *l : spec.linears())
    mark(l->bias, Fill::Zeros);
  for (const auto &[name, shape] : expectedWeights(spec)) {
    uint64_t bytes = 4;
    for (int64_t d : shape)
      bytes *= static_cast<uint64_t>(d);
    source->stored_.push_back({name, "F32", shape, bytes, "(random, seed " + std::to_string(seed) + ")"});
    source->fill_.emplace(name, Fill::Normal); // keeps Ones/Zeros marked above
  }
  return std::unique_ptr<ModelSource>(std::move(source));
}

Expected<std::unique_ptr<ModelSource>> ModelSource::openRandom(const std::string &path,
                                                               uint64_t seed) {
  return RandomModelSource::open(path, seed);
}

Status RandomModelSource::readF32(const std::string &name, std::vector<float> &out) const {
  const StoredTensor *tensor = nullptr;
  for (const StoredTensor &t : stored_)
    if (t.name == name)
      tensor = &t;
  if (!tensor)
    return Status::error(path_ + ": no tensor \"" + name + "\" in a " +
                         familyName(spec_.config.family) + " model");
  const int64_t count = static_cast<int64_t>(tensor->bytes / 4);
  out.resize(static_cast<size_t>(count));
  const Fill fill = fill_.at(name);
  if (fill != Fill::Normal) {
    std::fill(out.begin(), out.end(), fill == Fill::Ones ? 1.0f : 0.0f);
    return Status::ok();
  }
  const uint64_t stream = slimtune_mix64(seed_ ^ nameHash(name));
  const float scale = static_cast<float>(stddev_);
  float *data = out.data();
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < count; ++i)
    data[i] = scale * normalAt(stream, static_cast<uint64_t>(i));
  return Status::ok();
}

} // namespace slimtune
