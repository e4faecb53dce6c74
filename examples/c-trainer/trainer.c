/* A complete small trainer in C on slimtune's runtime library: it trains a LoRA adapter with
 * its own learning-rate schedule (linear warmup, cosine decay), evaluates a held-out part of
 * the data with a forward-only step that shares the adapter, and saves a checkpoint that
 * `slimtune export` turns into a PEFT adapter.
 *
 *   slimtune import --model MODEL --adapter CFG.json --batch 4 --seq 64 -o step.mlir
 *   slimtune compile step.mlir -o step.so               the training step
 *   slimtune compile step.mlir --pipeline eval -o eval.so   forward only
 *   cc trainer.c -o trainer $(pkg-config --cflags --libs slimtune) -lm
 *   ./trainer step.so eval.so MODEL tokens.u32 STEPS OUT_CHECKPOINT
 *
 * tokens.u32: the training text as raw little-endian uint32 token ids (`slimtune train
 * --data` tokenizes text for you; here any tokenizer will do). The last tenth is held out.
 */
#include <slimtune/slimtune.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static int check(int status, const char *what) {
  if (status != 0) {
    fprintf(stderr, "trainer: %s: %s\n", what, slimtune_last_error());
    exit(1);
  }
  return status;
}

/* Sequence i of the data as inputs and next-token targets. */
static void batch_at(const int32_t *ids, int64_t first, int64_t rows, int64_t seq,
                     int32_t *inputs, int32_t *targets) {
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t t = 0; t < seq; ++t) {
      int64_t at = (first + r) * seq + t;
      inputs[r * seq + t] = ids[at];
      targets[r * seq + t] = ids[at + 1];
    }
}

int main(int argc, char **argv) {
  if (argc != 7) {
    fprintf(stderr, "usage: trainer STEP.so EVAL.so MODEL TOKENS.u32 STEPS OUT_CHECKPOINT\n");
    return 2;
  }
  const int64_t steps = atoll(argv[5]);
  slimtune_session *train, *eval;
  check(slimtune_session_open(argv[1], &train), argv[1]);
  check(slimtune_bind_model(train, argv[3]), argv[3]);
  check(slimtune_init_adapters(train, SLIMTUNE_INIT_KAIMING, 42), "init");
  check(slimtune_session_open_eval(argv[2], train, &eval), argv[2]);

  /* The data: whole sequences of seq + 1 tokens, the last tenth held out. */
  FILE *f = fopen(argv[4], "rb");
  if (!f || fseek(f, 0, SEEK_END) != 0) {
    fprintf(stderr, "trainer: %s: cannot read\n", argv[4]);
    return 1;
  }
  const int64_t count = ftell(f) / 4, batch = slimtune_batch_size(train),
                seq = slimtune_sequence_length(train);
  int32_t *ids = malloc(count * sizeof *ids), *inputs = malloc(batch * seq * sizeof *inputs),
          *targets = malloc(batch * seq * sizeof *targets);
  rewind(f);
  if (fread(ids, 4, count, f) != (size_t)count || count < 11 * batch * seq + 1) {
    fprintf(stderr, "trainer: %s: fewer than %lld tokens\n", argv[4],
            (long long)(11 * batch * seq + 1));
    return 1;
  }
  fclose(f);
  const int64_t sequences = (count - 1) / seq, held_out = sequences / 10,
                train_batches = (sequences - held_out) / batch;

  /* The training loop, with this trainer's own schedule. */
  const float peak = 2e-3f;
  const int64_t warmup = steps / 10;
  for (int64_t s = 0; s < steps; ++s) {
    float lr = s < warmup ? peak * (s + 1) / warmup
                          : 0.5f * peak * (1 + cosf(3.14159265f * (s - warmup) / (steps - warmup)));
    batch_at(ids, (s % train_batches) * batch, batch, seq, inputs, targets);
    slimtune_step_result r;
    check(slimtune_run_step_lr(train, inputs, targets, lr, &r), "step");
    if (!isfinite(r.loss) || !isfinite(r.grad_norm)) {
      fprintf(stderr, "trainer: step %lld: loss %g, gradient norm %g\n", (long long)r.step,
              r.loss, r.grad_norm);
      return 1;
    }
    printf("step %lld  loss %.4f  grad_norm %.4f  lr %.6f\n", (long long)r.step, r.loss,
           r.grad_norm, r.lr);
  }

  /* Validation: the mean loss over the held-out sequences, padded with ignored rows. */
  double sum = 0;
  int64_t rows = 0;
  for (int64_t first = sequences - held_out; first < sequences; first += batch) {
    int64_t real = sequences - first < batch ? sequences - first : batch;
    batch_at(ids, first, real, seq, inputs, targets);
    for (int64_t i = real * seq; i < batch * seq; ++i) {
      inputs[i] = 0;
      targets[i] = slimtune_ignore_index(eval);
    }
    float loss;
    check(slimtune_eval_step(eval, inputs, targets, &loss), "eval");
    sum += (double)loss * real;
    rows += real;
  }
  printf("validation loss %.4f over %lld sequences\n", sum / rows, (long long)rows);

  check(slimtune_save_checkpoint(train, argv[6]), argv[6]);
  printf("saved %s at step %lld; peak memory %lld bytes\n", argv[6],
         (long long)slimtune_step_count(train), (long long)slimtune_peak_bytes(train));
  slimtune_session_close(eval);
  slimtune_session_close(train);
  free(ids);
  free(inputs);
  free(targets);
  return 0;
}
