// A loaded step artifact: its manifest read and checked, its memory allocated on its device
// as planned, its parameters bound by name, and steps run through the device's kernel table.
// Step memory is the device's: everything read from it or written to it goes through
// copyIn/copyOut.
#include "slimtune/session.h"

#include "kernels/cpu/convert.h"

#include "slimtune/device.h"
#include "slimtune/kernel_abi.h"
#include "slimtune/sha256.h"
#include "step/step_manifest.h"
#include "step/svd_factors.h"
#include "support/finite.h"
#include "support/random.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <dlfcn.h>
#include <array>
#include <chrono>
#include <climits>
#include <limits>
#include <map>
#include <optional>
#include <vector>

namespace slimtune {
namespace {

using StepFn = int32_t (*)(const slimtune_step_args *);
using ManifestFn = const char *(*)();

constexpr int64_t kFloat = sizeof(float);

bool endsWith(const std::string &s, const std::string &suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

} // namespace

struct Session::Impl {
  std::shared_ptr<Device> device; // first: destroyed after the memory it lent
  std::string path;
  void *library = nullptr;
  StepFn step = nullptr;
  std::vector<StepBufferInfo> buffers;
  std::map<std::string, size_t> index;
  std::string target; // the manifest's
  int64_t arenaBytes = 0;
  int64_t vocab = -1, classes = -1, ignoreIndex = -100, flops = 0;
  DeviceMemory arena; // empty when shared with another session
  void *arenaData = nullptr;
  std::vector<DeviceMemory> storage; // empty where a parameter is shared
  std::vector<void *> pointers;      // device pointers
  std::vector<bool> bound;
  int64_t steps = 0;
  std::string fingerprint; // of the frozen parameters; "" until asked for, or after a bind
  std::optional<LrSchedule> schedule; // the manifest's, for steps that take a learning rate
  std::string adapterConfig;          // the manifest's; "" for none
  std::string svdCacheFolder = defaultSvdCacheFolder();
  SvdBindStats svdStats;

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
    target = std::move(m.target);
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
      auto memory = device->allocate(arenaBytes);
      if (!memory)
        return fail("cannot allocate the " + std::to_string(arenaBytes) + "-byte arena");
      arena = memory.take();
      arenaData = arena.data();
    }
    for (const StepBufferInfo &b : buffers) {
      if (void *shared = sharedParameter(shareWith, b)) {
        storage.emplace_back();
        pointers.push_back(shared);
        bound.push_back(true);
        continue;
      }
      auto memory = device->allocate(b.bytes);
      if (!memory)
        return fail("cannot allocate " + std::to_string(b.bytes) + " bytes for " + b.name);
      storage.push_back(memory.take());
      pointers.push_back(storage.back().data());
      // Optimizer state starts at zero; inputs and outputs need no binding.
      bound.push_back(b.role != "frozen" && b.role != "trainable");
    }
    return Status::ok();
  }

  // Copies a parameter's or optimizer state's values (`bytes`, the buffer's size) into buffer
  // `at` and marks it bound, or fails, leaving it unbound, when a value is NaN or infinite:
  // training from it could only produce NaN (or, through a kernel that hides one, a silently
  // wrong adapter). The values are checked on the host, before they reach the device.
  Status store(size_t at, const void *data, int64_t bytes) {
    bound[at] = false;
    if (buffers[at].dtype == "f32")
      if (std::string problem = nonFiniteProblem(static_cast<const float *>(data), bytes / kFloat);
          !problem.empty())
        return Status::error("holds " + problem + "; parameters must be finite");
    if (buffers[at].role == "frozen")
      fingerprint.clear();
    if (Status st = device->copyIn(pointers[at], data, bytes); !st)
      return st;
    bound[at] = true;
    return Status::ok();
  }

  // CE-LoRA's kept columns (state "<W>.ce_lora_columns", restored from a checkpoint): output
  // features of W, strictly ascending, as the kernels choose them. The GPU kernel does not
  // check them (it would have to wait for the device), so they are checked here.
  Status checkKeptColumns(const StepBufferInfo &b, const void *data) const {
    const std::string suffix = ".ce_lora_columns";
    if (b.role != "state" || b.dtype != "i32" || !endsWith(b.name, suffix))
      return Status::ok();
    const std::string weight = b.name.substr(0, b.name.size() - suffix.size());
    int64_t out = -1;
    for (const char *norms : {".svd_residual_row_norms", ".svd_residual_column_norms"})
      if (const StepBufferInfo *n = find(weight + norms); n && n->shape.size() == 1)
        out = n->shape[0];
    const int64_t k = b.bytes / 4;
    std::vector<int32_t> columns(static_cast<size_t>(k));
    std::memcpy(columns.data(), data, static_cast<size_t>(b.bytes));
    for (int64_t i = 0; i < k; ++i)
      if (columns[i] < 0 || (out >= 0 && columns[i] >= out) || (i > 0 && columns[i] <= columns[i - 1]))
        return Status::error("\"" + b.name + "\" holds " + std::to_string(columns[i]) +
                             " at position " + std::to_string(i) + ": CE-LoRA's kept columns must "
                             "be distinct output features in ascending order, each in [0, " +
                             std::to_string(out) + ")");
    return Status::ok();
  }

  // Stores `count` floats into buffer `at`: as they are into f32, rounded to bf16 (to nearest,
  // ties to even) into a bf16 frozen weight, after the same finiteness check.
  Status storeFloats(size_t at, const float *values, int64_t count) {
    const std::optional<GgmlType> blocks = stepBlockType(buffers[at].dtype);
    if (buffers[at].dtype != "bf16" && !blocks)
      return store(at, values, count * kFloat);
    if (std::string problem = nonFiniteProblem(values, count); !problem.empty())
      return Status::error("holds " + problem + "; parameters must be finite");
    if (blocks) { // a frozen weight kept in ggml blocks: quantized to nearest, per block
      std::vector<uint8_t> codes(static_cast<size_t>(buffers[at].bytes));
      if (Status st = quantizeFromF32(*blocks, values, static_cast<uint64_t>(count), codes.data()); !st)
        return st;
      return store(at, codes.data(), buffers[at].bytes);
    }
    std::vector<uint16_t> bits(static_cast<size_t>(count));
    cpu::f32ToBf16(values, bits.data(), bits.size());
    return store(at, bits.data(), count * 2);
  }

  // The other session's buffer for parameter `b` when it has the same one (name, shape).
  static void *sharedParameter(const Session *other, const StepBufferInfo &b) {
    size_t at;
    const StepBufferInfo *o = other && (b.role == "frozen" || b.role == "trainable")
                                  ? other->impl_->find(b.name, &at)
                                  : nullptr;
    if (o && (o->role == "frozen" || o->role == "trainable") && o->shape == b.shape &&
        o->dtype == b.dtype)
      return other->impl_->pointers[at];
    return nullptr;
  }

  // Where a float API meets a buffer of another type or size: refused, naming both.
  Status needsFloats(const StepBufferInfo &b, int64_t count) const {
    if ((b.dtype == "f32" || b.dtype == "bf16" || stepBlockType(b.dtype)) && count == elementCount(b))
      return Status::ok();
    return fail("\"" + b.name + "\" holds " + std::to_string(b.bytes) + " bytes of " + b.dtype +
                ", not " + std::to_string(count) + " floats");
  }

  // Its shape's product (the manifest reader checked it against the byte count and dtype).
  static int64_t elementCount(const StepBufferInfo &b) {
    int64_t n = 1;
    for (int64_t d : b.shape)
      n *= d;
    return n;
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
                                                 const Session *shareWith,
                                                 std::shared_ptr<Device> device) {
  std::unique_ptr<Session> session(new Session());
  Impl &s = *session->impl_;
  s.path = artifactPath;
  if (shareWith && device && device != shareWith->impl_->device)
    return s.fail("cannot share memory with a session on another device");
  if (!device && shareWith)
    device = shareWith->impl_->device;
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
  if (!device) { // the device the artifact was compiled for
    auto opened = openDevice(s.target);
    if (!opened)
      return s.fail(opened.status().message());
    device = opened.take();
  }
  s.device = std::move(device);
  if (s.target != s.device->target())
    return s.fail("compiled for target \"" + s.target + "\", but the session's device is \"" +
                  std::string(s.device->target()) + "\"");
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
    const std::optional<GgmlType> blocks = stepBlockType(b.dtype);
    if (b.dtype != "f32" && b.dtype != "bf16" && !blocks)
      return Status::error(model.path() + ": tensor \"" + b.name + "\" is " + b.dtype +
                           " in the step; a model binds f32, bf16 and ggml block parameters only");
    // A weight the file stores in the step's blocks is bound as it is, not decoded and coded
    // again (which could move a value by a step of the code).
    if (blocks) {
      std::vector<uint8_t> stored;
      if (Status st = model.readStoredBlocks(b.name, *blocks, stored); !st)
        return st;
      if (!stored.empty()) {
        if (static_cast<int64_t>(stored.size()) != b.bytes)
          return Status::error(model.path() + ": tensor \"" + b.name + "\" has " +
                               std::to_string(stored.size()) + " bytes of " + b.dtype +
                               "; the step expects " + std::to_string(b.bytes));
        if (Status st = s.store(i, stored.data(), b.bytes); !st)
          return Status::error(model.path() + ": tensor \"" + b.name + "\" " + st.message());
        continue;
      }
    }
    if (Status st = model.readF32(b.name, values); !st)
      return st;
    const int64_t elements = Impl::elementCount(b);
    if (static_cast<int64_t>(values.size()) != elements)
      return Status::error(model.path() + ": tensor \"" + b.name + "\" has " +
                           std::to_string(values.size()) + " values; the step expects " +
                           std::to_string(elements));
    if (Status st = s.storeFloats(i, values.data(), elements); !st)
      return Status::error(model.path() + ": tensor \"" + b.name + "\" " + st.message());
  }
  return bindSvdFactors(model);
}

// CE-LoRA's frozen factors (slim-ce-lora): <W>.svd_left, .svd_right and the residual's
// .svd_residual_row_norms or .svd_residual_column_norms are not in the model but derived from
// its W, once per weight (svd_factors.h).
Status Session::bindSvdFactors(const ModelSource &model) {
  Impl &s = *impl_;
  enum Part { Left, Right, RowNorms, ColumnNorms, Parts };
  static const std::string kSuffixes[Parts] = {".svd_left", ".svd_right", ".svd_residual_row_norms",
                                               ".svd_residual_column_norms"};
  std::map<std::string, std::array<size_t, Parts>> wanted; // W's name -> its buffers
  for (size_t i = 0; i < s.buffers.size(); ++i) {
    const StepBufferInfo &b = s.buffers[i];
    if (b.role != "frozen")
      continue;
    for (int part = 0; part < Parts; ++part)
      if (endsWith(b.name, kSuffixes[part])) {
        auto [it, added] = wanted.try_emplace(b.name.substr(0, b.name.size() - kSuffixes[part].size()));
        if (added)
          it->second.fill(SIZE_MAX);
        it->second[part] = i;
      }
  }
  std::vector<float> values;
  for (const auto &[name, parts] : wanted) {
    auto fail = [&](const std::string &why) {
      return Status::error(model.path() + ": CE-LoRA factors of \"" + name + "\": " + why);
    };
    bool inModel = false;
    for (const StoredTensor &t : model.storedTensors())
      inModel |= t.name == name;
    if (!inModel)
      continue; // bound by the caller, if at all (allBound says)
    if (parts[Left] == SIZE_MAX || parts[Right] == SIZE_MAX)
      return fail("the step lacks " + kSuffixes[Left] + " or " + kSuffixes[Right]);
    const StepBufferInfo &left = s.buffers[parts[Left]], &right = s.buffers[parts[Right]];
    if (left.shape.size() != 2 || right.shape.size() != 2 || left.shape[1] != right.shape[0] ||
        left.dtype != "f32" || right.dtype != "f32")
      return fail("the step's f32 pair shapes do not fit together");
    const int64_t rows = left.shape[0], cols = right.shape[1], rank = left.shape[1];
    if (Status st = model.readF32(name, values); !st)
      return st;
    if (static_cast<int64_t>(values.size()) != rows * cols)
      return fail("the model's tensor has " + std::to_string(values.size()) +
                  " values; the step expects " + std::to_string(rows * cols));
    if (std::string problem = nonFiniteProblem(values.data(), rows * cols); !problem.empty())
      return fail("the weight holds " + problem);
    auto started = std::chrono::steady_clock::now();
    auto factors = svdFactors(values.data(), rows, cols, rank, s.svdCacheFolder);
    if (!factors)
      return fail(factors.status().message());
    s.svdStats.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    (factors->fromCache ? s.svdStats.fromCache : s.svdStats.computed) += 1;
    if (!factors->cacheProblem.empty() && s.svdStats.cacheProblem.empty())
      s.svdStats.cacheProblem = factors->cacheProblem;
    const std::vector<float> *data[Parts] = {&factors->left, &factors->right, &factors->rowNorms,
                                            &factors->columnNorms};
    for (int part = 0; part < Parts; ++part) {
      if (parts[part] == SIZE_MAX)
        continue;
      const StepBufferInfo &b = s.buffers[parts[part]];
      if (b.dtype != "f32" || b.bytes != static_cast<int64_t>(data[part]->size()) * kFloat)
        return fail(b.name + " is " + b.dtype + " of " + std::to_string(b.bytes) +
                    " bytes in the step; the weight gives " + std::to_string(data[part]->size()) +
                    " floats");
      if (Status st = s.store(parts[part], data[part]->data(), b.bytes); !st)
        return fail(b.name + " " + st.message());
    }
  }
  return Status::ok();
}

void Session::setSvdCacheFolder(const std::string &folder) { impl_->svdCacheFolder = folder; }

const SvdBindStats &Session::svdStats() const { return impl_->svdStats; }

Status Session::bindTensor(const std::string &name, const float *data, int64_t count) {
  // The type and count in floats (what a caller of the C API gave), then the bytes as bindBytes
  // binds them.
  size_t at = 0;
  const StepBufferInfo *b = impl_->find(name, &at);
  if (b)
    if (Status st = impl_->needsFloats(*b, count); !st)
      return st;
  // A bf16 or blocks frozen weight takes floats and rounds or codes them (bindBytes would
  // take its bits).
  if (b && (b->dtype == "bf16" || stepBlockType(b->dtype))) {
    if (Status st = impl_->storeFloats(at, data, count); !st)
      return impl_->fail("\"" + name + "\" " + st.message());
    return Status::ok();
  }
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
  if (Status st = s.checkKeptColumns(*b, data); !st)
    return st;
  if (Status st = s.store(at, data, bytes); !st)
    return Status::error("\"" + name + "\" " + st.message());
  return Status::ok();
}

Expected<std::string> Session::frozenFingerprint() const {
  Impl &s = *impl_;
  if (s.fingerprint.empty()) {
    // Names, shapes and values of every frozen parameter, in manifest order: two models with
    // the same shapes but other weights differ. Memory the host can read is hashed where it
    // lies; other devices' is staged through a host buffer a piece at a time.
    constexpr int64_t kStage = int64_t{4} << 20;
    std::vector<uint8_t> stage;
    Sha256 digest;
    for (size_t i = 0; i < s.buffers.size(); ++i) {
      const StepBufferInfo &b = s.buffers[i];
      if (b.role != "frozen")
        continue;
      digest.update(b.name).update("\0", 1);
      for (int64_t d : b.shape)
        digest.update(&d, sizeof d);
      if (s.device->hostAccessible()) {
        digest.update(s.pointers[i], static_cast<size_t>(b.bytes));
        continue;
      }
      stage.resize(static_cast<size_t>(std::min(kStage, b.bytes)));
      for (int64_t offset = 0; offset < b.bytes; offset += kStage) {
        const int64_t piece = std::min(kStage, b.bytes - offset);
        if (Status st = s.device->copyOut(stage.data(), static_cast<uint8_t *>(s.pointers[i]) + offset,
                                          piece);
            !st)
          return s.fail("cannot read \"" + b.name + "\" back from the device: " + st.message());
        digest.update(stage.data(), static_cast<size_t>(piece));
      }
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
  std::vector<float> values;
  for (size_t i = 0; i < s.buffers.size(); ++i) {
    const StepBufferInfo &b = s.buffers[i];
    const bool isB = endsWith(b.name, ".lora_B.weight");
    const bool isA = endsWith(b.name, ".lora_A.weight") && b.shape.size() == 2;
    // MEFT's bottleneck adapters (slim-reversible): weights N(0, 0.02^2) as MEFT initialises
    // them (not zero: G's output then differs from the base model's by a little), biases 0.
    const bool isMeft = b.name.find(".meft_adapter.") != std::string::npos;
    if (b.role != "trainable" || (!isA && !isB && !isMeft))
      continue;
    const int64_t count = b.bytes / kFloat;
    if (Status st = s.needsFloats(b, count); !st)
      return st;
    values.assign(static_cast<size_t>(count), 0.0f); // PEFT: B = 0, so training starts at the base model
    if (isMeft && endsWith(b.name, ".weight")) {
      SplitMix64 random(seed ^ fnv1a(b.name));
      for (int64_t j = 0; j < count; ++j)
        values[j] = static_cast<float>(0.02 * random.normal());
    }
    if (isA) {
      SplitMix64 random(seed ^ fnv1a(b.name));
      double rank = static_cast<double>(b.shape[0]), fanIn = static_cast<double>(b.shape[1]);
      for (int64_t j = 0; j < count; ++j) {
        if (init == LoraInit::KaimingUniform) // kaiming_uniform_(a=sqrt(5)): bound 1/sqrt(fan_in)
          values[j] = static_cast<float>((2.0 * random.uniform() - 1.0) / std::sqrt(fanIn));
        else if (init == LoraInit::Gaussian) // normal_(std=1/r)
          values[j] = static_cast<float>(random.normal() / rank);
      }
    }
    if (Status st = s.store(i, values.data(), b.bytes); !st)
      return s.fail("\"" + b.name + "\" " + st.message());
  }
  return Status::ok();
}

Expected<StepResult> Session::runStep(const int32_t *tokens, const int32_t *targets,
                                      std::optional<float> learningRate) {
  Impl &s = *impl_;
  for (size_t i = 0; i < s.buffers.size(); ++i)
    if (!s.bound[i])
      return s.fail("parameter \"" + s.buffers[i].name + "\" was never bound");
  // The manifest reader made tokens, targets and the step count i32, the rate and the
  // outputs read here f32.
  auto copyIn = [&](size_t at, const void *host, int64_t bytes) {
    Status st = s.device->copyIn(s.pointers[at], host, bytes);
    return st ? st : s.fail("cannot copy \"" + s.buffers[at].name + "\" to the device: " + st.message());
  };
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
    if (Status st = copyIn(lrAt, &lr, sizeof lr); !st)
      return st;
  } else if (learningRate) {
    return s.fail("the step has no optimizer: it takes no learning rate");
  }
  s.byRole("tokens", &tokensAt);
  const int64_t count = s.buffers[tokensAt].bytes / static_cast<int64_t>(sizeof(int32_t));
  if (Status st = s.validateBatch(tokens, targets, count); !st)
    return st;
  if (Status st = copyIn(tokensAt, tokens, count * sizeof(int32_t)); !st)
    return st;
  if (s.byRole("targets", &targetsAt))
    if (Status st = copyIn(targetsAt, targets, count * sizeof(int32_t)); !st)
      return st;
  bool optimizer = s.byRole("step", &stepAt);
  if (optimizer) {
    const int32_t step = static_cast<int32_t>(s.steps);
    if (Status st = copyIn(stepAt, &step, sizeof step); !st)
      return st;
  }

  int32_t failedKernel = -1;
  slimtune_step_args args{SLIMTUNE_ABI_VERSION,       static_cast<uint8_t *>(s.arenaData),
                          s.pointers.data(),          s.device->kernels(),
                          s.device->kernelContext(), &failedKernel};
  const int32_t status = s.step(&args);
  // Waited for either way: after a failure too, nothing of the step may still be running.
  Status finished = s.device->synchronize();
  if (status != SLIMTUNE_KERNEL_OK)
    return s.fail(s.device->kernelFailure(failedKernel, status).message());
  if (!finished)
    return s.fail(finished.message());

  StepResult result;
  auto output = [&](const char *name, float *value) {
    size_t at;
    const StepBufferInfo *b = s.find(name, &at);
    *value = std::numeric_limits<float>::quiet_NaN();
    Status st = b && b->role == "output" ? s.device->copyOut(value, s.pointers[at], sizeof *value)
                                         : Status::ok();
    return st ? st : s.fail("cannot read \"" + std::string(name) + "\" back from the device: " +
                            st.message());
  };
  if (Status st = output("loss", &result.loss); !st)
    return st;
  if (Status st = output("grad_norm", &result.gradNorm); !st)
    return st;
  result.lr = lr;
  if (optimizer)
    ++s.steps;
  result.step = s.steps;
  return result;
}

Status Session::readTensor(const std::string &name, float *out, int64_t count) const {
  const StepBufferInfo *b = impl_->find(name);
  if (!b) {
    const bool gradient = endsWith(name, ".grad");
    return impl_->fail("the step has no buffer \"" + name + "\"" +
                       (gradient && hasOptimizer()
                            ? " (a training step keeps its gradients only when compiled with "
                              "--keep-gradients)"
                            : ""));
  }
  if (Status st = impl_->needsFloats(*b, count); !st)
    return st;
  if (b->dtype == "bf16") { // a frozen weight kept in bf16, widened for the caller
    std::vector<uint16_t> bits(static_cast<size_t>(count));
    if (Status st = readBytes(name, bits.data(), b->bytes); !st)
      return st;
    cpu::bf16ToF32(bits.data(), out, bits.size());
    return Status::ok();
  }
  if (std::optional<GgmlType> blocks = stepBlockType(b->dtype)) { // decoded for the caller
    std::vector<uint8_t> codes(static_cast<size_t>(b->bytes));
    if (Status st = readBytes(name, codes.data(), b->bytes); !st)
      return st;
    return dequantizeToF32(*blocks, codes.data(), codes.size(), out, static_cast<uint64_t>(count));
  }
  return readBytes(name, out, b->bytes);
}

Status Session::readBytes(const std::string &name, void *out, int64_t bytes) const {
  size_t at;
  const StepBufferInfo *b = impl_->find(name, &at);
  if (!b)
    return impl_->fail("the step has no buffer \"" + name + "\"");
  if (bytes != b->bytes)
    return impl_->fail("\"" + name + "\" holds " + std::to_string(b->bytes) + " bytes, not " +
                       std::to_string(bytes));
  if (Status st = impl_->device->copyOut(out, impl_->pointers[at], bytes); !st)
    return impl_->fail("cannot read \"" + name + "\" back from the device: " + st.message());
  return Status::ok();
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
  // The manifest's sizes, as planned: what the device holds for them (its granule's padding)
  // is the measured figure, peakBytes().
  int64_t total = impl_->arena ? impl_->arenaBytes : 0;
  for (size_t i = 0; i < impl_->buffers.size(); ++i)
    if (impl_->storage[i]) // not shared with another session
      total += impl_->buffers[i].bytes;
  return total;
}

int64_t Session::peakBytes() const { return impl_->device->peakBytes(); }
int64_t Session::arenaBytes() const { return impl_->arenaBytes; }
int32_t Session::ignoreIndex() const { return static_cast<int32_t>(impl_->ignoreIndex); }
int64_t Session::matmulFlops() const { return impl_->flops; }

} // namespace slimtune
