/* Checks the C API as an integrator uses it, built against the installed library with
 * pkg-config (test/capi/c-api.test): buffer listing, errors cleared on success, the ignore
 * index, the compiled schedule against a rate given per step, gradient read-back, evaluation
 * refused on a training step, NaN refused when binding, and a checkpoint loaded into a fresh
 * session that trains on (the load once left the adapter marked unbound) to the same numbers.
 *
 *   api_check STEP.so (compiled --keep-gradients, cosine schedule) EVAL.so MODEL TOKENS.u32 CKPT
 * Prints what it found (for FileCheck); exits 1 at the first check that fails.
 */
#include <slimtune/slimtune.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures = 0;

#define EXPECT(condition, ...)                                                                   \
  do {                                                                                           \
    if (!(condition)) {                                                                          \
      fprintf(stderr, "api_check: line %d: %s: ", __LINE__, #condition);                       \
      fprintf(stderr, __VA_ARGS__);                                                              \
      fprintf(stderr, " (last error: %s)\n", slimtune_last_error());                             \
      ++failures;                                                                                \
    }                                                                                            \
  } while (0)

static int32_t *read_tokens(const char *path, int64_t *count) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  fseek(f, 0, SEEK_END);
  *count = ftell(f) / 4;
  rewind(f);
  int32_t *ids = malloc(*count * 4);
  if (fread(ids, 4, *count, f) != (size_t)*count)
    *count = 0;
  fclose(f);
  return ids;
}

static slimtune_session *open_bound(const char *artifact, const char *model) {
  slimtune_session *s = NULL;
  EXPECT(slimtune_session_open(artifact, &s) == 0, "open %s", artifact);
  EXPECT(slimtune_bind_model(s, model) == 0, "bind %s", model);
  return s;
}

int main(int argc, char **argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: api_check STEP.so EVAL.so MODEL TOKENS.u32 CHECKPOINT\n");
    return 2;
  }
  const char *stepPath = argv[1], *evalPath = argv[2], *model = argv[3], *ckpt = argv[5];
  printf("version %s\n", slimtune_version());

  /* Errors: one line, and cleared by the next call that succeeds. */
  slimtune_session *none = NULL;
  EXPECT(slimtune_session_open("/nonexistent/step.so", &none) != 0, "open of a missing file");
  printf("missing artifact: %s\n", slimtune_last_error());
  EXPECT(strchr(slimtune_last_error(), '\n') == NULL, "one line");
  slimtune_session *train = open_bound(stepPath, model);
  EXPECT(slimtune_last_error()[0] == '\0', "error cleared after success");

  /* The buffers, by role; the ignore index. */
  int64_t n = slimtune_buffer_count(train), trainable = 0, grads = 0;
  char firstA[256] = "", firstGrad[512] = "";
  int64_t firstACount = 0;
  for (int64_t i = 0; i < n; ++i) {
    slimtune_buffer_info b;
    EXPECT(slimtune_buffer_info_at(train, i, &b) == 0, "buffer %lld", (long long)i);
    if (b.role == SLIMTUNE_ROLE_TRAINABLE && ++trainable == 1) {
      snprintf(firstA, sizeof firstA, "%s", b.name);
      firstACount = b.bytes / 4;
      printf("first trainable: %s %s [%lld, %lld]\n", b.name, b.dtype, (long long)b.shape[0],
             (long long)b.shape[1]);
    }
    if (b.role == SLIMTUNE_ROLE_OUTPUT && b.grad_of[0] && ++grads == 1)
      snprintf(firstGrad, sizeof firstGrad, "%s", b.name);
    if (b.role == SLIMTUNE_ROLE_LR)
      printf("lr input: %s rank %d\n", b.name, b.rank);
  }
  printf("buffers %lld, trainable %lld, gradient outputs %lld\n", (long long)n,
         (long long)trainable, (long long)grads);
  slimtune_buffer_info past;
  EXPECT(slimtune_buffer_info_at(train, n, &past) != 0, "index past the end refused");
  printf("past the end: %s\n", slimtune_last_error());
  printf("ignore index %d (header %d)\n", slimtune_ignore_index(train), SLIMTUNE_IGNORE_INDEX);

  /* NaN is refused by name; the buffer stays unbound, so a step is refused too. */
  float *values = calloc(firstACount, sizeof *values);
  values[3] = NAN;
  EXPECT(slimtune_bind_tensor(train, firstA, values, firstACount) != 0, "NaN bound");
  printf("nan: %s\n", slimtune_last_error());

  int64_t count = 0;
  int32_t *ids = read_tokens(argv[4], &count);
  const int64_t batch = slimtune_batch_size(train), seq = slimtune_sequence_length(train);
  int32_t *inputs = malloc(batch * seq * 4), *targets = malloc(batch * seq * 4);
  for (int64_t i = 0; i < batch * seq; ++i) {
    inputs[i] = ids[i];
    targets[i] = ids[i + 1];
  }
  slimtune_step_result r;
  EXPECT(slimtune_run_step(train, inputs, targets, &r) != 0, "step with an unbound adapter");
  printf("unbound: %s\n", slimtune_last_error());
  EXPECT(slimtune_init_adapters(train, SLIMTUNE_INIT_KAIMING, 5) == 0, "init");

  /* The compiled schedule, then a rate of the caller's; gradients read back. */
  for (int s = 0; s < 3; ++s) {
    EXPECT(slimtune_run_step(train, inputs, targets, &r) == 0, "step %d", s);
    EXPECT(r.lr == slimtune_schedule_lr(train, s), "step %d: lr %g, schedule %g", s, r.lr,
           slimtune_schedule_lr(train, s));
    printf("step %lld lr %g loss %.4f\n", (long long)r.step, r.lr, r.loss);
  }
  EXPECT(slimtune_run_step_lr(train, inputs, targets, 1e-3f, &r) == 0, "step with lr");
  printf("own rate: step %lld lr %g\n", (long long)r.step, r.lr);
  EXPECT(slimtune_run_step_lr(train, inputs, targets, -1.0f, &r) != 0, "negative rate");
  printf("negative rate: %s\n", slimtune_last_error());
  float *grad = malloc(firstACount * sizeof *grad);
  double norm = 0;
  EXPECT(slimtune_read_tensor(train, firstGrad, grad, firstACount) == 0, "read %s", firstGrad);
  for (int64_t i = 0; i < firstACount; ++i)
    norm += (double)grad[i] * grad[i];
  printf("gradient %s: norm %s\n", firstGrad, norm > 0 && isfinite(norm) ? "positive" : "ZERO");

  /* Evaluation: refused on the training step; the eval session shares the adapter. */
  float loss = 0;
  EXPECT(slimtune_eval_step(train, inputs, targets, &loss) != 0, "eval on a training step");
  printf("eval on training step: %s\n", slimtune_last_error());
  slimtune_session *eval = NULL;
  EXPECT(slimtune_session_open_eval(stepPath, train, &eval) != 0, "training artifact as eval");
  EXPECT(slimtune_session_open_eval(evalPath, train, &eval) == 0, "open eval");
  EXPECT(slimtune_eval_step(eval, inputs, targets, &loss) == 0, "eval");
  printf("eval loss %s\n", isfinite(loss) && loss > 0 ? "finite" : "BAD");

  /* Save, load into a fresh session, train on: the same numbers as the session that saved. */
  EXPECT(slimtune_save_checkpoint(train, ckpt) == 0, "save");
  slimtune_session *again = NULL;
  EXPECT(slimtune_session_open(stepPath, &again) == 0, "open again");
  EXPECT(slimtune_load_checkpoint(again, ckpt) != 0, "load before the model is bound");
  printf("load unbound: %s\n", slimtune_last_error());
  EXPECT(slimtune_bind_model(again, model) == 0, "bind again");
  EXPECT(slimtune_load_checkpoint(again, ckpt) == 0, "load");
  EXPECT(slimtune_step_count(again) == slimtune_step_count(train), "step count restored");
  slimtune_step_result a, b;
  EXPECT(slimtune_run_step(train, inputs, targets, &a) == 0, "step after save");
  EXPECT(slimtune_run_step(again, inputs, targets, &b) == 0, "step after load");
  EXPECT(a.loss == b.loss && a.grad_norm == b.grad_norm && a.step == b.step,
         "loaded session differs: loss %g vs %g", a.loss, b.loss);
  printf("after load: step %lld, same loss and gradient norm: %s\n", (long long)b.step,
         a.loss == b.loss && a.grad_norm == b.grad_norm ? "yes" : "no");

  slimtune_session_close(eval);
  slimtune_session_close(again);
  slimtune_session_close(train);
  free(values);
  free(grad);
  free(ids);
  free(inputs);
  free(targets);
  printf("%d failures\n", failures);
  return failures ? 1 : 0;
}
