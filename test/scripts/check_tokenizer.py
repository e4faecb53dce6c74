"""Cross-check of slimtune's tokenizer against Hugging Face `tokenizers`.

  check_tokenizer.py make-json MODEL.gguf OUTDIR
      Builds reference tokenizers from the GGUF file's vocabulary, merges and control /
      user-defined tokens (read with gguf-py) and saves them as OUTDIR/<name>/tokenizer.json:
        smollm2  the model's own pre-tokenizer ("smollm": Digits(individual_digits) then
                 ByteLevel with GPT-2's regex, as llama.cpp's regex list for it reads)
        gpt2     the same vocabulary behind GPT-2's pre-tokenizer (ByteLevel only)

  check_tokenizer.py compare TOKENIZER.json CORPUS NAME=WHOLE:LINES ...
      Encodes CORPUS with the reference (add_special_tokens=False), as a whole and line by line
      (split at '\\n'), and compares with slimtune-tokenize's outputs (WHOLE: one line of ids;
      LINES: --lines). Prints one summary line per NAME, or the first difference.
"""
import os
import sys

import gguf
from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers

CONTROL, USER_DEFINED = 3, 4


def field_strings(reader, key):
    field = reader.fields[key]
    return [bytes(field.parts[i]).decode("utf-8") for i in field.data]


def make_json(gguf_path, out_dir):
    reader = gguf.GGUFReader(gguf_path)
    model = bytes(reader.fields["tokenizer.ggml.model"].parts[-1]).decode()
    pre = bytes(reader.fields["tokenizer.ggml.pre"].parts[-1]).decode()
    if model != "gpt2" or pre != "smollm":
        sys.exit(f"{gguf_path}: expected a gpt2 tokenizer with pre-tokenizer smollm, got {model}/{pre}")
    tokens = field_strings(reader, "tokenizer.ggml.tokens")
    types_field = reader.fields["tokenizer.ggml.token_type"]
    types = [int(types_field.parts[i][0]) for i in types_field.data]
    # Merges split as llama.cpp splits them: at the first space after the first character.
    merges = []
    for line in field_strings(reader, "tokenizer.ggml.merges"):
        space = line.index(" ", 1)
        merges.append((line[:space], line[space + 1:]))
    vocab = {token: i for i, token in enumerate(tokens)}
    # Control tokens were special added tokens, user-defined ones ordinary added tokens.
    added = [AddedToken(t, special=(k == CONTROL), normalized=(k == USER_DEFINED))
             for t, k in zip(tokens, types) if k in (CONTROL, USER_DEFINED)]
    byte_level = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    variants = {
        "smollm2": pre_tokenizers.Sequence([pre_tokenizers.Digits(individual_digits=True), byte_level]),
        "gpt2": byte_level,
    }
    for name, pre_tokenizer in variants.items():
        tokenizer = Tokenizer(models.BPE(vocab=vocab, merges=merges))
        tokenizer.pre_tokenizer = pre_tokenizer
        tokenizer.decoder = decoders.ByteLevel()
        tokenizer.add_tokens(added)
        os.makedirs(os.path.join(out_dir, name), exist_ok=True)
        tokenizer.save(os.path.join(out_dir, name, "tokenizer.json"))
    print(f"reference tokenizers: {len(tokens)} tokens, {len(merges)} merges, "
          f"{len(added)} added tokens")


def read_ids(path):
    with open(path) as f:
        return [[int(x) for x in line.split()] for line in f.read().split("\n")[:-1]]


def first_difference(expected, actual):
    for i, (e, a) in enumerate(zip(expected, actual)):
        if e != a:
            return i
    return min(len(expected), len(actual))


def compare(tokenizer_json, corpus, outputs):
    reference = Tokenizer.from_file(tokenizer_json)
    with open(corpus, encoding="utf-8", newline="") as f:
        text = f.read()
    lines = text.split("\n")
    whole = reference.encode(text, add_special_tokens=False).ids
    per_line = [e.ids for e in reference.encode_batch(lines, add_special_tokens=False)]
    failed = False
    for spec in outputs:
        name, files = spec.split("=", 1)
        whole_path, lines_path = files.split(":")
        got_whole = read_ids(whole_path)
        got_lines = read_ids(lines_path)
        if got_whole != [whole]:
            got = got_whole[0] if got_whole else []
            i = first_difference(whole, got)
            print(f"{name}: whole file differs at token {i}: reference "
                  f"{whole[max(0, i - 3):i + 5]} ({reference.decode(whole[max(0, i - 3):i + 5])!r}), "
                  f"slimtune {got[max(0, i - 3):i + 5]}")
            failed = True
            continue
        if len(got_lines) != len(lines):
            print(f"{name}: {len(got_lines)} lines of ids for {len(lines)} lines of text")
            failed = True
            continue
        bad = [i for i, (e, a) in enumerate(zip(per_line, got_lines)) if e != a]
        for i in bad[:5]:
            print(f"{name}: line {i + 1} {lines[i]!r}: reference {per_line[i]}, slimtune {got_lines[i]}")
        if bad:
            failed = True
            continue
        print(f"{name}: the whole file ({len(whole)} tokens) and all {len(lines)} lines "
              f"({sum(map(len, per_line))} tokens) match the reference")
    return 1 if failed else 0


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "make-json":
        make_json(sys.argv[2], sys.argv[3])
        return 0
    if len(sys.argv) >= 5 and sys.argv[1] == "compare":
        return compare(sys.argv[2], sys.argv[3], sys.argv[4:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
