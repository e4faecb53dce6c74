// The C API (slimtune.h) over Session: status codes, and the last error per thread (cleared
// by every call that succeeds).
#include "slimtune/slimtune.h"

#include "slimtune/checkpoint.h"
#include "slimtune/session.h"
#include "slimtune/version.h"

#include <cmath>
#include <filesystem>
#include <limits>
#include <new>
#include <string>
#include <utility>

struct slimtune_session {
  std::unique_ptr<slimtune::Session> session;
  std::string modelPath; // the base model bound by path, recorded in checkpoints
};

namespace {
thread_local std::string lastError;

int succeed() {
  lastError.clear();
  return 0;
}

int report(const slimtune::Status &status) {
  if (status.isOk())
    return succeed();
  lastError = status.message();
  return 1;
}

int invalid(const std::string &what) {
  lastError = what;
  return 1;
}

slimtune_role roleOf(const std::string &role) {
  static const std::pair<const char *, slimtune_role> kRoles[] = {
      {"frozen", SLIMTUNE_ROLE_FROZEN}, {"trainable", SLIMTUNE_ROLE_TRAINABLE},
      {"state", SLIMTUNE_ROLE_STATE},   {"tokens", SLIMTUNE_ROLE_TOKENS},
      {"targets", SLIMTUNE_ROLE_TARGETS}, {"step", SLIMTUNE_ROLE_STEP},
      {"lr", SLIMTUNE_ROLE_LR}};
  for (auto [name, value] : kRoles)
    if (role == name)
      return value;
  return SLIMTUNE_ROLE_OUTPUT; // the manifest reader admits no other role
}

int runStep(slimtune_session *session, const int32_t *tokens, const int32_t *targets,
            std::optional<float> lr, slimtune_step_result *result, const char *function) {
  if (!session || !tokens || !targets || !result)
    return invalid(std::string(function) + ": null argument");
  auto r = session->session->runStep(tokens, targets, lr);
  if (!r)
    return report(r.status());
  *result = {r->loss, r->gradNorm, r->lr, r->step};
  return succeed();
}

int openSession(const char *artifactPath, const slimtune_session *shareWith,
                slimtune_session **out, const char *function) {
  if (!artifactPath || !out)
    return invalid(std::string(function) + ": null argument");
  auto session = slimtune::Session::open(artifactPath, shareWith ? shareWith->session.get() : nullptr);
  if (!session)
    return report(session.status());
  *out = new (std::nothrow) slimtune_session{session.take(), {}};
  return *out ? succeed() : invalid(std::string(function) + ": out of memory");
}
} // namespace

extern "C" {

const char *slimtune_last_error(void) { return lastError.c_str(); }

const char *slimtune_version(void) { return SLIMTUNE_VERSION; }

int slimtune_session_open(const char *artifact_path, slimtune_session **out) {
  return openSession(artifact_path, nullptr, out, "slimtune_session_open");
}

int slimtune_session_open_eval(const char *artifact_path, const slimtune_session *train,
                               slimtune_session **out) {
  if (!train)
    return invalid("slimtune_session_open_eval: null training session");
  if (int rc = openSession(artifact_path, train, out, "slimtune_session_open_eval"); rc != 0)
    return rc;
  if ((*out)->session->hasOptimizer()) {
    slimtune_session_close(*out);
    *out = nullptr;
    return invalid(std::string(artifact_path) + ": is a training step; an evaluation session "
                   "needs a forward-only artifact (slimtune compile --pipeline eval)");
  }
  return succeed();
}

void slimtune_session_close(slimtune_session *session) { delete session; }

int slimtune_bind_model(slimtune_session *session, const char *model_path) {
  if (!session || !model_path)
    return invalid("slimtune_bind_model: null argument");
  auto model = slimtune::ModelSource::open(model_path);
  if (!model)
    return report(model.status());
  if (int rc = report(session->session->bindModel(**model)); rc != 0)
    return rc;
  std::error_code ec;
  std::filesystem::path absolute = std::filesystem::absolute(model_path, ec);
  session->modelPath = ec ? model_path : absolute.lexically_normal().string();
  return succeed();
}

int slimtune_bind_random_model(slimtune_session *session, const char *config_path,
                               uint64_t seed) {
  if (!session || !config_path)
    return invalid("slimtune_bind_random_model: null argument");
  auto model = slimtune::ModelSource::openRandom(config_path, seed);
  if (!model)
    return report(model.status());
  return report(session->session->bindModel(**model));
}

int slimtune_bind_tensor(slimtune_session *session, const char *name, const float *data,
                         int64_t count) {
  if (!session || !name || !data)
    return invalid("slimtune_bind_tensor: null argument");
  return report(session->session->bindTensor(name, data, count));
}

int slimtune_init_adapters(slimtune_session *session, slimtune_init init, uint64_t seed) {
  if (!session)
    return invalid("slimtune_init_adapters: null session");
  if (init != SLIMTUNE_INIT_KAIMING && init != SLIMTUNE_INIT_GAUSSIAN && init != SLIMTUNE_INIT_NONE)
    return invalid("slimtune_init_adapters: unknown initialization " + std::to_string(init));
  slimtune::LoraInit kind = init == SLIMTUNE_INIT_GAUSSIAN ? slimtune::LoraInit::Gaussian
                            : init == SLIMTUNE_INIT_NONE   ? slimtune::LoraInit::NoInit
                                                           : slimtune::LoraInit::KaimingUniform;
  return report(session->session->initAdapters(kind, seed));
}

int64_t slimtune_buffer_count(const slimtune_session *session) {
  return session ? static_cast<int64_t>(session->session->buffers().size()) : -1;
}

int slimtune_buffer_info_at(const slimtune_session *session, int64_t index,
                            slimtune_buffer_info *out) {
  if (!session || !out)
    return invalid("slimtune_buffer_info_at: null argument");
  const auto &buffers = session->session->buffers();
  if (index < 0 || index >= static_cast<int64_t>(buffers.size()))
    return invalid("slimtune_buffer_info_at: index " + std::to_string(index) +
                   " is outside the step's " + std::to_string(buffers.size()) + " buffers");
  const slimtune::StepBufferInfo &b = buffers[static_cast<size_t>(index)];
  if (b.shape.size() > SLIMTUNE_MAX_RANK)
    return invalid("slimtune_buffer_info_at: \"" + b.name + "\" has more than " +
                   std::to_string(SLIMTUNE_MAX_RANK) + " dimensions");
  *out = {};
  out->name = b.name.c_str();
  out->role = roleOf(b.role);
  out->dtype = b.dtype.c_str();
  out->rank = static_cast<int32_t>(b.shape.size());
  for (size_t d = 0; d < b.shape.size(); ++d)
    out->shape[d] = b.shape[d];
  out->bytes = b.bytes;
  out->grad_of = b.gradOf.c_str();
  return succeed();
}

int64_t slimtune_batch_size(const slimtune_session *session) {
  return session ? session->session->batchSize() : -1;
}

int64_t slimtune_sequence_length(const slimtune_session *session) {
  return session ? session->session->sequenceLength() : -1;
}

int32_t slimtune_ignore_index(const slimtune_session *session) {
  return session ? session->session->ignoreIndex() : SLIMTUNE_IGNORE_INDEX;
}

int slimtune_run_step(slimtune_session *session, const int32_t *tokens, const int32_t *targets,
                      slimtune_step_result *result) {
  return runStep(session, tokens, targets, std::nullopt, result, "slimtune_run_step");
}

int slimtune_run_step_lr(slimtune_session *session, const int32_t *tokens,
                         const int32_t *targets, float lr, slimtune_step_result *result) {
  return runStep(session, tokens, targets, lr, result, "slimtune_run_step_lr");
}

float slimtune_schedule_lr(const slimtune_session *session, int64_t step) {
  if (!session || !session->session->schedule() || step < 0)
    return std::numeric_limits<float>::quiet_NaN();
  return session->session->schedule()->at(step);
}

int64_t slimtune_step_count(const slimtune_session *session) {
  return session ? session->session->stepCount() : -1;
}

int slimtune_eval_step(slimtune_session *session, const int32_t *tokens, const int32_t *targets,
                       float *loss) {
  if (!session || !tokens || !targets || !loss)
    return invalid("slimtune_eval_step: null argument");
  if (session->session->hasOptimizer())
    return invalid("slimtune_eval_step: the session is a training step (it would update the "
                   "adapter); evaluate with a forward-only artifact (slimtune compile "
                   "--pipeline eval) opened by slimtune_session_open_eval");
  auto r = session->session->runStep(tokens, targets);
  if (!r)
    return report(r.status());
  *loss = r->loss;
  return succeed();
}

int slimtune_read_tensor(const slimtune_session *session, const char *name, float *out,
                         int64_t count) {
  if (!session || !name || !out)
    return invalid("slimtune_read_tensor: null argument");
  return report(session->session->readTensor(name, out, count));
}

int slimtune_save_checkpoint(const slimtune_session *session, const char *folder) {
  if (!session || !folder)
    return invalid("slimtune_save_checkpoint: null argument");
  slimtune::CheckpointContents contents;
  contents.adapterConfig = session->session->adapterConfig();
  contents.baseModelPath = session->modelPath;
  return report(slimtune::saveCheckpoint(*session->session, folder, contents));
}

int slimtune_load_checkpoint(slimtune_session *session, const char *folder) {
  if (!session || !folder)
    return invalid("slimtune_load_checkpoint: null argument");
  return report(slimtune::loadCheckpoint(*session->session, folder).status());
}

int64_t slimtune_planned_bytes(const slimtune_session *session) {
  return session ? session->session->plannedBytes() : -1;
}

int64_t slimtune_peak_bytes(const slimtune_session *session) {
  return session ? session->session->peakBytes() : -1;
}

} // extern "C"
