/* A training step artifact written by hand against kernel_abi.h, as the compiler's code would
 * be: an embedding (frozen), a linear head (trained by AdamW with gradient clipping), the
 * cross-entropy loss. The session tests open it, so they need no compiler and run in the
 * runtime-only build too. STEP_TARGET names the target its manifest records. */
#include "slimtune/kernel_abi.h"

#ifndef STEP_TARGET
#define STEP_TARGET "cpu"
#endif

#define TEXT(x) #x
#define NUMBER(x) TEXT(x)

/* vocab 16, channels 8, batch 2 x seq 4 = 8 rows. The arena: x [8, 8] at 0, logits (then
 * their gradient, in place) [8, 16] at 256, the head's gradient [16, 8] at 768. The sum of
 * squared gradients is an f64 state buffer, so that checkpoints hold a tensor of another type
 * than f32. */
enum { V = 16, C = 8, N = 8 };

const char *slimtune_artifact_manifest(void) {
  return "{\"format\": \"slimtune-step\", \"abi_version\": " NUMBER(SLIMTUNE_ABI_VERSION) ","
         " \"target\": \"" STEP_TARGET "\", \"arena_bytes\": 1280, \"vocab\": 16, \"classes\": 16,"
         " \"ignore_index\": -100,"
         " \"lr_schedule\": {\"kind\": \"constant\", \"lr\": 0.05, \"min_lr\": 0},"
         " \"buffers\": ["
         "{\"name\": \"embed.weight\", \"role\": \"frozen\", \"dtype\": \"f32\", \"shape\": [16, 8], \"bytes\": 512},"
         "{\"name\": \"head.weight\", \"role\": \"trainable\", \"dtype\": \"f32\", \"shape\": [16, 8], \"bytes\": 512},"
         "{\"name\": \"head.weight.exp_avg\", \"role\": \"state\", \"dtype\": \"f32\", \"shape\": [16, 8], \"bytes\": 512},"
         "{\"name\": \"head.weight.exp_avg_sq\", \"role\": \"state\", \"dtype\": \"f32\", \"shape\": [16, 8], \"bytes\": 512},"
         "{\"name\": \"grad_sum_squares\", \"role\": \"state\", \"dtype\": \"f64\", \"shape\": [1], \"bytes\": 8},"
         "{\"name\": \"tokens\", \"role\": \"tokens\", \"dtype\": \"i32\", \"shape\": [2, 4], \"bytes\": 32},"
         "{\"name\": \"targets\", \"role\": \"targets\", \"dtype\": \"i32\", \"shape\": [2, 4], \"bytes\": 32},"
         "{\"name\": \"step\", \"role\": \"step\", \"dtype\": \"i32\", \"shape\": [], \"bytes\": 4},"
         "{\"name\": \"lr\", \"role\": \"lr\", \"dtype\": \"f32\", \"shape\": [], \"bytes\": 4},"
         "{\"name\": \"loss\", \"role\": \"output\", \"dtype\": \"f32\", \"shape\": [], \"bytes\": 4},"
         "{\"name\": \"grad_norm\", \"role\": \"output\", \"dtype\": \"f32\", \"shape\": [], \"bytes\": 4}]}";
}

typedef int32_t (*Embedding)(void *, void *, const void *, const void *, int64_t, int64_t, int64_t);
typedef int32_t (*Linear)(void *, void *, const void *, const void *, const void *, int64_t, int64_t,
                          int64_t, int32_t);
typedef int32_t (*CrossEntropy)(void *, void *, void *, const void *, const void *, int64_t, int64_t,
                                int32_t);
typedef int32_t (*WeightGrad)(void *, void *, const void *, const void *, int64_t, int64_t, int64_t,
                              int32_t);
typedef int32_t (*FillZero)(void *, void *, int64_t);
typedef int32_t (*SumSquares)(void *, void *, const void *, int64_t);
typedef int32_t (*SqrtF64)(void *, void *, const void *);
typedef int32_t (*AdamW)(void *, void *, void *, void *, const void *, int64_t, const void *,
                         const void *, const void *, float, float, float, float, float);

/* Calls kernel ID through the table; the first failure ends the step. */
#define CALL(ID, Type, ...)                                                                   \
  do {                                                                                        \
    int32_t status = ((Type)args->kernels[SLIMTUNE_KERNEL_##ID])(args->device_context, __VA_ARGS__); \
    if (status != SLIMTUNE_KERNEL_OK) {                                                       \
      *args->failed_kernel = SLIMTUNE_KERNEL_##ID;                                            \
      return status;                                                                          \
    }                                                                                         \
  } while (0)

int32_t slimtune_artifact_step(const slimtune_step_args *args) {
  void *const *b = args->buffers;
  void *embed = b[0], *head = b[1], *m = b[2], *v = b[3], *sumSquares = b[4], *tokens = b[5],
       *targets = b[6], *step = b[7], *lr = b[8], *loss = b[9], *gradNorm = b[10];
  uint8_t *x = args->arena, *logits = args->arena + 256, *dHead = args->arena + 768;
  CALL(EMBEDDING, Embedding, x, embed, tokens, N, C, V);
  CALL(LINEAR, Linear, logits, x, head, (const void *)0, N, C, V, 0);
  CALL(CROSS_ENTROPY, CrossEntropy, loss, logits, logits, targets, N, V, -100);
  CALL(WEIGHT_GRAD, WeightGrad, dHead, logits, x, N, C, V, 0);
  CALL(FILL_ZERO, FillZero, sumSquares, 8);
  CALL(SUM_SQUARES, SumSquares, sumSquares, dHead, V * C);
  CALL(SQRT_F64, SqrtF64, gradNorm, sumSquares);
  CALL(ADAMW, AdamW, head, m, v, dHead, V * C, lr, step, sumSquares, 1.0f, 0.9f, 0.999f, 1e-8f,
       0.01f);
  return SLIMTUNE_KERNEL_OK;
}
