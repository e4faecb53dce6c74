/* slimtune's runtime C API: what a trainer links to run compiled training steps.
 *
 * Build against the installed library:  cc trainer.c $(pkg-config --cflags --libs slimtune)
 *
 * A session is one loaded step artifact (`slimtune compile ... -o step.so`) with all the
 * memory it needs: the planned arena and one buffer per manifest entry (parameters, optimizer
 * state, inputs, outputs), allocated once, exactly as planned.
 *
 *   slimtune_session *s;
 *   if (slimtune_session_open("step.so", &s) != 0) fprintf(stderr, "%s\n", slimtune_last_error());
 *   slimtune_bind_model(s, "models/SmolLM2");            frozen weights, by checkpoint name
 *   slimtune_init_adapters(s, SLIMTUNE_INIT_KAIMING, 1234);
 *   slimtune_step_result r;
 *   slimtune_run_step(s, tokens, targets, &r);             r.loss, r.grad_norm, r.lr
 *   slimtune_save_checkpoint(s, "run/step-100");          exports with `slimtune export`
 *   slimtune_session_close(s);
 *
 * Every function that returns int returns 0 on success and non-zero on failure;
 * slimtune_last_error() then describes the failure in one line (per thread), and is "" after
 * a call that succeeded. Nothing aborts or exits on bad input. Sizes are 64-bit.
 */
#ifndef SLIMTUNE_H
#define SLIMTUNE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The target id the loss ignores (padding, prompt tokens), as PyTorch's cross-entropy does.
 * slimtune_ignore_index() gives a session's own (every step slimtune compiles uses this). */
#define SLIMTUNE_IGNORE_INDEX (-100)

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

/* What a buffer of the step holds. */
typedef enum slimtune_role {
  SLIMTUNE_ROLE_FROZEN = 0,    /* a frozen parameter (base-model weight) */
  SLIMTUNE_ROLE_TRAINABLE = 1, /* a trainable parameter (adapter weight) */
  SLIMTUNE_ROLE_STATE = 2,     /* optimizer state ("<param>.exp_avg", ...) */
  SLIMTUNE_ROLE_TOKENS = 3,    /* the [batch, seq] token ids of a step */
  SLIMTUNE_ROLE_TARGETS = 4,   /* the [batch, seq] next-token targets */
  SLIMTUNE_ROLE_STEP = 5,      /* the optimizer step counter */
  SLIMTUNE_ROLE_LR = 6,        /* the learning rate of a step */
  SLIMTUNE_ROLE_OUTPUT = 7     /* "loss", "grad_norm", "<param>.grad" */
} slimtune_role;

#define SLIMTUNE_MAX_RANK 8

typedef struct slimtune_buffer_info {
  const char *name;    /* valid while the session is open */
  slimtune_role role;
  const char *dtype;   /* "f32", "i32" or "f64" */
  int32_t rank;
  int64_t shape[SLIMTUNE_MAX_RANK];
  int64_t bytes;
  const char *grad_of; /* for a gradient output: the parameter's name; else "" */
} slimtune_buffer_info;

/* The last failure of this thread, in one line; "" after a call that succeeded. */
const char *slimtune_last_error(void);
/* slimtune's version, e.g. "0.1.0". */
const char *slimtune_version(void);

/* Opens a compiled step on the device its target names: the CPU, or GPU 0 for a step compiled
 * with `--target cuda` (where there is no GPU, the error is "no CUDA device: <why>"). */
int slimtune_session_open(const char *artifact_path, slimtune_session **out);
/* Opens a forward-only artifact (`slimtune compile step.mlir --pipeline eval`) for
 * evaluation next to a training session: the parameters both have (same name and shape) are
 * shared, not copied, so it always sees the adapter as trained so far, and it shares the
 * arena when that is large enough (the two must not run at the same time). `train` must
 * stay open while the evaluation session is. */
int slimtune_session_open_eval(const char *artifact_path, const slimtune_session *train,
                               slimtune_session **out);
void slimtune_session_close(slimtune_session *session);

/* Binds every frozen parameter from a model (Hugging Face folder or GGUF file) by name. Every
 * bind refuses NaN and infinity (the error names the tensor and element). */
int slimtune_bind_model(slimtune_session *session, const char *model_path);
/* Binds every frozen parameter from weights drawn from `seed` for the model config.json at
 * `config_path` (a file, or the folder holding it) describes: linear and embedding weights
 * normal(0, initializer_range), norm scales 1, biases 0; the same on every machine. For
 * benchmarks at real shapes without the weights. */
int slimtune_bind_random_model(slimtune_session *session, const char *config_path,
                               uint64_t seed);
/* Binds one buffer (parameter or optimizer state) by name from host memory. */
int slimtune_bind_tensor(slimtune_session *session, const char *name, const float *data,
                         int64_t count);
/* Initializes every LoRA pair (trainable "...lora_A.weight" / "...lora_B.weight") and MEFT
 * bottleneck adapter ("...meft_adapter...": weights normal(0, 0.02), biases 0). */
int slimtune_init_adapters(slimtune_session *session, slimtune_init init, uint64_t seed);

/* The step's buffers: parameters, optimizer state, inputs and outputs, in manifest order. */
int64_t slimtune_buffer_count(const slimtune_session *session);
int slimtune_buffer_info_at(const slimtune_session *session, int64_t index,
                            slimtune_buffer_info *out);

/* The step's batch shape, and the target id its loss ignores. */
int64_t slimtune_batch_size(const slimtune_session *session);
int64_t slimtune_sequence_length(const slimtune_session *session);
int32_t slimtune_ignore_index(const slimtune_session *session);

/* One training step on a batch of [batch, seq] token ids and next-token targets. The
 * learning rate: slimtune_run_step follows the schedule the step was compiled with
 * (`slimtune compile --lr ... --schedule cosine --steps N`) at the session's step count;
 * slimtune_run_step_lr uses the caller's (a schedule of your own). */
int slimtune_run_step(slimtune_session *session, const int32_t *tokens, const int32_t *targets,
                      slimtune_step_result *result);
int slimtune_run_step_lr(slimtune_session *session, const int32_t *tokens,
                         const int32_t *targets, float lr, slimtune_step_result *result);
/* The compiled schedule's learning rate at `step` (0: the first); NaN without one. */
float slimtune_schedule_lr(const slimtune_session *session, int64_t step);
/* Optimizer steps taken (restored by slimtune_load_checkpoint). */
int64_t slimtune_step_count(const slimtune_session *session);

/* The mean loss of a forward-only step (an evaluation session) on a batch; targets equal to
 * the ignore index count for nothing. Refused on a training step, which would update. */
int slimtune_eval_step(slimtune_session *session, const int32_t *tokens, const int32_t *targets,
                       float *loss);

/* Reads a buffer (parameter, state, output) by name. A training step's gradients are
 * readable as "<param>.grad" when it was compiled to keep them
 * (`slimtune compile --keep-gradients`): each then has a buffer of its own. */
int slimtune_read_tensor(const slimtune_session *session, const char *name, float *out,
                         int64_t count);

/* Trainable state: the trainable parameters, the optimizer state and the step count, as a
 * checkpoint folder (written atomically, with SHA-256 checksums; adapter_model.safetensors
 * inside holds the adapter under its PEFT names, adapter_config.json the configuration the
 * graph was imported with, so `slimtune export --checkpoint FOLDER` turns it into a PEFT
 * adapter). Loading verifies the checksums, that the checkpoint matches the step's
 * parameters, and that it was trained on the base model bound (bind it first). */
int slimtune_save_checkpoint(const slimtune_session *session, const char *folder);
int slimtune_load_checkpoint(slimtune_session *session, const char *folder);

/* Memory: the plan (the manifest's arena + buffers this session allocated) and the measured
 * high-water mark of the device's allocator, shared by the sessions that share memory. */
int64_t slimtune_planned_bytes(const slimtune_session *session);
int64_t slimtune_peak_bytes(const slimtune_session *session);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* SLIMTUNE_H */
