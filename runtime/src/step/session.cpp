// A loaded step artifact: its manifest read and checked, its memory allocated as planned, its
// parameters bound by name, and steps run through the kernel table.
#include "slimtune/session.h"

#include "step/step_manifest.h"
#include "kernels/cpu/kernels.h"
#include "slimtune/kernel_abi.h"
#include "step/tracked_memory.h"
#include "support/finite.h"
#include "support/random.h"
#include "slimtune/sha256.h"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <limits>
#include <map>
#include <optional>

namespace slimtune {
namespace {

using StepFn = void (*)(const slimtune_step_args *);
using ManifestFn = const char *(*)();

bool endsWith(const std::string &s, const std::string &suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The kernels a step calls: the fast ones, unless SLIMTUNE_KERNELS asks for the plain
// references, all ("reference") or some ("reference:LAYER_NORM_GRAD,GELU_GRAD"), to check a
// whole step's fast kernels against their references.
void *const *kernelTableFromEnvironment() {
  static const std::vector<void *> table = [] {
    std::vector<void *> t(cpu::kernelTable(), cpu::kernelTable() + SLIMTUNE_KERNEL_COUNT);
    const char *choice = std::getenv("SLIMTUNE_KERNELS");
    std::string text = choice ? choice : "";
    if (text.rfind("reference", 0) != 0)
      return t;
    static const char *names[] = {
#define SLIMTUNE_KERNEL_NAME(ID, name, signature) #ID,
        SLIMTUNE_KERNELS(SLIMTUNE_KERNEL_NAME)
#undef SLIMTUNE_KERNEL_NAME
    };
    std::string list = text.size() > 10 ? "," + text.substr(10) + "," : "";
    for (int k = 0; k < SLIMTUNE_KERNEL_COUNT; ++k)
      if (list.empty() || list.find("," + std::string(names[k]) + ",") != std::string::npos)
        t[k] = cpu::referenceKernelTable()[k];
    return t;
  }();
  return table.data();
}

} // namespace

struct Session::Impl {
  std::string path;
  void *library = nullptr;
  StepFn step = nullptr;
  std::vector<StepBufferInfo> buffers;
  std::map<std::string, size_t> index;
  int64_t arenaBytes = 0;
  int64_t vocab = -1, classes = -1, ignoreIndex = -100, flops = 0;
  MemoryTracker memory;
  MemoryTracker::Block arena{nullptr, {nullptr, 0}}; // null when shared with another session
  void *arenaData = nullptr;
  std::vector<MemoryTracker::Block> storage;
  std::vector<void *> pointers;
  std::vector<bool> bound;
  int64_t steps = 0;
  std::string fingerprint; // of the frozen parameters; "" until asked for, or after a bind
  std::optional<LrSchedule> schedule; // the manifest's, for steps that take a learning rate
  std::string adapterConfig;          // the manifest's; "" for none

  ~Impl() {
    storage.clear();
    arena.reset();
    if (library)
      dlclose(library);
  }

  Status fail(const std::string &what) const { return Status::error(path + ": " + what); }

  Status readManifest(const char *text) {
    auto manifest = parseStepManifest(std::string_view(text, std::strlen(text)));
    if (!manifest)
      return fail(manifest.status().message());
    StepManifest &m = *manifest;
    arenaBytes = m.arenaBytes;
    vocab = m.vocab;
    classes = m.classes;
    ignoreIndex = m.ignoreIndex;
    flops = m.matmulFlops;
    schedule = m.schedule;
    adapterConfig = std::move(m.adapterConfig);
    for (StepBufferInfo &info : m.buffers) {
      if (!index.emplace(info.name, buffers.size()).second)
        return fail("manifest names buffer \"" + info.name + "\" twice");
      buffers.push_back(std::move(info));
    }
    return Status::ok();
  }

  Status allocate(const Session *shareWith) {
    if (shareWith && shareWith->arenaBytes() >= arenaBytes) {
      arenaData = shareWith->impl_->arenaData;
    } else {
      arena = memory.allocate(static_cast<size_t>(arenaBytes));
      if (!arena)
        return fail("cannot allocate the " + std::to_string(arenaBytes) + "-byte arena");
      arenaData = arena.get();
    }
    for (const StepBufferInfo &b : buffers) {
      if (void *shared = sharedParameter(shareWith, b)) {
        storage.push_back(MemoryTracker::Block{nullptr, {nullptr, 0}});
        pointers.push_back(shared);
        bound.push_back(true);
        continue;
      }
      storage.push_back(memory.allocate(static_cast<size_t>(b.bytes)));
      if (!storage.back())
        return fail("cannot allocate " + std::to_string(b.bytes) + " bytes for " + b.name);
      pointers.push_back(storage.back().get());
      // Optimizer state starts at zero; inputs and outputs need no binding.
      bound.push_back(b.role != "frozen" && b.role != "trainable");
    }
    return Status::ok();
  }

  // Copies a parameter's or optimizer state's values into buffer `at` and marks it bound, or
  // fails, leaving it unbound, when a value is NaN or infinite: training from it could only
  // produce NaN (or, through a kernel that hides one, a silently wrong adapter).
  Status store(size_t at, const void *data, int64_t bytes) {
    std::memcpy(pointers[at], data, static_cast<size_t>(bytes));
    if (buffers[at].role == "frozen")
      fingerprint.clear();
    if (buffers[at].dtype == "f32")
      if (std::string problem = nonFiniteProblem(static_cast<const float *>(pointers[at]), bytes / 4);
          !problem.empty()) {
        bound[at] = false;
        return Status::error("holds " + problem + "; parameters must be finite");
      }
    bound[at] = true;
    return Status::ok();
  }

  // The other session's buffer for parameter `b` when it has the same one (name, shape).
  static void *sharedParameter(const Session *other, const StepBufferInfo &b) {
    if (!other || (b.role != "frozen" && b.role != "trainable"))
      return nullptr;
    for (const StepBufferInfo &o : other->buffers())
      if (o.name == b.name && (o.role == "frozen" || o.role == "trainable") &&
          o.shape == b.shape && o.dtype == b.dtype)
        return other->bufferData(o.name);
    return nullptr;
  }

  const StepBufferInfo *find(const std::string &name, size_t *at = nullptr) const {
    auto it = index.find(name);
    if (it == index.end())
      return nullptr;
    if (at)
      *at = it->second;
    return &buffers[it->second];
  }

  const StepBufferInfo *byRole(const std::string &role, size_t *at) const {
    for (size_t i = 0; i < buffers.size(); ++i)
      if (buffers[i].role == role) {
        *at = i;
        return &buffers[i];
      }
    return nullptr;
  }

  // Token ids must index the embedding; targets the logits, or be the ignore index.
  Status validateBatch(const int32_t *tokens, const int32_t *targets, int64_t count) const {
    for (int64_t i = 0; i < count; ++i) {
      if (vocab > 0 && (tokens[i] < 0 || tokens[i] >= vocab))
        return Status::error("token id " + std::to_string(tokens[i]) + " at position " +
                             std::to_string(i) + " is outside the vocabulary (" +
                             std::to_string(vocab) + " tokens)");
      if (classes > 0 && targets[i] != ignoreIndex && (targets[i] < 0 || targets[i] >= classes))
        return Status::error("target " + std::to_string(targets[i]) + " at position " +
                             std::to_string(i) + " is outside the vocabulary (" +
                             std::to_string(classes) + " tokens) and not the ignore index " +
                             std::to_string(ignoreIndex));
    }
    return Status::ok();
  }
};

Session::Session() : impl_(std::make_unique<Impl>()) {}
Session::~Session() = default;

Expected<std::unique_ptr<Session>> Session::open(const std::string &artifactPath,
                                                 const Session *shareWith) {
  std::unique_ptr<Session> session(new Session());
  Impl &s = *session->impl_;
  s.path = artifactPath;
  // dlopen of a path without a slash searches the library path: make it explicit.
  std::string path = artifactPath.find('/') == std::string::npos ? "./" + artifactPath : artifactPath;
  s.library = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!s.library)
    return s.fail(std::string("cannot load: ") + dlerror());
  auto manifest = reinterpret_cast<ManifestFn>(dlsym(s.library, SLIMTUNE_MANIFEST_SYMBOL));
  s.step = reinterpret_cast<StepFn>(dlsym(s.library, SLIMTUNE_STEP_SYMBOL));
  if (!manifest || !s.step)
    return s.fail("not a slimtune step artifact (no " SLIMTUNE_STEP_SYMBOL ")");
  if (Status st = s.readManifest(manifest()); !st)
    return st;
  size_t at;
  if (!s.byRole("tokens", &at) || s.buffers[at].shape.size() != 2)
    return s.fail("the step has no [batch, seq] token input");
  if (Status st = s.allocate(shareWith); !st)
    return st;
  return session;
}

Status Session::bindModel(const ModelSource &model) {
  Impl &s = *impl_;
  std::vector<float> values;
  for (size_t i = 0; i < s.buffers.size(); ++i) {
    const StepBufferInfo &b = s.buffers[i];
    if (b.role != "frozen" && b.role != "trainable")
      continue;
    bool inModel = false;
    for (const StoredTensor &t : model.storedTensors())
      inModel |= t.name == b.name;
    if (!inModel)
      continue; // adapters: initialized or bound separately
    if (Status st = model.readF32(b.name, values); !st)
      return st;
    if (static_cast<int64_t>(values.size() * 4) != b.bytes)
      return Status::error(model.path() + ": tensor \"" + b.name + "\" has " +
                           std::to_string(values.size()) + " values; the step expects " +
                           std::to_string(b.bytes / 4));
    if (Status st = s.store(i, values.data(), b.bytes); !st)
      return Status::error(model.path() + ": tensor \"" + b.name + "\" " + st.message());
  }
  return Status::ok();
}

Status Session::bindTensor(const std::string &name, const float *data, int64_t count) {
  // The count in values (what a caller of the C API gave), then the bytes as bindBytes binds them.
  const StepBufferInfo *b = impl_->find(name);
  if (b && (count < 0 || count > INT64_MAX / 4 || count * 4 != b->bytes))
    return impl_->fail("\"" + name + "\" holds " + std::to_string(b->bytes / 4) + " values, not " +
                       std::to_string(count));
  if (Status st = bindBytes(name, data, b ? b->bytes : 0); !st)
    return impl_->fail(st.message());
  return Status::ok();
}

Status Session::bindBytes(const std::string &name, const void *data, int64_t bytes) {
  Impl &s = *impl_;
  size_t at;
  const StepBufferInfo *b = s.find(name, &at);
  if (!b || (b->role != "frozen" && b->role != "trainable" && b->role != "state"))
    return Status::error("the step has no parameter or optimizer state \"" + name + "\"");
  if (bytes != b->bytes)
    return Status::error("\"" + name + "\" holds " + std::to_string(b->bytes) +
                         " bytes in the step, not " + std::to_string(bytes));
  if (Status st = s.store(at, data, bytes); !st)
    return Status::error("\"" + name + "\" " + st.message());
  return Status::ok();
}

const std::string &Session::frozenFingerprint() const {
  Impl &s = *impl_;
  if (s.fingerprint.empty()) {
    // Names, shapes and values of every frozen parameter, in manifest order: two models with
    // the same shapes but other weights differ.
    Sha256 digest;
    for (size_t i = 0; i < s.buffers.size(); ++i) {
      const StepBufferInfo &b = s.buffers[i];
      if (b.role != "frozen")
        continue;
      digest.update(b.name).update("\0", 1);
      for (int64_t d : b.shape)
        digest.update(&d, sizeof d);
      digest.update(s.pointers[i], static_cast<size_t>(b.bytes));
    }
    s.fingerprint = digest.hex();
  }
  return s.fingerprint;
}

bool Session::allBound(const std::string &role) const {
  for (size_t i = 0; i < impl_->buffers.size(); ++i)
    if (impl_->buffers[i].role == role && !impl_->bound[i])
      return false;
  return true;
}

Status Session::initAdapters(LoraInit init, uint64_t seed) {
  Impl &s = *impl_;
  for (size_t i = 0; i < s.buffers.size(); ++i) {
    const StepBufferInfo &b = s.buffers[i];
    if (b.role != "trainable")
      continue;
    auto *values = static_cast<float *>(s.pointers[i]);
    int64_t count = b.bytes / 4;
    if (endsWith(b.name, ".lora_B.weight")) {
      std::fill(values, values + count, 0.0f); // PEFT: B = 0, so training starts at the base model
      s.bound[i] = true;
    } else if (endsWith(b.name, ".lora_A.weight") && b.shape.size() == 2) {
      SplitMix64 random(seed ^ fnv1a(b.name));
      double rank = static_cast<double>(b.shape[0]), fanIn = static_cast<double>(b.shape[1]);
      for (int64_t j = 0; j < count; ++j) {
        if (init == LoraInit::KaimingUniform) // kaiming_uniform_(a=sqrt(5)): bound 1/sqrt(fan_in)
          values[j] = static_cast<float>((2.0 * random.uniform() - 1.0) / std::sqrt(fanIn));
        else if (init == LoraInit::Gaussian) // normal_(std=1/r)
          values[j] = static_cast<float>(random.normal() / rank);
        else
          values[j] = 0.0f;
      }
      s.bound[i] = true;
    }
  }
  return Status::ok();
}

Expected<StepResult> Session::runStep(const int32_t *tokens, const int32_t *targets,
                                      std::optional<float> learningRate) {
  Impl &s = *impl_;
  for (size_t i = 0; i < s.buffers.size(); ++i)
    if (!s.bound[i])
      return s.fail("parameter \"" + s.buffers[i].name + "\" was never bound");
  size_t tokensAt = 0, targetsAt = 0, stepAt = 0, lrAt = 0;
  const bool takesRate = s.byRole("lr", &lrAt);
  float lr = std::numeric_limits<float>::quiet_NaN();
  if (takesRate) {
    if (learningRate)
      lr = *learningRate;
    else if (s.schedule)
      lr = s.schedule->at(s.steps);
    else
      return s.fail("the step takes a learning rate and was compiled without a schedule: "
                    "give one");
    if (!(lr >= 0) || !std::isfinite(lr))
      return s.fail("the learning rate must be a finite number >= 0, got " + std::to_string(lr));
    *static_cast<float *>(s.pointers[lrAt]) = lr;
  } else if (learningRate) {
    return s.fail("the step has no optimizer: it takes no learning rate");
  }
  s.byRole("tokens", &tokensAt);
  int64_t count = s.buffers[tokensAt].bytes / 4;
  if (Status st = s.validateBatch(tokens, targets, count); !st)
    return st;
  std::memcpy(s.pointers[tokensAt], tokens, count * 4);
  if (s.byRole("targets", &targetsAt))
    std::memcpy(s.pointers[targetsAt], targets, count * 4);
  bool optimizer = s.byRole("step", &stepAt);
  if (optimizer)
    *static_cast<int32_t *>(s.pointers[stepAt]) = static_cast<int32_t>(s.steps);

  slimtune_step_args args{SLIMTUNE_ABI_VERSION, static_cast<uint8_t *>(s.arenaData),
                          s.pointers.data(), kernelTableFromEnvironment()};
  s.step(&args);

  StepResult result;
  auto output = [&](const char *name) {
    size_t at;
    const StepBufferInfo *b = s.find(name, &at);
    return b && b->role == "output" ? *static_cast<float *>(s.pointers[at])
                                    : std::numeric_limits<float>::quiet_NaN();
  };
  result.loss = output("loss");
  result.gradNorm = output("grad_norm");
  result.lr = lr;
  if (optimizer)
    ++s.steps;
  result.step = s.steps;
  return result;
}

Status Session::readTensor(const std::string &name, float *out, int64_t count) const {
  size_t at;
  const StepBufferInfo *b = impl_->find(name, &at);
  if (!b) {
    const bool gradient = name.size() > 5 && name.compare(name.size() - 5, 5, ".grad") == 0;
    return impl_->fail("the step has no buffer \"" + name + "\"" +
                       (gradient && hasOptimizer()
                            ? " (a training step keeps its gradients only when compiled with "
                              "--keep-gradients)"
                            : ""));
  }
  if (count * 4 != b->bytes || b->dtype != "f32")
    return impl_->fail("\"" + name + "\" holds " + std::to_string(b->bytes) + " bytes of " +
                       b->dtype + ", not " + std::to_string(count) + " floats");
  std::memcpy(out, impl_->pointers[at], b->bytes);
  return Status::ok();
}

void *Session::bufferData(const std::string &name) const {
  size_t at;
  return impl_->find(name, &at) ? impl_->pointers[at] : nullptr;
}

const std::vector<StepBufferInfo> &Session::buffers() const { return impl_->buffers; }

int64_t Session::batchSize() const {
  size_t at;
  return impl_->byRole("tokens", &at)->shape[0];
}

int64_t Session::sequenceLength() const {
  size_t at;
  return impl_->byRole("tokens", &at)->shape[1];
}

bool Session::hasOptimizer() const {
  size_t at;
  return impl_->byRole("step", &at) != nullptr;
}

const std::optional<LrSchedule> &Session::schedule() const { return impl_->schedule; }
const std::string &Session::adapterConfig() const { return impl_->adapterConfig; }

int64_t Session::stepCount() const { return impl_->steps; }
void Session::setStepCount(int64_t steps) { impl_->steps = steps; }

int64_t Session::plannedBytes() const {
  auto rounded = [](int64_t b) { return std::max<int64_t>(64, (b + 63) / 64 * 64); };
  int64_t total = impl_->arena ? rounded(impl_->arenaBytes) : 0;
  for (size_t i = 0; i < impl_->buffers.size(); ++i)
    if (impl_->storage[i]) // not shared with another session
      total += rounded(impl_->buffers[i].bytes);
  return total;
}

int64_t Session::peakBytes() const { return impl_->memory.peak(); }
int64_t Session::arenaBytes() const { return impl_->arenaBytes; }
int32_t Session::ignoreIndex() const { return static_cast<int32_t>(impl_->ignoreIndex); }
int64_t Session::matmulFlops() const { return impl_->flops; }

} // namespace slimtune
