// Reading a compiled step's manifest (step_manifest.h).
#include "step/step_manifest.h"

#include "formats/json_input.h"
#include "slimtune/kernel_abi.h"

#include <cstdint>
#include <set>

namespace slimtune {
namespace {

const std::set<std::string> kRoles = {"frozen",  "trainable", "state", "tokens",
                                      "targets", "step",      "lr",    "output"};

// The type the runtime writes or reads a buffer as, when it does so itself; "" for buffers
// only the step and the caller's own bindings touch.
std::string runtimeType(const StepBufferInfo &b) {
  if (b.role == "tokens" || b.role == "targets" || b.role == "step")
    return "i32";
  if (b.role == "lr" || (b.role == "output" && (b.name == "loss" || b.name == "grad_norm")))
    return "f32";
  return "";
}

// An integer field of an object as int64, `fallback` when absent. (nlohmann's value() would
// convert to the default's type, int, truncating any plan of 2 GiB or more, or throw.)
Expected<int64_t> integerField(const nlohmann::json &object, const char *key, int64_t fallback) {
  if (!object.contains(key))
    return fallback;
  const nlohmann::json &v = object[key];
  if (!v.is_number_integer() || (v.is_number_unsigned() && v.get<uint64_t>() > INT64_MAX))
    return Status::error(std::string("manifest: \"") + key + "\" must be an integer, got " + v.dump());
  return v.get<int64_t>();
}

// The learning-rate schedule the step was compiled with, checked as the compiler checks it.
Expected<std::optional<LrSchedule>> readSchedule(const nlohmann::json &m) {
  if (!m.contains("lr_schedule"))
    return std::optional<LrSchedule>();
  const nlohmann::json &o = m["lr_schedule"];
  if (!o.is_object() || !o.contains("kind") || !o["kind"].is_string() || !o.contains("lr") ||
      !o["lr"].is_number() || !o.contains("min_lr") || !o["min_lr"].is_number())
    return Status::error("manifest: \"lr_schedule\" is malformed");
  SLIMTUNE_TRY(warmup, integerField(o, "warmup_steps", 0));
  SLIMTUNE_TRY(total, integerField(o, "total_steps", 0));
  const std::string kind = o["kind"].get<std::string>();
  const double lr = o["lr"].get<double>(), minLr = o["min_lr"].get<double>();
  if ((kind != "constant" && kind != "cosine") || !(lr >= 1e-12 && lr < 1e3) ||
      (kind == "cosine" && (warmup < 0 || total <= warmup || !(minLr >= 0 && minLr <= lr))))
    return Status::error("manifest: \"lr_schedule\" " + o.dump() + " is not a schedule");
  LrSchedule schedule;
  schedule.cosine = kind == "cosine";
  schedule.lr = static_cast<float>(lr);
  schedule.warmupSteps = warmup;
  schedule.totalSteps = total;
  schedule.minLr = static_cast<float>(minLr);
  return std::optional<LrSchedule>(schedule);
}

Expected<StepBufferInfo> readBuffer(const nlohmann::json &b) {
  StepBufferInfo info;
  if (!b.is_object())
    return Status::error("manifest buffer " + b.dump() + " is malformed");
  for (auto [key, field] : {std::pair{"name", &info.name}, std::pair{"role", &info.role},
                            std::pair{"dtype", &info.dtype}, std::pair{"grad_of", &info.gradOf}})
    if (b.contains(key) && b[key].is_string())
      *field = b[key].get<std::string>();
  SLIMTUNE_TRY(bytes, integerField(b, "bytes", -1));
  info.bytes = bytes;
  if (b.contains("shape") && b["shape"].is_array())
    for (const nlohmann::json &d : b["shape"])
      info.shape.push_back(d.is_number_integer() ? d.get<int64_t>() : -1);
  // numel * element size must not overflow: every dimension positive, the product checked as
  // it grows (2^52 elements is far beyond any memory).
  int64_t numel = 1;
  for (int64_t d : info.shape)
    numel = d <= 0 || numel < 0 || numel > (int64_t{1} << 52) / d ? -1 : numel * d;
  const std::optional<DType> type = stepDType(info.dtype);
  const std::optional<GgmlType> blocks = stepBlockType(info.dtype);
  int64_t expected = -1;
  if (type && numel >= 0)
    expected = numel * static_cast<int64_t>(dtypeSize(*type));
  else if (blocks && numel >= 0 && !info.shape.empty() && info.shape.back() % 32 == 0)
    expected = numel / 32 * ggmlTypeInfo(static_cast<uint32_t>(*blocks))->typeSize;
  if (info.name.empty() || !kRoles.count(info.role) || expected < 0 || info.bytes != expected)
    return Status::error("manifest buffer \"" + info.name + "\" is malformed");
  if (blocks && info.role != "frozen")
    return Status::error("manifest buffer \"" + info.name + "\" (" + info.role + ") is " +
                         info.dtype + "; only frozen weights may be in blocks");
  // bf16 is how frozen weights may be kept (--precision bf16); everything else the step
  // trains, updates or reads back is f32.
  if (info.dtype == "bf16" && info.role != "frozen")
    return Status::error("manifest buffer \"" + info.name + "\" (" + info.role +
                         ") is bf16; only frozen weights may be");
  if (const std::string wanted = runtimeType(info); !wanted.empty() && info.dtype != wanted)
    return Status::error("manifest buffer \"" + info.name + "\" (" + info.role + ") is " +
                         info.dtype + "; the runtime takes it as " + wanted);
  return info;
}

} // namespace

std::optional<DType> stepDType(std::string_view name) {
  if (name == "f32")
    return DType::F32;
  if (name == "i32")
    return DType::I32;
  if (name == "f64")
    return DType::F64;
  if (name == "bf16")
    return DType::BF16;
  return std::nullopt;
}

std::optional<GgmlType> stepBlockType(std::string_view name) {
  if (name == "q8_0")
    return GgmlType::Q8_0;
  if (name == "q4_0")
    return GgmlType::Q4_0;
  if (name == "q4_1")
    return GgmlType::Q4_1;
  return std::nullopt;
}

DType StepBufferInfo::elementType() const { return stepDType(dtype).value_or(DType::F32); }

Expected<StepManifest> parseStepManifest(std::string_view text) {
  auto parsed = parseJsonStrict(text.data(), text.data() + text.size());
  if (!parsed)
    return Status::error("manifest: " + parsed.status().message());
  const nlohmann::json &m = *parsed;
  if (!m.is_object() || !m.contains("format") || m["format"] != "slimtune-step")
    return Status::error("not a slimtune step artifact (manifest format)");
  SLIMTUNE_TRY(abi, integerField(m, "abi_version", -1));
  if (abi != SLIMTUNE_ABI_VERSION)
    return Status::error("built for kernel ABI " + std::to_string(abi) + ", this runtime has " +
                         std::to_string(SLIMTUNE_ABI_VERSION) + ": recompile it");
  StepManifest manifest;
  if (m.contains("target")) {
    if (!m["target"].is_string() || m["target"].get<std::string>().empty())
      return Status::error("manifest: \"target\" must be a target name, got " + m["target"].dump());
    manifest.target = m["target"].get<std::string>();
  }
  SLIMTUNE_TRY(arena, integerField(m, "arena_bytes", -1));
  if (arena < 0 || !m.contains("buffers") || !m["buffers"].is_array())
    return Status::error("manifest lacks arena_bytes or buffers");
  manifest.arenaBytes = arena;
  SLIMTUNE_TRY(vocab, integerField(m, "vocab", -1));
  SLIMTUNE_TRY(classes, integerField(m, "classes", -1));
  SLIMTUNE_TRY(ignore, integerField(m, "ignore_index", -100));
  SLIMTUNE_TRY(flops, integerField(m, "matmul_flops", 0));
  if (ignore < INT32_MIN || ignore > INT32_MAX)
    return Status::error("manifest: ignore_index " + std::to_string(ignore) + " is not a 32-bit id");
  manifest.vocab = vocab;
  manifest.classes = classes;
  manifest.ignoreIndex = ignore;
  manifest.matmulFlops = flops;
  SLIMTUNE_TRY(schedule, readSchedule(m));
  manifest.schedule = schedule;
  if (m.contains("adapter_config")) {
    if (!m["adapter_config"].is_string())
      return Status::error("manifest: \"adapter_config\" is not text");
    manifest.adapterConfig = m["adapter_config"].get<std::string>();
  }
  for (const nlohmann::json &b : m["buffers"]) {
    SLIMTUNE_TRY(info, readBuffer(b));
    manifest.buffers.push_back(std::move(info));
  }
  return manifest;
}

} // namespace slimtune
