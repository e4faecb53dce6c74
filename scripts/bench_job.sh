# The fine-tuning job the benchmark scripts share (sourced, not run): SmolLM2-135M-Instruct,
# the fortunes corpus, a work folder (SLIMTUNE_BENCH_DIR, default a new temporary one) holding
# the adapter configuration: LoRA r=16, alpha 32, on every linear layer, no dropout.
# Sets model, corpus and work.
model=$(scripts/fetch_smollm2.sh)
corpus=$(scripts/fetch_corpus.sh)
work=${SLIMTUNE_BENCH_DIR:-$(mktemp -d)}
mkdir -p "$work"
cat > "$work/adapter_config.json" <<'JSON'
{"peft_type": "LORA", "task_type": "CAUSAL_LM", "r": 16, "lora_alpha": 32, "lora_dropout": 0.0,
 "target_modules": "all-linear", "bias": "none"}
JSON
