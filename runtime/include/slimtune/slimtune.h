/* slimtune's runtime C API: what a trainer links to run compiled training steps.
 *
 * A session is one loaded step artifact (`slimtune compile ... -o step.so`) with all the
 * memory it needs: the planned arena and one buffer per manifest entry (parameters, optimizer
 * state, inputs, outputs), allocated once, exactly as planned.
 *
 *   slimtune_session *s;
 *   if (slimtune_session_open("step.so", &s) != 0) fprintf(stderr, "%s\n", slimtune_last_error());
 *   slimtune_bind_model(s, "models/SmolLM2");          frozen weights, by checkpoint name
 *   slimtune_init_adapters(s, SLIMTUNE_INIT_KAIMING, 1234);
 *   slimtune_step_result r;
 *   slimtune_run_step(s, tokens, targets, &r);           r.loss, r.grad_norm, r.lr
 *   slimtune_session_close(s);
 *
 * Every function returns 0 on success and non-zero on failure; slimtune_last_error() then
 * describes the failure in one line (per thread). Nothing aborts or exits on bad input.
 */
#ifndef SLIMTUNE_H
#define SLIMTUNE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct slimtune_session slimtune_session;

typedef enum slimtune_init {
  SLIMTUNE_INIT_KAIMING = 0,  /* PEFT's default: A ~ U(-1/sqrt(in), 1/sqrt(in)), B = 0 */
  SLIMTUNE_INIT_GAUSSIAN = 1, /* A ~ N(0, 1/r), B = 0 */
  SLIMTUNE_INIT_NONE = 2      /* leave A and B zero (bind them yourself) */
} slimtune_init;

typedef struct slimtune_step_result {
  float loss;
  float grad_norm; /* before clipping; NaN when the step has no optimizer */
  float lr;        /* the learning rate used; NaN when the step has no optimizer */
  int64_t step;    /* optimizer steps taken, this one included */
} slimtune_step_result;

const char *slimtune_last_error(void);

int slimtune_session_open(const char *artifact_path, slimtune_session **out);
void slimtune_session_close(slimtune_session *session);

/* Binds every frozen parameter from a model (Hugging Face folder or GGUF file) by name. */
int slimtune_bind_model(slimtune_session *session, const char *model_path);
/* Binds one buffer (parameter or optimizer state) by name from host memory. */
int slimtune_bind_tensor(slimtune_session *session, const char *name, const float *data,
                         int64_t count);
/* Initializes every LoRA pair (trainable "...lora_A.weight" / "...lora_B.weight"). */
int slimtune_init_adapters(slimtune_session *session, slimtune_init init, uint64_t seed);

/* The step's batch shape. */
int64_t slimtune_batch_size(const slimtune_session *session);
int64_t slimtune_sequence_length(const slimtune_session *session);

/* One training step on a batch of [batch, seq] token ids and next-token targets. */
int slimtune_run_step(slimtune_session *session, const int32_t *tokens, const int32_t *targets,
                      slimtune_step_result *result);

/* Reads a buffer (parameter, state, output such as "<param>.grad") by name. */
int slimtune_read_tensor(const slimtune_session *session, const char *name, float *out,
                         int64_t count);

/* Trainable state: the trainable parameters, the optimizer state and the step count, as a
 * checkpoint folder (slimtune/checkpoint.h: written atomically, with SHA-256 checksums;
 * adapter_model.safetensors inside holds the adapter under its PEFT names). Loading verifies
 * the checksums and that the checkpoint matches the step's parameters. */
int slimtune_save_checkpoint(const slimtune_session *session, const char *folder);
int slimtune_load_checkpoint(slimtune_session *session, const char *folder);

/* Memory: the plan (arena + every buffer) and the allocator's high-water mark. */
int64_t slimtune_planned_bytes(const slimtune_session *session);
int64_t slimtune_peak_bytes(const slimtune_session *session);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* SLIMTUNE_H */
