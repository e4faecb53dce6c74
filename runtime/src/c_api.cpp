// The C API (slimtune.h) over Session: status codes, and the last error per thread.
#include "slimtune/slimtune.h"

#include "slimtune/checkpoint.h"
#include "slimtune/session.h"

#include <limits>
#include <new>
#include <string>

struct slimtune_session {
  std::unique_ptr<slimtune::Session> session;
};

namespace {
thread_local std::string lastError;

int report(const slimtune::Status &status) {
  if (status.isOk())
    return 0;
  lastError = status.message();
  return 1;
}

int invalid(const char *what) {
  lastError = what;
  return 1;
}
} // namespace

extern "C" {

const char *slimtune_last_error(void) { return lastError.c_str(); }

int slimtune_session_open(const char *artifact_path, slimtune_session **out) {
  if (!artifact_path || !out)
    return invalid("slimtune_session_open: null argument");
  auto session = slimtune::Session::open(artifact_path);
  if (!session)
    return report(session.status());
  *out = new (std::nothrow) slimtune_session{session.take()};
  return *out ? 0 : invalid("slimtune_session_open: out of memory");
}

void slimtune_session_close(slimtune_session *session) { delete session; }

int slimtune_bind_model(slimtune_session *session, const char *model_path) {
  if (!session || !model_path)
    return invalid("slimtune_bind_model: null argument");
  auto model = slimtune::ModelSource::open(model_path);
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
  slimtune::LoraInit kind = init == SLIMTUNE_INIT_GAUSSIAN ? slimtune::LoraInit::Gaussian
                            : init == SLIMTUNE_INIT_NONE   ? slimtune::LoraInit::NoInit
                                                           : slimtune::LoraInit::KaimingUniform;
  return report(session->session->initAdapters(kind, seed));
}

int64_t slimtune_batch_size(const slimtune_session *session) {
  return session ? session->session->batchSize() : -1;
}

int64_t slimtune_sequence_length(const slimtune_session *session) {
  return session ? session->session->sequenceLength() : -1;
}

int slimtune_run_step(slimtune_session *session, const int32_t *tokens, const int32_t *targets,
                      slimtune_step_result *result) {
  if (!session || !tokens || !targets || !result)
    return invalid("slimtune_run_step: null argument");
  auto r = session->session->runStep(tokens, targets);
  if (!r)
    return report(r.status());
  *result = {r->loss, r->gradNorm, r->lr, r->step};
  return 0;
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
  return report(slimtune::saveCheckpoint(*session->session, folder, {}));
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
